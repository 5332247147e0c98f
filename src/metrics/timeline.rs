//! The timeline of a traced run: requests and failures per endpoint per bucket, and at each
//! bucket's end the share of clients and of name-server answers on each endpoint and every
//! check's status and share of healthy checkers.
//!
//! Gauges change with observations; a bucket's snapshot is the state after every
//! observation before its end, taken when the first observation at or after its end
//! arrives (or when the run finishes).

use crate::observe::{AnswerSummary, CheckerId, Start};
use crate::report::TimelineRow;
use crate::scenario::config::Config;
use crate::time::{SimTime, to_seconds};

pub struct Timeline {
    from_us: SimTime,
    end_us: SimTime,
    bucket_us: SimTime,
    pub next_boundary_us: SimTime,
    endpoint_count: usize,
    rows: Vec<TimelineRow>,
    filled: usize,
    /// Where each client's latest requests went.
    last_endpoint: Vec<u32>,
    clients_on: Vec<u64>,
    /// The shares of each (name server, question) answer, per first address.
    answer_shares: Vec<Vec<(u32, f64)>>,
    question_count: usize,
    check_healthy: Vec<bool>,
    checkers_healthy: Vec<u32>,
    checker_counts: Vec<u32>,
    checkers: Vec<CheckerId>,
}

impl Timeline {
    pub fn new(config: &Config, start: &Start<'_>) -> Self {
        let endpoint_count = config.endpoints.len();
        let rows = (0..config.timeline_rows())
            .map(|i| TimelineRow {
                start_s: to_seconds(i as u64 * config.timeline_bucket_us),
                requests: vec![0; endpoint_count],
                requests_failed: vec![0; endpoint_count],
                ..TimelineRow::default()
            })
            .collect();
        let last_endpoint = start.client_endpoints.to_vec();
        let mut clients_on = vec![0; endpoint_count];
        for &e in &last_endpoint {
            clients_on[e as usize] += 1;
        }
        let answer_shares: Vec<Vec<(u32, f64)>> =
            (0..config.name_server_count).flat_map(|_| start.answers.iter().map(|a| a.shares.clone())).collect();
        Timeline {
            from_us: config.warmup_us,
            end_us: config.end_us(),
            bucket_us: config.timeline_bucket_us,
            next_boundary_us: config.warmup_us + config.timeline_bucket_us,
            endpoint_count,
            rows,
            filled: 0,
            last_endpoint,
            clients_on,
            answer_shares,
            question_count: config.questions.len(),
            check_healthy: start.check_healthy.to_vec(),
            checkers_healthy: start.checkers_healthy.to_vec(),
            checker_counts: config.health_checks.iter().map(|hc| hc.checker_count()).collect(),
            checkers: start.checkers.to_vec(),
        }
    }

    /// The client's latest requests go to `endpoint` (the share-of-clients gauge).
    pub fn heading(&mut self, client: u32, endpoint: u32) {
        let last = &mut self.last_endpoint[client as usize];
        if *last != endpoint {
            self.clients_on[*last as usize] -= 1;
            self.clients_on[endpoint as usize] += 1;
            *last = endpoint;
        }
    }

    /// One request counted on its own.
    pub fn request(&mut self, at_us: SimTime, client: u32, endpoint: u32, failed: bool) {
        self.heading(client, endpoint);
        if at_us >= self.from_us {
            let row = &mut self.rows[((at_us - self.from_us) / self.bucket_us) as usize];
            row.requests[endpoint as usize] += 1;
            row.requests_failed[endpoint as usize] += u64::from(failed);
        }
    }

    /// Batched requests of one bucket, drawn at the end of the run.
    pub fn bucket_counts(&mut self, row: u32, endpoint: u32, failed: bool, count: u64) {
        let row = &mut self.rows[row as usize];
        row.requests[endpoint as usize] += count;
        if failed {
            row.requests_failed[endpoint as usize] += count;
        }
    }

    pub fn answer_changed(&mut self, name_server: u32, question: u32, answer: &AnswerSummary) {
        let slot = name_server as usize * self.question_count + question as usize;
        self.answer_shares[slot].clone_from(&answer.shares);
    }

    pub fn checker_flipped(&mut self, checker: u32, healthy: bool) {
        let count = &mut self.checkers_healthy[self.checkers[checker as usize].check as usize];
        if healthy {
            *count += 1;
        } else {
            *count -= 1;
        }
    }

    pub fn check_changed(&mut self, check: u32, healthy: bool) {
        self.check_healthy[check as usize] = healthy;
    }

    /// Snapshots the gauges into every bucket that ended at or before `now_us`.
    pub fn advance(&mut self, now_us: SimTime) {
        let clients = self.last_endpoint.len().max(1) as f64;
        let mut name_servers_share = Vec::new();
        while self.filled < self.rows.len() && now_us >= self.next_boundary_us.min(self.end_us) {
            if name_servers_share.is_empty() {
                name_servers_share = self.name_servers_share();
            }
            let row = &mut self.rows[self.filled];
            row.clients_share = self.clients_on.iter().map(|&n| n as f64 / clients).collect();
            row.name_servers_share = name_servers_share.clone();
            row.check_healthy = self.check_healthy.clone();
            row.checkers_healthy_share = self
                .checker_counts
                .iter()
                .zip(&self.checkers_healthy)
                .map(|(&count, &healthy)| if count == 0 { 1.0 } else { f64::from(healthy) / f64::from(count) })
                .collect();
            debug_assert_eq!(row.requests.len(), self.endpoint_count);
            self.filled += 1;
            self.next_boundary_us += self.bucket_us;
        }
    }

    /// The share of name-server answers (over name servers, questions and draws) whose first
    /// address is each endpoint.
    fn name_servers_share(&self) -> Vec<f64> {
        let mut sums = vec![0.0; self.endpoint_count];
        for shares in &self.answer_shares {
            for &(e, share) in shares {
                sums[e as usize] += share;
            }
        }
        let slots = self.answer_shares.len().max(1) as f64;
        sums.into_iter().map(|s| s / slots).collect()
    }

    pub fn finish(mut self) -> Vec<TimelineRow> {
        self.advance(self.end_us);
        self.rows
    }
}
