//! Failback of each episode's clients (docs/model.md §7.2.8): after the fault ends, when each
//! client that had failed over is back on the episode's endpoint, which never are, and the
//! requests they send elsewhere meanwhile.
//!
//! When an episode ends, `episodes.rs` hands over the clients that failed over; each is
//! *away* until its first request to the endpoint at or after the end. Its window closes at
//! the end of the run, or when another fault of the endpoint starts (a client not back by
//! then is "away at the next fault"). Requests, drawn batches and deferred spans (whose
//! counts are not drawn: the span says where the client's requests went) bring a client
//! back; the first observation past its window's close shuts it out. A window's per-client
//! state is dropped as soon as none of its clients is away, so the work is proportional to
//! the observations of clients still away, never to every client per observation.

use crate::observe::{AnswerSummary, Episode};
use crate::report::{Failback, FailoverStats};
use crate::scenario::config::Config;
use crate::time::{SimTime, to_seconds};

/// Per-client state of a window: not failed over, away, shut out when the window closed, or
/// the time back in microseconds from the episode's end.
const NOT_FAILED_OVER: u64 = u64::MAX;
const AWAY: u64 = u64::MAX - 1;
const SHUT_OUT: u64 = u64::MAX - 2;

/// The failback of one ended episode.
struct Window {
    endpoint: u32,
    end_us: SimTime,
    /// When the window closes: the next instant a fault of the endpoint covers, or the end of
    /// the run.
    until_us: SimTime,
    /// The groups it follows, in group order, and the first slot of each one's clients.
    groups: Vec<(u32, u32)>,
    state: Vec<u64>,
    /// Clients still away, in all and per group (as `groups`): a group none of whose
    /// clients is away stops being followed.
    away: u64,
    away_in_group: Vec<u64>,
    /// Microseconds away after the end, summed over each group's clients settled so far.
    away_us: Vec<u128>,
}

/// A window following a group: its episode and the first slot of the group's clients.
#[derive(Clone, Copy, Debug)]
struct Following {
    episode: u32,
    base: u32,
    /// The group's place in its window's `groups`.
    k: u32,
}

/// An episode's failback, overall and per group followed (in group order).
pub type Figures = (Failback, Vec<(u32, Failback)>);

#[derive(Default)]
pub struct Failbacks {
    /// Per episode: its window while some client is away.
    windows: Vec<Option<Window>>,
    /// Per episode: its figures once its window has settled.
    settled: Vec<Option<Figures>>,
    /// Per episode: when its window closes (`until_us`).
    until_us: Vec<SimTime>,
    /// Windows with clients away that follow each group.
    group_open: Vec<Vec<Following>>,
    /// Per endpoint, the groups an episode on it follows (`Config::groups_reaching_each`)
    /// whose question is answered with it while every check is healthy: the clients that
    /// have a primary to come back to.
    reaching: Vec<Vec<u32>>,
    group_start: Vec<u32>,
}

impl Failbacks {
    pub fn new(config: &Config, episodes: &[Episode], group_start: &[u32], healthy_answers: &[AnswerSummary]) -> Self {
        let mut reaching = config.groups_reaching_each();
        for (endpoint, groups) in (0u32..).zip(&mut reaching) {
            groups.retain(|&g| healthy_answers[config.groups[g as usize].question as usize].names(endpoint));
        }
        Failbacks {
            windows: (0..episodes.len()).map(|_| None).collect(),
            settled: vec![None; episodes.len()],
            until_us: windows_close(episodes, config.end_us()),
            group_open: vec![Vec::new(); config.groups.len()],
            reaching,
            group_start: group_start.to_vec(),
        }
    }

    /// An episode ended; `failed_over` lists its clients that had failed over, as (group,
    /// index in group), in group and client order.
    pub fn open(&mut self, config: &Config, id: u32, episode: &Episode, failed_over: &[(u32, u32)]) {
        let reaching = &self.reaching[episode.endpoint as usize];
        if reaching.is_empty() {
            // No group's answer names the endpoint while all is well: nothing to come back to.
            return;
        }
        let mut groups = Vec::with_capacity(reaching.len());
        let mut slots = 0u32;
        for &g in reaching {
            groups.push((g, slots));
            slots += config.groups[g as usize].count;
        }
        let until_us = self.until_us[id as usize];
        // No time between the end and the next fault: every client is shut out at once.
        let initial = if until_us > episode.end_us { AWAY } else { SHUT_OUT };
        let mut state = vec![NOT_FAILED_OVER; slots as usize];
        let mut away = 0;
        let mut away_in_group = vec![0; groups.len()];
        for &(g, i) in failed_over {
            let k = groups.partition_point(|&(h, _)| h < g);
            if groups.get(k).is_none_or(|&(h, _)| h != g) {
                continue;
            }
            state[(groups[k].1 + i) as usize] = initial;
            away += u64::from(initial == AWAY);
            away_in_group[k] += u64::from(initial == AWAY);
        }
        let window = Window {
            endpoint: episode.endpoint,
            end_us: episode.end_us,
            until_us,
            away_us: vec![0; groups.len()],
            groups,
            state,
            away,
            away_in_group,
        };
        if away == 0 {
            self.settled[id as usize] = Some(window.figures(config));
            return;
        }
        for (k, &(g, base)) in (0u32..).zip(&window.groups) {
            if window.away_in_group[k as usize] > 0 {
                self.group_open[g as usize].push(Following { episode: id, base, k });
            }
        }
        self.windows[id as usize] = Some(window);
    }

    /// Whether a window with clients away follows the group: the only case in which `saw`
    /// has anything to do (checked first, inline, so that other observations cost a load).
    #[inline(always)]
    pub fn follows(&self, group: u16) -> bool {
        !self.group_open[group as usize].is_empty()
    }

    /// A client's requests went to `endpoint` from `at_us` on (a request, or a span's
    /// expected first request).
    #[inline(never)]
    pub fn saw(&mut self, config: &Config, client: u32, group: u16, endpoint: u32, at_us: SimTime) {
        let g = group as usize;
        let index_in_group = client - self.group_start[g];
        let mut settled = false;
        let mut group_done = false;
        for f in &self.group_open[g] {
            let window = self.windows[f.episode as usize].as_mut().expect("open failbacks have windows");
            let slot = (f.base + index_in_group) as usize;
            if window.state[slot] != AWAY || at_us < window.end_us {
                continue;
            }
            let (state, until_us) = if at_us >= window.until_us {
                (SHUT_OUT, window.until_us)
            } else if endpoint == window.endpoint {
                (at_us - window.end_us, at_us)
            } else {
                continue;
            };
            window.state[slot] = state;
            window.away_us[f.k as usize] += u128::from(until_us - window.end_us);
            window.away -= 1;
            window.away_in_group[f.k as usize] -= 1;
            settled |= window.away == 0;
            group_done |= window.away_in_group[f.k as usize] == 0;
        }
        if settled {
            self.settle_finished(config, g);
        }
        if group_done {
            self.drop_done(g);
        }
    }

    /// Stops following group `g` in the windows where none of its clients is away any more
    /// (their other groups may still be).
    #[cold]
    fn drop_done(&mut self, g: usize) {
        let windows = &self.windows;
        self.group_open[g]
            .retain(|f| windows[f.episode as usize].as_ref().is_some_and(|w| w.away_in_group[f.k as usize] > 0));
    }

    /// Closes the windows following group `g` that have no client away left.
    #[cold]
    fn settle_finished(&mut self, config: &Config, g: usize) {
        let ids: Vec<u32> = self.group_open[g]
            .iter()
            .map(|f| f.episode)
            .filter(|&e| self.windows[e as usize].as_ref().is_some_and(|w| w.away == 0))
            .collect();
        for id in ids {
            self.settle(config, id);
        }
    }

    fn settle(&mut self, config: &Config, id: u32) {
        let window = self.windows[id as usize].take().expect("a window settles once");
        for &(g, _) in &window.groups {
            self.group_open[g as usize].retain(|f| f.episode != id);
        }
        self.settled[id as usize] = Some(window.figures(config));
    }

    /// Every episode's failback, in episode order: None for the episodes that never ended.
    /// Clients still away are shut out when their window closes.
    pub fn finish(mut self, config: &Config) -> Vec<Option<Figures>> {
        for id in 0..self.windows.len() as u32 {
            if let Some(window) = &mut self.windows[id as usize] {
                for k in 0..window.groups.len() {
                    let (_, base) = window.groups[k];
                    let end = window.groups.get(k + 1).map_or(window.state.len(), |&(_, next)| next as usize);
                    for state in &mut window.state[base as usize..end] {
                        if *state == AWAY {
                            *state = SHUT_OUT;
                            window.away_us[k] += u128::from(window.until_us - window.end_us);
                        }
                    }
                }
                window.away = 0;
                self.settle(config, id);
            }
        }
        self.settled
    }
}

impl Window {
    fn figures(&self, config: &Config) -> Figures {
        let at_end = self.until_us >= config.end_us();
        let mut all = Vec::new();
        let mut total_expected = 0.0;
        let mut groups = Vec::with_capacity(self.groups.len());
        for (k, &(g, base)) in self.groups.iter().enumerate() {
            let end = self.groups.get(k + 1).map_or(self.state.len(), |&(_, next)| next as usize);
            let mut times: Vec<u64> =
                self.state[base as usize..end].iter().copied().filter(|&s| s != NOT_FAILED_OVER).collect();
            let expected = to_seconds_u128(self.away_us[k]) * config.groups[g as usize].requests_per_s;
            total_expected += expected;
            groups.push((g, summary(&mut times, at_end, expected)));
            all.extend(times);
        }
        (summary(&mut all, at_end, total_expected), groups)
    }
}

fn to_seconds_u128(us: u128) -> f64 {
    us as f64 / 1e6
}

/// The figures of clients that failed over: `times` holds each one's time back, or SHUT_OUT.
/// Percentiles are nearest-rank, ranking the clients not back last.
fn summary(times: &mut [u64], at_end: bool, expected: f64) -> Failback {
    times.sort_unstable();
    let back: Vec<u64> = times.iter().copied().filter(|&t| t < SHUT_OUT).collect();
    let away = (times.len() - back.len()) as u64;
    let rank = |p: f64| -> Option<f64> {
        if times.is_empty() {
            return None;
        }
        let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        (times[index] < SHUT_OUT).then(|| to_seconds(times[index]))
    };
    Failback {
        clients_failed_over: times.len() as u64,
        back_s: FailoverStats {
            count: back.len() as u64,
            mean: (!back.is_empty()).then(|| to_seconds(back.iter().sum::<u64>()) / back.len() as f64),
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: rank(1.0),
        },
        clients_away_at_end: if at_end { away } else { 0 },
        clients_away_at_next_fault: if at_end { 0 } else { away },
        requests_elsewhere_expected: expected,
    }
}

/// When each episode's failback window closes: the first instant at or after its end at
/// which another episode covers its endpoint (the end itself if one already does), else the
/// end of the run.
fn windows_close(episodes: &[Episode], run_end_us: SimTime) -> Vec<SimTime> {
    let mut by_endpoint: std::collections::BTreeMap<u32, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, e) in episodes.iter().enumerate() {
        by_endpoint.entry(e.endpoint).or_default().push(i);
    }
    let mut until = vec![run_end_us; episodes.len()];
    for list in by_endpoint.values() {
        // Episodes are numbered in start order; `list` keeps it. Prefix maxima of the ends
        // (the largest two, with their positions) tell whether another episode that started
        // by an end still runs past it.
        let starts: Vec<SimTime> = list.iter().map(|&i| episodes[i].start_us).collect();
        let mut top: Vec<[(SimTime, usize); 2]> = Vec::with_capacity(list.len());
        let mut best = [(0, usize::MAX); 2];
        for (p, &i) in list.iter().enumerate() {
            let end = episodes[i].end_us;
            if end > best[0].0 || best[0].1 == usize::MAX {
                best = [(end, p), best[0]];
            } else if end > best[1].0 || best[1].1 == usize::MAX {
                best[1] = (end, p);
            }
            top.push(best);
        }
        for (p, &i) in list.iter().enumerate() {
            let end_us = episodes[i].end_us;
            let started = starts.partition_point(|&s| s <= end_us);
            let covered = started > 0 && {
                let [first, second] = top[started - 1];
                let other = if first.1 == p { second } else { first };
                other.1 != usize::MAX && other.0 > end_us
            };
            until[i] = if covered { end_us } else { starts.get(started).map_or(run_end_us, |&s| s.min(run_end_us)) };
        }
    }
    until
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::FaultKind;

    fn episode(endpoint: u32, start_us: u64, end_us: u64) -> Episode {
        Episode { endpoint, fault: 0, occurrence: 0, kind: FaultKind::Outage, start_us, end_us }
    }

    #[test]
    fn a_window_closes_at_the_next_fault_of_its_endpoint_or_the_run_end() {
        let episodes = [
            episode(0, 10, 20),
            episode(1, 12, 30),
            episode(0, 25, 40),
            // Overlapping: starts inside the previous one and outlasts it.
            episode(0, 35, 50),
            episode(0, 50, 60),
        ];
        assert_eq!(windows_close(&episodes, 100), vec![25, 100, 40, 50, 100]);
        // An episode inside a longer one has nothing after its end.
        let nested = [episode(0, 10, 50), episode(0, 20, 30)];
        assert_eq!(windows_close(&nested, 100), vec![100, 30]);
    }

    #[test]
    fn percentiles_rank_clients_not_back_last() {
        let mut times = vec![3_000_000, SHUT_OUT, 1_000_000];
        let f = summary(&mut times, true, 2.5);
        assert_eq!((f.clients_failed_over, f.back_s.count, f.clients_away_at_end), (3, 2, 1));
        assert_eq!((f.back_s.p50, f.back_s.max, f.back_s.mean), (Some(3.0), None, Some(2.0)));
        assert_eq!(f.clients_away_at_next_fault, 0);
        let f = summary(&mut [SHUT_OUT], false, 0.0);
        assert_eq!((f.clients_away_at_end, f.clients_away_at_next_fault, f.back_s.p50), (0, 1, None));
    }
}
