//! A delay proxy for the WAN benchmarks (`bindings-native/bench-wan.sh`, docs/PERFORMANCE.md):
//! listens on loopback, forwards every TCP connection to the server, and makes each direction
//! look like a link of `--rtt-ms` round trips (half of it added one way, half the other) and
//! `--mbit` megabits per second (one token bucket per direction, shared by every connection, as
//! a real access link is). Dev-only: not part of the client library.
//!
//! ```text
//! cargo run --release -p sync-client --example delay_proxy -- \
//!     --listen 127.0.0.1:0 --upstream 127.0.0.1:8787 --rtt-ms 50 --mbit 200
//! ```
//!
//! It prints `listening on ADDR` once bound. Start the server with `--public-url http://ADDR`
//! so that its signed object URLs (uploads and downloads) also cross the proxy.
//!
//! What it models: propagation delay and a bandwidth cap. What it does not: loss, jitter, and
//! the sender's TCP slow start over the long path (each side talks to the proxy over loopback;
//! the proxy holds at most [`QUEUE_CHUNKS`] x [`CHUNK`] bytes per direction and connection).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;

/// Largest read forwarded at once, in bytes.
const CHUNK: usize = 16 * 1024;
/// Idle link time credited to the next sender (absorbs the timer's late wake-ups).
const BURST: Duration = Duration::from_millis(5);
/// Chunks queued per direction and connection (the bytes "on the wire").
const QUEUE_CHUNKS: usize = 512;

/// The proxy's settings.
#[derive(Debug)]
struct Args {
    listen: String,
    upstream: String,
    rtt: Duration,
    /// Bytes per second per direction; 0 = no cap.
    bytes_per_sec: f64,
}

fn usage() -> String {
    "usage: delay_proxy --upstream HOST:PORT [--listen 127.0.0.1:0] [--rtt-ms 50] [--mbit 200 (0: no cap)]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: "127.0.0.1:0".into(),
        upstream: String::new(),
        rtt: Duration::from_millis(50),
        bytes_per_sec: 0.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{}", usage()));
        match flag.as_str() {
            "--listen" => args.listen = value()?,
            "--upstream" => args.upstream = value()?,
            "--rtt-ms" => {
                let ms: u64 = value()?.parse().map_err(|e| format!("--rtt-ms: {e}"))?;
                args.rtt = Duration::from_millis(ms);
            }
            "--mbit" => {
                let mbit: f64 = value()?.parse().map_err(|e| format!("--mbit: {e}"))?;
                if !mbit.is_finite() || mbit < 0.0 {
                    return Err(format!("--mbit {mbit} is not a rate"));
                }
                args.bytes_per_sec = mbit * 1e6 / 8.0;
            }
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown flag {other}\n{}", usage())),
        }
    }
    if args.upstream.is_empty() {
        return Err(usage());
    }
    Ok(args)
}

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

async fn serve(args: Args) -> std::io::Result<()> {
    let listener = TcpListener::bind(&args.listen).await?;
    println!("listening on {}", listener.local_addr()?);
    eprintln!(
        "delay_proxy: -> {} with {} ms RTT, {}",
        args.upstream,
        args.rtt.as_millis(),
        if args.bytes_per_sec > 0.0 {
            format!("{:.1} Mbit/s per direction", args.bytes_per_sec * 8.0 / 1e6)
        } else {
            "no bandwidth cap".into()
        }
    );
    let up = Arc::new(Link::new(args.bytes_per_sec));
    let down = Arc::new(Link::new(args.bytes_per_sec));
    let one_way = args.rtt / 2;
    loop {
        let (client, _) = listener.accept().await?;
        let (upstream, up, down) = (args.upstream.clone(), up.clone(), down.clone());
        tokio::spawn(async move {
            // The connection itself takes a round trip, as a TCP handshake would.
            tokio::time::sleep(one_way * 2).await;
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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    match serve(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("delay_proxy: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
