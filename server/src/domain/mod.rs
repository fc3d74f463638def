//! The rules of the service, each written once as plain functions over plain values: no I/O,
//! no SQL, no HTTP. The HTTP layer ([`crate::http`]) calls them to refuse a request early; both
//! metadata stores ([`crate::store::metadata`]) call them inside their own transactions: load
//! the facts, ask the rule, apply its decision.
//!
//! - [`model`]: the records the rules decide over and the stores keep.
//! - [`accounts`]: e-mail normalisation, bearer tokens and their stored hash.
//! - [`tiers`]: what each tier allows (storage, devices, retention, whether it is subscribed).
//! - [`quota`]: whether an upload fits the storage limit.
//! - [`devices`]: registering a device under the tier's device limit.
//! - [`uploads`]: declaring a blob (new, re-declared, already uploaded, conflicting), checking
//!   the uploaded object, completing it, which object writes and reads the local store allows.
//! - [`keys`]: the account's keys: creation, revisions, password change versus rotation.
//! - [`retention`]: what the cleanup job removes (expired blobs, abandoned uploads).
//! - [`subscriptions`]: which Stripe events change a tier.
//! - [`search`]: how matches are filtered and ranked.
//! - [`pairing`]: the pairing mailbox: numbers, one joiner, sides, message bounds, expiry.

pub mod accounts;
pub mod devices;
pub mod keys;
pub mod model;
pub mod pairing;
pub mod quota;
pub mod retention;
pub mod search;
pub mod subscriptions;
pub mod tiers;
pub mod uploads;
