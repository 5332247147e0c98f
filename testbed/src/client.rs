//! The clients: each one a task with its own hickory resolver (its own TTL cache) pointed at
//! Unbound, sending real HTTP/1.1 requests at Poisson times drawn from its own seeded stream.
//! Without keep-alive every request resolves (through the cache) and opens a new connection,
//! and requests are independent (a slow one does not delay the next). With keep-alive a client
//! holds one connection and reuses it until it has idled `idle_timeout_s` or a request on it
//! fails (any non-200 answer counts as failed); only then does it resolve again. Its requests
//! go one at a time, so one that is due while another is in flight waits for it.
//! Every request and every lookup is logged; the live tracker tells the trial driver who has
//! reached the secondary.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::clock::Clock;
use crate::config::{APP_NAME, ClientsConfig, HTTP_PORT};

/// Records kept before the run is declared too large (a bound on memory).
pub const RECORDS_MAX: usize = 5_000_000;
/// Requests one client may have in flight (no keep-alive) before the next one waits.
const IN_FLIGHT_MAX: usize = 32;
/// Largest response head read.
const RESPONSE_HEAD_MAX: usize = 8 * 1024;

/// Where a request went.
pub const EP_PRIMARY: u8 = 0;
pub const EP_SECONDARY: u8 = 1;
pub const EP_OTHER: u8 = 2;
/// No address (the lookup failed).
pub const EP_NONE: u8 = 3;

/// How a request ended; the index is the code in the logs (see `OUTCOME_NAMES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok = 0,
    Refused = 1,
    ConnectTimeout = 2,
    RequestTimeout = 3,
    HttpError = 4,
    Broken = 5,
    DnsError = 6,
    ConnectError = 7,
}

pub const OUTCOME_NAMES: [&str; 8] =
    ["ok", "refused", "connect_timeout", "request_timeout", "http_error", "broken", "dns_error", "connect_error"];

#[derive(Debug, Clone, Copy, Serialize)]
pub struct RequestRecord {
    /// Sent: connect started (new connection) or request written (reused connection).
    pub t_us: u64,
    pub client: u32,
    pub ep: u8,
    pub outcome: u8,
    /// From `t_us` to the end of the response or the failure.
    pub lat_us: u32,
    /// Duration of the lookup that preceded it; -1 when it rode an open connection.
    pub dns_us: i32,
    pub new_conn: bool,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LookupRecord {
    /// Lookup started.
    pub t_us: u64,
    pub client: u32,
    pub lat_us: u32,
    /// The answer came from Unbound (not from the client's own cache).
    pub fresh: bool,
    /// TTL of the answer as handed to the client (remaining TTL when from its cache).
    pub ttl_s: u32,
    pub ep: u8,
}

#[derive(Default)]
pub struct Logs {
    pub requests: Mutex<Vec<RequestRecord>>,
    pub lookups: Mutex<Vec<LookupRecord>>,
    pub dropped: AtomicU64,
}

impl Logs {
    fn push_request(&self, r: RequestRecord) {
        let mut v = self.requests.lock().expect("request log lock");
        if v.len() < RECORDS_MAX {
            v.push(r)
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn push_lookup(&self, r: LookupRecord) {
        let mut v = self.lookups.lock().expect("lookup log lock");
        if v.len() < RECORDS_MAX {
            v.push(r)
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Live view for the trial driver: which clients have reached the secondary since the fault.
pub struct Tracker {
    state: Mutex<TrackerState>,
}

struct TrackerState {
    fault_start_us: Option<u64>,
    active: Vec<bool>,
    reached_secondary: Vec<bool>,
    last_ep: Vec<u8>,
}

/// What the tracker says at one moment of a trial.
pub struct Progress {
    pub active: usize,
    pub reached: usize,
    /// Active clients that have not reached the secondary.
    pub waiting: Vec<u32>,
    /// Clients that have not reached the secondary (active or not).
    pub not_reached: Vec<u32>,
    /// Clients whose latest request did not go to the secondary.
    pub not_on_secondary: usize,
}

impl Tracker {
    pub fn new(clients: usize) -> Tracker {
        Tracker {
            state: Mutex::new(TrackerState {
                fault_start_us: None,
                active: vec![false; clients],
                reached_secondary: vec![false; clients],
                last_ep: vec![EP_NONE; clients],
            }),
        }
    }

    fn record(&self, client: u32, t_us: u64, ep: u8) {
        let mut s = self.state.lock().expect("tracker lock");
        let c = client as usize;
        s.last_ep[c] = ep;
        if s.fault_start_us.is_some_and(|start| t_us >= start) {
            s.active[c] = true;
            if ep == EP_SECONDARY {
                s.reached_secondary[c] = true;
            }
        }
    }

    /// Starts a trial at `t_us`; returns the share of clients whose last request went to the
    /// primary (the steady state the fault found).
    pub fn start_trial(&self, t_us: u64) -> f64 {
        let mut s = self.state.lock().expect("tracker lock");
        s.fault_start_us = Some(t_us);
        s.active.iter_mut().for_each(|a| *a = false);
        s.reached_secondary.iter_mut().for_each(|a| *a = false);
        let on_primary = s.last_ep.iter().filter(|&&e| e == EP_PRIMARY).count();
        on_primary as f64 / s.last_ep.len() as f64
    }

    pub fn end_trial(&self) {
        self.state.lock().expect("tracker lock").fault_start_us = None;
    }

    pub fn progress(&self) -> Progress {
        let s = self.state.lock().expect("tracker lock");
        let mut p =
            Progress { active: 0, reached: 0, waiting: Vec::new(), not_reached: Vec::new(), not_on_secondary: 0 };
        for c in 0..s.active.len() {
            p.active += usize::from(s.active[c]);
            p.reached += usize::from(s.reached_secondary[c]);
            p.not_on_secondary += usize::from(s.last_ep[c] != EP_SECONDARY);
            if !s.reached_secondary[c] {
                p.not_reached.push(c as u32);
                if s.active[c] {
                    p.waiting.push(c as u32);
                }
            }
        }
        p
    }
}

/// What every client shares.
pub struct Shared {
    pub config: ClientsConfig,
    pub unbound: SocketAddr,
    pub primary: Ipv4Addr,
    pub secondary: Ipv4Addr,
    pub clock: Clock,
    pub logs: Logs,
    pub tracker: Tracker,
}

impl Shared {
    fn endpoint_of(&self, ip: Ipv4Addr) -> u8 {
        if ip == self.primary {
            EP_PRIMARY
        } else if ip == self.secondary {
            EP_SECONDARY
        } else {
            EP_OTHER
        }
    }
}

fn build_resolver(shared: &Shared) -> Result<TokioResolver, String> {
    let mut connection = ConnectionConfig::udp();
    connection.port = shared.unbound.port();
    let server = NameServerConfig::new(shared.unbound.ip(), true, vec![connection]);
    let config = ResolverConfig::from_parts(None, vec![], vec![server]);
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs_f64(shared.config.dns_timeout_s);
    opts.attempts = 2;
    opts.cache_size = 64;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.num_concurrent_reqs = 1;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts)
        .build()
        .map_err(|e| format!("cannot build a hickory resolver: {e}"))
}

/// One client's own state.
struct Client {
    id: u32,
    shared: Arc<Shared>,
    resolver: TokioResolver,
    /// Message id of the last answer seen: a cached answer repeats it, a fresh one does not.
    last_answer_id: AtomicU32,
}

/// A kept-alive connection.
struct Kept {
    stream: TcpStream,
    ep: u8,
    idle_since: Instant,
}

/// Starts `count` clients; they run until `stop` turns true.
pub fn start(
    shared: Arc<Shared>,
    seed: u64,
    stop: watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let mut handles = Vec::new();
    for id in 0..shared.config.count {
        let client = Arc::new(Client {
            id,
            resolver: build_resolver(&shared)?,
            shared: shared.clone(),
            last_answer_id: AtomicU32::new(u32::MAX),
        });
        // Each client draws from its own stream, so adding clients changes no one's schedule.
        let rng = ChaCha8Rng::seed_from_u64(seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(u64::from(id) + 1)));
        handles.push(tokio::spawn(client_loop(client, rng, stop.clone())));
    }
    Ok(handles)
}

async fn client_loop(client: Arc<Client>, mut rng: ChaCha8Rng, mut stop: watch::Receiver<bool>) {
    let rate = client.shared.config.requests_per_s;
    let keep_alive = client.shared.config.keep_alive.clone();
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT_MAX));
    let mut kept: Option<Kept> = None;
    let mut next = tokio::time::Instant::now() + exponential(&mut rng, rate);
    while !*stop.borrow() {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = stop.changed() => break,
        }
        next += exponential(&mut rng, rate);
        match &keep_alive {
            Some(k) => {
                kept = client.keep_alive_request(kept.take(), Duration::from_secs_f64(k.idle_timeout_s)).await;
            }
            None => {
                let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
                let client = client.clone();
                tokio::spawn(async move {
                    client.new_connection_request(false).await;
                    drop(permit);
                });
            }
        }
    }
}

fn exponential(rng: &mut ChaCha8Rng, rate: f64) -> Duration {
    let u: f64 = rng.random::<f64>();
    Duration::from_secs_f64(-(1.0 - u).ln() / rate)
}

impl Client {
    /// Resolves through the client's own cache; logs the lookup.
    async fn lookup(&self) -> (Option<Ipv4Addr>, i32) {
        let clock = &self.shared.clock;
        let started = Instant::now();
        let t_us = clock.us(started);
        let result = self.resolver.ipv4_lookup(APP_NAME).await;
        let lat_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let dns_us = i32::try_from(lat_us).unwrap_or(i32::MAX);
        let Ok(lookup) = result else {
            self.shared.logs.push_lookup(LookupRecord {
                t_us,
                client: self.id,
                lat_us,
                fresh: true,
                ttl_s: 0,
                ep: EP_NONE,
            });
            return (None, dns_us);
        };
        let answer = lookup.answers().iter().find_map(|r| match &r.data {
            RData::A(a) => Some((a.0, r.ttl)),
            _ => None,
        });
        let id = u32::from(lookup.message().metadata.id);
        let fresh = self.last_answer_id.swap(id, Ordering::Relaxed) != id;
        let (ip, ttl_s) = match answer {
            Some((ip, ttl)) => (Some(ip), ttl),
            None => (None, 0),
        };
        let ep = ip.map_or(EP_NONE, |ip| self.shared.endpoint_of(ip));
        self.shared.logs.push_lookup(LookupRecord { t_us, client: self.id, lat_us, fresh, ttl_s, ep });
        (ip, dns_us)
    }

    fn log(&self, t_us: u64, ep: u8, outcome: Outcome, started: Instant, dns_us: i32, new_conn: bool) {
        let lat_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.shared.logs.push_request(RequestRecord {
            t_us,
            client: self.id,
            ep,
            outcome: outcome as u8,
            lat_us,
            dns_us,
            new_conn,
        });
    }

    /// Resolve, connect, one request. Returns the connection when it may be kept.
    async fn new_connection_request(&self, keep_alive: bool) -> Option<Kept> {
        let config = &self.shared.config;
        let (ip, dns_us) = self.lookup().await;
        let started = Instant::now();
        let t_us = self.shared.clock.us(started);
        let Some(ip) = ip else {
            self.log(t_us, EP_NONE, Outcome::DnsError, started, dns_us, true);
            return None;
        };
        let ep = self.shared.endpoint_of(ip);
        self.shared.tracker.record(self.id, t_us, ep);
        let addr = SocketAddr::new(IpAddr::V4(ip), HTTP_PORT);
        let connect = tokio::time::timeout(Duration::from_secs_f64(config.connect_timeout_s), TcpStream::connect(addr));
        let mut stream = match connect.await {
            Err(_) => {
                self.log(t_us, ep, Outcome::ConnectTimeout, started, dns_us, true);
                return None;
            }
            Ok(Err(e)) => {
                let outcome = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    Outcome::Refused
                } else {
                    Outcome::ConnectError
                };
                self.log(t_us, ep, outcome, started, dns_us, true);
                return None;
            }
            Ok(Ok(stream)) => stream,
        };
        let _ = stream.set_nodelay(true);
        // Reset instead of TIME_WAIT on close: thousands of short connections a second must
        // not run the namespace out of ports. It changes nothing that is measured.
        let _ = stream.set_zero_linger();
        let (outcome, reusable) = exchange(&mut stream, keep_alive, config.request_timeout_s).await;
        self.log(t_us, ep, outcome, started, dns_us, true);
        (keep_alive && outcome == Outcome::Ok && reusable).then(|| Kept { stream, ep, idle_since: Instant::now() })
    }

    /// One request of a keep-alive client: on its open connection if it has not idled out,
    /// else on a new one.
    async fn keep_alive_request(&self, kept: Option<Kept>, idle_timeout: Duration) -> Option<Kept> {
        let Some(mut kept) = kept.filter(|k| k.idle_since.elapsed() < idle_timeout) else {
            return self.new_connection_request(true).await;
        };
        let started = Instant::now();
        let t_us = self.shared.clock.us(started);
        self.shared.tracker.record(self.id, t_us, kept.ep);
        let (outcome, reusable) = exchange(&mut kept.stream, true, self.shared.config.request_timeout_s).await;
        self.log(t_us, kept.ep, outcome, started, -1, false);
        (outcome == Outcome::Ok && reusable).then(|| {
            kept.idle_since = Instant::now();
            kept
        })
    }
}

/// Writes one GET and reads the response. Returns the outcome and whether the server lets the
/// connection be reused.
async fn exchange(stream: &mut TcpStream, keep_alive: bool, timeout_s: f64) -> (Outcome, bool) {
    let request = format!(
        "GET /app HTTP/1.1\r\nHost: app.test.example\r\nConnection: {}\r\n\r\n",
        if keep_alive { "keep-alive" } else { "close" }
    );
    let work = async {
        if stream.write_all(request.as_bytes()).await.is_err() {
            return (Outcome::Broken, false);
        }
        let mut buf = Vec::with_capacity(256);
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            if buf.len() > RESPONSE_HEAD_MAX {
                return (Outcome::Broken, false);
            }
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return (Outcome::Broken, false),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0);
        let reusable = !head.lines().any(|l| l.starts_with("connection:") && l.contains("close"));
        let mut have = buf.len() - head_end;
        while have < length {
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(n) if n > 0 => have += n,
                _ => return (Outcome::Broken, false),
            }
        }
        let outcome = if status == 200 { Outcome::Ok } else { Outcome::HttpError };
        (outcome, reusable && have == length)
    };
    match tokio::time::timeout(Duration::from_secs_f64(timeout_s), work).await {
        Ok(result) => result,
        Err(_) => (Outcome::RequestTimeout, false),
    }
}
