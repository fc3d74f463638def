#![doc = include_str!("../README.md")]

pub mod archive;
pub mod config;
pub mod error;
pub mod link;
pub mod listener;
pub mod manager;
pub mod media_pack;
pub mod records;
pub mod viewer;

pub use archive::{ArchiveResult, BlobMismatch, RestoreResult, SkippedFile, VerifyResult};
pub use config::{ManagerConfig, SyncFrequency};
pub use error::{FfiResult, SyncFfiError, error_codes};
pub use link::{JoinResult, LinkSession, LinkedDevice};
pub use listener::SyncListener;
pub use manager::SyncManager;
pub use media_pack::{PackEntryRecord, is_media_pack, media_pack_entries, media_pack_entry};
pub use records::{
    DeleteResult, DeviceRecord, InitResult, ProgressEvent, ProgressStage, PullResult, PushResult, SearchHit, SyncState,
    SyncStatus,
};
pub use viewer::{BlobContextRecord, ViewerKeys, unlock_envelope, unlock_recovery_envelope};

uniffi::setup_scaffolding!();

/// The words of `text` as the cloud search indexes them (docs/FORMAT.md, Search tokens).
#[uniffi::export]
pub fn search_terms(text: String) -> Vec<String> {
    sync_core::search::terms(&text)
}
