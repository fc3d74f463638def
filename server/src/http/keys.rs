//! `POST /keys`: password change (`envelope` only) or key rotation (`envelope`, `keyring` and
//! `recovery_envelope`), with optimistic concurrency on the revision.
//!
//! `expected_revision` must be the current revision (`409 STALE_REVISION` otherwise, the body
//! naming the current one). A password change keeps the key id and version; a rotation raises
//! the key version and its recovery envelope wraps the same key as the envelope. An account
//! without keys answers `409 CONFLICT` (create them at `/init`). The server stores what it is
//! given and cannot check more: it never holds a key.

use axum::Json;
use axum::extract::State;
use sync_core::wire::limits::MAX_KEYRING_ENTRIES;
use sync_core::wire::{KeysRequest, KeysResponse};

use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::store::metadata::{KeysUpdate, UpdateKeysOutcome};

/// The handler.
pub async fn keys(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<KeysRequest>,
) -> ApiResult<Json<KeysResponse>> {
    let user_id = caller.user.id;
    req.envelope.check_version().map_err(|e| ApiError::invalid(format!("envelope: {e}")))?;
    let current = state
        .metadata
        .keys(user_id)
        .await?
        .ok_or_else(|| ApiError::Conflict("the account has no keys yet: create them at /init".into()))?;
    if current.revision != req.expected_revision {
        return Err(ApiError::StaleRevision { current: current.revision });
    }
    let rotation = match (req.keyring, req.recovery_envelope) {
        (None, None) => {
            if req.envelope.key_id != current.envelope.key_id
                || req.envelope.key_version != current.envelope.key_version
            {
                return Err(ApiError::invalid(
                    "a password change keeps key_id and key_version; a rotation sends keyring and recovery_envelope",
                ));
            }
            None
        }
        (Some(keyring), Some(recovery)) => {
            if keyring.len() > MAX_KEYRING_ENTRIES {
                return Err(ApiError::too_large(format!("keyring has more than {MAX_KEYRING_ENTRIES} entries")));
            }
            recovery.check_version().map_err(|e| ApiError::invalid(format!("recovery_envelope: {e}")))?;
            if recovery.key_id != req.envelope.key_id || recovery.key_version != req.envelope.key_version {
                return Err(ApiError::invalid("recovery_envelope wraps another key than envelope"));
            }
            if req.envelope.key_version <= current.envelope.key_version {
                return Err(ApiError::invalid("a rotation raises key_version"));
            }
            Some((keyring, recovery))
        }
        _ => return Err(ApiError::invalid("a rotation sends keyring and recovery_envelope together")),
    };
    let update = KeysUpdate { envelope: req.envelope, rotation };
    match state.metadata.update_keys(user_id, req.expected_revision, update).await? {
        UpdateKeysOutcome::Updated(revision) => {
            tracing::info!(user = user_id, revision, "account keys changed");
            Ok(Json(KeysResponse { revision }))
        }
        UpdateKeysOutcome::Stale(current) => Err(ApiError::StaleRevision { current }),
        UpdateKeysOutcome::NoKeys => {
            Err(ApiError::Conflict("the account has no keys yet: create them at /init".into()))
        }
    }
}
