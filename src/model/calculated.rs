//! Calculated health checks (docs/model.md §3.12): each holds its own view of its
//! children's reported statuses, which a child's status change reaches after a draw of the
//! parent's `update_delay`, and is healthy iff at least `health_threshold` of them are.
//!
//! Owns those views and the delays; not the children's statuses (health.rs, cloudwatch.rs)
//! nor what name servers do with the parent's changes (dns.rs). A view applies a child's
//! changes in the order they happened: an update older than one already applied is
//! dropped, as name servers do.

use super::health::CheckState;
use crate::observe::Transition;
use crate::rng::{self, Stream};
use crate::scenario::config::{CalculatedConfig, CheckKind, Config, HealthCheckConfig};
use crate::time::SimTime;

/// A calculated check's view of its children.
struct View {
    /// The status each child last reported to it, in `children` order.
    healthy: Vec<bool>,
    /// One past the number of the child's latest change applied (0: none).
    applied: Vec<u32>,
    healthy_count: u32,
    rng: Stream,
}

pub struct Calculated {
    /// (parent, position of the child among the parent's children) of every link; an
    /// update event names its link.
    links: Vec<(u32, u32)>,
    /// The links of each check as a child.
    links_of_child: Vec<Vec<u32>>,
    /// The view of each calculated check (None for the others).
    views: Vec<Option<View>>,
}

fn calculated(hc: &HealthCheckConfig) -> &CalculatedConfig {
    match &hc.kind {
        CheckKind::Calculated(c) => c,
        _ => panic!("{} is not a calculated check", hc.id),
    }
}

/// The status a calculated check reports with `healthy_count` healthy children: disabled
/// wins, then `inverted` flips the threshold rule.
fn status(hc: &HealthCheckConfig, healthy_count: u32) -> bool {
    hc.disabled || ((healthy_count >= calculated(hc).health_threshold) != hc.inverted)
}

impl Calculated {
    /// Every calculated check's view, from its children's initial statuses (a disabled
    /// child reports healthy), and its initial status written into `checks`. Children are
    /// never calculated, so their statuses in `checks` are already their initial ones.
    pub fn new(config: &Config, run_seed: u64, checks: &mut [CheckState]) -> Self {
        let n = config.health_checks.len();
        let mut links = Vec::new();
        let mut links_of_child = vec![Vec::new(); n];
        let mut views = Vec::with_capacity(n);
        for (c, hc) in config.health_checks.iter().enumerate() {
            let CheckKind::Calculated(calc) = &hc.kind else {
                views.push(None);
                continue;
            };
            for (slot, &child) in calc.children.iter().enumerate() {
                links_of_child[child as usize].push(links.len() as u32);
                links.push((c as u32, slot as u32));
            }
            let healthy: Vec<bool> = calc.children.iter().map(|&child| checks[child as usize].healthy).collect();
            let healthy_count = healthy.iter().filter(|&&h| h).count() as u32;
            checks[c].healthy = status(hc, healthy_count);
            let applied = vec![0; healthy.len()];
            let rng = rng::stream(run_seed, &format!("calculated/{}", hc.id));
            views.push(Some(View { healthy, applied, healthy_count, rng }));
        }
        Calculated { links, links_of_child, views }
    }

    /// Links, for the queue bound: each change of a child sends one update per link.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// A child's status changed at `now_us`: when the change reaches each parent that can
    /// change, as (link, arrival time), one draw of the parent's `update_delay` each.
    pub fn updates(&mut self, config: &Config, child: u32, now_us: SimTime) -> Vec<(u32, SimTime)> {
        let mut out = Vec::new();
        for &link in &self.links_of_child[child as usize] {
            let parent = self.links[link as usize].0 as usize;
            let hc = &config.health_checks[parent];
            if hc.disabled {
                continue;
            }
            let view = self.views[parent].as_mut().expect("a link's parent is calculated");
            out.push((link, now_us + calculated(hc).update_delay.sample(&mut view.rng)));
        }
        out
    }

    /// The calculated check a link leads to.
    pub fn parent(&self, link: u32) -> u32 {
        self.links[link as usize].0
    }

    /// A child's change (number `id`) reaches its parent over `link`, whose reported status
    /// is `parent_healthy`. Returns the parent's new status when it changes; an update older
    /// than one already applied changes nothing.
    pub fn on_update(
        &mut self,
        config: &Config,
        link: u32,
        id: u32,
        change: Transition,
        parent_healthy: bool,
    ) -> Option<bool> {
        let (parent, slot) = self.links[link as usize];
        let view = self.views[parent as usize].as_mut().expect("a link's parent is calculated");
        let slot = slot as usize;
        if view.applied[slot] > id {
            return None;
        }
        view.applied[slot] = id + 1;
        if view.healthy[slot] != change.healthy {
            view.healthy[slot] = change.healthy;
            if change.healthy {
                view.healthy_count += 1;
            } else {
                view.healthy_count -= 1;
            }
        }
        let healthy = status(&config.health_checks[parent as usize], view.healthy_count);
        (healthy != parent_healthy).then_some(healthy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::config::{build, parse};
    use std::path::Path;

    /// Three tcp children and one calculated parent over them with threshold `h`.
    fn config(h: u32, extra: &str) -> Config {
        let text = format!(
            r#"{{ "name": "t", "duration": "1h",
            "endpoints": {{ "a": {{}}, "b": {{}}, "c": {{}} }},
            "health_checks": {{
                "a": {{ "endpoint": "a", "type": "tcp" }}, "b": {{ "endpoint": "b", "type": "tcp" }},
                "c": {{ "endpoint": "c", "type": "tcp" {extra} }},
                "p": {{ "type": "calculated", "children": ["a", "b", "c"], "health_threshold": {h} }} }},
            "dns": {{ "records": {{ "r": {{ "ttl": "60s", "failover": {{ "primary": {{ "endpoint": "a", "health_check": "p" }},
                                                                   "secondary": {{ "endpoint": "b" }} }} }} }} }} }}"#
        );
        let (scenario, _) = parse(Path::new("t.json"), &text).unwrap();
        build(&scenario, Path::new("t.json")).unwrap()
    }

    fn states(config: &Config) -> Vec<CheckState> {
        crate::model::health::Health::new(config, 1).checks
    }

    fn change(at_us: SimTime, check: u32, healthy: bool) -> Transition {
        Transition { at_us, check, healthy }
    }

    #[test]
    fn the_threshold_counts_healthy_children_and_an_older_update_never_overwrites_a_newer_one() {
        let config = config(2, "");
        let mut checks = states(&config);
        let mut calc = Calculated::new(&config, 1, &mut checks);
        let parent = 3;
        assert!(checks[parent].healthy);
        // Links in order: (p, a), (p, b), (p, c). Child a goes down: 2 of 3 still healthy.
        assert_eq!(calc.on_update(&config, 0, 0, change(10, 0, false), true), None);
        // Child b's change 2 (down) arrives, then its older change 1 (up), which is dropped.
        assert_eq!(calc.on_update(&config, 1, 2, change(30, 1, false), true), Some(false));
        assert_eq!(calc.on_update(&config, 1, 1, change(20, 1, true), false), None);
        // a recovers: 2 of 3 again.
        assert_eq!(calc.on_update(&config, 0, 3, change(40, 0, true), false), Some(true));
    }

    #[test]
    fn thresholds_of_zero_and_above_the_children_fix_the_status_and_a_disabled_child_counts_healthy() {
        let mut checks = states(&config(0, ""));
        Calculated::new(&config(0, ""), 1, &mut checks);
        assert!(checks[3].healthy, "0: always healthy");
        let mut checks = states(&config(4, ""));
        Calculated::new(&config(4, ""), 1, &mut checks);
        assert!(!checks[3].healthy, "more than the children: always unhealthy");
        // An inverted child starts unhealthy; a disabled one reports healthy.
        let inverted = config(3, r#", "inverted": true"#);
        let mut checks = states(&inverted);
        Calculated::new(&inverted, 1, &mut checks);
        assert!(!checks[3].healthy);
        let disabled = config(3, r#", "disabled": true, "inverted": true"#);
        let mut checks = states(&disabled);
        Calculated::new(&disabled, 1, &mut checks);
        assert!(checks[3].healthy);
    }
}
