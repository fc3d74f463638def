//! Stripe bookkeeping: which subscription event changes which account's tier.
//!
//! - Every event id is applied at most once (a replay changes nothing).
//! - The account is the one linked to the event's Stripe customer; the first time, the account
//!   whose e-mail is the subscription's `metadata.email` (compared as [`email_key`]) and that is
//!   linked to no customer yet, which the event then links.
//! - An event older (`created`) than the last one applied to the account changes nothing
//!   ([`is_outdated`]), so events arriving out of order end on the newest state.

/// The form of a subscription's e-mail that is compared with account e-mails.
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
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
    fn ordering_and_linking() {
        assert!(!is_outdated(None, 5));
        assert!(!is_outdated(Some(5), 5));
        assert!(!is_outdated(Some(4), 5));
        assert!(is_outdated(Some(6), 5));
        assert_eq!(email_key("IVY@Example.com"), "ivy@example.com");
    }
}
