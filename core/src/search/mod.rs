//! Search tokens (docs/FORMAT.md, "Search tokens"): terms of a text, keyed tokens per month bucket, and the query
//! tokens of a time range across every key.
//!
//! - [`terms`](mod@terms): NFKC, full lowercase, bigrams for Han, Hiragana and Thai runs, UAX #29 words.
//! - [`tokens`]: `base64url(HMAC-SHA256(search_key, tuple("spsync/v1/token", field, bucket,
//!   term))[0..16])`, with a pre-keyed HMAC state cloned per token.
//! - [`query`]: month buckets of a range and the tokens of a query; the tokens of a blob.

pub mod query;
pub mod terms;
pub mod tokens;

pub use query::{RecordTokens, month_buckets, query_tokens};
pub use terms::{app_term, terms};
pub use tokens::{Field, TokenKey};
