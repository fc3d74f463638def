//! Blobs built segment by segment, for shapes the sealer never makes (an empty final segment
//! after segment 0, a final flag in the middle, a payload that breaks the layer rules).

use crate::blob::blob_key::derive_blob_key;
use crate::blob::nonce::SegmentNonce;
use crate::blob::{BlobContext, BlobHeader, Flags};
use crate::error::Result;
use crate::ids::KeyId;
use crate::keys::DataKey;
use crate::primitives::segment_aead::{Backend, SegmentAead};

/// Seals each `(plaintext, last)` pair as one segment under a valid header and commitment:
/// the crypto is right, the shape is whatever the caller asks for.
pub fn seal_segments(
    data_key: &DataKey,
    key_id: KeyId,
    context: &BlobContext,
    segment_exp: u8,
    flags: Flags,
    salt: [u8; 32],
    segments: &[(&[u8], bool)],
) -> Result<Vec<u8>> {
    let mut header = BlobHeader { segment_exp, flags, key_id, salt, commitment: [0; 32] };
    let (key, commitment) = derive_blob_key(data_key, &header.prefix(), &header.salt, context)?;
    header.commitment = commitment;
    let mut aead = SegmentAead::new(key.expose(), Backend::Portable)?;
    let mut blob = header.to_bytes().to_vec();
    for (i, (plain, last)) in segments.iter().enumerate() {
        let mut seg = plain.to_vec();
        let tag = aead.seal_in_place(SegmentNonce::new(i as u64, *last)?.as_bytes(), &mut seg)?;
        blob.extend_from_slice(&seg);
        blob.extend_from_slice(&tag);
    }
    Ok(blob)
}

/// Seals a payload as the format cuts it (segments of `2^k`, last flag on the last) under the
/// given flags, without applying any layer: for payloads crafted to break the layer rules.
pub fn seal_payload_as_is(
    data_key: &DataKey,
    key_id: KeyId,
    context: &BlobContext,
    segment_exp: u8,
    flags: Flags,
    salt: [u8; 32],
    payload: &[u8],
) -> Result<Vec<u8>> {
    let chunks: Vec<&[u8]> =
        if payload.is_empty() { vec![&[][..]] } else { payload.chunks(1 << segment_exp).collect() };
    let last = chunks.len() - 1;
    let segments: Vec<(&[u8], bool)> = chunks.iter().enumerate().map(|(i, c)| (*c, i == last)).collect();
    seal_segments(data_key, key_id, context, segment_exp, flags, salt, &segments)
}
