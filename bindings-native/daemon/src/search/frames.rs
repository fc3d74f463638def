//! `include_frames=true`: the frame's image as base64 where screenpipe gives one (`OCR` items):
//! the file the item names when it is an image on this disk (a local snapshot, or a cloud
//! frame's snapshot once pulled), else, for a cloud frame, its entry of the media pack (each
//! pack of the page downloaded once and decrypted in memory). Frames inside video chunks are
//! not decoded (that needs ffmpeg).

use std::collections::BTreeMap;
use std::path::Path;

use base64ct::{Base64, Encoding};
use sync_client::SyncSession;
use sync_client::search::{Content, SearchItem};
use sync_core::{BlobId, DeviceId};

/// The largest image attached (bigger ones are left out).
pub const MAX_FRAME_BYTES: u64 = 8 * 1024 * 1024;

/// The image of `path` as base64, when it is a JPEG or PNG file no larger than
/// [`MAX_FRAME_BYTES`].
pub fn image_base64(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(ext.as_str(), "jpg" | "jpeg" | "png") {
        return None;
    }
    if std::fs::metadata(path).ok()?.len() > MAX_FRAME_BYTES {
        return None;
    }
    std::fs::read(path).ok().map(|bytes| Base64::encode_string(&bytes))
}

/// Fills `frame` on the `OCR` items whose file is an image on this disk, then (with a session)
/// on cloud frames from their media packs. A pack that cannot be had leaves its frames `null`.
pub async fn attach(items: &mut [SearchItem], session: Option<&SyncSession>) {
    let mut wanted: BTreeMap<(BlobId, String), Vec<(usize, String)>> = BTreeMap::new();
    for (i, item) in items.iter_mut().enumerate() {
        let Content::Ocr(o) = &mut item.content else { continue };
        if !o.file_path.is_empty() {
            o.frame = image_base64(Path::new(&o.file_path));
        }
        if o.frame.is_none()
            && let Some((pack, entry)) = &item.snapshot
        {
            wanted.entry((*pack, item.device_id.clone())).or_default().push((i, entry.clone()));
        }
    }
    let Some(session) = session else { return };
    for ((pack, origin), frames) in wanted {
        let Ok(origin) = DeviceId::new(origin) else { continue };
        let entries = frames.iter().map(|(_, e)| e.clone()).collect();
        match session.snapshot_images(&pack, &origin, entries).await {
            Ok(images) => {
                for ((i, _), image) in frames.iter().zip(images) {
                    if let (Some(bytes), Some(item)) = (image, items.get_mut(*i))
                        && let Content::Ocr(o) = &mut item.content
                        && bytes.len() as u64 <= MAX_FRAME_BYTES
                    {
                        o.frame = Some(Base64::encode_string(&bytes));
                    }
                }
            }
            Err(e) => tracing::warn!(%pack, error = %e, "snapshot pack not available for include_frames"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn images_only() {
        let dir = tempfile::tempdir().unwrap();
        let jpg = dir.path().join("a.jpg");
        std::fs::write(&jpg, b"\xff\xd8\xff jpeg").unwrap();
        assert_eq!(image_base64(&jpg).unwrap(), "/9j/IGpwZWc=");
        let mp4 = dir.path().join("a.mp4");
        std::fs::write(&mp4, b"video").unwrap();
        assert_eq!(image_base64(&mp4), None);
        assert_eq!(image_base64(&dir.path().join("missing.png")), None);
    }
}
