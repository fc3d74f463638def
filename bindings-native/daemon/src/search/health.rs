//! `GET /health` in screenpipe's shape, from the daemon's own state. The daemon records
//! nothing itself, so the recorder's fields say so; what a client reads to decide whether to
//! search (`status`, `status_code`, `message`) describes the search API:
//!
//! | field | here |
//! | --- | --- |
//! | `status` | `healthy` when the account is unlocked and the last sync worked (local and cloud answer), `degraded` otherwise (local results only, or the cloud unreachable) |
//! | `status_code` | 200 (the API answers either way) |
//! | `message` | the settings page's health line |
//! | `last_frame_timestamp`, `last_audio_timestamp` | null: the daemon records nothing |
//! | `frame_status`, `audio_status`, `audio_capture_mode` | `disabled`: the daemon records nothing |
//! | `monitors` | `[]` |
//! | `verbose_instructions`, `device_status_details` | null |
//! | `version` | the daemon's version |
//! | `sync` (extra) | `{"health", "locked", "last_sync", "device_id", "api_key_required"}` |

use serde_json::{Value, json};

use crate::control::Daemon;

/// The health answer.
pub fn health(daemon: &Daemon) -> Value {
    let status = daemon.status();
    let ok = !status.locked && matches!(status.health.kind, "connected" | "syncing");
    json!({
        "status": if ok { "healthy" } else { "degraded" },
        "status_code": 200,
        "last_frame_timestamp": null,
        "last_audio_timestamp": null,
        "frame_status": "disabled",
        "audio_status": "disabled",
        "audio_capture_mode": "disabled",
        "message": status.health.text,
        "verbose_instructions": null,
        "device_status_details": null,
        "monitors": [],
        "version": env!("CARGO_PKG_VERSION"),
        "sync": {
            "health": status.health.kind,
            "locked": status.locked,
            "last_sync": status.last_sync,
            "device_id": status.device_id,
            "api_key_required": daemon.api_key().is_some(),
        },
    })
}
