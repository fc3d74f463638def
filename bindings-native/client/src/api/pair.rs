//! The pairing mailbox routes (`/pair/*`, docs/FORMAT.md "The server's mailbox"): open, join,
//! post a message, read the peer's, close. The messages are the core's exact bytes; the side
//! token goes in `X-Pair-Token` and never into a log.

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use sync_core::wire::pair::{PAIR_TOKEN_HEADER, PairMessages, PairOpened, PairPosted, PairToken};

use super::SyncClient;
use crate::error::{Result, SyncError};

fn side_header(token: &PairToken) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&token.0)
        .map_err(|source| SyncError::Header { what: "bad pairing side token", source })?;
    headers.insert(PAIR_TOKEN_HEADER, value);
    Ok(headers)
}

fn decode<T: serde::de::DeserializeOwned>(route: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| SyncError::UndecodableResponse { route: route.to_owned(), source })
}

impl SyncClient {
    /// `POST /pair`: a new mailbox and the initiator's side token.
    pub async fn pair_open(&self) -> Result<PairOpened> {
        let bytes = self.request(Method::POST, "/pair", HeaderMap::new(), None).await?;
        decode("/pair", &bytes)
    }

    /// `POST /pair/{mailbox}/join`: the joiner's side token (once per mailbox).
    pub async fn pair_join(&self, mailbox: u16) -> Result<PairOpened> {
        let bytes = self.request(Method::POST, &format!("/pair/{mailbox}/join"), HeaderMap::new(), None).await?;
        decode("/pair/{mailbox}/join", &bytes)
    }

    /// `POST /pair/{mailbox}/messages`: posts a message's exact bytes.
    pub async fn pair_post(&self, mailbox: u16, side: &PairToken, message: &[u8]) -> Result<PairPosted> {
        let path = format!("/pair/{mailbox}/messages");
        let bytes =
            self.request(Method::POST, &path, side_header(side)?, Some(Bytes::copy_from_slice(message))).await?;
        decode("/pair/{mailbox}/messages", &bytes)
    }

    /// `GET /pair/{mailbox}/messages?since=N`: the peer's messages after `since`.
    pub async fn pair_read(&self, mailbox: u16, side: &PairToken, since: u32) -> Result<PairMessages> {
        let path = format!("/pair/{mailbox}/messages?since={since}");
        let bytes = self.request(Method::GET, &path, side_header(side)?, None).await?;
        decode("/pair/{mailbox}/messages", &bytes)
    }

    /// `DELETE /pair/{mailbox}`.
    pub async fn pair_close(&self, mailbox: u16, side: &PairToken) -> Result<()> {
        self.request(Method::DELETE, &format!("/pair/{mailbox}"), side_header(side)?, None).await?;
        Ok(())
    }
}
