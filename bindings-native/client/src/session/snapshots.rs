//! The pull's snapshots: before a bundle's rows are imported, the snapshots its frames name are
//! written from their media packs to `DATA_DIR/<origin device>/<YYYY-MM-DD>/<entry>`
//! ([`snapshot_dest`]), each atomically (temporary file, fsync, rename), so that a row never
//! points to a half-written file and screenpipe 0.4 (which drops pointers to missing files)
//! finds them. A pack is downloaded once per bundle, checked (size, SHA-256), opened (every
//! segment verified) and parsed (`sync_core::pack`). A pack not on the server yet (its upload
//! still running on the other device) fails the bundle, which the next pull retries; a pack
//! that fails its checks is reported and its frames are imported without their snapshot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sync_core::blob::open_blob;
use sync_core::pack::PackIndex;
use sync_core::records::RecordsBundle;
use sync_core::wire::{DownloadRequest, codes};
use sync_core::{BlobId, BlobType, DeviceId};

use super::pull::{PullFailure, PullReport};
use super::{SyncSession, blocking, context_of};
use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::unpack::snapshot_dest;

/// Largest `frames` blob holding a media pack that is downloaded, in bytes of ciphertext.
pub const MAX_PACK_BLOB: u64 = (1 << 28) + (1 << 24);

/// Writes `bytes` to `dest` atomically (a temporary file beside it, fsync, rename).
fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).io_ctx(|| format!("create {}", dir.display()))?;
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.part"));
    let mut file = std::fs::File::create(&tmp).io_ctx(|| format!("create {}", tmp.display()))?;
    file.write_all(bytes).io_ctx(|| format!("write {}", tmp.display()))?;
    file.sync_all().io_ctx(|| format!("sync {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, dest).io_ctx(|| format!("rename to {}", dest.display()))
}

impl SyncSession {
    /// Writes the snapshots of `bundle`'s frames that are not on disk yet.
    pub(super) async fn fetch_snapshots(
        &self,
        bundle: &RecordsBundle,
        report: &mut PullReport,
        progress: &dyn Progress,
    ) -> Result<()> {
        let data_dir = &self.config.data_dir;
        let mut by_pack: BTreeMap<BlobId, Vec<(String, PathBuf)>> = BTreeMap::new();
        for f in &bundle.frames {
            let Some(s) = &f.snapshot else { continue };
            let Some(blob) = s.blob_id else { continue };
            let dest = snapshot_dest(data_dir, &bundle.device_id, f, s);
            if !dest.exists() {
                by_pack.entry(blob).or_default().push((s.entry.clone(), dest));
            }
        }
        for (blob_id, wanted) in by_pack {
            let payload = match self.fetch_pack(&blob_id, &bundle.device_id, progress).await {
                Ok(p) => p,
                Err(e @ (SyncError::Network { .. } | SyncError::Io { .. })) => return Err(e),
                Err(e) if e.is_api(codes::NOT_FOUND) => {
                    return Err(SyncError::State(format!(
                        "media pack {blob_id} is not on the server yet (the other device is still uploading it); \
                         this bundle is retried at the next pull"
                    )));
                }
                Err(e) => {
                    progress.warn(&format!("media pack {blob_id} not written: {e}"));
                    report.media_pending += wanted.len() as u64;
                    report.failures.push(PullFailure {
                        blob_id: blob_id.to_hex(),
                        blob_type: BlobType::Frames.to_string(),
                        code: e.code(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let written = blocking(move || {
                let index = PackIndex::decode_payload(&payload)?;
                let mut written = 0u64;
                let mut absent = Vec::new();
                for (entry, dest) in wanted {
                    match index.find(&entry) {
                        Some((i, _)) => {
                            write_atomic(&dest, index.slice(&payload, i)?)?;
                            written += 1;
                        }
                        None => absent.push(entry),
                    }
                }
                Ok((written, absent))
            })
            .await;
            match written {
                Ok((n, absent)) => {
                    report.media_written += n;
                    for entry in absent {
                        report.failures.push(PullFailure {
                            blob_id: blob_id.to_hex(),
                            blob_type: BlobType::Frames.to_string(),
                            code: "malformed".into(),
                            message: format!("the media pack has no entry {entry:?}"),
                        });
                    }
                }
                Err(e @ SyncError::Io { .. }) => return Err(e),
                Err(e) => {
                    progress.warn(&format!("media pack {blob_id} rejected: {e}"));
                    report.failures.push(PullFailure {
                        blob_id: blob_id.to_hex(),
                        blob_type: BlobType::Frames.to_string(),
                        code: e.code(),
                        message: e.to_string(),
                    });
                }
            }
        }
        // The renames are durable before the rows that name the files commit.
        let dirs: std::collections::BTreeSet<PathBuf> = bundle
            .frames
            .iter()
            .filter_map(|f| f.snapshot.as_ref().map(|s| snapshot_dest(data_dir, &bundle.device_id, f, s)))
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect();
        for dir in dirs.into_iter().filter(|d| d.is_dir()) {
            crate::os::sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Snapshot images from one media pack (downloaded once, checked and decrypted in memory,
    /// nothing written), for a search that shows cloud frames: one per entry, `None` where the
    /// pack lacks it.
    pub async fn snapshot_images(
        &self,
        pack: &BlobId,
        origin: &DeviceId,
        entries: Vec<String>,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let payload = self.fetch_pack(pack, origin, &crate::progress::NoProgress).await?;
        blocking(move || {
            let index = PackIndex::decode_payload(&payload)?;
            entries
                .iter()
                .map(|entry| match index.find(entry) {
                    Some((i, _)) => Ok(Some(index.slice(&payload, i)?.to_vec())),
                    None => Ok(None),
                })
                .collect()
        })
        .await
    }

    /// Downloads a media pack blob, checks it and opens it: the pack's payload.
    async fn fetch_pack(&self, blob_id: &BlobId, origin: &DeviceId, progress: &dyn Progress) -> Result<Vec<u8>> {
        let listed =
            self.client.download(&DownloadRequest { blob_ids: Some(vec![*blob_id]), ..Default::default() }).await?;
        let blob = listed
            .blobs
            .into_iter()
            .find(|b| b.blob_id == *blob_id)
            .ok_or_else(|| SyncError::InvalidResponse(format!("/download did not list blob {blob_id}")))?;
        if blob.blob_type != BlobType::Frames || blob.device_id != *origin {
            return Err(SyncError::Core(sync_core::Error::Malformed(
                "a snapshot names a blob that is not a frames blob of the bundle's device",
            )));
        }
        progress.add_total(Stage::Downloading, blob.size_bytes);
        let bytes = self
            .client
            .download_to_vec(&blob.download_url, blob.size_bytes, &blob.checksum, MAX_PACK_BLOB, progress)
            .await?;
        let ctx = context_of(&blob);
        let keys = self.keys.data_keys();
        blocking(move || Ok(open_blob(&keys, &ctx, &bytes)?)).await
    }
}
