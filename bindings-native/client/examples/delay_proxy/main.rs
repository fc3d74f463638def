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
//! the proxy holds at most `QUEUE_CHUNKS` x `CHUNK` bytes per direction and connection:
//! `proxy.rs`).

mod proxy;

use std::time::Duration;

use tokio::net::TcpListener;

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

async fn run(args: Args) -> std::io::Result<()> {
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
    proxy::serve(listener, args.upstream, args.rtt, args.bytes_per_sec).await
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
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("delay_proxy: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
