//! The delay proxy itself (see `main.rs`), a module so that benchmarks in tests can run it in
//! process (`#[path]`): [`serve`] forwards every connection of a listener to `upstream` through
//! two shared [`Link`]s (one per direction).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;

/// Largest read forwarded at once, in bytes.
pub const CHUNK: usize = 16 * 1024;
/// Idle link time credited to the next sender (absorbs the timer's late wake-ups).
pub const BURST: Duration = Duration::from_millis(5);
/// Chunks queued per direction and connection (the bytes "on the wire").
pub const QUEUE_CHUNKS: usize = 512;

/// A token bucket shared by every connection of one direction: a sender reserves its bytes
/// and waits until the link has carried them (a virtual clock), so the direction never passes
/// its rate, whatever the number of connections.
#[derive(Debug)]
struct Link {
    bytes_per_sec: f64,
    /// When the link is free again.
    free_at: Mutex<Instant>,
}

impl Link {
    fn new(bytes_per_sec: f64) -> Link {
        Link { bytes_per_sec, free_at: Mutex::new(Instant::now()) }
    }

    /// Waits until `n` bytes have been serialized onto the link.
    async fn carry(&self, n: usize) {
        if self.bytes_per_sec <= 0.0 {
            return;
        }
        let done = {
            let mut free_at = self.free_at.lock().await;
            // Up to BURST of idle link is credited, so that timer lateness is not lost time.
            let now = Instant::now();
            let start = (*free_at).max(now.checked_sub(BURST).unwrap_or(now));
            *free_at = start + Duration::from_secs_f64(n as f64 / self.bytes_per_sec);
            *free_at
        };
        tokio::time::sleep_until(done).await;
    }
}

/// One direction of one connection: read, carry over the link, deliver after the one-way delay.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, link: Arc<Link>, one_way: Duration) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(QUEUE_CHUNKS);
    let writer = tokio::spawn(async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        link.carry(n).await;
        if tx.send((Instant::now() + one_way, buf[..n].to_vec())).await.is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}
/// Forwards every connection of `listener` to `upstream` with `rtt` round trips (half of it
/// each way, and one for the connection itself) and at most `bytes_per_sec` per direction (0:
/// no cap), until the task is dropped or accepting fails.
pub async fn serve(listener: TcpListener, upstream: String, rtt: Duration, bytes_per_sec: f64) -> std::io::Result<()> {
    let up = Arc::new(Link::new(bytes_per_sec));
    let down = Arc::new(Link::new(bytes_per_sec));
    let one_way = rtt / 2;
    loop {
        let (client, _) = listener.accept().await?;
        let (upstream, up, down) = (upstream.clone(), up.clone(), down.clone());
        tokio::spawn(async move {
            // The connection itself takes a round trip, as a TCP handshake would.
            tokio::time::sleep(rtt).await;
            let server = match TcpStream::connect(&upstream).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("delay_proxy: cannot reach {upstream}: {e}");
                    return;
                }
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::join!(pump(client_read, server_write, up, one_way), pump(server_read, client_write, down, one_way));
        });
    }
}
