//! Asks PowerDNS directly (not through Unbound) for the record every few milliseconds and
//! logs every change of its answer, bracketed by the last poll that still saw the old one.
//! The trial driver reads the current answer from here.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::clock::Clock;
use crate::config::APP_NAME;
use crate::dnswire;

/// Poll results kept (round trips) before the oldest are summarised away: a bound on memory.
const RTT_SAMPLES_MAX: usize = 200_000;

/// One change of the authoritative answer.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerChange {
    /// First poll (sent at this time) that saw `answer`.
    pub t_us: u64,
    /// Last poll before it, which still saw the previous answer.
    pub t_prev_us: u64,
    /// Addresses, comma separated; "error: ..." when the poll failed.
    pub answer: String,
}

#[derive(Default)]
pub struct PollLog {
    pub changes: Vec<AnswerChange>,
    pub rtt_us: Vec<u32>,
    pub polls: u64,
    pub errors: u64,
}

pub struct Poller {
    pub log: Arc<Mutex<PollLog>>,
    /// The latest answer (same text as in the log).
    pub current: watch::Receiver<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Poller {
    pub fn start(server: SocketAddr, interval: Duration, clock: Clock) -> Poller {
        let log = Arc::new(Mutex::new(PollLog::default()));
        let (sender, current) = watch::channel(String::new());
        let task = tokio::spawn(poll_loop(server, interval, clock, log.clone(), sender));
        Poller { log, current, task }
    }

    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn answer_text(answer: &dnswire::Answer) -> String {
    let addrs: Vec<String> = answer.a.iter().map(|(ip, _)| ip.to_string()).collect();
    if addrs.is_empty() { format!("rcode {} no A", answer.rcode) } else { addrs.join(",") }
}

async fn poll_loop(
    server: SocketAddr,
    interval: Duration,
    clock: Clock,
    log: Arc<Mutex<PollLog>>,
    sender: watch::Sender<String>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_answer = String::new();
    let mut last_poll_us = 0u64;
    for id in (0u16..=u16::MAX).cycle() {
        ticker.tick().await;
        let sent_us = clock.now_us();
        let result = dnswire::query(server, APP_NAME, dnswire::TYPE_A, false, id, Duration::from_millis(500)).await;
        let rtt_us = clock.now_us() - sent_us;
        let answer = match &result {
            Ok(a) => answer_text(a),
            Err(e) => format!("error: {e}"),
        };
        {
            let mut log = log.lock().expect("poll log lock");
            log.polls += 1;
            if result.is_err() {
                log.errors += 1;
            } else if log.rtt_us.len() < RTT_SAMPLES_MAX {
                log.rtt_us.push(u32::try_from(rtt_us).unwrap_or(u32::MAX));
            }
            if answer != last_answer {
                log.changes.push(AnswerChange { t_us: sent_us, t_prev_us: last_poll_us, answer: answer.clone() });
            }
        }
        if answer != last_answer {
            last_answer = answer.clone();
            let _ = sender.send(answer);
        }
        last_poll_us = sent_us;
    }
}
