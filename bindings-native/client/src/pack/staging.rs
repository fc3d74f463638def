//! The staging folder (`STATE_DIR/staging/`): sealed blobs waiting for upload, each written to
//! a temporary file, fsynced and renamed into place. The caller syncs the folder once before
//! committing the plan that names the files.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sync_core::OsRandom;
use sync_core::blob::header::DEFAULT_SEGMENT_EXP;
use sync_core::blob::{AeadBackend, BlobContext, BlobOpener, BlobSealer, Flags, SealOptions, seal_blob};
use sync_core::keys::KeySet;
use sync_core::wire::Checksum;
use sync_core::{BlobType, KeyId};

use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};

/// A blob written to the staging folder.
pub(crate) struct Staged {
    /// The file.
    pub(crate) path: PathBuf,
    /// Its size (the ciphertext's).
    pub(crate) size: u64,
    /// SHA-256 of the ciphertext.
    pub(crate) checksum: Checksum,
    /// Size and SHA-256 of the plaintext sealed (a media file's bytes, as read).
    pub(crate) plain: (u64, Checksum),
}

/// A reader that hashes and counts what it reads.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256_of(bytes: &[u8]) -> Checksum {
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&Sha256::digest(bytes));
    Checksum(sum)
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
pub(crate) fn seal_media_file(
    keys: &KeySet,
    ctx: &BlobContext,
    src: &Path,
    staging: &Path,
    progress: &dyn Progress,
) -> Result<Staged> {
    let file = std::fs::File::open(src).io_ctx(|| format!("open {}", src.display()))?;
    let mut input = HashingReader { inner: file, hasher: Sha256::new(), size: 0 };
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
            &mut input,
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
    let mut plain = [0u8; 32];
    plain.copy_from_slice(&input.hasher.finalize());
    Ok(Staged { path, size, checksum: Checksum(sum), plain: (input.size, Checksum(plain)) })
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
    Ok(Staged { path, size, checksum: Checksum(sum), plain: (payload.len() as u64, sha256_of(payload)) })
}

/// Writes an already sealed blob (a text bundle) into the staging folder.
pub(super) fn stage_sealed(ctx: &BlobContext, sealed: &[u8], staging: &Path) -> Result<Staged> {
    let checksum = sha256_of(sealed);
    let path =
        write_staged(staging, &file_name(ctx), |f| f.write_all(sealed).io_ctx(|| "write a staged blob".to_owned()))?;
    Ok(Staged { path, size: sealed.len() as u64, checksum, plain: (0, Checksum([0; 32])) })
}

/// Seals the staged blob at `path` again under the current key of `keys`, in place (a
/// temporary file, fsync, rename over it): opened with whichever key of `keys` sealed it, then
/// sealed with the flags its type is always sealed with (text compressed and padded, in memory,
/// within the text bound; media streamed, one segment of memory). Returns the new file's size and
/// checksum and the key that sealed it. The blob id, context and search tokens stay the same (a query sends its tokens
/// under every key of the keyring).
pub(crate) fn reseal_staged(keys: &KeySet, ctx: &BlobContext, path: &Path) -> Result<(u64, Checksum, KeyId)> {
    let key_id = keys.current_key_id();
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = file_name(ctx);
    if path.file_name().and_then(|n| n.to_str()) != Some(name.as_str()) {
        return Err(SyncError::corrupt(
            "staging file",
            std::io::Error::other(format!("{} is not the staging file of blob {}", path.display(), ctx.blob_id)),
        ));
    }
    if ctx.blob_type == BlobType::Text {
        let sealed = std::fs::read(path).io_ctx(|| format!("read {}", path.display()))?;
        let plain = zeroize::Zeroizing::new(sync_core::blob::open_blob(&keys.data_keys(), ctx, &sealed)?);
        let again = seal_blob(
            keys.current_data_key(),
            key_id,
            ctx,
            &plain,
            &SealOptions::for_type(BlobType::Text),
            &mut OsRandom,
        )?;
        let staged = stage_sealed(ctx, &again, dir)?;
        return Ok((staged.size, staged.checksum, key_id));
    }
    let input = std::fs::File::open(path).io_ctx(|| format!("open {}", path.display()))?;
    let sealer = BlobSealer::new(
        keys.current_data_key(),
        key_id,
        ctx,
        DEFAULT_SEGMENT_EXP,
        Flags { zstd: false, padded: false },
        AeadBackend::Native,
        &mut OsRandom,
    )?;
    let what = format!("{} sealed again", path.display());
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let dest = write_staged(dir, &format!("{name}.reseal"), |out| {
        let mut writer =
            SealingWriter { sealer, out, hasher: &mut hasher, size: &mut size, buf: Vec::new(), what: &what };
        crate::segments::open_stream(BlobOpener::new(keys.data_keys(), ctx.clone()), input, &mut writer, &what)?;
        writer.finish()
    })?;
    std::fs::rename(&dest, path).io_ctx(|| format!("rename {}", dest.display()))?;
    let mut sum = [0u8; 32];
    sum.copy_from_slice(&hasher.finalize());
    Ok((size, Checksum(sum), key_id))
}

/// A `Write` that seals what it is given and writes the sealed bytes to `out`, hashing them.
struct SealingWriter<'a> {
    sealer: BlobSealer,
    out: &'a mut std::fs::File,
    hasher: &'a mut Sha256,
    size: &'a mut u64,
    buf: Vec<u8>,
    what: &'a str,
}

impl SealingWriter<'_> {
    fn emit(&mut self) -> std::io::Result<()> {
        self.hasher.update(&self.buf);
        *self.size += self.buf.len() as u64;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Seals the last segment and writes it.
    fn finish(mut self) -> Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        self.sealer.finish(&mut buf)?;
        self.buf = buf;
        let what = self.what;
        self.emit().io_ctx(|| format!("write {what}"))
    }
}

impl Write for SealingWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut buf = std::mem::take(&mut self.buf);
        self.sealer.push(data, &mut buf).map_err(|e| std::io::Error::other(SyncError::Core(e)))?;
        self.buf = buf;
        self.emit()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
