//! One HTTP endpoint (primary or secondary): a small HTTP/1.1 server with keep-alive that on
//! cue serves 200, answers 500, or goes away (listener closed, open connections closed, so
//! connects are refused). Black holes are not made here but by nftables (see `fault.rs`),
//! because a listener that merely stops accepting still completes TCP handshakes.
//! It logs every health-check request (path `/health`, PowerDNS's probes) it answers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::clock::Clock;

/// Largest request head read before the connection is dropped.
const REQUEST_HEAD_MAX: usize = 8 * 1024;
/// A server-side keep-alive connection idle this long is closed (like nginx's 75 s).
const SERVER_IDLE: Duration = Duration::from_secs(60);
/// Health-check records kept before further ones are only counted.
const PROBE_LOG_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up = 0,
    Http500 = 1,
    Refuse = 2,
}

/// One health-check request the endpoint answered.
#[derive(Debug, Clone, Copy)]
pub struct ProbeRecord {
    pub t_us: u64,
    pub status: u16,
}

struct Shared {
    mode: AtomicU8,
    clock: Clock,
    probes: Mutex<Vec<ProbeRecord>>,
    probes_dropped: AtomicU64,
    app_requests: AtomicU64,
}

pub struct Endpoint {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    commands: mpsc::Sender<(Mode, oneshot::Sender<()>)>,
}

impl Endpoint {
    /// Binds the listener (an error names the address) and starts serving.
    pub async fn start(addr: SocketAddr, clock: Clock) -> Result<Endpoint, String> {
        let listener = bind(addr).await?;
        let shared = Arc::new(Shared {
            mode: AtomicU8::new(Mode::Up as u8),
            clock,
            probes: Mutex::new(Vec::new()),
            probes_dropped: AtomicU64::new(0),
            app_requests: AtomicU64::new(0),
        });
        let (commands, receiver) = mpsc::channel(4);
        tokio::spawn(serve(addr, listener, shared.clone(), receiver));
        Ok(Endpoint { addr, shared, commands })
    }

    /// Switches the mode; returns once it is in effect (listener closed or reopened).
    pub async fn set_mode(&self, mode: Mode) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.commands.send((mode, ack)).await.map_err(|_| format!("endpoint {} has stopped", self.addr))?;
        done.await.map_err(|_| format!("endpoint {} failed to change mode", self.addr))
    }

    pub fn probes(&self) -> Vec<ProbeRecord> {
        self.shared.probes.lock().expect("probe log lock").clone()
    }

    pub fn app_requests(&self) -> u64 {
        self.shared.app_requests.load(Ordering::Relaxed)
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (HTTP endpoint): {e}; is the port already in use?"))
}

async fn serve(
    addr: SocketAddr,
    listener: TcpListener,
    shared: Arc<Shared>,
    mut commands: mpsc::Receiver<(Mode, oneshot::Sender<()>)>,
) {
    let mut listener = Some(listener);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some((mode, ack)) = command else { break };
                shared.mode.store(mode as u8, Ordering::SeqCst);
                if mode == Mode::Refuse {
                    // Like a crashed process: no listener, every open connection closed.
                    listener = None;
                    connections.abort_all();
                    while connections.join_next().await.is_some() {}
                } else if listener.is_none() {
                    match bind(addr).await {
                        Ok(l) => listener = Some(l),
                        Err(e) => eprintln!("error: {e}"),
                    }
                }
                let _ = ack.send(());
            }
            accepted = accept(&listener) => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(handle_connection(stream, shared.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn accept(listener: &Option<TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Serves requests on one connection until the client closes it, asks to close it, or idles.
async fn handle_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    loop {
        let head_end = loop {
            if let Some(end) = find_head_end(&buf) {
                break end;
            }
            if buf.len() > REQUEST_HEAD_MAX {
                return;
            }
            let mut chunk = [0u8; 2048];
            match tokio::time::timeout(SERVER_IDLE, stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        buf.drain(..head_end);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let close = head
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("connection:") && l.to_ascii_lowercase().contains("close"));
        let status: u16 = match shared.mode.load(Ordering::SeqCst) {
            m if m == Mode::Up as u8 => 200,
            m if m == Mode::Http500 as u8 => 500,
            _ => return,
        };
        if path.starts_with("/health") {
            let t_us = shared.clock.now_us();
            let mut probes = shared.probes.lock().expect("probe log lock");
            if probes.len() < PROBE_LOG_MAX {
                probes.push(ProbeRecord { t_us, status });
            } else {
                shared.probes_dropped.fetch_add(1, Ordering::Relaxed);
            }
        } else {
            shared.app_requests.fetch_add(1, Ordering::Relaxed);
        }
        let (reason, body) = if status == 200 { ("OK", "ok\n") } else { ("Internal Server Error", "error\n") };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{body}",
            body.len(),
            if close { "close" } else { "keep-alive" },
        );
        if stream.write_all(response.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}
