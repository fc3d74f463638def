#![doc = include_str!("../README.md")]

pub mod api;
pub mod archive;
pub mod config;
pub mod error;
mod os;
pub mod pack;
pub mod progress;
mod redact;
pub mod screenpipe;
pub mod search;
mod segments;
pub mod service;
pub mod session;
pub mod state;
pub mod unpack;

pub use api::{ClientOptions, SyncClient};
pub use config::{ConfigFile, DataTypes, KeepLocal, SyncConfig};
pub use error::{Result, SyncError};
pub use os::process_cpu_seconds;
pub use progress::{NoProgress, Progress, Stage};
pub use search::{CloudQuery, SearchItem, SearchOptions};
pub use service::{ServiceListener, ServiceOptions, ServiceState, ServiceStatus, SyncInterval, SyncService};
pub use session::{InitOutcome, PullReport, PushReport, StatusReport, SyncSession};
pub use state::StateDb;
