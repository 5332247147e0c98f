//! Authoritative name servers and failover records: each name server's view of health,
//! updated after its own propagation delay, and the Route 53 failover rules applied to it
//! (docs/model.md §4).
//!
//! Owns what each name server answers. Updates are applied in the order the status changes
//! happened: an update older than one already applied is dropped. With an answer cache
//! (`dns.answer_cache`, docs/model.md §4.5) a name server keeps serving an answer until
//! the cache entry holding it expires. It also knows which checks the name servers consult
//! (a failover record consults its secondary's check only while its primary is unhealthy),
//! for checks that expire unused (docs/model.md §3.11).

use super::answers::{AnswerTable, Choices, Evaluator};
use crate::observe::{AnswerChange, AnswerSummary, Transition};
use crate::rng::{self, Stream};
use crate::scenario::config::{Config, MemberConfig, MemberValue, Question};
use crate::scenario::values::Dist;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

pub struct NameServers {
    count: usize,
    check_count: usize,
    /// View of each check's health, `[ns * check_count + check]`.
    views: Vec<bool>,
    /// One past the last transition applied, `[ns * check_count + check]` (0: none).
    applied: Vec<u32>,
    /// The choice each name server answers each question with (its *slot*, `[ns *
    /// question_count + question]`).
    answers: Vec<u32>,
    /// The choice its view of health gives now; differs from `answers` while a cache entry
    /// still serves an older one.
    view_answers: Vec<u32>,
    question_count: usize,
    rngs: Vec<Stream>,
    /// Questions whose answer depends on each check.
    questions_of_check: Vec<Vec<u32>>,
    cache: Option<AnswerCache>,
    /// The checks each slot's answer consults now.
    consulted: Vec<Vec<u32>>,
    /// How many slots consult each check.
    users: Vec<u32>,
    table: AnswerTable,
    choices: Choices,
}

/// A change of what a name server answers: the change as observed, and the choices before
/// and after.
#[derive(Clone, Copy, Debug)]
pub struct Changed {
    pub change: AnswerChange,
    pub choice: u32,
    pub previous: u32,
}

/// Answer caches: each slot's entries follow one another (the name server is queried all
/// the time), each kept for one draw of the lifetime.
struct AnswerCache {
    lifetime: Dist,
    /// A fixed lifetime: each slot's entries expire on a grid of this phase.
    phase_us: Vec<SimTime>,
    /// Per slot: when the entry serving an answer older than the view expires, if one does.
    pending_until: Vec<Option<SimTime>>,
    /// Per slot: the transition behind its latest change of view.
    cause: Vec<u32>,
}

/// The choice a view of health gives a question (docs/model.md §4.3), interned, and the
/// checks it consulted to get there, in the order it read them.
fn evaluate(
    config: &Config,
    table: &mut AnswerTable,
    choices: &mut Choices,
    question: Question,
    view: &[bool],
) -> (u32, Vec<u32>) {
    let mut consulted = Vec::new();
    let healthy = |check: u32| {
        if !consulted.contains(&check) {
            consulted.push(check);
        }
        view[check as usize]
    };
    let choice = Evaluator { config, healthy }.choose(table, question.record, question.region);
    (choices.intern(choice, table), consulted)
}

/// Whether a record's health can read the check: its own health check, or the check of a
/// load balancer it aliases evaluating target health.
fn consults(config: &Config, member: &MemberConfig, check: u32) -> bool {
    member.health_check == Some(check)
        || matches!(member.value, MemberValue::LoadBalancer { endpoint, evaluate_target_health: true }
            if config.load_balancer(endpoint).is_some_and(|lb| lb.check == check))
}

impl NameServers {
    pub fn new(config: &Config, run_seed: u64, initial_health: &[bool]) -> Self {
        let count = config.name_server_count as usize;
        let check_count = config.health_checks.len();
        let questions_of_check = (0..check_count as u32)
            .map(|c| {
                (0u32..)
                    .zip(&config.questions)
                    .filter(|(_, q)| {
                        config.records[q.record as usize]
                            .tree
                            .records
                            .iter()
                            .any(|&r| config.records[r as usize].members.iter().any(|m| consults(config, m, c)))
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let mut table = AnswerTable::new(config);
        let mut choices = Choices::default();
        let (initial_answers, consulted): (Vec<u32>, Vec<Vec<u32>>) =
            config.questions.iter().map(|&q| evaluate(config, &mut table, &mut choices, q, initial_health)).unzip();
        let question_count = config.questions.len();
        let mut rngs: Vec<Stream> = (0..count).map(|i| rng::stream(run_seed, &format!("ns/{i}"))).collect();
        let cache = config.answer_cache.as_ref().map(|lifetime| {
            let slots = count * question_count;
            let phase_us = match lifetime {
                Dist::Fixed(l) => (0..slots).map(|slot| rngs[slot / question_count].next_u64() % l).collect(),
                _ => Vec::new(),
            };
            AnswerCache {
                lifetime: lifetime.clone(),
                phase_us,
                pending_until: vec![None; slots],
                cause: vec![0; slots],
            }
        });
        let consulted: Vec<Vec<u32>> = (0..count).flat_map(|_| consulted.iter().cloned()).collect();
        let mut users = vec![0; check_count];
        for &c in consulted.iter().flatten() {
            users[c as usize] += 1;
        }
        NameServers {
            count,
            check_count,
            views: initial_health.repeat(count),
            applied: vec![0; count * check_count],
            answers: initial_answers.repeat(count),
            view_answers: initial_answers.repeat(count),
            question_count,
            rngs,
            questions_of_check,
            cache,
            consulted,
            users,
            table,
            choices,
        }
    }

    /// Whether any name server consults the check now.
    pub fn consults(&self, check: u32) -> bool {
        self.users[check as usize] > 0
    }

    pub fn count(&self) -> u32 {
        self.count as u32
    }

    /// The choice a name server answers a question with.
    pub fn answer(&self, name_server: u32, question: u32) -> u32 {
        self.answers[name_server as usize * self.question_count + question as usize]
    }

    pub fn summary(&self, choice: u32) -> &AnswerSummary {
        self.choices.summary(choice)
    }

    /// The addresses of an answer (an endpoint's number is the answer naming it alone).
    pub fn addresses(&self, answer: u32) -> &[u32] {
        self.table.addresses(answer)
    }

    /// Where a client holding no answer to the choice is counted as heading.
    pub fn first_endpoint(&self, choice: u32) -> u32 {
        self.choices.first_endpoint(choice, &self.table)
    }

    /// One query's answer from a name server: (answer, TTL). Draws from `rng` only when the
    /// answer is drawn query by query.
    #[inline]
    pub fn draw(&mut self, name_server: u32, question: u32, rng: &mut Stream) -> (u32, SimDuration) {
        let choice = self.answer(name_server, question);
        self.choices.draw(choice, &mut self.table, rng)
    }

    /// The choice of every question while every check is healthy.
    pub fn healthy_choices(&mut self, config: &Config) -> Vec<u32> {
        let all = vec![true; self.check_count];
        (config.questions.iter()).map(|&q| evaluate(config, &mut self.table, &mut self.choices, q, &all).0).collect()
    }

    /// The share of a question's queries (over name servers and draws) whose first address
    /// is each endpoint of `endpoints`; the last gets what the others leave.
    pub fn shares(&self, question: u32, endpoints: &[u32]) -> Vec<f64> {
        let mut sums = vec![0.0; endpoints.len()];
        for ns in 0..self.count {
            let summary = self.choices.summary(self.answers[ns * self.question_count + question as usize]);
            for &(e, share) in &summary.shares {
                if let Some(k) = endpoints.iter().position(|&x| x == e) {
                    sums[k] += share;
                }
            }
        }
        let name_servers = self.count as f64;
        let mut shares: Vec<f64> = sums.iter().map(|s| s / name_servers).collect();
        if let Some((last, others)) = shares.split_last_mut() {
            *last = 1.0 - others.iter().sum::<f64>();
        }
        shares
    }

    /// When a status change reaches each name server: (name server, arrival time).
    pub fn propagate<'a>(
        &'a mut self,
        config: &'a Config,
        now_us: SimTime,
    ) -> impl Iterator<Item = (u32, SimTime)> + 'a {
        let delay = &config.propagation_delay;
        self.rngs.iter_mut().enumerate().map(move |(ns, rng)| (ns as u32, now_us + delay.sample(rng)))
    }

    /// A status change reaches a name server: its view takes it, unless it is older than one
    /// already applied (then false). Call `recompute` for the check's questions next.
    pub fn apply(&mut self, name_server: u32, id: u32, transition: Transition) -> bool {
        let check_slot = name_server as usize * self.check_count + transition.check as usize;
        if self.applied[check_slot] > id {
            return false;
        }
        self.applied[check_slot] = id + 1;
        self.views[check_slot] = transition.healthy;
        true
    }

    /// The checks that the answers of `check`'s questions on this name server would consult
    /// with its view now and that no name server consults yet: a check that expires unused
    /// must be registered anew before its answers are computed.
    pub fn newly_consulted(&mut self, config: &Config, name_server: u32, check: u32) -> Vec<u32> {
        let ns = name_server as usize;
        let view = &self.views[ns * self.check_count..(ns + 1) * self.check_count];
        let mut out = Vec::new();
        for &question in &self.questions_of_check[check as usize] {
            let q = config.questions[question as usize];
            let (_, consulted) = evaluate(config, &mut self.table, &mut self.choices, q, view);
            for c in consulted {
                if self.users[c as usize] == 0 && !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Recomputes the answers of the questions of `checks` on one name server, after the
    /// changes of its view (`cause` the transition behind them). Answers that change go to
    /// `changes`, answer-cache expiries to wait for (slot, time) to `expiries`, and checks
    /// that no name server consults any more to `unused`.
    #[allow(clippy::too_many_arguments)]
    pub fn recompute(
        &mut self,
        config: &Config,
        now_us: SimTime,
        name_server: u32,
        checks: &[u32],
        cause: u32,
        changes: &mut Vec<Changed>,
        expiries: &mut Vec<(u32, SimTime)>,
        unused: &mut Vec<u32>,
    ) {
        let ns = name_server as usize;
        let mut questions: Vec<u32> =
            checks.iter().flat_map(|&c| self.questions_of_check[c as usize].iter().copied()).collect();
        questions.sort_unstable();
        questions.dedup();
        for question in questions {
            let view = &self.views[ns * self.check_count..(ns + 1) * self.check_count];
            let q = config.questions[question as usize];
            let (choice, now_consulted) = evaluate(config, &mut self.table, &mut self.choices, q, view);
            let slot = ns * self.question_count + question as usize;
            self.track_use(slot, now_consulted, unused);
            self.view_answers[slot] = choice;
            match &mut self.cache {
                None => self.serve(now_us, slot, cause, changes),
                Some(cache) => {
                    cache.cause[slot] = cause;
                    if self.answers[slot] != choice && cache.pending_until[slot].is_none() {
                        let until_us = cache.expiry_after(slot, now_us, &mut self.rngs[ns]);
                        cache.pending_until[slot] = Some(until_us);
                        expiries.push((slot as u32, until_us));
                    }
                }
            }
        }
    }

    /// A slot now consults `now_consulted`: counts the checks' users, noting checks left
    /// unused.
    fn track_use(&mut self, slot: usize, now_consulted: Vec<u32>, unused: &mut Vec<u32>) {
        let before = std::mem::replace(&mut self.consulted[slot], now_consulted);
        for &c in &before {
            self.users[c as usize] -= 1;
        }
        for &c in &self.consulted[slot] {
            self.users[c as usize] += 1;
        }
        for c in before {
            if self.users[c as usize] == 0 && !unused.contains(&c) {
                unused.push(c);
            }
        }
    }

    /// The cache entry of `slot` expired: the answer its view gives is served from now on.
    pub fn on_cache_expiry(&mut self, now_us: SimTime, slot: u32, changes: &mut Vec<Changed>) {
        let cache = self.cache.as_mut().expect("only answer caches expire");
        cache.pending_until[slot as usize] = None;
        let cause = cache.cause[slot as usize];
        self.serve(now_us, slot as usize, cause, changes);
    }

    /// Serves the view's answer for a slot, noting a change.
    fn serve(&mut self, now_us: SimTime, slot: usize, transition: u32, changes: &mut Vec<Changed>) {
        let choice = self.view_answers[slot];
        let answer = &mut self.answers[slot];
        if *answer != choice {
            let previous = std::mem::replace(answer, choice);
            let change = AnswerChange {
                at_us: now_us,
                name_server: (slot / self.question_count) as u32,
                question: (slot % self.question_count) as u32,
                transition,
            };
            changes.push(Changed { change, choice, previous });
        }
    }
}

/// Answers given before any fault, for the steady start of resolver entries, client caches
/// and connections: what name server 0 answers (every name server answers alike at the
/// start), drawn from a stream of their own when answers are drawn query by query.
pub struct StartAnswers<'n> {
    name_servers: &'n mut NameServers,
    rng: Stream,
}

impl<'n> StartAnswers<'n> {
    pub fn new(name_servers: &'n mut NameServers, run_seed: u64) -> Self {
        StartAnswers { name_servers, rng: rng::stream(run_seed, "start/answers") }
    }

    /// An answer to the question, and its TTL.
    pub fn answer(&mut self, question: u32) -> (u32, SimDuration) {
        self.name_servers.draw(0, question, &mut self.rng)
    }

    /// The address of an answer a new connection goes to: the first, or one at random.
    pub fn address(&mut self, answer: u32, random: bool) -> u32 {
        let addresses = self.name_servers.addresses(answer);
        if random { addresses[(self.rng.next_u64() % addresses.len() as u64) as usize] } else { addresses[0] }
    }
}

impl AnswerCache {
    /// When the entry a slot is serving at `now_us` expires: on its grid for a fixed
    /// lifetime, else after a draw of the stationary remaining lifetime.
    fn expiry_after(&self, slot: usize, now_us: SimTime, rng: &mut Stream) -> SimTime {
        match self.lifetime {
            Dist::Fixed(l) => {
                let phase_us = self.phase_us[slot];
                if now_us < phase_us { phase_us } else { phase_us + ((now_us - phase_us) / l + 1) * l }
            }
            _ => now_us + self.lifetime.stationary_remaining(rng).max(1),
        }
    }
}
