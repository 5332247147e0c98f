//! The terminal summary: per episode detection, DNS switch, client failover, misrouted and
//! failed requests, broken down by client group; run totals; warnings.
//!
//! A pure function of the report. With several runs every figure reads "mean [95 % CI]".

use super::summary::{Figures, GROUP_COLUMNS, escape, thousands};
use super::{Report, stages};
use crate::time::format_duration;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let fig = Figures::new(report);
    let mut out = String::new();
    header(&mut out, report, &fig);
    let episode_count = report.run_results.iter().map(|r| r.episodes.len()).max().unwrap_or(0);
    if episode_count == 0 {
        let _ = writeln!(out, "\nNo episodes: no endpoint had a request-affecting fault.");
    }
    for k in 0..episode_count {
        episode(&mut out, report, &fig, k);
    }
    totals(&mut out, &fig);
    totals_by_group(&mut out, report, &fig);
    totals_by_health_check(&mut out, report, &fig);
    checks_without_probes(&mut out, report);
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings (Route 53 would refuse or behave differently)");
        for w in &report.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
    out
}

/// The title and the line that says how to reproduce the figures (seed, runs, version).
fn header(out: &mut String, report: &Report, fig: &Figures) {
    let title = if report.description.is_empty() {
        report.name.clone()
    } else {
        format!("{} — {}", report.name, report.description)
    };
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "seed {} · {} · {} measured after a {} warm-up · fosim {}",
        report.seed,
        plural(u64::from(report.runs), "run"),
        format_duration((report.duration_s * 1e6).round() as u64),
        format_duration((report.warmup_s * 1e6).round() as u64),
        report.fosim_version
    );
    if fig.many {
        let _ = writeln!(out, "Figures are means over runs, with a 95 % confidence interval in brackets.");
    }
}

/// Whole-run requests, DNS load and cost, and false failovers.
fn totals(out: &mut String, fig: &Figures) {
    let _ = writeln!(out, "\nRun totals");
    let t = |m: &str| format!("/totals/{m}");
    let _ = writeln!(
        out,
        "  requests {} · failed {} · misrouted {} · availability {}",
        fig.count(&t("requests")),
        fig.count(&t("requests_failed")),
        fig.count(&t("requests_misrouted")),
        fig.percent(&t("availability"))
    );
    let _ = writeln!(
        out,
        "  resolver queries {} · authoritative queries {} ({}/s{}) · events {}",
        fig.count(&t("resolver_queries")),
        fig.count(&t("authoritative_queries")),
        fig.rate(&t("authoritative_queries_per_s")),
        if fig.row(&t("query_cost_per_month")).is_some_and(|r| r.n > 0) {
            format!(", {} a month", fig.money(&t("query_cost_per_month")))
        } else {
            String::new()
        },
        fig.count(&t("events"))
    );
    let _ = writeln!(
        out,
        "  false failovers {} ({} a day) · time answered away from a healthy primary {}",
        fig.count(&t("false_failovers")),
        fig.rate(&t("false_failovers_per_day")),
        fig.seconds(&t("false_failover_s"))
    );
}

/// The run totals per client group; with a single group they would repeat the totals.
fn totals_by_group(out: &mut String, report: &Report, fig: &Figures) {
    let Some(first) = report.run_results.first() else { return };
    if first.groups.len() <= 1 {
        return;
    }
    let _ = writeln!(
        out,
        "  {:<20} {:>14} {:>12} {:>12} {:>13}",
        "by client group", "requests", "failed", "misrouted", "availability"
    );
    for g in first.groups.keys() {
        let m = |f: &str| format!("/groups/{}/{f}", escape(g));
        let _ = writeln!(
            out,
            "  {:<20} {:>14} {:>12} {:>12} {:>13}",
            truncate(g, 20),
            fig.count(&m("requests")),
            fig.count(&m("requests_failed")),
            fig.count(&m("requests_misrouted")),
            fig.percent(&m("availability"))
        );
    }
}

/// Probes and false failovers per health check.
fn totals_by_health_check(out: &mut String, report: &Report, fig: &Figures) {
    if report.settings.health_checks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  {:<20} {:>14} {:>12} {:>15} {:>15}",
        "by health check", "probes", "failed", "went unhealthy", "false failovers"
    );
    for h in &report.settings.health_checks {
        let m = |f: &str| format!("/health_checks/{}/{f}", escape(&h.id));
        let _ = writeln!(
            out,
            "  {:<20} {:>14} {:>12} {:>15} {:>15}",
            truncate(&h.id, 20),
            fig.count(&m("probes")),
            fig.count(&m("probes_failed")),
            fig.count(&m("went_unhealthy")),
            fig.count(&m("false_failovers"))
        );
    }
}

/// What each calculated, CloudWatch or load balancer's check combines or watches, and when
/// it turns unhealthy: these checks send no probes, so the table above shows none.
fn checks_without_probes(out: &mut String, report: &Report) {
    for h in &report.settings.health_checks {
        let line = if let Some(c) = &h.calculated {
            format!(
                "calculated: healthy while at least {} of its {} children are ({}); their changes reach it after {}",
                c.health_threshold,
                c.children.len(),
                c.children.join(", "),
                c.update_delay
            )
        } else if let Some(lb) = &h.load_balancer {
            format!(
                "load balancer {}: healthy while at least 1 of its targets ({}) is in service; health checks every {}, timeout {}, out after {} failures, back after {} successes; reaches Route 53 after {}",
                h.endpoint.as_deref().unwrap_or_default(),
                lb.targets.join(", "),
                format_duration(secs_to_us(lb.interval_s)),
                format_duration(secs_to_us(lb.timeout_s)),
                lb.unhealthy_threshold,
                lb.healthy_threshold,
                lb.eth_delay
            )
        } else if let Some(w) = &h.cloudwatch {
            let datapoints = match w.evaluation_periods {
                1 => "a datapoint".to_owned(),
                m => format!("{m} datapoints in a row"),
            };
            format!(
                "CloudWatch {} of {}: unhealthy once {datapoints} ({} periods) {} {} {} {}; data after {}, no data: {}, outages: {}",
                w.metric,
                h.endpoint.as_deref().unwrap_or_default(),
                format_duration(secs_to_us(w.period_s)),
                if w.evaluation_periods == 1 { "has" } else { "have" },
                w.metric,
                w.comparison_symbol(),
                w.threshold,
                w.data_delay,
                w.insufficient_data_health_status,
                w.outage_data
            )
        } else {
            continue;
        };
        let flags = match (h.inverted, h.disabled) {
            (_, true) => " (disabled: always healthy)",
            (true, false) => " (inverted)",
            _ => "",
        };
        let _ = writeln!(out, "  {:<20} {line}{flags}", truncate(&h.id, 20));
    }
}

fn episode(out: &mut String, report: &Report, fig: &Figures, k: usize) {
    let Some(e) = report.run_results.iter().find_map(|r| r.episodes.get(k)) else { return };
    let m = |f: &str| format!("/episodes/{k}/{f}");
    let span = if fig.many && fig.row(&m("start_s")).is_some_and(|r| r.min != r.max) {
        format!("starting at {} on average", fig.seconds(&m("start_s")))
    } else {
        format!(
            "{} → {} ({})",
            format_duration(secs_to_us(e.start_s)),
            format_duration(secs_to_us(e.end_s)),
            format_duration(secs_to_us(e.end_s - e.start_s))
        )
    };
    let _ = writeln!(out, "\nEpisode {} · {} on {} · {}", k + 1, e.kind, e.endpoint, span);
    let check = e.health_check.as_deref().map_or("no health check".to_owned(), |c| format!("by {c}"));
    let _ = writeln!(out, "  detection              {} ({check})", fig.seconds(&m("detection_s")));
    let _ = writeln!(
        out,
        "  DNS switch             first {} · last {}",
        fig.seconds(&m("dns_switch_first_s")),
        fig.seconds(&m("dns_switch_last_s"))
    );
    let _ = writeln!(
        out,
        "  client failover        p50 {} · p99 {} · max {}",
        fig.seconds(&m("client_failover_s/p50")),
        fig.seconds(&m("client_failover_s/p99")),
        fig.seconds(&m("client_failover_s/max"))
    );
    let _ = writeln!(
        out,
        "                         {} active clients, {} stranded",
        fig.count(&m("clients_active")),
        fig.count(&m("clients_stranded"))
    );
    let _ = writeln!(
        out,
        "  requests               {} misrouted · {} failed",
        fig.count(&m("requests_misrouted")),
        fig.count(&m("requests_failed"))
    );
    if e.request_delay_s.is_some() {
        let _ = writeln!(
            out,
            "  next address           {} requests passed it · lost mean {} · p99 {}",
            fig.count(&m("request_delay_s/requests")),
            fig.seconds(&m("request_delay_s/mean")),
            fig.seconds(&m("request_delay_s/p99"))
        );
    }
    let is_primary = report.settings.records.iter().any(|r| r.fails_back_to(&e.endpoint));
    let failback = if is_primary {
        format!(" · last name server back {}", fig.seconds(&m("dns_failback_last_s")))
    } else {
        String::new()
    };
    let _ =
        writeln!(out, "  after the end          healthy again {}{failback}", fig.seconds(&m("recovery_detection_s")));
    if !e.record_sets.is_empty() {
        let _ = writeln!(out, "  by record set                   first switch   last switch  last back");
        for set in e.record_sets.keys() {
            let m = |f: &str| format!("/episodes/{k}/record_sets/{}/{f}", escape(set));
            let _ = writeln!(
                out,
                "  {:<28}{:>15}{:>14}{:>11}",
                truncate(set, 28),
                fig.seconds_short(&m("dns_switch_first_s")),
                fig.seconds_short(&m("dns_switch_last_s")),
                fig.seconds_short(&m("dns_failback_last_s"))
            );
        }
    }
    if e.groups.is_empty() {
        return;
    }
    let row = |name: &str, cells: &[String]| {
        let widths = [9, 9, 10, 10, 10, 11, 9];
        let cells: String = cells.iter().zip(widths).map(|(c, w)| format!(" {c:>w$}")).collect();
        format!("  {name:<16}{cells}")
    };
    let _ = writeln!(out, "{}", row("by client group", &GROUP_COLUMNS.map(String::from)));
    for g in e.groups.keys() {
        let _ = writeln!(out, "{}", row(&truncate(g, 16), &fig.episode_group_cells(k, g)));
    }
    where_the_time_went(out, report, fig, k, &e.endpoint);
    failback_by_group(out, report, fig, k);
}

/// Each group's failover time by stage (docs/model.md §7.2.7), and what dominates it.
fn where_the_time_went(out: &mut String, report: &Report, fig: &Figures, k: usize, endpoint: &str) {
    let groups = stages::of_episode(report, fig, k);
    if groups.is_empty() {
        return;
    }
    let per = if fig.many { "mean per client that failed over, over runs" } else { "mean per client that failed over" };
    let _ = writeln!(out, "  where the time went    ({per}; stages add up to the mean failover time)");
    for g in &groups {
        let parts: Vec<String> = g
            .stages
            .iter()
            // Stages that would print as 0.0s are left out.
            .filter(|s| s.2 >= 0.05)
            .map(|&(_, label, mean_s)| format!("{label} {mean_s:.1}s ({:.0} %)", 100.0 * g.share(mean_s)))
            .collect();
        let parts = if parts.is_empty() { "no wait".to_owned() } else { parts.join(" · ") };
        let _ = writeln!(out, "  {:<16} {parts}", truncate(&g.group, 16));
    }
    for sentence in groups.iter().filter_map(|g| g.dominant(endpoint)) {
        let _ = writeln!(out, "  {sentence}");
    }
}

/// After the end: when the clients that had failed over were back on the endpoint, per
/// group (docs/model.md §7.2.8); nothing for an episode lasting to the end of every run.
fn failback_by_group(out: &mut String, report: &Report, fig: &Figures, k: usize) {
    let episodes = || report.run_results.iter().filter_map(|r| r.episodes.get(k));
    let Some(e) = episodes().find(|e| e.failback.is_some()) else { return };
    let next_fault = episodes().filter_map(|e| e.failback.as_ref()).any(|f| f.clients_away_at_next_fault > 0);
    let _ = writeln!(out, "  failback (after the end, clients that failed over: back on {})", e.endpoint);
    for g in e.groups.iter().filter(|(_, group)| group.failback.is_some()).map(|(g, _)| g) {
        let m = |f: &str| format!("/episodes/{k}/groups/{}/failback/{f}", escape(g));
        let at_next_fault = if next_fault {
            format!(" · {} at the next fault", fig.count_short(&m("clients_away_at_next_fault")))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<16} back p50 {} · p99 {} · {} of {} still away at the end{at_next_fault} · {} requests elsewhere after the end",
            truncate(g, 16),
            fig.seconds_short(&m("back_s/p50")),
            fig.seconds_short(&m("back_s/p99")),
            fig.count_short(&m("clients_away_at_end")),
            fig.count_short(&m("clients_failed_over")),
            fig.count_short(&m("requests_elsewhere_expected")),
        );
    }
}

fn secs_to_us(s: f64) -> u64 {
    (s * 1e6).round().max(0.0) as u64
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width { s.to_owned() } else { s.chars().take(width - 1).collect::<String>() + "…" }
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{} {what}s", thousands(n)) }
}
