//! The `pairing` vector kind (docs/FORMAT.md, "Vectors"): both sides of a pairing run
//! from a vector's inputs, with random sources that replay the vector's bytes. The generator and
//! the verifier share this runner, so a vector file and the code cannot drift apart.

use serde_json::{Value, json};

use crate::encoding::base64url::{self, encode as b64};
use crate::pairing::{DeviceInfo, Initiator, Joiner, JoinerEvent, PairingCode, PairingMessage};
use crate::primitives::random::RandomSource;
use crate::{Error, UnixMillis};

/// A random source that hands out fixed bytes in order, and fails with `random_failure` once
/// they run out (for vectors: every draw of a side is written in the vector).
pub struct ReplayRandom {
    bytes: Vec<u8>,
    used: usize,
}

impl ReplayRandom {
    /// A source of exactly `bytes`.
    pub fn new(bytes: Vec<u8>) -> ReplayRandom {
        ReplayRandom { bytes, used: 0 }
    }

    /// Whether every byte was drawn.
    pub fn exhausted(&self) -> bool {
        self.used == self.bytes.len()
    }
}

impl RandomSource for ReplayRandom {
    fn fill(&mut self, dest: &mut [u8]) -> crate::Result<()> {
        let end = self.used.checked_add(dest.len()).filter(|end| *end <= self.bytes.len()).ok_or(Error::Random)?;
        dest.copy_from_slice(self.bytes.get(self.used..end).ok_or(Error::Random)?);
        self.used = end;
        Ok(())
    }
}

/// The inputs of a pairing vector.
pub(crate) struct Inputs {
    pub code: String,
    pub joiner_code: Option<String>,
    pub device: (String, String),
    pub start: UnixMillis,
    pub initiator_random: Vec<u8>,
    pub joiner_random: Vec<u8>,
    pub payload: Vec<u8>,
    pub approve: bool,
}

/// What an honest run produced.
pub(crate) struct Run {
    /// Messages 1 to 5, as written.
    pub messages: Vec<String>,
    /// `th`.
    pub transcript_hash: [u8; 32],
    /// The payload the joiner received, or its error on message 5 (`pairing_denied`).
    pub received: Result<Vec<u8>, Error>,
    /// Whether both sides drew exactly the vector's random bytes.
    pub all_random_used: bool,
}

fn text<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v.get(name).and_then(Value::as_str).ok_or_else(|| format!("field {name:?} is not a string"))
}

fn bytes(v: &Value, name: &str) -> Result<Vec<u8>, String> {
    base64url::decode(text(v, name)?).map_err(|e| format!("field {name:?}: {e}"))
}

impl Inputs {
    /// Reads the inputs of a vector.
    pub(crate) fn from_json(v: &Value) -> Result<Inputs, String> {
        let device = v.get("device").ok_or("missing field \"device\"")?;
        let start = UnixMillis::parse_rfc3339(text(v, "start")?).map_err(|e| format!("start: {e}"))?;
        Ok(Inputs {
            code: text(v, "code")?.to_owned(),
            joiner_code: v.get("joiner_code").and_then(Value::as_str).map(str::to_owned),
            device: (text(device, "name")?.to_owned(), text(device, "os")?.to_owned()),
            start,
            initiator_random: bytes(v, "initiator_random")?,
            joiner_random: bytes(v, "joiner_random")?,
            payload: bytes(v, "payload")?,
            approve: v.get("approve").and_then(Value::as_bool).ok_or("field \"approve\" is not a boolean")?,
        })
    }

    /// The inputs as vector fields.
    pub(crate) fn to_json(&self) -> Result<Value, Error> {
        let mut v = json!({
            "code": self.code,
            "device": {"name": self.device.0, "os": self.device.1},
            "start": self.start.to_rfc3339()?,
            "initiator_random": b64(&self.initiator_random),
            "joiner_random": b64(&self.joiner_random),
            "payload": b64(&self.payload),
            "approve": self.approve,
        });
        if let Some(joiner_code) = &self.joiner_code {
            v["joiner_code"] = json!(joiner_code);
        }
        Ok(v)
    }

    fn initiator(&self) -> Result<(Initiator, PairingMessage, ReplayRandom), Error> {
        let mut rng = ReplayRandom::new(self.initiator_random.clone());
        let (initiator, m1) = Initiator::make(&PairingCode::parse(&self.code)?, &mut rng, self.start)?;
        Ok((initiator, m1, rng))
    }

    fn joiner(&self) -> Result<(Joiner, ReplayRandom), Error> {
        let mut rng = ReplayRandom::new(self.joiner_random.clone());
        let code = PairingCode::parse(self.joiner_code.as_deref().unwrap_or(&self.code))?;
        let device = DeviceInfo::new(self.device.0.clone(), self.device.1.clone())?;
        Ok((Joiner::make(&code, device, &mut rng, self.start)?, rng))
    }
}

/// Both sides after messages 1 to 4 were made (3 not yet given to the initiator).
struct Handshake {
    initiator: Initiator,
    joiner: Joiner,
    initiator_rng: ReplayRandom,
    joiner_rng: ReplayRandom,
    messages: [PairingMessage; 4],
}

fn handshake(inputs: &Inputs) -> Result<Handshake, Error> {
    let now = inputs.start;
    let (mut initiator, m1, initiator_rng) = inputs.initiator()?;
    let (mut joiner, joiner_rng) = inputs.joiner()?;
    let JoinerEvent::Send(sent) = joiner.receive(m1.as_bytes(), now)? else {
        return Err(Error::InvalidState("the joiner did not answer message 1"));
    };
    let [m2, m3]: [PairingMessage; 2] = sent.try_into().map_err(|_| Error::InvalidState("not two messages"))?;
    let m4 = initiator.receive(m2.as_bytes(), now)?.ok_or(Error::InvalidState("no message 4"))?;
    Ok(Handshake { initiator, joiner, initiator_rng, joiner_rng, messages: [m1, m2, m3, m4] })
}

/// Messages 1 to 4 as written, whatever the codes (for must-fail vectors of a wrong code).
pub(crate) fn handshake_messages(inputs: &Inputs) -> Result<Vec<String>, Error> {
    Ok(handshake(inputs)?.messages.into_iter().map(PairingMessage::into_string).collect())
}

/// Runs both sides honestly: messages 1 to 4, the approval (or refusal), message 5.
pub(crate) fn run_both(inputs: &Inputs) -> Result<Run, Error> {
    let now = inputs.start;
    let Handshake { mut initiator, mut joiner, mut initiator_rng, joiner_rng, messages } = handshake(inputs)?;
    let [m1, m2, m3, m4] = messages;
    initiator.receive(m3.as_bytes(), now)?;
    joiner.receive(m4.as_bytes(), now)?;
    let m5 = if inputs.approve {
        initiator.approve(&inputs.payload, &mut initiator_rng, now)?
    } else {
        initiator.deny(now)?
    };
    let received = match joiner.receive(m5.as_bytes(), now) {
        Ok(JoinerEvent::Keys(payload)) => Ok(payload.expose().to_vec()),
        Ok(_) => Err(Error::InvalidState("the joiner did not return the payload")),
        Err(e) => Err(e),
    };
    let transcript_hash = crate::pairing::transcript_hash(initiator.mailbox(), m1.as_bytes(), m2.as_bytes());
    Ok(Run {
        messages: [m1, m2, m3, m4, m5].into_iter().map(PairingMessage::into_string).collect(),
        transcript_hash,
        received,
        all_random_used: initiator_rng.exhausted() && joiner_rng.exhausted(),
    })
}

/// Starts one side from the inputs and delivers `messages` to it in order, the last at `at`
/// (or the start). `Ok(Err(..))` when a delivery before the last failed.
pub(crate) fn run_side(
    inputs: &Inputs,
    side: &str,
    messages: &[String],
    at: Option<UnixMillis>,
) -> Result<Result<(), String>, Error> {
    enum Side {
        Initiator(Initiator),
        Joiner(Joiner),
    }
    let mut session = match side {
        "initiator" => Side::Initiator(inputs.initiator()?.0),
        "joiner" => Side::Joiner(inputs.joiner()?.0),
        other => return Ok(Err(format!("unknown side {other:?}"))),
    };
    for (i, message) in messages.iter().enumerate() {
        let last = i + 1 == messages.len();
        let now = if last { at.unwrap_or(inputs.start) } else { inputs.start };
        let result = match &mut session {
            Side::Initiator(s) => s.receive(message.as_bytes(), now).map(|_| ()),
            Side::Joiner(s) => s.receive(message.as_bytes(), now).map(|_| ()),
        };
        match result {
            Err(e) if last => return Err(e),
            Err(e) => return Ok(Err(format!("delivery {i} failed early with {}", e.code()))),
            Ok(()) => {}
        }
    }
    Ok(Ok(()))
}

/// Runs a `pairing` vector: an ok vector (with `messages`) or a must-fail one (with `side` and
/// `deliver`).
pub(super) fn run_vector(v: &Value) -> Result<Result<(), String>, Error> {
    let inputs = match Inputs::from_json(v) {
        Ok(inputs) => inputs,
        Err(e) => return Ok(Err(format!("unusable vector: {e}"))),
    };
    if let Some(deliver) = v.get("deliver") {
        let messages: Option<Vec<String>> =
            deliver.as_array().and_then(|a| a.iter().map(|m| m.as_str().map(str::to_owned)).collect());
        let (Some(messages), Ok(side)) = (messages, text(v, "side")) else {
            return Ok(Err("unusable vector: deliver is a list of strings, side a string".into()));
        };
        let at = match v.get("at").and_then(Value::as_str).map(UnixMillis::parse_rfc3339).transpose() {
            Ok(at) => at,
            Err(e) => return Ok(Err(format!("unusable vector: at: {e}"))),
        };
        return run_side(&inputs, side, &messages, at);
    }
    let run = run_both(&inputs)?;
    let claimed: Option<Vec<&str>> =
        v.get("messages").and_then(Value::as_array).and_then(|a| a.iter().map(Value::as_str).collect());
    let Some(claimed) = claimed else { return Ok(Err("unusable vector: messages".into())) };
    if claimed.len() != run.messages.len() {
        return Ok(Err(format!("{} messages claimed, {} made", claimed.len(), run.messages.len())));
    }
    if let Some(i) = claimed.iter().zip(&run.messages).position(|(want, got)| want != got) {
        return Ok(Err(format!("message {} differs", i + 1)));
    }
    if bytes(v, "transcript_hash").ok().as_deref() != Some(&run.transcript_hash[..]) {
        return Ok(Err("transcript_hash differs".into()));
    }
    if !run.all_random_used {
        return Ok(Err("a side did not draw exactly its random bytes".into()));
    }
    Ok(match (run.received, inputs.approve) {
        (Ok(payload), true) if payload == inputs.payload => Ok(()),
        (Ok(_), true) => Err("the joiner received another payload".into()),
        (Err(Error::PairingDenied), false) => Ok(()),
        (Err(e), _) => return Err(e),
        (Ok(_), false) => Err("a refusal delivered a payload".into()),
    })
}
