//! Pull: download, decrypt and import the `text` blobs of other devices ([`crate::unpack`]),
//! with their media files. Media files are renamed into place only when complete and verified,
//! before the rows that point to them; a bundle's rows and their mapping commit together; the
//! `pulled_blobs` row comes after (lost, the import is repeated as a no-op). A blob that fails
//! any check is reported and nothing of it is imported; it is retried at the next pull.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;

use sync_core::blob::{BlobContext, BlobOpener, open_blob};
use sync_core::records::RecordsBundle;
use sync_core::wire::limits::MAX_IDS_PER_DOWNLOAD;
use sync_core::wire::{BlobDownload, DownloadRequest, TimeRange, codes};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

use super::{LOCK_WAIT, SyncSession, blocking, context_of, lock_state};
use crate::api::{Signal, TransferWindow};
use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::state::StateLock;
use crate::unpack::{Unpacker, media_dest};

/// Media files of one bundle downloaded at once (the bundles themselves go through the pull's
/// adaptive window, `download_concurrency`).
const MEDIA_IN_FLIGHT: usize = 4;

/// Most ciphertext bytes of text bundles in flight in a pull (downloaded, opened or waiting
/// for their import; one bundle always goes, whatever its size): with their plaintext, the
/// pull's memory stays near twice this, whatever the backlog.
const PULL_BUDGET: u64 = 64 << 20;

/// One lock per media blob being fetched by a pull: two bundles in flight may name the same
/// chunk; the second waits for the first and finds the file in place.
#[derive(Default)]
struct MediaLocks(Mutex<HashMap<BlobId, Arc<tokio::sync::Mutex<()>>>>);

impl MediaLocks {
    fn of(&self, blob_id: BlobId) -> Arc<tokio::sync::Mutex<()>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(blob_id).or_default().clone()
    }
}

/// A bundle downloaded, opened and with its media in place, waiting for its import.
struct Fetched {
    bundle: RecordsBundle,
    /// Media counts and failures met on the way.
    part: PullReport,
}

/// Largest `text` blob downloaded, in bytes of ciphertext.
pub const MAX_TEXT_BLOB: u64 = (1 << 28) + (1 << 24);

/// One blob that could not be pulled.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PullFailure {
    /// The blob.
    pub blob_id: String,
    /// Its type.
    pub blob_type: String,
    /// The error code (`tampered`, `checksum_mismatch`, ...).
    pub code: String,
    /// The error.
    pub message: String,
}

/// What a pull did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PullReport {
    /// Text blobs of other devices listed in the range.
    pub listed: u64,
    /// Text blobs imported now.
    pub imported_blobs: u64,
    /// Text blobs imported before (skipped).
    pub already_imported: u64,
    /// Rows inserted.
    pub rows_inserted: u64,
    /// Records that were present already.
    pub rows_existing: u64,
    /// Imported memories updated to a newer version.
    pub rows_updated: u64,
    /// Records this device's screenpipe schema cannot hold (elements, memories, meetings on
    /// the February 2026 generation), skipped, by table.
    pub not_representable: std::collections::BTreeMap<String, u64>,
    /// This device's screenpipe schema (generation, migrations).
    pub schema: String,
    /// Media files written.
    pub media_written: u64,
    /// Media files not available yet (retried at the next pull).
    pub media_pending: u64,
    /// Blobs rejected (nothing of them imported).
    pub failures: Vec<PullFailure>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

impl SyncSession {
    /// Downloads, decrypts and imports the `text` blobs of other devices in `[since, until]`
    /// (default: everything), with their media files. Blobs imported before are skipped;
    /// a blob that fails to verify is reported and nothing of it is imported.
    pub async fn pull(
        &self,
        since: Option<UnixMillis>,
        until: Option<UnixMillis>,
        progress: Arc<dyn Progress>,
    ) -> Result<PullReport> {
        let started = Instant::now();
        let state_dir = self.config.state_dir.clone();
        let _lock = blocking(move || StateLock::acquire(&state_dir, LOCK_WAIT)).await?;
        let (db, data) = (self.config.db_path.clone(), self.config.data_dir.clone());
        let unpacker = Arc::new(Mutex::new(blocking(move || Unpacker::open(&db, &data)).await?));
        let schema = unpacker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).schema_summary();
        let mut report = PullReport { schema, ..PullReport::default() };

        // Media that earlier pulls could not fetch yet.
        let waiting = lock_state(&self.state).pending_media()?;
        for (blob_id, dest) in waiting {
            match self.fetch_media_by_id(&blob_id, &dest, progress.as_ref()).await {
                Ok(()) => {
                    lock_state(&self.state).done_pending_media(&blob_id)?;
                    report.media_written += 1;
                }
                Err(e) => self.media_failed(&mut report, &blob_id, &dest, None, e, progress.as_ref())?,
            }
        }

        let range = TimeRange {
            start: since.unwrap_or(UnixMillis(0)),
            end: until.unwrap_or(UnixMillis(crate::os::now_ms().0.saturating_add(366 * 86_400_000))),
        };
        let window = TransferWindow::new(self.config.download_concurrency);
        let locks = MediaLocks::default();
        let mut cursor: Option<String> = None;
        let mut cursors = crate::api::pages::Cursors::default();
        loop {
            let page = self
                .client
                .download(&DownloadRequest {
                    time_range: Some(range),
                    blob_types: Some(vec![BlobType::Text]),
                    limit: Some(200),
                    cursor: cursor.clone(),
                    ..DownloadRequest::default()
                })
                .await?;
            let mut todo = Vec::new();
            for blob in page.blobs {
                if blob.device_id == self.device_id || blob.blob_type != BlobType::Text {
                    continue;
                }
                report.listed += 1;
                if lock_state(&self.state).pulled_status(&blob.blob_id)?.as_deref() == Some("imported") {
                    report.already_imported += 1;
                    continue;
                }
                progress.add_total(Stage::Downloading, blob.size_bytes);
                todo.push(blob);
            }
            // Several blobs download (with their media) through the window while the earlier
            // ones import, one at a time and in the listing's order.
            let fetched = window.ordered_within(
                todo,
                |b| b.size_bytes,
                PULL_BUDGET,
                |blob| {
                    let (progress, locks) = (progress.clone(), &locks);
                    async move {
                        let outcome = self.prefetch(&blob, locks, progress.as_ref()).await;
                        let signal = Signal::of(&outcome, blob.size_bytes);
                        ((blob, outcome), signal)
                    }
                },
            );
            let mut fetched = std::pin::pin!(fetched);
            while let Some((blob, outcome)) = fetched.next().await {
                let imported = match outcome {
                    Ok(f) => self.import_fetched(&blob, f, &unpacker, &mut report, progress.as_ref()).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = imported {
                    if matches!(e, SyncError::Network { .. } | SyncError::Io { .. } | SyncError::Database { .. }) {
                        return Err(e);
                    }
                    progress.warn(&format!("blob {} rejected: {e}", blob.blob_id));
                    tracing::warn!(blob = %blob.blob_id, error = %e, "blob rejected; nothing of it imported");
                    lock_state(&self.state).mark_pulled(
                        &blob.blob_id,
                        blob.blob_type,
                        &blob.device_id,
                        blob.time_start,
                        blob.time_end,
                        "failed",
                        0,
                        Some(&e.to_string()),
                    )?;
                    report.failures.push(PullFailure {
                        blob_id: blob.blob_id.to_hex(),
                        blob_type: blob.blob_type.to_string(),
                        code: e.code(),
                        message: e.to_string(),
                    });
                }
            }
            cursor = cursors.follow(page.next_cursor)?;
            if cursor.is_none() {
                break;
            }
        }
        progress.finish(Stage::Downloading);
        progress.finish(Stage::Importing);
        report.wall_seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn media_failed(
        &self,
        report: &mut PullReport,
        blob_id: &BlobId,
        dest: &Path,
        origin: Option<&DeviceId>,
        e: SyncError,
        progress: &dyn Progress,
    ) -> Result<()> {
        if !e.is_api(codes::NOT_FOUND) {
            progress.warn(&format!("media blob {blob_id} not written: {e}"));
            report.failures.push(PullFailure {
                blob_id: blob_id.to_hex(),
                blob_type: "media".into(),
                code: e.code(),
                message: e.to_string(),
            });
        }
        report.media_pending += 1;
        if let Some(origin) = origin {
            lock_state(&self.state).add_pending_media(blob_id, dest, origin, Some(&e.to_string()))?;
        }
        Ok(())
    }

    /// Downloads a blob into memory, checks it, and opens it (the whole payload verified).
    pub async fn open_text_blob(&self, blob: &BlobDownload, progress: &dyn Progress) -> Result<RecordsBundle> {
        let bytes = self
            .client
            .download_to_vec(&blob.download_url, blob.size_bytes, &blob.checksum, MAX_TEXT_BLOB, progress)
            .await?;
        let ctx = context_of(blob);
        let keys = self.keys.data_keys();
        let device = blob.device_id.clone();
        blocking(move || {
            let plain = open_blob(&keys, &ctx, &bytes)?;
            let bundle = RecordsBundle::from_json(&plain)?;
            if bundle.device_id != device {
                return Err(SyncError::Core(sync_core::Error::Malformed(
                    "the bundle names another device than its blob",
                )));
            }
            Ok(bundle)
        })
        .await
    }

    /// Everything of one listed bundle but its import: the bundle downloaded and opened, the
    /// media files it names written into place (listed in one `/download`, [`MEDIA_IN_FLIGHT`]
    /// at a time), the snapshots of its frames. Media failures that leave the bundle importable
    /// are in the returned report part.
    async fn prefetch(&self, blob: &BlobDownload, locks: &MediaLocks, progress: &dyn Progress) -> Result<Fetched> {
        let bundle = self.open_text_blob(blob, progress).await?;
        let mut part = PullReport::default();
        // Media first: rows never point at a file that a crash left half written.
        let chunks: Vec<(BlobId, PathBuf)> = bundle
            .video_chunks
            .iter()
            .filter_map(|c| c.blob_id.map(|id| (id, c.file_name.clone())))
            .chain(bundle.audio_chunks.iter().filter_map(|c| c.blob_id.map(|id| (id, c.file_name.clone()))))
            .map(|(id, file_name)| (id, media_dest(&self.config.data_dir, &bundle.device_id, &file_name, &id)))
            .filter(|(_, dest)| !dest.exists())
            .collect();
        let mut listed: HashMap<BlobId, BlobDownload> = HashMap::new();
        for ids in chunks.chunks(MAX_IDS_PER_DOWNLOAD) {
            let request =
                DownloadRequest { blob_ids: Some(ids.iter().map(|(id, _)| *id).collect()), ..Default::default() };
            listed.extend(self.client.download(&request).await?.blobs.into_iter().map(|b| (b.blob_id, b)));
        }
        // Ok(false): another bundle of this pull wrote it meanwhile.
        let outcomes: Vec<(BlobId, PathBuf, Result<bool>)> = futures::stream::iter(chunks)
            .map(|(id, dest)| {
                let listed = listed.get(&id);
                async move {
                    let lock = locks.of(id);
                    let _held = lock.lock().await;
                    let outcome = match listed {
                        _ if dest.exists() => Ok(false),
                        Some(b) => self.fetch_media(b, &dest, progress).await.map(|()| true),
                        None => Err(SyncError::InvalidResponse(format!("/download did not list blob {id}"))),
                    };
                    (id, dest, outcome)
                }
            })
            .buffer_unordered(MEDIA_IN_FLIGHT)
            .collect()
            .await;
        for (blob_id, dest, outcome) in outcomes {
            match outcome {
                Ok(written) => part.media_written += u64::from(written),
                Err(e @ (SyncError::Network { .. } | SyncError::Io { .. })) => return Err(e),
                Err(e) => self.media_failed(&mut part, &blob_id, &dest, Some(&bundle.device_id), e, progress)?,
            }
        }
        self.fetch_snapshots(&bundle, &mut part, progress).await?;
        Ok(Fetched { bundle, part })
    }

    /// Imports a prefetched bundle (its rows and their mapping in one transaction), then
    /// records it pulled.
    async fn import_fetched(
        &self,
        blob: &BlobDownload,
        fetched: Fetched,
        unpacker: &Arc<Mutex<Unpacker>>,
        report: &mut PullReport,
        progress: &dyn Progress,
    ) -> Result<()> {
        let Fetched { bundle, part } = fetched;
        let unpacker = unpacker.clone();
        let blob_id = blob.blob_id;
        let counts = blocking(move || {
            let mut u = unpacker.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            u.import(&bundle, &blob_id)
        })
        .await?;
        progress.advance(Stage::Importing, 1);
        report.media_written += part.media_written;
        report.media_pending += part.media_pending;
        report.failures.extend(part.failures);
        report.imported_blobs += 1;
        report.rows_inserted += counts.total_inserted();
        report.rows_existing += counts.existing;
        report.rows_updated += counts.updated;
        for (table, n) in &counts.not_representable {
            *report.not_representable.entry(table.clone()).or_default() += n;
        }
        lock_state(&self.state).mark_pulled(
            &blob.blob_id,
            blob.blob_type,
            &blob.device_id,
            blob.time_start,
            blob.time_end,
            "imported",
            counts.total_inserted(),
            None,
        )?;
        Ok(())
    }

    /// Fetches one media blob by id and writes its plaintext to `dest` atomically.
    async fn fetch_media_by_id(&self, blob_id: &BlobId, dest: &Path, progress: &dyn Progress) -> Result<()> {
        let listed =
            self.client.download(&DownloadRequest { blob_ids: Some(vec![*blob_id]), ..Default::default() }).await?;
        let blob = listed
            .blobs
            .into_iter()
            .find(|b| b.blob_id == *blob_id)
            .ok_or_else(|| SyncError::InvalidResponse(format!("/download did not list blob {blob_id}")))?;
        self.fetch_media(&blob, dest, progress).await
    }

    /// Downloads one listed media blob and writes its plaintext to `dest` atomically.
    async fn fetch_media(&self, blob: &BlobDownload, dest: &Path, progress: &dyn Progress) -> Result<()> {
        if blob.blob_type == BlobType::Text {
            return Err(SyncError::Core(sync_core::Error::Malformed("a media reference names a text blob")));
        }
        let blob_id = blob.blob_id;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).io_ctx(|| format!("create {}", dir.display()))?;
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let cipher = dir.join(format!(".{name}.{blob_id}.sealed"));
        let plain = dir.join(format!(".{name}.{blob_id}.part"));
        progress.add_total(Stage::Downloading, blob.size_bytes);
        let result = async {
            self.client
                .download_to_file(&blob.download_url, blob.size_bytes, &blob.checksum, &cipher, progress)
                .await?;
            let ctx = context_of(blob);
            let keys = self.keys.data_keys();
            let (cipher2, plain2, dest2, dir2) = (cipher.clone(), plain.clone(), dest.to_path_buf(), dir.clone());
            blocking(move || decrypt_file(keys, ctx, &cipher2, &plain2, &dest2, &dir2)).await
        }
        .await;
        let _ = std::fs::remove_file(&cipher);
        if result.is_err() {
            let _ = std::fs::remove_file(&plain);
        }
        result
    }
}

/// Decrypts the sealed file `cipher` into `plain`, removes `cipher`, then renames `plain` to
/// `dest` (only after the final segment verified).
fn decrypt_file(
    keys: sync_core::keys::DataKeys,
    ctx: BlobContext,
    cipher: &Path,
    plain: &Path,
    dest: &Path,
    dir: &Path,
) -> Result<()> {
    let input = std::fs::File::open(cipher).io_ctx(|| format!("open {}", cipher.display()))?;
    let mut output = std::fs::File::create(plain).io_ctx(|| format!("create {}", plain.display()))?;
    crate::segments::open_stream(BlobOpener::new(keys, ctx), input, &mut output, &cipher.display().to_string())?;
    // The ciphertext goes before the rename: a crash after it leaves no temporary file behind
    // (the next pull finds the file in place and never fetches it again).
    let _ = std::fs::remove_file(cipher);
    output.sync_all().io_ctx(|| format!("sync {}", plain.display()))?;
    drop(output);
    std::fs::rename(plain, dest).io_ctx(|| format!("rename to {}", dest.display()))?;
    crate::os::sync_dir(dir)
}
