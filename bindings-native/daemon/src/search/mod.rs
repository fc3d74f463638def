//! screenpipe's search API, served by the daemon on its own address so that screenpipe's
//! clients (its MCP server `screenpipe-mcp --port 3031`, pipes, apps) reach local and cloud
//! data through the contract they already speak.
//!
//! | route | answers |
//! | --- | --- |
//! | `GET /search` | `{"data": [...], "pagination": {"limit", "offset", "total"}}` in screenpipe 0.4.50's item shapes, local and cloud merged ([`routes`]) |
//! | `GET /health` | screenpipe's health shape from the daemon's own state ([`health`]; no key needed, as screenpipe) |
//! | every other route screenpipe-mcp calls | `501 {"error", "code": "not_implemented"}` |
//!
//! Every route but `/health` needs `Authorization: Bearer KEY` ([`api_key`]) unless the daemon
//! runs with `--no-api-key`; a request whose `Origin` is another site's is refused. Cloud bundles
//! decrypted for a query stay in a bounded in-memory cache (`sync_client::search::BundleCache`),
//! dropped when the account locks.

pub mod api_key;
pub mod frames;
pub mod health;
pub mod params;
pub mod routes;

pub use routes::{SearchApi, router};
