//! Stripe webhooks: signature verification and subscription events.
//!
//! `Stripe-Signature: t=TIMESTAMP,v1=HEX[,v1=HEX...][,v0=...]`. The expected signature is
//! HMAC-SHA256 under the endpoint secret over `TIMESTAMP.PAYLOAD` (the raw body). Any `v1`
//! entry may match (Stripe sends several while a secret is rolled); each comparison is
//! constant-time; the timestamp must be within five minutes of now.
//!
//! Handled events: `customer.subscription.created`, `.updated` and `.deleted`. The account is
//! found by the Stripe customer id linked before, or, the first time, by the billing reference
//! in the subscription's `metadata.sync_account` (minted by this server for the account:
//! `GET /api/sync/billing/reference`, `sync-server user billing-reference`; put it there at
//! checkout, `subscription_data.metadata`). An e-mail links nothing
//! ([`crate::domain::subscriptions`]). The tier is the highest tier among the
//! subscription items' price ids, mapped by configuration; a subscription whose status is not
//! `active`, `trialing` or `past_due`, or a deleted one, sets the tier `none`.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use sync_core::encoding::hex;
use sync_core::wire::SyncTier;

use crate::config::StripeConfig;

/// The subscription metadata key holding the account's billing reference.
pub const REFERENCE_KEY: &str = "sync_account";

/// Largest allowed distance between the signature's timestamp and now, in seconds.
pub const TOLERANCE_SECS: i64 = 300;
/// Most `v1` signatures looked at in one header.
const MAX_SIGNATURES: usize = 8;

/// Why a webhook signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is missing or not of the documented form.
    #[error("malformed Stripe-Signature header")]
    Malformed,
    /// The timestamp is more than five minutes from now.
    #[error("Stripe-Signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` signature matches.
    #[error("no Stripe-Signature v1 signature matches")]
    Mismatch,
}

/// Verifies `header` for `payload` under `secret` at `now` (Unix seconds).
pub fn verify_signature(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<[u8; 32]> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?),
            "v1" => {
                // A v1 entry that is not 64 hex digits cannot match; skip it like Stripe's SDKs.
                if let Ok(sig) = hex::decode_array::<32>(&value.to_ascii_lowercase(), "signature")
                    && signatures.len() < MAX_SIGNATURES
                {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    if now.saturating_sub(timestamp).saturating_abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let expected: [u8; 32] = mac.finalize().into_bytes().into();
    let mut matched = subtle::Choice::from(0u8);
    for sig in &signatures {
        matched |= expected.ct_eq(sig);
    }
    if bool::from(matched) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Signs a payload as Stripe does (for tests and local tooling): the header value.
pub fn sign_payload(secret: &str, payload: &[u8], timestamp: i64) -> String {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={timestamp},v1={}", hex::encode(&mac.finalize().into_bytes()))
}

/// The parts of a Stripe event the server reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    /// `evt_...`, unique per event.
    pub id: String,
    /// `customer.subscription.updated`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// The event's object.
    pub data: EventData,
}

/// `data` of an event.
#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    /// The object; a subscription for the handled events.
    pub object: serde_json::Value,
}

#[derive(Clone, Debug, Deserialize)]
struct Subscription {
    customer: String,
    status: String,
    #[serde(default)]
    metadata: std::collections::HashMap<String, serde_json::Value>,
    items: Items,
}

#[derive(Clone, Debug, Deserialize)]
struct Items {
    data: Vec<Item>,
}

#[derive(Clone, Debug, Deserialize)]
struct Item {
    price: Price,
}

#[derive(Clone, Debug, Deserialize)]
struct Price {
    id: String,
}

/// What a subscription event asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionUpdate {
    /// Set the customer's tier.
    SetTier {
        /// Stripe customer id.
        customer: String,
        /// `metadata.sync_account` (a billing reference, not yet verified), if any.
        reference: Option<String>,
        /// The tier.
        tier: SyncTier,
    },
    /// An event type the server does not act on.
    Ignored,
    /// A subscription whose prices are all unknown to the configuration.
    UnknownPrice {
        /// The price ids seen.
        prices: Vec<String>,
    },
}

fn rank(tier: SyncTier) -> u8 {
    match tier {
        SyncTier::None => 0,
        SyncTier::Starter => 1,
        SyncTier::Pro => 2,
        SyncTier::Team => 3,
    }
}

/// Decodes what an event asks for; `Err` when a handled event's object is not a subscription.
pub fn decode(event: &Event, config: &StripeConfig) -> Result<SubscriptionUpdate, String> {
    let deleted = match event.kind.as_str() {
        "customer.subscription.created" | "customer.subscription.updated" => false,
        "customer.subscription.deleted" => true,
        _ => return Ok(SubscriptionUpdate::Ignored),
    };
    let sub: Subscription =
        serde_json::from_value(event.data.object.clone()).map_err(|e| format!("not a subscription object: {e}"))?;
    let reference = sub.metadata.get(REFERENCE_KEY).and_then(|v| v.as_str()).map(str::to_owned);
    let active = matches!(sub.status.as_str(), "active" | "trialing" | "past_due");
    let tier = if deleted || !active {
        SyncTier::None
    } else {
        let tiers: Vec<SyncTier> =
            sub.items.data.iter().filter_map(|i| config.prices.get(&i.price.id).copied()).collect();
        match tiers.into_iter().max_by_key(|t| rank(*t)) {
            Some(tier) => tier,
            None => {
                return Ok(SubscriptionUpdate::UnknownPrice {
                    prices: sub.items.data.into_iter().map(|i| i.price.id).collect(),
                });
            }
        }
    };
    Ok(SubscriptionUpdate::SetTier { customer: sub.customer, reference, tier })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = sign_payload("whsec_x", payload, 1_000);
        assert_eq!(verify_signature("whsec_x", &header, payload, 1_100), Ok(()));
        assert_eq!(verify_signature("whsec_x", &header, payload, 1_301), Err(SignatureError::Stale));
        assert_eq!(verify_signature("whsec_x", &header, payload, 699), Err(SignatureError::Stale));
        assert_eq!(verify_signature("whsec_y", &header, payload, 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature("whsec_x", &header, b"{}", 1_000), Err(SignatureError::Mismatch));
        let several = format!("t=1000,v1={},{},v0=abc", "00".repeat(32), header.split_once(',').unwrap().1);
        assert_eq!(verify_signature("whsec_x", &several, payload, 1_000), Ok(()));
        assert_eq!(verify_signature("whsec_x", "garbage", payload, 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify_signature("whsec_x", "t=1000", payload, 1_000), Err(SignatureError::Mismatch));
        let extreme = format!("t={},v1={}", i64::MIN, "00".repeat(32));
        assert_eq!(verify_signature("whsec_x", &extreme, payload, 1_000), Err(SignatureError::Stale));
    }

    #[test]
    fn decodes_subscriptions() {
        let config = StripeConfig {
            webhook_secret: None,
            prices: [("price_s".to_owned(), SyncTier::Starter), ("price_t".to_owned(), SyncTier::Team)].into(),
        };
        let event = |kind: &str, status: &str, prices: &[&str]| Event {
            id: "evt".into(),
            kind: kind.into(),
            created: 1,
            data: EventData {
                object: serde_json::json!({
                    "customer": "cus_1", "status": status, "metadata": {"sync_account": "acct_1_x", "email": "a@b.c"},
                    "items": {"data": prices.iter().map(|p| serde_json::json!({"price": {"id": p}})).collect::<Vec<_>>()}
                }),
            },
        };
        let set =
            |tier| SubscriptionUpdate::SetTier { customer: "cus_1".into(), reference: Some("acct_1_x".into()), tier };
        let config_ref = &config;
        assert_eq!(
            decode(&event("customer.subscription.created", "active", &["price_s", "price_t"]), config_ref),
            Ok(set(SyncTier::Team))
        );
        assert_eq!(
            decode(&event("customer.subscription.updated", "canceled", &["price_s"]), config_ref),
            Ok(set(SyncTier::None))
        );
        assert_eq!(
            decode(&event("customer.subscription.deleted", "active", &["price_s"]), config_ref),
            Ok(set(SyncTier::None))
        );
        assert_eq!(decode(&event("invoice.paid", "active", &[]), config_ref), Ok(SubscriptionUpdate::Ignored));
        assert!(matches!(
            decode(&event("customer.subscription.updated", "active", &["price_x"]), config_ref),
            Ok(SubscriptionUpdate::UnknownPrice { .. })
        ));
    }
}
