//! Request ids: every request gets an `x-request-id` (kept when a client or a proxy sent
//! one), echoed in the response and recorded in the request's tracing span.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header carrying the id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Makes ids `PREFIX-COUNTER`: a random per-process prefix and a counter.
#[derive(Clone, Debug)]
pub struct MakeId {
    prefix: String,
    counter: std::sync::Arc<AtomicU64>,
}

impl MakeId {
    /// A generator with a fresh random prefix.
    pub fn new() -> MakeId {
        let mut bytes = [0u8; 4];
        // Without randomness the ids are still unique within this process.
        let _ = getrandom::fill(&mut bytes);
        MakeId { prefix: sync_core::encoding::hex::encode(&bytes), counter: Default::default() }
    }
}

impl Default for MakeId {
    fn default() -> Self {
        MakeId::new()
    }
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:08x}", self.prefix)).ok().map(RequestId::new)
    }
}
