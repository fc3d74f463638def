//! The core's crypto for viewers (a phone or tablet that reads the cloud without a screenpipe
//! database): unlock the account's keys from the envelope JSON of `POST /init`, open blobs
//! downloaded from the signed URLs, make the search tokens of a query. Every operation is the
//! core's; the keys stay in the opaque [`ViewerKeys`] object and are zeroized when it is freed.

use std::sync::Arc;

use sync_core::blob::{BlobContext, open_blob};
use sync_core::keys::{KeySet, KeyVersionGuard};
use sync_core::records::RecordsBundle;
use sync_core::search::query_tokens;
use sync_core::wire::{Envelope, KeyringEntry, RecoveryEnvelope};
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

use crate::error::{FfiResult, SyncFfiError};

/// What a blob is bound to (its AEAD context): the fields of the server's blob listing
/// (`POST /download` or `POST /search`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BlobContextRecord {
    /// The blob id, 32 hexadecimal digits.
    pub blob_id: String,
    /// `text`, `frames` or `audio`.
    pub blob_type: String,
    /// The device that made it.
    pub device_id: String,
    /// Start of its time range, Unix milliseconds.
    pub time_start_ms: i64,
    /// End of its time range, Unix milliseconds.
    pub time_end_ms: i64,
}

impl BlobContextRecord {
    fn to_core(&self) -> FfiResult<BlobContext> {
        let blob_type: BlobType = self
            .blob_type
            .parse()
            .map_err(|_| SyncFfiError::new("invalid_input", "blob_type must be text, frames or audio"))?;
        Ok(BlobContext {
            blob_id: BlobId::from_hex(&self.blob_id)?,
            blob_type,
            device_id: DeviceId::new(self.device_id.clone())?,
            time_start: UnixMillis(self.time_start_ms),
            time_end: UnixMillis(self.time_end_ms),
        })
    }
}

/// Every unlocked key of an account (the current one and the keyring's older ones), as an
/// opaque object. Nothing of it can be read from the foreign side; its memory is zeroized when
/// the object is freed (`close()`/`destroy()`, or the garbage collector).
#[derive(uniffi::Object)]
pub struct ViewerKeys {
    keys: KeySet,
}

impl std::fmt::Debug for ViewerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // KeySet's Debug prints key ids and versions only.
        f.debug_struct("ViewerKeys").field("keys", &self.keys).finish()
    }
}

fn keyring(json: Option<String>) -> FfiResult<Vec<KeyringEntry>> {
    match json.as_deref().map(str::trim) {
        None | Some("") | Some("null") => Ok(Vec::new()),
        Some(text) => Ok(KeyringEntry::list_from_json(text)?),
    }
}

fn guard(min_key_version: Option<u32>) -> KeyVersionGuard {
    min_key_version.map(KeyVersionGuard::at_least).unwrap_or_default()
}

/// Unlocks the account's keys with the password (Argon2id: a fraction of a second to a few
/// seconds on a phone; call it off the UI thread). `envelope_json` is the `envelope` of
/// `POST /init`, `keyring_json` its `keyring` (absent or `[]` before any rotation);
/// `min_key_version` is the highest key version this app has seen: an older envelope is
/// refused (`rollback`) before the slow derivation. Errors: `wrong_password`, `rollback`,
/// `malformed`, ...
#[uniffi::export]
pub fn unlock_envelope(
    envelope_json: String,
    password: String,
    keyring_json: Option<String>,
    min_key_version: Option<u32>,
) -> FfiResult<Arc<ViewerKeys>> {
    let password = zeroize::Zeroizing::new(password);
    let envelope = Envelope::from_json(&envelope_json)?;
    let keyring = keyring(keyring_json)?;
    let mut guard = guard(min_key_version);
    let keys = KeySet::unlock(&envelope, password.as_str(), &keyring, &mut guard)?;
    Ok(Arc::new(ViewerKeys { keys }))
}

/// Unlocks the account's keys with the 24-word recovery phrase and the `recovery_envelope` of
/// `POST /init` (`keyring_json` and `min_key_version` as for [`unlock_envelope`]).
#[uniffi::export]
pub fn unlock_recovery_envelope(
    recovery_envelope_json: String,
    phrase: String,
    keyring_json: Option<String>,
    min_key_version: Option<u32>,
) -> FfiResult<Arc<ViewerKeys>> {
    let phrase = zeroize::Zeroizing::new(phrase);
    let envelope = RecoveryEnvelope::from_json(&recovery_envelope_json)?;
    let keyring = keyring(keyring_json)?;
    let mut guard = guard(min_key_version);
    let keys = KeySet::unlock_with_recovery(&envelope, phrase.as_str(), &keyring, &mut guard)?;
    Ok(Arc::new(ViewerKeys { keys }))
}

#[uniffi::export]
impl ViewerKeys {
    /// The current key's version (remember the highest seen and pass it as `min_key_version`).
    pub fn key_version(&self) -> u32 {
        self.keys.current_version()
    }

    /// The current key's id, hexadecimal.
    pub fn key_id(&self) -> String {
        self.keys.current_key_id().to_hex()
    }

    /// Every key id held (current and older), hexadecimal.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.key_ids().iter().map(|k| k.to_hex()).collect()
    }

    /// Opens a whole blob (every segment verified, under whichever key it names): the
    /// plaintext. For a `text` blob that is the records bundle's JSON (see
    /// [`ViewerKeys::open_records_json`]); for `frames` and `audio` the media file's bytes.
    /// Errors: `tampered`, `truncated`, `wrong_key_or_context`, `unknown_key`, ...
    pub fn open_blob(&self, blob: Vec<u8>, context: BlobContextRecord) -> FfiResult<Vec<u8>> {
        let context = context.to_core()?;
        Ok(open_blob(&self.keys.data_keys(), &context, &blob)?)
    }

    /// Opens a `text` blob and checks its records bundle (it must name the blob's device):
    /// the bundle's JSON, version 2 (`docs/FORMAT.md`, "Records bundle": frames with their text
    /// and snapshot, elements, transcriptions, memories, meetings, ...); a version 1 bundle
    /// comes back upgraded, as the core reads it.
    pub fn open_records_json(&self, blob: Vec<u8>, context: BlobContextRecord) -> FfiResult<String> {
        let ctx = context.to_core()?;
        if ctx.blob_type != BlobType::Text {
            return Err(SyncFfiError::new("invalid_input", "only text blobs hold records"));
        }
        let plain = open_blob(&self.keys.data_keys(), &ctx, &blob)?;
        let bundle = RecordsBundle::from_json(&plain)?;
        if bundle.device_id != ctx.device_id {
            return Err(SyncFfiError::new("malformed", "the bundle names another device than its blob"));
        }
        let json = bundle.to_json()?;
        String::from_utf8(json).map_err(|_| SyncFfiError::new("malformed", "the bundle is not UTF-8"))
    }

    /// Opens a `frames` blob holding a media pack and returns the bytes of its entry `entry`
    /// (a frame's `snapshot`: `blob_id` names the blob, `entry` the entry), or `None` when the
    /// pack has no such entry. Errors: those of [`ViewerKeys::open_blob`], `invalid_input` for
    /// another blob type, `malformed`/`truncated`/`unsupported` when the payload is not a pack.
    /// To read several entries of one pack, open it once with `open_blob` and use
    /// `media_pack_entries` and `media_pack_entry`.
    pub fn open_snapshot(
        &self,
        blob: Vec<u8>,
        context: BlobContextRecord,
        entry: String,
    ) -> FfiResult<Option<Vec<u8>>> {
        let ctx = context.to_core()?;
        if ctx.blob_type != BlobType::Frames {
            return Err(SyncFfiError::new("invalid_input", "snapshots are in frames blobs"));
        }
        let plain = open_blob(&self.keys.data_keys(), &ctx, &blob)?;
        crate::media_pack::entry_of(&plain, &entry)
    }

    /// The search tokens to send to `POST /search` for `text`: every term in every UTC month of
    /// `[start_ms, end_ms]` under every key held, sorted, without repeats.
    pub fn query_tokens(&self, text: String, start_ms: i64, end_ms: i64) -> FfiResult<Vec<String>> {
        let tokens = query_tokens(self.keys.token_keys(), &text, UnixMillis(start_ms), UnixMillis(end_ms))?;
        Ok(tokens.iter().map(|t| t.as_str().to_owned()).collect())
    }
}
