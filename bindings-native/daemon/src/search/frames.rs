//! `include_frames=true`: the frame's image as base64 where screenpipe gives one (`OCR` items),
//! read from the file the item names when it is an image on this disk (a local snapshot, or a
//! cloud frame whose snapshot was pulled). Video chunks are not decoded (that needs ffmpeg).

use std::path::Path;

use base64ct::{Base64, Encoding};
use sync_client::search::{Content, SearchItem};

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

/// Fills `frame` on the `OCR` items whose file is an image on this disk.
pub fn attach(items: &mut [SearchItem]) {
    for item in items {
        if let Content::Ocr(o) = &mut item.content
            && !o.file_path.is_empty()
        {
            o.frame = image_base64(Path::new(&o.file_path));
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
