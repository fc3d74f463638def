#![doc = include_str!("../README.md")]

pub mod control;
pub mod error;
pub mod http;
pub mod keychain;
pub mod options;
pub mod search;
pub mod server;
pub mod unit;

pub use control::{Daemon, Phase};
pub use error::{DaemonError, Result};
pub use keychain::Keychain;
pub use options::{ConfigLoader, DEFAULT_LISTEN, DaemonOptions};
pub use server::{RunningDaemon, start, start_with};
