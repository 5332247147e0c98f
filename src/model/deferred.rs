//! Counts drawn at the end of a run: requests counted in bulk that no episode follows (their
//! group totals), and, in traced runs, the timeline's counts of every batch per bucket
//! (docs/model.md §8.2, §8.5).
//!
//! Both are sums of independent Poisson counts, so only their expectations are added up
//! during the run — O(1) per batch however long — and one count per cell is drawn at the
//! end, each from its own stream.

use crate::observe::{Observation, Observer, Queries};
use crate::rng;
use crate::scenario::config::Config;
use crate::time::SimTime;

pub struct Deferred {
    /// Expected requests per `[group][queries][failed]`.
    totals: Vec<[[f64; 2]; 3]>,
    /// Present in traced runs.
    buckets: Option<Buckets>,
}

/// Expected requests per timeline bucket and endpoint, for successes and failures: partial
/// amounts at a batch's first and last bucket, and rate steps for the buckets between.
struct Buckets {
    from_us: SimTime,
    bucket_us: SimTime,
    row_count: usize,
    endpoint_count: usize,
    partial: [Vec<f64>; 2],
    rate_steps: [Vec<f64>; 2],
}

impl Deferred {
    pub fn new(config: &Config, trace: bool) -> Self {
        let buckets = trace.then(|| {
            let row_count = config.timeline_rows();
            let endpoint_count = config.endpoints.len();
            let cells = row_count * endpoint_count;
            Buckets {
                from_us: config.warmup_us,
                bucket_us: config.timeline_bucket_us,
                row_count,
                endpoint_count,
                partial: [vec![0.0; cells], vec![0.0; cells]],
                rate_steps: [vec![0.0; cells + endpoint_count], vec![0.0; cells + endpoint_count]],
            }
        });
        Deferred { totals: vec![[[0.0; 2]; 3]; config.groups.len()], buckets }
    }

    /// A batch over [from, to) whose count is drawn with its group's totals at the end.
    pub fn defer(&mut self, group: u16, queries: Queries, from_us: SimTime, to_us: SimTime, rate: f64, failure: f64) {
        let expected = rate * (to_us - from_us) as f64;
        let cell = &mut self.totals[group as usize][queries as usize];
        cell[0] += expected * (1.0 - failure);
        cell[1] += expected * failure;
    }

    /// A batch over [from, to) at `rate` requests per µs, a share `failure` of them failing,
    /// to `endpoint`: its expected counts per timeline bucket (traced runs, after the
    /// warm-up).
    #[inline]
    pub fn bucket(&mut self, endpoint: u32, from_us: SimTime, to_us: SimTime, rate: f64, failure: f64) {
        let Some(t) = &mut self.buckets else { return };
        if from_us < t.from_us || to_us <= from_us || rate <= 0.0 {
            return;
        }
        let n = t.endpoint_count;
        let e = endpoint as usize;
        let (a, z) = (from_us - t.from_us, to_us - t.from_us);
        let (first, last) = ((a / t.bucket_us) as usize, ((z - 1) / t.bucket_us) as usize);
        for (k, r) in [(0, rate * (1.0 - failure)), (1, rate * failure)] {
            if r <= 0.0 {
                continue;
            }
            if first == last {
                t.partial[k][first * n + e] += r * (z - a) as f64;
            } else {
                t.partial[k][first * n + e] += r * ((first as u64 + 1) * t.bucket_us - a) as f64;
                t.partial[k][last * n + e] += r * (z - last as u64 * t.bucket_us) as f64;
                t.rate_steps[k][(first + 1) * n + e] += r;
                t.rate_steps[k][last * n + e] -= r;
            }
        }
    }

    /// Draws every count and hands it to the observer: the timeline's per bucket (stream
    /// "timeline"), then the groups' totals (stream "deferred").
    pub fn draw(self, run_seed: u64, observer: &mut impl Observer) {
        if let Some(t) = &self.buckets {
            let mut stream = rng::stream(run_seed, "timeline");
            let n = t.endpoint_count;
            for (k, failed) in [(0, false), (1, true)] {
                let mut rate = vec![0.0; n];
                for row in 0..t.row_count {
                    for (e, rate) in rate.iter_mut().enumerate() {
                        *rate += t.rate_steps[k][row * n + e];
                        let expected = t.partial[k][row * n + e] + *rate * t.bucket_us as f64;
                        if expected > 1e-12 {
                            let count = rng::poisson(&mut stream, expected);
                            observer.observe(Observation::BucketCounts {
                                row: row as u32,
                                endpoint: e as u32,
                                failed,
                                count,
                            });
                        }
                    }
                }
            }
        }
        let mut stream = rng::stream(run_seed, "deferred");
        for (g, cells) in self.totals.iter().enumerate() {
            for (q, queries) in [Queries::None, Queries::Resolver, Queries::NameServer].into_iter().enumerate() {
                for (failed, &expected) in cells[q].iter().enumerate() {
                    if expected > 0.0 {
                        let count = rng::poisson(&mut stream, expected);
                        observer.observe(Observation::DeferredCounts {
                            group: g as u16,
                            queries,
                            failed: failed == 1,
                            count,
                        });
                    }
                }
            }
        }
    }
}
