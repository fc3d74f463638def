//! Linking a new device with a short code (docs/FORMAT.md section 12), relayed by the server's
//! mailbox (12.7): [`Linking`] on the unlocked device (the initiator: `link_start`, wait for the
//! joiner, approve or deny) and [`SyncSession::join`] on the new one (type the code, receive the
//! keys, then persist what an unlock persists and register with `/init`).
//!
//! Who closes the mailbox: the joiner, when its session ends in any way (it has read
//! everything it will read); the initiator when its session fails or is cancelled (after
//! [`CLOSE_GRACE`] when its confirmation may still be unread: a joiner with a wrong code learns
//! it from that message), not after it sent the keys or the refusal (the joiner reads them,
//! then closes). A joiner whose mailbox is closed under it fails with `NOT_FOUND`: the other
//! device ended the pairing. Otherwise the server forgets the mailbox after its 10 minutes. The code, the keys and the side tokens are never
//! logged: `Debug` of [`Linking`] shows the mailbox and the stage.

use std::time::Duration;

use sync_core::OsRandom;
use sync_core::keys::ExportedKeys;
use sync_core::pairing::{
    DeviceInfo, Initiator, Joiner, JoinerEvent, LINK_URI_PREFIX, LinkUri, PairingCode, PairingMessage, SESSION_TTL_MS,
};
use sync_core::wire::pair::PairToken;
use zeroize::Zeroizing;

use super::{LOCK_WAIT, SyncSession, init_request, open_device};
use crate::api::SyncClient;
use crate::config::SyncConfig;
use crate::error::{Result, SyncError};
use crate::os::now_ms;
use crate::state::StateLock;

/// How often a side asks the mailbox for its peer's messages.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long a failed initiator leaves its confirmation for the joiner before closing.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// One side's end of the mailbox: its number, side token and read cursor, and the session's
/// deadline.
struct Relay {
    client: SyncClient,
    mailbox: u16,
    side: PairToken,
    since: u32,
    deadline: sync_core::UnixMillis,
}

impl Relay {
    fn new(client: SyncClient, mailbox: u16, side: PairToken) -> Relay {
        let deadline = sync_core::UnixMillis(now_ms().0.saturating_add(SESSION_TTL_MS));
        Relay { client, mailbox, side, since: 0, deadline }
    }

    async fn post(&self, message: &PairingMessage) -> Result<()> {
        self.client.pair_post(self.mailbox, &self.side, message.as_bytes()).await.map(|_| ())
    }

    /// The peer's next messages, waiting for at least one (`pairing_expired` past the
    /// session's deadline; the server's own answers, `410 PAIR_EXPIRED` among them, as they
    /// come).
    async fn next(&mut self) -> Result<Vec<String>> {
        loop {
            if now_ms() > self.deadline {
                return Err(SyncError::Core(sync_core::Error::PairingExpired));
            }
            let answer = self.client.pair_read(self.mailbox, &self.side, self.since).await?;
            if let Some(last) = answer.messages.last() {
                self.since = last.seq;
                return Ok(answer.messages.into_iter().map(|m| m.message).collect());
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Closes the mailbox; a failure is only logged (the server forgets it at expiry anyway).
    async fn close(&self) {
        if let Err(e) = self.client.pair_close(self.mailbox, &self.side).await {
            tracing::warn!(mailbox = self.mailbox, code = %e.code(), "cannot close the pairing mailbox");
        }
    }
}

/// The unlocked device's pairing in progress: shows [`Linking::code`], waits for the joiner
/// ([`Linking::wait_for_joiner`]), then sends the keys ([`Linking::approve`]) or refuses
/// ([`Linking::deny`]).
pub struct Linking {
    relay: Relay,
    initiator: Initiator,
    code: PairingCode,
    server: String,
    session: SyncSession,
    /// This side's confirmation (message 4) was posted: the joiner may still read it.
    confirmation_posted: bool,
}

impl std::fmt::Debug for Linking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linking").field("mailbox", &self.relay.mailbox).field("stage", &self.initiator.stage()).finish()
    }
}

impl SyncSession {
    /// Starts linking a new device: opens a mailbox, makes the code and posts the first
    /// message. Show [`Linking::code`] (or [`Linking::link_uri`] as a QR code) to the user.
    pub async fn link_start(&self) -> Result<Linking> {
        let opened = self.client.pair_open().await?;
        let mut relay = Relay::new(self.client.clone(), opened.mailbox, opened.side_token);
        relay.deadline = relay.deadline.min(opened.expires_at);
        let started = async {
            let code = PairingCode::make(opened.mailbox, &mut OsRandom)?;
            let (initiator, m1) = Initiator::make(&code, &mut OsRandom, now_ms())?;
            relay.post(&m1).await?;
            Ok::<_, SyncError>((code, initiator))
        }
        .await;
        match started {
            Ok((code, initiator)) => Ok(Linking {
                relay,
                initiator,
                code,
                server: self.config.server()?.to_owned(),
                session: self.clone(),
                confirmation_posted: false,
            }),
            Err(e) => {
                relay.close().await;
                Err(e)
            }
        }
    }
}

impl Linking {
    /// The code to show, `4821-ocean-velvet-tiger`.
    pub fn code(&self) -> Zeroizing<String> {
        self.code.to_text()
    }

    /// The link URI to show as a QR code (`screenpipe-sync://link?v=1&code=…&server=…`).
    pub fn link_uri(&self) -> Result<Zeroizing<String>> {
        Ok(LinkUri::new(self.code.clone(), self.server.clone())?.to_uri())
    }

    /// The mailbox number.
    pub fn mailbox(&self) -> u16 {
        self.relay.mailbox
    }

    /// Waits until a joiner proved it knows the code; its name and OS, authenticated, to show
    /// for approval. A wrong code is `pairing_failed`; a message altered, replayed, reordered
    /// or of a third party fails with its code; past the deadline `pairing_expired` (or the
    /// server's `PAIR_EXPIRED`). Any failure ends the pairing.
    pub async fn wait_for_joiner(&mut self) -> Result<DeviceInfo> {
        let waited = self.wait().await;
        if waited.is_err() {
            if self.confirmation_posted {
                // The joiner may not have read this side's confirmation yet: it tells a joiner
                // with a wrong code that the code was wrong.
                tokio::time::sleep(CLOSE_GRACE).await;
            }
            self.relay.close().await;
        }
        waited
    }

    async fn wait(&mut self) -> Result<DeviceInfo> {
        loop {
            if let Some(device) = self.initiator.joiner_device() {
                return Ok(device.clone());
            }
            for message in self.relay.next().await? {
                if let Some(reply) = self.initiator.receive(message.as_bytes(), now_ms())? {
                    self.relay.post(&reply).await?;
                    self.confirmation_posted = true;
                }
                if self.initiator.joiner_device().is_some() {
                    break;
                }
            }
        }
    }

    /// The user approved the device [`Linking::wait_for_joiner`] returned: seals this device's
    /// keys (the current master key and the older ones) for it and posts them.
    pub async fn approve(mut self) -> Result<()> {
        let payload = self.session.keys().export().to_json()?;
        let m5 = self.initiator.approve(&payload, &mut OsRandom, now_ms())?;
        self.relay.post(&m5).await
    }

    /// The user declined: posts the authenticated refusal (the joiner fails with
    /// `pairing_denied`).
    pub async fn deny(mut self) -> Result<()> {
        let m5 = self.initiator.deny(now_ms())?;
        self.relay.post(&m5).await
    }

    /// Gives up before a joiner came (or after a failure): closes the mailbox.
    pub async fn cancel(self) {
        self.relay.close().await;
    }
}

/// Where a [`SyncSession::join`] is, for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinStep {
    /// The joiner's place of the mailbox is taken; waiting for the other device.
    Joined,
    /// The code was right (the other device's confirmation verified); waiting for the user's
    /// approval there.
    Confirmed,
    /// The keys arrived; registering this device.
    KeysReceived,
}

/// A typed code or a link URI: the code, and the server the URI names (if any).
fn parse_code(input: &str) -> Result<(PairingCode, Option<String>)> {
    let input = input.trim();
    if input.starts_with(LINK_URI_PREFIX) {
        let uri = LinkUri::parse(input)?;
        return Ok((uri.code().clone(), Some(uri.server().to_owned())));
    }
    Ok((PairingCode::parse(input)?, None))
}

impl SyncSession {
    /// Joins the account on this new device with a code shown by an unlocked device (or its
    /// link URI): runs the pairing, then persists exactly what an unlock with the password
    /// persists (the rollback guard, checked first, and the revision) and registers with
    /// `/init`. Returns the session and the keys (for the caller to remember in the OS
    /// keychain if it wants: nothing here writes them anywhere). `on_step` is told the steps.
    pub async fn join(
        config: &SyncConfig,
        code: &str,
        on_step: &(dyn Fn(JoinStep) + Send + Sync),
    ) -> Result<(SyncSession, ExportedKeys)> {
        let (code, server) = parse_code(code)?;
        if let Some(server) = server
            && crate::api::api_base(&server)? != crate::api::api_base(config.server()?)?
        {
            return Err(SyncError::Config(format!(
                "the link names the server {server}, not the configured one: use --server {server}"
            )));
        }
        let (state, client, device_id) = open_device(config, true)?;
        let lock = StateLock::acquire(&config.state_dir, LOCK_WAIT)?;
        state.set_meta("device_name", &config.device_name)?;
        let request = init_request(config, &device_id);
        let device = DeviceInfo::new(request.device_name, request.device_os)?;
        let mut joiner = Joiner::make(&code, device, &mut OsRandom, now_ms())?;
        drop(code);
        let opened = client.pair_join(joiner.mailbox()).await?;
        on_step(JoinStep::Joined);
        let mut relay = Relay::new(client, opened.mailbox, opened.side_token);
        relay.deadline = relay.deadline.min(opened.expires_at);
        let received = receive_keys(&mut joiner, &mut relay, on_step).await;
        relay.close().await;
        let exported = ExportedKeys::from_json(&received?)?;
        on_step(JoinStep::KeysReceived);
        drop(state);
        drop(lock);
        let session = Self::resume(config, &exported).await?;
        Ok((session, exported))
    }
}

async fn receive_keys(
    joiner: &mut Joiner,
    relay: &mut Relay,
    on_step: &(dyn Fn(JoinStep) + Send + Sync),
) -> Result<Zeroizing<Vec<u8>>> {
    loop {
        for message in relay.next().await? {
            match joiner.receive(message.as_bytes(), now_ms())? {
                JoinerEvent::Send(replies) => {
                    for reply in &replies {
                        relay.post(reply).await?;
                    }
                }
                JoinerEvent::Confirmed => on_step(JoinStep::Confirmed),
                JoinerEvent::Keys(payload) => return Ok(payload.into_inner()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_links_are_read() {
        let (code, server) = parse_code(" 4821-ocean-velvet-tiger\n").unwrap();
        assert_eq!((code.mailbox(), server), (4821, None));
        let (code, server) =
            parse_code("screenpipe-sync://link?v=1&code=12-ocean-velvet-tiger&server=http%3A%2F%2F127.0.0.1%3A9")
                .unwrap();
        assert_eq!((code.mailbox(), server.as_deref()), (12, Some("http://127.0.0.1:9")));
        assert_eq!(parse_code("4821-ocean-velvet").unwrap_err().code(), "invalid_input");
        assert_eq!(parse_code("screenpipe-sync://link?v=2&code=1-a-b-c&server=x").unwrap_err().code(), "unsupported");
    }
}
