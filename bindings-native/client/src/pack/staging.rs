//! The staging folder (`STATE_DIR/staging/`): sealed blobs waiting for upload, each written to
//! a temporary file, fsynced and renamed into place. The caller syncs the folder once before
//! committing the plan that names the files.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sync_core::OsRandom;
use sync_core::blob::header::DEFAULT_SEGMENT_EXP;
use sync_core::blob::{AeadBackend, BlobContext, BlobSealer, Flags};
use sync_core::keys::KeySet;
use sync_core::wire::Checksum;

use crate::error::{IoContext, Result};
use crate::progress::{Progress, Stage};

/// A blob written to the staging folder.
pub(super) struct Staged {
    /// The file.
    pub(super) path: PathBuf,
    /// Its size (the ciphertext's).
    pub(super) size: u64,
    /// SHA-256 of the ciphertext.
    pub(super) checksum: Checksum,
}

/// Writes `write(file)` into `dir/name`: a temporary file, fsync, rename. Returns the final
/// path.
fn write_staged(dir: &Path, name: &str, write: impl FnOnce(&mut std::fs::File) -> Result<()>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).io_ctx(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(name);
    let mut file = std::fs::File::create(&tmp).io_ctx(|| format!("create {}", tmp.display()))?;
    write(&mut file)?;
    file.sync_all().io_ctx(|| format!("sync {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, &dest).io_ctx(|| format!("rename {}", tmp.display()))?;
    Ok(dest)
}

/// The staging file name of a blob.
fn file_name(ctx: &BlobContext) -> String {
    format!("{}.blob", ctx.blob_id)
}

/// Seals the file at `src` as a media blob into the staging folder, streamed (memory: one
/// segment).
pub(super) fn seal_media_file(
    keys: &KeySet,
    ctx: &BlobContext,
    src: &Path,
    staging: &Path,
    progress: &dyn Progress,
) -> Result<Staged> {
    let input = std::fs::File::open(src).io_ctx(|| format!("open {}", src.display()))?;
    let sealer = BlobSealer::new(
        keys.current_data_key(),
        keys.current_key_id(),
        ctx,
        DEFAULT_SEGMENT_EXP,
        Flags { zstd: false, padded: false },
        AeadBackend::Native,
        &mut OsRandom,
    )?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let what = format!("{} sealed", src.display());
    let path = write_staged(staging, &file_name(ctx), |out| {
        crate::segments::seal_stream(
            sealer,
            input,
            out,
            |sealed| {
                hasher.update(sealed);
                size += sealed.len() as u64;
                progress.advance(Stage::Packaging, 0);
            },
            &what,
        )
    })?;
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&hasher.finalize());
    Ok(Staged { path, size, checksum: Checksum(sum) })
}

/// Seals `payload` (a media pack) as a media blob (no compression, no padding) into the
/// staging folder, segment by segment.
pub(super) fn seal_media_bytes(keys: &KeySet, ctx: &BlobContext, payload: &[u8], staging: &Path) -> Result<Staged> {
    let sealer = BlobSealer::new(
        keys.current_data_key(),
        keys.current_key_id(),
        ctx,
        DEFAULT_SEGMENT_EXP,
        Flags { zstd: false, padded: false },
        AeadBackend::Native,
        &mut OsRandom,
    )?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let what = format!("media pack {}", ctx.blob_id);
    let path = write_staged(staging, &file_name(ctx), |out| {
        crate::segments::seal_stream(
            sealer,
            payload,
            out,
            |sealed| {
                hasher.update(sealed);
                size += sealed.len() as u64;
            },
            &what,
        )
    })?;
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&hasher.finalize());
    Ok(Staged { path, size, checksum: Checksum(sum) })
}

/// Writes an already sealed blob (a text bundle) into the staging folder.
pub(super) fn stage_sealed(ctx: &BlobContext, sealed: &[u8], staging: &Path) -> Result<Staged> {
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&Sha256::digest(sealed));
    let path =
        write_staged(staging, &file_name(ctx), |f| f.write_all(sealed).io_ctx(|| "write a staged blob".to_owned()))?;
    Ok(Staged { path, size: sealed.len() as u64, checksum: Checksum(sum) })
}
