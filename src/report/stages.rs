//! Where a group's failover time went, as the renderers say it (docs/model.md §7.2.7): each
//! stage's mean over runs and its share of the wait, and one sentence when a stage makes
//! up most of it. Pure; shared by the text summary and report.html.

use super::summary::{Figures, escape};
use super::{FailoverStages, Report};

/// A stage makes up "most of the wait" from this share on.
const DOMINANT_SHARE: f64 = 0.5;

/// One group's stages in an episode: (field name, label, mean seconds), in order.
pub struct GroupStages {
    pub group: String,
    pub stages: Vec<(&'static str, &'static str, f64)>,
}

impl GroupStages {
    /// The mean failover time the stages add up to.
    pub fn total_s(&self) -> f64 {
        self.stages.iter().map(|s| s.2).sum()
    }

    /// Each stage's share of the wait (0 when there was none).
    pub fn share(&self, mean_s: f64) -> f64 {
        let total = self.total_s();
        if total > 0.0 { mean_s / total } else { 0.0 }
    }

    /// "java: 58 % of the wait is …" when one stage makes up at least half of it.
    pub fn dominant(&self, endpoint: &str) -> Option<String> {
        let &(name, _, mean_s) = self.stages.iter().max_by(|a, b| a.2.total_cmp(&b.2))?;
        let share = self.share(mean_s);
        if share < DOMINANT_SHARE {
            return None;
        }
        let what = match name {
            "detection" => format!("for the health check to detect the fault on {endpoint}"),
            "name_servers" => format!("for the name servers to stop answering {endpoint} once it was detected"),
            "resolver_cached" => format!("its resolvers' caches still serving {endpoint}, cached before the fault"),
            "resolver_refilled" => format!("its resolvers' caches refilled with {endpoint} after the fault began"),
            "own_cache" => format!("its own DNS cache still holding {endpoint}"),
            "connection" => format!("its pooled connections to {endpoint} staying open"),
            _ => format!("for its next request: no DNS answer, cache or connection held it at {endpoint}"),
        };
        Some(format!("{}: {:.0} % of the wait is {what}.", self.group, 100.0 * share))
    }
}

/// The stages of each group of episode `k` that had clients fail over in some run, with
/// means over the runs where it did.
pub fn of_episode(report: &Report, fig: &Figures, k: usize) -> Vec<GroupStages> {
    let Some(e) = report.run_results.iter().find_map(|r| r.episodes.get(k)) else { return Vec::new() };
    e.groups
        .keys()
        .filter_map(|g| {
            let mean = |stage: &str| {
                fig.row(&format!("/episodes/{k}/groups/{}/stages/{stage}/mean_s", escape(g))).and_then(|r| r.mean)
            };
            let labels = FailoverStages::default().each().map(|(name, label, _)| (name, label));
            let stages: Option<Vec<_>> =
                labels.into_iter().map(|(name, label)| mean(name).map(|m| (name, label, m))).collect();
            stages.map(|stages| GroupStages { group: g.clone(), stages })
        })
        .collect()
}
