//! The pairing mailbox (`/pair/*`; docs/FORMAT.md, "The server's mailbox"): the server relays
//! the opaque messages of a pairing between two devices of one account.
//!
//! - `POST /pair`: opens a mailbox; answers its number, the initiator's side token and when it
//!   expires.
//! - `POST /pair/{mailbox}/join`: takes the joiner's place, once (`409 PAIR_TAKEN` after);
//!   answers the joiner's side token.
//! - `POST /pair/{mailbox}/messages` (the body: a message's exact bytes, UTF-8, at most
//!   [`MAX_PAIR_MESSAGE_LEN`]), `GET /pair/{mailbox}/messages?since=N` (the peer's messages
//!   after `N`; those at or before it are deleted), `DELETE /pair/{mailbox}`: the side named by
//!   the `X-Pair-Token` header.
//!
//! Every call presents the account's bearer token (the joiner is a new device of the account
//! that has not called `/init` yet: no `X-Device-Id`); another account's mailbox is
//! `404 NOT_FOUND`. Opening and joining are limited per account, the other calls too
//! ([`super::rate_limit`]). The rules are [`crate::domain::pairing`]. Nothing of a message is
//! logged.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use sync_core::encoding::hex;
use sync_core::wire::pair::{PAIR_TOKEN_HEADER, PairMessages, PairOpened, PairPosted, PairToken};

use super::AppState;
use super::auth::AuthUser;
use super::error::{ApiError, ApiResult};
use super::extract::ApiBytes;
use super::rate_limit::{KeyedLimit, retry_after_secs};
use crate::domain::model::TokenHash;
use crate::domain::pairing::{self as rules, MAX_MAILBOX, MAX_PAIR_MESSAGE_LEN, SIDE_TOKEN_PREFIX};
use crate::store::metadata::User;

/// The `/pair` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pair", post(open))
        .route("/pair/{mailbox}/join", post(join))
        .route("/pair/{mailbox}/messages", post(post_message).get(read_messages))
        .route("/pair/{mailbox}", axum::routing::delete(close))
}

fn spend(limit: &KeyedLimit<i64>, user: &User) -> ApiResult<()> {
    limit
        .take(&user.id, std::time::Instant::now())
        .map_err(|wait| ApiError::RateLimited { retry_after: retry_after_secs(wait) })
}

/// The mailbox number of the path: 1 to 9999.
fn number(text: &str) -> ApiResult<u16> {
    text.parse::<u16>()
        .ok()
        .filter(|n| (1..=MAX_MAILBOX).contains(n))
        .ok_or_else(|| ApiError::invalid("a pairing mailbox is a number from 1 to 9999"))
}

/// A fresh side token and its stored hash.
fn side_token() -> ApiResult<(PairToken, TokenHash)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let token = format!("{SIDE_TOKEN_PREFIX}{}", hex::encode(&bytes));
    let hash = rules::hash_side_token(&token);
    Ok((PairToken(token), hash))
}

/// The hash of the `X-Pair-Token` header (`400 INVALID_REQUEST` when missing).
pub struct SideToken(TokenHash);

impl<S: Send + Sync> FromRequestParts<S> for SideToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(PAIR_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .ok_or_else(|| ApiError::invalid(format!("missing or invalid {PAIR_TOKEN_HEADER} header")))?;
        Ok(SideToken(rules::hash_side_token(value)))
    }
}

/// `POST /pair`.
pub async fn open(State(state): State<AppState>, AuthUser(user): AuthUser) -> ApiResult<Json<PairOpened>> {
    spend(&state.rate_limits.pair_starts, &user)?;
    let (side_token, hash) = side_token()?;
    let mut pick = [0u8; 4];
    getrandom::fill(&mut pick).map_err(ApiError::internal)?;
    let now = crate::time::now_ms();
    let expires_at = rules::expires_at(now, state.config.limits.pair_ttl_secs);
    let mailbox = state.metadata.open_mailbox(user.id, hash, u32::from_le_bytes(pick), now, expires_at).await??;
    tracing::info!(user = user.id, mailbox, "pairing mailbox opened");
    Ok(Json(PairOpened { mailbox, side_token, expires_at }))
}

/// `POST /pair/{mailbox}/join`.
pub async fn join(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(mailbox): Path<String>,
) -> ApiResult<Json<PairOpened>> {
    spend(&state.rate_limits.pair_starts, &user)?;
    let mailbox = number(&mailbox)?;
    let (side_token, hash) = side_token()?;
    let expires_at = state.metadata.join_mailbox(user.id, mailbox, hash, crate::time::now_ms()).await??;
    tracing::info!(user = user.id, mailbox, "pairing mailbox joined");
    Ok(Json(PairOpened { mailbox, side_token, expires_at }))
}

/// `POST /pair/{mailbox}/messages`.
pub async fn post_message(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(mailbox): Path<String>,
    SideToken(token): SideToken,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<PairPosted>> {
    spend(&state.rate_limits.pair_calls, &user)?;
    let mailbox = number(&mailbox)?;
    if body.len() > MAX_PAIR_MESSAGE_LEN {
        return Err(ApiError::too_large(format!("a pairing message is at most {MAX_PAIR_MESSAGE_LEN} bytes")));
    }
    if body.is_empty() {
        return Err(ApiError::invalid("a pairing message is not empty"));
    }
    let message = String::from_utf8(body.to_vec()).map_err(|_| ApiError::invalid("a pairing message is UTF-8 text"))?;
    let seq = state.metadata.post_pair_message(user.id, mailbox, token, message, crate::time::now_ms()).await??;
    Ok(Json(PairPosted { seq }))
}

/// The query of `GET /pair/{mailbox}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    /// The highest `seq` already read (0: none).
    #[serde(default)]
    pub since: u32,
}

/// `GET /pair/{mailbox}/messages?since=N`.
pub async fn read_messages(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(mailbox): Path<String>,
    SideToken(token): SideToken,
    query: Result<Query<Since>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<PairMessages>> {
    spend(&state.rate_limits.pair_calls, &user)?;
    let mailbox = number(&mailbox)?;
    let Query(Since { since }) = query.map_err(|e| ApiError::invalid(format!("invalid query: {e}")))?;
    let messages = state.metadata.read_pair_messages(user.id, mailbox, token, since, crate::time::now_ms()).await??;
    Ok(Json(PairMessages { messages }))
}

/// `DELETE /pair/{mailbox}`.
pub async fn close(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(mailbox): Path<String>,
    SideToken(token): SideToken,
) -> ApiResult<axum::http::StatusCode> {
    spend(&state.rate_limits.pair_calls, &user)?;
    let mailbox = number(&mailbox)?;
    state.metadata.close_mailbox(user.id, mailbox, token).await??;
    tracing::info!(user = user.id, mailbox, "pairing mailbox closed");
    Ok(axum::http::StatusCode::NO_CONTENT)
}
