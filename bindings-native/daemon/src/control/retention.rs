//! The cloud retention the account chooses per data type (the server's `GET`/`PUT
//! /account/retention`, within the tier's), for the page; no keys needed.

use sync_client::session;
use sync_core::wire::{RetentionPolicy, RetentionResponse};

use super::Daemon;
use crate::error::Result;

impl Daemon {
    /// The account's choice and the tier's retention.
    pub async fn cloud_retention(&self) -> Result<RetentionResponse> {
        Ok(session::retention(&self.config()).await?)
    }

    /// Replaces the account's choice (`INVALID_REQUEST` beyond the tier's retention).
    pub async fn set_cloud_retention(&self, policy: &RetentionPolicy) -> Result<RetentionResponse> {
        Ok(session::set_retention(&self.config(), policy).await?)
    }
}
