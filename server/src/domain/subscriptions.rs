//! Stripe bookkeeping: which subscription event changes which account's tier.
//!
//! - Every event id is applied at most once (a replay changes nothing).
//! - The account is the one linked to the event's Stripe customer; the first time, the account
//!   named by the subscription's `metadata.sync_account`, a *billing reference* this server
//!   minted for that account ([`BillingReferences`]) and that nobody else can make, provided
//!   the account is linked to no customer yet; the event then links it. An e-mail in the
//!   subscription links nothing: anyone can type anyone's e-mail at a checkout, and would
//!   then control that account's tier (cancelling it, its data expires).
//! - An event older (`created`) than the last one applied to the account changes nothing
//!   ([`is_outdated`]), so events arriving out of order end on the newest state.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use sync_core::encoding::hex;

/// Prefix of every billing reference.
const PREFIX: &str = "acct_";
/// Bytes of the reference's MAC (hex in the reference).
const MAC_BYTES: usize = 16;

/// Mints and checks billing references: `acct_{ACCOUNT_ID}_{MAC}`, the MAC an HMAC-SHA256 under a
/// key only this server holds, so a reference names one account and cannot be forged or moved
/// to another. `Debug` hides the key.
#[derive(Clone)]
pub struct BillingReferences {
    key: [u8; 32],
}

impl fmt::Debug for BillingReferences {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BillingReferences(..)")
    }
}

impl BillingReferences {
    /// References under a key derived from `secret` (the server's stored secret) for this use
    /// alone.
    pub fn new(secret: &[u8; 32]) -> BillingReferences {
        let mut key = [0u8; 32];
        key.copy_from_slice(&Self::hmac(secret, b"spsync/billing-reference-key/v1"));
        BillingReferences { key }
    }

    fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
        // HMAC takes keys of any length: 32 bytes never fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    fn mac(&self, account: i64) -> [u8; MAC_BYTES] {
        let full = Self::hmac(&self.key, format!("spsync-billing/v1\n{account}").as_bytes());
        let mut out = [0u8; MAC_BYTES];
        out.copy_from_slice(&full[..MAC_BYTES]);
        out
    }

    /// The billing reference of `account`.
    pub fn reference(&self, account: i64) -> String {
        format!("{PREFIX}{account}_{}", hex::encode(&self.mac(account)))
    }

    /// The account a reference names, if this server minted it.
    pub fn account_of(&self, reference: &str) -> Option<i64> {
        let rest = reference.strip_prefix(PREFIX)?;
        let (account, mac) = rest.split_once('_')?;
        let account: i64 = account.parse().ok()?;
        let mac = hex::decode_array::<MAC_BYTES>(mac, "billing reference").ok()?;
        bool::from(self.mac(account).ct_eq(&mac)).then_some(account)
    }
}

/// Whether an event created at `event_created` (seconds) is older than the last event applied
/// to the account (`None`: none yet).
pub fn is_outdated(last_applied: Option<i64>, event_created: i64) -> bool {
    last_applied.is_some_and(|last| last > event_created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering() {
        assert!(!is_outdated(None, 5));
        assert!(!is_outdated(Some(5), 5));
        assert!(!is_outdated(Some(4), 5));
        assert!(is_outdated(Some(6), 5));
    }

    #[test]
    fn references_name_one_account_and_cannot_be_forged() {
        let refs = BillingReferences::new(&[7; 32]);
        let r = refs.reference(42);
        assert!(r.starts_with("acct_42_") && r.len() == "acct_42_".len() + 32, "{r}");
        assert_eq!(refs.account_of(&r), Some(42));
        // Another account's id with this MAC, a changed MAC, another server's key, junk.
        assert_eq!(refs.account_of(&r.replace("acct_42_", "acct_43_")), None);
        let mut flipped = r.clone();
        let last = if flipped.ends_with('0') { "1" } else { "0" };
        flipped.replace_range(flipped.len() - 1.., last);
        assert_eq!(refs.account_of(&flipped), None);
        assert_eq!(BillingReferences::new(&[8; 32]).account_of(&r), None);
        for junk in ["", "acct_", "acct_42", "acct_x_00", "ivy@example.com", &r.to_uppercase()] {
            assert_eq!(refs.account_of(junk), None, "{junk}");
        }
        assert_eq!(format!("{refs:?}"), "BillingReferences(..)");
    }
}
