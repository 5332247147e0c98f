//! Benchmark yardsticks: a bare `BinaryHeap` hold loop and the engine's own hold loop at a
//! given queue size, so that the model's events per second read as a ratio that holds on a
//! noisy machine; and the scaling benchmark's scenario (many client groups) with the
//! log-log slope that tells linear from quadratic. Pure work; the caller times it.

use crate::engine::Engine;
use crate::rng;
use rand::Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Hold model on a bare heap: `size` pending keys, then `ops` times pop the earliest and
/// push it back a random (exponential-ish) step later. Returns a checksum so the work
/// cannot be optimised away.
pub fn heap_hold(size: usize, ops: u64, seed: u64) -> u64 {
    let mut r = rng::stream(seed, "bench/heap");
    let mut heap: BinaryHeap<Reverse<u64>> = (0..size).map(|_| Reverse(r.next_u64() >> 24)).collect();
    let mut checksum = 0u64;
    for _ in 0..ops {
        let Reverse(t) = heap.pop().expect("the heap holds `size` keys");
        checksum = checksum.wrapping_add(t);
        heap.push(Reverse(t + (r.next_u64() >> 40)));
    }
    checksum
}

/// The same hold model through `Engine` (a radix heap on times, 16-byte events).
pub fn engine_hold(size: usize, ops: u64, seed: u64) -> u64 {
    let mut r = rng::stream(seed, "bench/engine");
    let mut engine: Engine<(u32, u32, u64)> = Engine::new(size + 1);
    for i in 0..size {
        engine.schedule(r.next_u64() >> 24, (i as u32, 0, 0));
    }
    let mut checksum = 0u64;
    for _ in 0..ops {
        let (t, event) = engine.pop_before(u64::MAX).expect("the queue holds `size` events");
        checksum = checksum.wrapping_add(t ^ u64::from(event.0));
        engine.schedule(t + (r.next_u64() >> 40), event);
    }
    checksum
}

/// Client-group counts `fosim bench --groups` measures by default.
pub const GROUP_COUNTS: [usize; 5] = [1_250, 2_500, 5_000, 10_000, 20_000];

/// The scenario of the client-group benchmark (issue 12): one failover record whose
/// primary has a health check and one 20-minute outage, and `groups` client groups of one
/// client each at 0.1 requests/s, for one hour. Every group is its own row in the report's
/// tables, its own curve in the CDF and its own set of summary figures, so any work that
/// scans all groups per group, per event or per episode shows as a slope above 1.
pub fn groups_scenario(groups: usize) -> serde_json::Value {
    let clients: serde_json::Map<String, serde_json::Value> = (0..groups)
        .map(|g| {
            let group = serde_json::json!({ "count": 1, "record": "app.example.com", "requests_per_s": 0.1 });
            (format!("g{g:05}"), group)
        })
        .collect();
    serde_json::json!({
        "name": format!("groups-{groups}"),
        "description": format!("Benchmark: {groups} client groups of one client each (fosim bench --groups)."),
        "seed": 1,
        "duration": "1h",
        "endpoints": {
            "primary": { "faults": [ { "kind": "outage", "start": "20m", "duration": "20m" } ] },
            "secondary": {}
        },
        "health_checks": { "hc-primary": { "endpoint": "primary" } },
        "dns": { "records": { "app.example.com": { "ttl": "60s", "failover": {
            "primary": { "endpoint": "primary", "health_check": "hc-primary" },
            "secondary": { "endpoint": "secondary" }
        } } } },
        "resolvers": { "isp": { "count": 100 } },
        "clients": clients
    })
}

/// The least-squares slope of log y against log x: how cost grows with size (1: linear,
/// 2: quadratic). None with fewer than two usable points (positive x and y, two sizes).
pub fn log_log_slope(points: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> =
        points.iter().filter(|&&(x, y)| x > 0.0 && y > 0.0).map(|&(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let (mx, my) = (logs.iter().map(|p| p.0).sum::<f64>() / n, logs.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_of_powers() {
        let square: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0].iter().map(|&x: &f64| (x, 3.0 * x * x)).collect();
        assert!((log_log_slope(&square).unwrap() - 2.0).abs() < 1e-12);
        let linear: Vec<(f64, f64)> = [10.0, 20.0, 40.0].iter().map(|&x: &f64| (x, 0.5 * x)).collect();
        assert!((log_log_slope(&linear).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(log_log_slope(&[(1.0, 1.0)]), None);
    }

    #[test]
    fn the_groups_scenario_has_one_client_per_group() {
        let s = groups_scenario(3);
        let clients = s["clients"].as_object().unwrap();
        assert_eq!(clients.len(), 3);
        assert!(clients.values().all(|g| g["count"] == 1));
    }
}
