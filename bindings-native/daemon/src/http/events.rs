//! `GET /api/events`: the status as Server-Sent Events. One `status` event at once, then one
//! after every change (bursts merged, at most about twenty a second), a keep-alive comment every
//! 15 s; the stream ends when the daemon stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::control::Daemon;

/// Changes closer together than this are sent as one event.
const MERGE: Duration = Duration::from_millis(50);

/// The live route (state: the daemon).
pub fn router() -> Router<Daemon> {
    Router::new().route("/events", get(events))
}

struct Feed {
    daemon: Daemon,
    changes: broadcast::Receiver<()>,
    closing: watch::Receiver<bool>,
    first: bool,
}

fn status_event(daemon: &Daemon) -> Event {
    let json = serde_json::to_string(&daemon.status()).unwrap_or_else(|_| "{}".into());
    Event::default().event("status").data(json)
}

async fn events(State(daemon): State<Daemon>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let feed = Feed { changes: daemon.subscribe(), closing: daemon.closing(), daemon, first: true };
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        if *feed.closing.borrow() {
            return None;
        }
        if !feed.first {
            tokio::select! {
                r = feed.changes.recv() => if matches!(r, Err(RecvError::Closed)) { return None },
                _ = feed.closing.changed() => return None,
            }
            tokio::time::sleep(MERGE).await;
            while feed.changes.try_recv().is_ok() {}
        }
        feed.first = false;
        let event = status_event(&feed.daemon);
        Some((Ok(event), feed))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
