//! Joining an account with a short code (docs/FORMAT.md section 12): the joiner's side, for a
//! browser that is linked from a desktop (`Link this browser`). The page relays the messages
//! through the server's mailbox (`/pair/*`); this wraps the core's [`sync_core::pairing::Joiner`]
//! and turns the keys it receives into an opaque [`Keys`] handle: they never reach JavaScript as
//! bytes, and nothing here stores them.

use js_sys::{Array, Object};
use sync_core::keys::{ExportedKeys, KeySet};
use sync_core::pairing::{DeviceInfo, JoinerEvent, LINK_URI_PREFIX, LinkUri, PairingCode};
use sync_core::{OsRandom, RandomSource, UnixMillis};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::{IntoJs, JsResult};
use crate::keys::Keys;

/// A typed code or a link URI: the code.
fn code_of(input: &str) -> JsResult<PairingCode> {
    let input = input.trim();
    if input.starts_with(LINK_URI_PREFIX) {
        return Ok(LinkUri::parse(input).js()?.code().clone());
    }
    PairingCode::parse(input).js()
}

fn millis(now_ms: f64) -> UnixMillis {
    UnixMillis(now_ms as i64)
}

/// The joiner's pairing session. Every error ends it (its keys erased).
#[wasm_bindgen]
pub struct Joiner {
    inner: sync_core::pairing::Joiner,
}

impl Joiner {
    pub(crate) fn make(
        code: &str,
        device_name: &str,
        device_os: &str,
        now_ms: f64,
        rng: &mut dyn RandomSource,
    ) -> JsResult<Joiner> {
        let code = code_of(code)?;
        let device = DeviceInfo::new(device_name, device_os).js()?;
        Ok(Joiner { inner: sync_core::pairing::Joiner::make(&code, device, rng, millis(now_ms)).js()? })
    }

    /// The next step as the core gives it.
    pub(crate) fn step(&mut self, message: &str, now_ms: f64) -> JsResult<JoinerEvent> {
        self.inner.receive(message.as_bytes(), millis(now_ms)).js()
    }
}

#[wasm_bindgen]
impl Joiner {
    /// Starts joining with a typed code (or a link URI) at `now_ms`, announcing this device's
    /// name and OS (shown on the other device for approval).
    #[wasm_bindgen(constructor)]
    pub fn new(code: &str, device_name: &str, device_os: &str, now_ms: f64) -> JsResult<Joiner> {
        Joiner::make(code, device_name, device_os, now_ms, &mut OsRandom)
    }

    /// The mailbox number (the code's first part): `POST /pair/{mailbox}/join`.
    pub fn mailbox(&self) -> u16 {
        self.inner.mailbox()
    }

    /// Takes the other device's next message (its exact text): `{send: [messages]}` to post in
    /// order, `{confirmed: true}` (the code was right; the other device asks for approval), or
    /// `{keys: Keys}` (the account's keys, the rollback rule applied with `minimum` as
    /// `unlock` takes it). A wrong code is `pairing_failed`, a refusal `pairing_denied`, a
    /// message altered `tampered`, replayed `pairing_replayed`, ...
    pub fn receive(&mut self, message: &str, now_ms: f64, minimum: JsValue) -> JsResult<JsValue> {
        let out = Object::new();
        match self.step(message, now_ms)? {
            JoinerEvent::Send(messages) => {
                let list = Array::new();
                for m in messages {
                    list.push(&JsValue::from_str(&m.into_string()));
                }
                convert::set(&out, "send", &list)?;
            }
            JoinerEvent::Confirmed => convert::set(&out, "confirmed", &JsValue::TRUE)?,
            JoinerEvent::Keys(payload) => {
                let exported = ExportedKeys::from_json(payload.expose()).js()?;
                let mut guard = convert::guard(&minimum)?;
                let set = KeySet::from_export(&exported, &mut guard).js()?;
                convert::set(&out, "keys", &Keys::from_set(set).into())?;
            }
        }
        Ok(out.into())
    }

    /// Where the session is: `awaiting_initiator`, `awaiting_confirmation`, `awaiting_keys`,
    /// `ended`.
    pub fn stage(&self) -> String {
        use sync_core::pairing::JoinerStage;
        match self.inner.stage() {
            JoinerStage::AwaitingInitiator => "awaiting_initiator",
            JoinerStage::AwaitingConfirmation => "awaiting_confirmation",
            JoinerStage::AwaitingKeys => "awaiting_keys",
            JoinerStage::Ended => "ended",
        }
        .to_owned()
    }
}
