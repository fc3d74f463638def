//! The proof that a local media file is safe in the cloud, and reading a blob back.
//!
//! A file is proven when (1) the server lists its blob complete with the ciphertext size and
//! checksum recorded when it was sealed ([`check_listing`]), (2) the file has the size and
//! SHA-256 that were sealed ([`check_local`]), and, when asked, (3) the blob downloads, decrypts
//! and gives the same bytes ([`read_chunk_to`], [`read_pack`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sync_core::BlobId;
use sync_core::blob::{BlobOpener, open_blob};
use sync_core::pack::PackIndex;
use sync_core::wire::{BlobDownload, Checksum};

use super::hash_file;
use crate::error::{IoContext, Result, SyncError};
use crate::progress::{Progress, Stage};
use crate::session::{SyncSession, blocking, context_of};
use crate::state::{BlobSeal, FileProof};

/// Largest media pack read back, in bytes of ciphertext (as pull's).
const MAX_PACK_BLOB: u64 = (1 << 28) + (1 << 24);

/// Why a check failed: a stable reason and details.
pub(crate) type Refusal = (&'static str, String);

/// (1): the server lists the blob complete, with the size and checksum sealed.
pub(crate) fn check_listing(
    proof: &FileProof,
    seal: Option<BlobSeal>,
    listed: Option<&BlobDownload>,
) -> std::result::Result<(), Refusal> {
    check_blob(&proof.blob_id, seal, listed)
}

/// (1) for any blob (a media file's, a text bundle's): the server lists `blob_id` complete,
/// with the size and checksum recorded when it was sealed.
pub(crate) fn check_blob(
    blob_id: &BlobId,
    seal: Option<BlobSeal>,
    listed: Option<&BlobDownload>,
) -> std::result::Result<(), Refusal> {
    let Some(listed) = listed else {
        return Err(("not_in_cloud", format!("the server does not list blob {blob_id} as complete")));
    };
    let Some(seal) = seal else {
        return Err(("no_proof_recorded", format!("no checksum was recorded when blob {blob_id} was sealed")));
    };
    if listed.size_bytes != seal.size_bytes || listed.checksum != seal.checksum {
        return Err((
            "cloud_copy_differs",
            format!(
                "blob {blob_id}: the server lists {} bytes, checksum {}; sealed {} bytes, checksum {}",
                listed.size_bytes,
                listed.checksum.to_hex(),
                seal.size_bytes,
                seal.checksum.to_hex()
            ),
        ));
    }
    Ok(())
}

/// What the local file is, compared with its proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Local {
    /// The sealed bytes, still there.
    Same,
    /// No file.
    Missing,
    /// Another content (its size and SHA-256).
    Changed(u64, Checksum),
}

/// (2): the local file against its proof.
pub(crate) fn check_local(proof: &FileProof) -> Result<Local> {
    Ok(match hash_file(&proof.path)? {
        None => Local::Missing,
        Some((size, sum)) if size == proof.plain_size && sum == proof.plain_sha256 => Local::Same,
        Some((size, sum)) => Local::Changed(size, sum),
    })
}

/// A `Write` that hashes and counts what goes to the file.
struct HashingWriter<'a> {
    out: &'a mut std::fs::File,
    hasher: Sha256,
    size: u64,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.out.write_all(data)?;
        self.hasher.update(data);
        self.size += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Downloads a whole-file media blob (checked: size, SHA-256), decrypts it (every segment
/// verified) into `dest` (created, fsynced; nothing is renamed) and returns the plaintext's size
/// and SHA-256. The ciphertext goes through `dest` + `.sealed`, removed afterwards.
pub(crate) async fn read_chunk_to(
    session: &SyncSession,
    blob: &BlobDownload,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<(u64, Checksum)> {
    let mut sealed = dest.as_os_str().to_owned();
    sealed.push(".sealed");
    let sealed = PathBuf::from(sealed);
    progress.add_total(Stage::Downloading, blob.size_bytes);
    let result = async {
        session
            .client()
            .download_to_file(&blob.download_url, blob.size_bytes, &blob.checksum, &sealed, progress)
            .await?;
        let (ctx, keys, sealed2, dest2) =
            (context_of(blob), session.keys().data_keys(), sealed.clone(), dest.to_owned());
        blocking(move || {
            let input = std::fs::File::open(&sealed2).io_ctx(|| format!("open {}", sealed2.display()))?;
            let mut file = std::fs::File::create(&dest2).io_ctx(|| format!("create {}", dest2.display()))?;
            let mut writer = HashingWriter { out: &mut file, hasher: Sha256::new(), size: 0 };
            crate::segments::open_stream(
                BlobOpener::new(keys, ctx),
                input,
                &mut writer,
                &sealed2.display().to_string(),
            )?;
            let (size, hasher) = (writer.size, writer.hasher);
            file.sync_all().io_ctx(|| format!("sync {}", dest2.display()))?;
            let mut sum = [0u8; 32];
            sum.copy_from_slice(&hasher.finalize());
            Ok((size, Checksum(sum)))
        })
        .await
    }
    .await;
    let _ = std::fs::remove_file(&sealed);
    if result.is_err() {
        let _ = std::fs::remove_file(dest);
    }
    result
}

/// Downloads a media pack blob (checked), opens it (every segment verified) and parses its
/// index: the payload with its index.
pub(crate) async fn read_pack(
    session: &SyncSession,
    blob: &BlobDownload,
    progress: &dyn Progress,
) -> Result<(PackIndex, Vec<u8>)> {
    progress.add_total(Stage::Downloading, blob.size_bytes);
    let bytes = session
        .client()
        .download_to_vec(&blob.download_url, blob.size_bytes, &blob.checksum, MAX_PACK_BLOB, progress)
        .await?;
    let (ctx, keys) = (context_of(blob), session.keys().data_keys());
    blocking(move || {
        let payload = open_blob(&keys, &ctx, &bytes)?;
        let index = PackIndex::decode_payload(&payload)?;
        Ok((index, payload))
    })
    .await
}

/// An entry's bytes in an opened pack.
pub(crate) fn pack_entry<'a>(index: &PackIndex, payload: &'a [u8], entry: &str) -> Result<&'a [u8]> {
    let (i, _) = index
        .find(entry)
        .ok_or_else(|| SyncError::Core(sync_core::Error::Malformed("the media pack lacks a snapshot's entry")))?;
    Ok(index.slice(payload, i)?)
}

/// (3): reads the blob back and compares the bytes with the proof. `scratch` is a folder for
/// the temporary plaintext (removed afterwards).
pub(crate) async fn read_back(
    session: &SyncSession,
    proof: &FileProof,
    blob: &BlobDownload,
    scratch: &Path,
    progress: &dyn Progress,
) -> std::result::Result<(), Refusal> {
    let got = async {
        match &proof.entry {
            None => {
                std::fs::create_dir_all(scratch).io_ctx(|| format!("create {}", scratch.display()))?;
                let tmp = scratch.join(format!("{}.verify", proof.blob_id));
                let got = read_chunk_to(session, blob, &tmp, progress).await;
                let _ = std::fs::remove_file(&tmp);
                got
            }
            Some(entry) => {
                let (index, payload) = read_pack(session, blob, progress).await?;
                let bytes = pack_entry(&index, &payload, entry)?;
                Ok((bytes.len() as u64, crate::pack::sha256_of(bytes)))
            }
        }
    }
    .await;
    match got {
        Ok((size, sum)) if size == proof.plain_size && sum == proof.plain_sha256 => Ok(()),
        Ok((size, _)) => Err((
            "read_back_failed",
            format!("blob {} decrypts to {size} bytes that differ from the local file", proof.blob_id),
        )),
        Err(e) => Err(("read_back_failed", format!("blob {} could not be read back: {e}", proof.blob_id))),
    }
}

#[cfg(test)]
mod tests {
    use sync_core::{BlobType, DeviceId, KeyId, UnixMillis};

    use super::*;

    fn proof(dir: &Path) -> FileProof {
        FileProof {
            source_table: "audio_chunks".into(),
            row_id: 1,
            blob_id: BlobId([1; 16]),
            entry: None,
            path: dir.join("a.mp4"),
            time: UnixMillis(5),
            plain_size: 3,
            plain_sha256: crate::pack::sha256_of(b"abc"),
        }
    }

    fn listed(size: u64, checksum: Checksum) -> BlobDownload {
        BlobDownload {
            blob_id: BlobId([1; 16]),
            blob_type: BlobType::Audio,
            device_id: DeviceId::new("d").unwrap(),
            time_start: UnixMillis(1),
            time_end: UnixMillis(5),
            size_bytes: size,
            checksum,
            key_id: KeyId([0; 16]),
            download_url: "http://127.0.0.1/x".into(),
        }
    }

    #[test]
    fn listing_and_local_checks() {
        let dir = tempfile::tempdir().unwrap();
        let p = proof(dir.path());
        let seal = BlobSeal { size_bytes: 10, checksum: Checksum([2; 32]) };
        assert_eq!(check_listing(&p, Some(seal), None).unwrap_err().0, "not_in_cloud");
        assert_eq!(check_listing(&p, None, Some(&listed(10, Checksum([2; 32])))).unwrap_err().0, "no_proof_recorded");
        assert_eq!(
            check_listing(&p, Some(seal), Some(&listed(11, Checksum([2; 32])))).unwrap_err().0,
            "cloud_copy_differs"
        );
        assert_eq!(
            check_listing(&p, Some(seal), Some(&listed(10, Checksum([3; 32])))).unwrap_err().0,
            "cloud_copy_differs"
        );
        assert!(check_listing(&p, Some(seal), Some(&listed(10, Checksum([2; 32])))).is_ok());
        assert_eq!(check_local(&p).unwrap(), Local::Missing);
        std::fs::write(&p.path, b"abc").unwrap();
        assert_eq!(check_local(&p).unwrap(), Local::Same);
        std::fs::write(&p.path, b"abd").unwrap();
        assert!(matches!(check_local(&p).unwrap(), Local::Changed(3, _)));
    }
}
