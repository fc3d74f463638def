//! `POST /keys`: password change (`envelope` only) or key rotation (`envelope`, `keyring` and
//! `recovery_envelope`), with optimistic concurrency on the revision.
//!
//! `expected_revision` must be the current revision (`409 STALE_REVISION` otherwise, the body
//! naming the current one). A password change keeps the key id and version; a rotation raises
//! the key version and its recovery envelope wraps the same key as the envelope
//! ([`crate::domain::keys`]). An account without keys answers `409 CONFLICT` (create them at
//! `/init`). The server stores what it is given and cannot check more: it never holds a key.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use sync_core::wire::limits::MAX_KEYRING_ENTRIES;
use sync_core::wire::{KeysRequest, KeysResponse};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::domain::keys;
use crate::store::metadata::{KeysUpdate, UpdateKeysOutcome};

/// `POST /keys`.
pub fn router() -> Router<AppState> {
    Router::new().route("/keys", post(keys))
}

fn no_keys() -> ApiError {
    ApiError::Conflict("the account has no keys yet: create them at /init".into())
}

/// Checks a `/keys` body on its own (no I/O): the change it asks for, or why it is refused.
/// Whether the change suits the account's current key is [`keys::check_change`].
pub fn check_request(req: KeysRequest) -> ApiResult<KeysUpdate> {
    req.envelope.check_version().map_err(|e| ApiError::invalid(format!("envelope: {e}")))?;
    let rotation = match (req.keyring, req.recovery_envelope) {
        (None, None) => None,
        (Some(keyring), Some(recovery)) => {
            if keyring.len() > MAX_KEYRING_ENTRIES {
                return Err(ApiError::too_large(format!("keyring has more than {MAX_KEYRING_ENTRIES} entries")));
            }
            recovery.check_version().map_err(|e| ApiError::invalid(format!("recovery_envelope: {e}")))?;
            Some((keyring, recovery))
        }
        _ => return Err(ApiError::invalid("a rotation sends keyring and recovery_envelope together")),
    };
    Ok(KeysUpdate { envelope: req.envelope, rotation })
}

/// The handler.
pub async fn keys(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<KeysRequest>,
) -> ApiResult<Json<KeysResponse>> {
    let user_id = caller.user.id;
    req.envelope.check_version().map_err(|e| ApiError::invalid(format!("envelope: {e}")))?;
    let current = state.metadata.keys(user_id).await?.ok_or_else(no_keys)?;
    // Checked again atomically by the store; this answers early, before the body's rules.
    if current.revision != req.expected_revision {
        return Err(ApiError::StaleRevision { current: current.revision });
    }
    let expected_revision = req.expected_revision;
    let update = check_request(req)?;
    keys::check_change(&current.envelope, &update.envelope, update.rotation.as_ref().map(|(_, recovery)| recovery))?;
    match state.metadata.update_keys(user_id, expected_revision, update).await? {
        UpdateKeysOutcome::Updated(revision) => {
            tracing::info!(user = user_id, revision, "account keys changed");
            Ok(Json(KeysResponse { revision }))
        }
        UpdateKeysOutcome::Stale(current) => Err(ApiError::StaleRevision { current }),
        UpdateKeysOutcome::NoKeys => Err(no_keys()),
    }
}
