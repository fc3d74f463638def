//! `POST /webhooks/stripe`: subscription events set tiers (see [`crate::stripe`] and
//! [`crate::domain::subscriptions`]).
//!
//! No bearer token: the `Stripe-Signature` is the credential (`400 BAD_SIGNATURE` when it
//! fails, as Stripe expects a 4xx). A replayed event id changes nothing. Every verified event
//! is acknowledged with `200 {"received": true, "result": ...}` where `result` is `applied`,
//! `duplicate`, `outdated` (an older event than one applied), `no_user`, `unknown_price` or
//! `ignored` (another event type), so Stripe does not retry what cannot succeed. Without a
//! configured secret the route answers `404 NOT_FOUND`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::ApiBytes;
use crate::config::StripeConfig;
use crate::store::metadata::{SubscriptionChange, SubscriptionOutcome};
use crate::stripe::{self, SubscriptionUpdate};

/// Answer to a verified event.
#[derive(Debug, Serialize)]
pub struct WebhookResponse {
    /// Always true.
    pub received: bool,
    /// What the event did.
    pub result: &'static str,
}

/// `POST /webhooks/stripe`.
pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/stripe", post(stripe))
}

fn ack(result: &'static str) -> Json<WebhookResponse> {
    Json(WebhookResponse { received: true, result })
}

/// Checks a webhook request (no I/O): its `Stripe-Signature` under `secret` at `now` (Unix
/// seconds), then the event and what it asks for under the price map of `config`.
pub fn check_request(
    config: &StripeConfig,
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> ApiResult<(stripe::Event, SubscriptionUpdate)> {
    let header = header.ok_or(ApiError::BadSignature {
        message: "missing Stripe-Signature header",
        status: StatusCode::BAD_REQUEST,
    })?;
    stripe::verify_signature(secret, header, body, now).map_err(|e| ApiError::BadSignature {
        message: match e {
            stripe::SignatureError::Malformed => "malformed Stripe-Signature header",
            stripe::SignatureError::Stale => "Stripe-Signature timestamp outside the five-minute tolerance",
            stripe::SignatureError::Mismatch => "no Stripe-Signature v1 signature matches",
        },
        status: StatusCode::BAD_REQUEST,
    })?;
    let event = parse_event(body)?;
    let update = stripe::decode(&event, config).map_err(ApiError::invalid)?;
    Ok((event, update))
}

/// A verified body as a Stripe event.
pub fn parse_event(body: &[u8]) -> ApiResult<stripe::Event> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid(format!("not a Stripe event: {e}")))
}

/// The handler.
pub async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<WebhookResponse>> {
    let Some(secret) = state.config.stripe.webhook_secret.as_deref() else {
        return Err(ApiError::not_found("the Stripe webhook is not configured"));
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let (event, update) = check_request(&state.config.stripe, secret, header, &body, crate::time::now_secs())?;
    let now = crate::time::now_ms();
    let (customer, reference, tier) = match update {
        SubscriptionUpdate::SetTier { customer, reference, tier } => (customer, reference, tier),
        SubscriptionUpdate::Ignored => {
            let fresh = state.metadata.record_stripe_event(&event.id, now).await?;
            return Ok(ack(if fresh { "ignored" } else { "duplicate" }));
        }
        SubscriptionUpdate::UnknownPrice { prices } => {
            tracing::warn!(event = %event.id, ?prices, "subscription with no configured price id; tier unchanged");
            let fresh = state.metadata.record_stripe_event(&event.id, now).await?;
            return Ok(ack(if fresh { "unknown_price" } else { "duplicate" }));
        }
    };
    // Only a reference this server minted names an account; anything else links nothing.
    let account = reference.as_deref().and_then(|r| state.billing.account_of(r));
    let change = SubscriptionChange { customer, account, tier, event_created: event.created };
    let result = match state.metadata.apply_subscription(&event.id, change, now).await? {
        SubscriptionOutcome::Applied { email } => {
            tracing::info!(event = %event.id, %email, tier = tier.as_str(), "subscription applied");
            "applied"
        }
        SubscriptionOutcome::Duplicate => "duplicate",
        SubscriptionOutcome::Outdated => "outdated",
        SubscriptionOutcome::NoSuchUser => {
            tracing::warn!(event = %event.id, "subscription event for no known account");
            "no_user"
        }
    };
    Ok(ack(result))
}
