//! `verify`: every blob the state says is uploaded is listed complete by the server with the
//! size uploaded and the checksum sealed; with `read_data`, each is also downloaded (size and
//! SHA-256 checked) and decrypted (every segment authenticated), as restic's `check
//! --read-data`.

use std::sync::Arc;
use std::time::Instant;

use sync_core::blob::open_blob;
use sync_core::{BlobType, UnixMillis};

use super::list_own;
use super::prove::{read_chunk_to, read_pack};
use crate::error::{Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::session::{MAX_TEXT_BLOB, SyncSession, blocking, context_of};

/// What `verify` is asked to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Only blobs whose time range ends at or after this.
    pub since: Option<UnixMillis>,
    /// Only blobs whose time range starts at or before this.
    pub until: Option<UnixMillis>,
    /// Download and decrypt every blob checked.
    pub read_data: bool,
}

/// A blob that failed a check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// The blob.
    pub blob_id: String,
    /// Its type.
    pub blob_type: String,
    /// `missing` (not listed complete), `size_differs`, `checksum_differs`, `unreadable`.
    pub problem: &'static str,
    /// Details.
    pub detail: String,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    /// Blobs checked.
    pub checked: u64,
    /// Their bytes (ciphertext).
    pub bytes: u64,
    /// Blobs whose checksum was compared with the one recorded at sealing (the others were
    /// sealed before checksums were recorded: size only, unless read).
    pub checksums_compared: u64,
    /// Blobs downloaded and decrypted.
    pub read: u64,
    /// Every failed check.
    pub mismatches: Vec<Mismatch>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

impl VerifyReport {
    /// True when every check passed.
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl SyncSession {
    /// Checks the cloud copy of every uploaded blob of this device (see
    /// [`crate::archive::verify`]).
    pub async fn verify(&self, options: &VerifyOptions, progress: Arc<dyn Progress>) -> Result<VerifyReport> {
        let started = Instant::now();
        let blobs = self.with_state(|s| s.synced_blobs())?;
        let blobs: Vec<_> = blobs
            .into_iter()
            .filter(|b| {
                options.since.is_none_or(|t| b.time_end >= t) && options.until.is_none_or(|t| b.time_start <= t)
            })
            .collect();
        let listing = list_own(self, None, options.until).await?;
        let scratch = self.config().state_dir.join("verify-scratch");
        let mut report = VerifyReport::default();
        let mut damaged = Vec::new();
        progress.add_total(Stage::Importing, blobs.len() as u64);
        for b in blobs {
            progress.advance(Stage::Importing, 1);
            report.checked += 1;
            report.bytes += b.size_bytes;
            let mut fail = |problem: &'static str, detail: String| {
                progress.warn(&format!("blob {} ({}): {problem}: {detail}", b.blob_id, b.blob_type));
                damaged.push((b.blob_id, problem, detail.clone()));
                report.mismatches.push(Mismatch {
                    blob_id: b.blob_id.to_hex(),
                    blob_type: b.blob_type.to_string(),
                    problem,
                    detail,
                });
            };
            let Some(listed) = listing.get(&b.blob_id) else {
                fail("missing", "the server does not list it as complete".into());
                continue;
            };
            if listed.size_bytes != b.size_bytes {
                fail("size_differs", format!("listed {} bytes, uploaded {}", listed.size_bytes, b.size_bytes));
                continue;
            }
            if let Some(seal) = self.with_state(|s| s.blob_seal(&b.blob_id))? {
                report.checksums_compared += 1;
                if seal.checksum != listed.checksum {
                    let detail =
                        format!("listed checksum {}, sealed {}", listed.checksum.to_hex(), seal.checksum.to_hex());
                    fail("checksum_differs", detail);
                    continue;
                }
            }
            if !options.read_data {
                continue;
            }
            let read = match b.blob_type {
                BlobType::Text => {
                    let fetched = self
                        .client()
                        .download_to_vec(
                            &listed.download_url,
                            listed.size_bytes,
                            &listed.checksum,
                            MAX_TEXT_BLOB,
                            progress.as_ref(),
                        )
                        .await;
                    match fetched {
                        Ok(bytes) => {
                            let (ctx, keys) = (context_of(listed), self.keys().data_keys());
                            blocking(move || Ok(open_blob(&keys, &ctx, &bytes).map(|_| ())?)).await
                        }
                        Err(e) => Err(e),
                    }
                }
                _ if b.records > 1 || self.with_state(|s| s.is_pack(&b.blob_id))? => {
                    read_pack(self, listed, progress.as_ref()).await.map(|_| ())
                }
                _ => {
                    std::fs::create_dir_all(&scratch)
                        .map_err(|e| SyncError::io(format!("create {}", scratch.display()), e))?;
                    let tmp = scratch.join(format!("{}.verify", b.blob_id));
                    let r = read_chunk_to(self, listed, &tmp, progress.as_ref()).await.map(|_| ());
                    let _ = std::fs::remove_file(&tmp);
                    r
                }
            };
            match read {
                Ok(()) => {
                    report.read += 1;
                    self.with_state(|s| s.clear_damage(&b.blob_id))?;
                }
                Err(e @ SyncError::Network { .. }) => return Err(e),
                Err(e) => fail("unreadable", e.to_string()),
            }
        }
        let _ = std::fs::remove_dir(&scratch);
        for (blob_id, problem, detail) in damaged {
            self.with_state(|s| s.note_damage(&blob_id, problem, &detail))?;
        }
        progress.finish(Stage::Importing);
        progress.finish(Stage::Downloading);
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}
