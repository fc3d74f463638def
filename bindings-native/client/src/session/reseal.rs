//! Pending uploads sealed under an older key of the account, sealed again under the current
//! one. A device that staged blobs before it learnt of a key rotation elsewhere (the documented
//! answer to a stolen device) cannot upload them: the server refuses any key but the current one
//! (`409 KEY_ROTATED`). Once this device has unlocked the new key, each such staged file is
//! opened with the old key (still in the keyring) and sealed again under the new one, in place,
//! before the push uploads it; the blob keeps its id, context and search tokens.
//!
//! Crash safety: the file is replaced atomically first, then the pending row takes its new size,
//! checksum and key. A crash in between leaves a row naming the old key over a file sealed under
//! the new one; the next push seals it again (the opener finds the key from the file's header).

use sync_core::blob::BlobContext;

use super::{SyncSession, blocking, lock_state};
use crate::error::Result;
use crate::pack::reseal_staged;

impl SyncSession {
    /// Seals every pending upload whose key is not the account's current key again under the
    /// current key; returns how many it sealed.
    pub(crate) async fn reseal_pending(&self) -> Result<usize> {
        let (keys, device, state) = (self.keys.clone(), self.device_id.clone(), self.state.clone());
        blocking(move || {
            let current = keys.current_key_id();
            let stale: Vec<_> = lock_state(&state).pending()?.into_iter().filter(|p| p.key_id != current).collect();
            for p in &stale {
                let ctx = BlobContext {
                    blob_id: p.blob_id,
                    blob_type: p.blob_type,
                    device_id: device.clone(),
                    time_start: p.time_start,
                    time_end: p.time_end,
                };
                let (size, checksum, key_id) = reseal_staged(&keys, &ctx, &p.staging_file)?;
                lock_state(&state).resealed_upload(&p.blob_id, size, &checksum, &key_id)?;
                tracing::info!(blob = %p.blob_id, "a pending upload sealed again under the account's current key");
            }
            Ok(stale.len())
        })
        .await
    }
}
