//! Where each client's failover time went (docs/model.md §7.2.7).
//!
//! A client's failover time runs from the episode's start to its first request to a healthy
//! endpoint. It is cut into consecutive stages, each ending when one more layer between the
//! client and the health check stopped pointing it at the faulty endpoint: the health
//! check's detection, the first name server's new answer to the client's question, the
//! resolver's last cached answer naming the endpoint (fetched before the fault began, or
//! after), the client's own cache, its pooled connection; what is left is the wait for its
//! next request. A layer that let go before the previous stage ended adds nothing, so the
//! stages add up to the failover time exactly.

use crate::observe::Marks;
use crate::report::{FailoverStages, StageStats};
use crate::time::{SimTime, to_seconds};

/// One client's stages, in microseconds, in `FailoverStages::NAMES` order.
pub fn split(
    start_us: SimTime,
    detected_us: Option<SimTime>,
    switched_us: Option<SimTime>,
    reached_us: SimTime,
    marks: &Marks,
) -> [u64; 7] {
    let mut at = start_us;
    let mut upto = |until_us: SimTime| {
        let next = until_us.clamp(at, reached_us);
        let spent = next - at;
        at = next;
        spent
    };
    // The name servers' change explains the client's failover only if it came first.
    let (detection, name_servers) = match switched_us.filter(|&s| s <= reached_us) {
        Some(switched_us) => (upto(detected_us.unwrap_or(switched_us).min(switched_us)), upto(switched_us)),
        None => (0, 0),
    };
    let resolver = upto(marks.resolver_until_us);
    let (resolver_cached, resolver_refilled) =
        if marks.resolver_fetched_us <= start_us { (resolver, 0) } else { (0, resolver) };
    let own_cache = upto(marks.cache_until_us);
    let connection = upto(marks.connection_until_us);
    let next_request = reached_us - at;
    [detection, name_servers, resolver_cached, resolver_refilled, own_cache, connection, next_request]
}

/// The stages of a group's clients that failed over: (failover time from the start, marks).
pub fn summarise(
    start_us: SimTime,
    detected_us: Option<SimTime>,
    switched_us: Option<SimTime>,
    reached: &[(u64, Marks)],
) -> Option<FailoverStages> {
    if reached.is_empty() {
        return None;
    }
    let mut columns: [Vec<u64>; 7] = Default::default();
    for (failover_us, marks) in reached {
        let stages = split(start_us, detected_us, switched_us, start_us + failover_us, marks);
        debug_assert_eq!(stages.iter().sum::<u64>(), *failover_us);
        for (column, stage) in columns.iter_mut().zip(stages) {
            column.push(stage);
        }
    }
    let [detection, name_servers, resolver_cached, resolver_refilled, own_cache, connection, next_request] =
        columns.map(|mut c| stats(&mut c));
    Some(FailoverStages {
        detection,
        name_servers,
        resolver_cached,
        resolver_refilled,
        own_cache,
        connection,
        next_request,
    })
}

fn stats(values: &mut [u64]) -> StageStats {
    values.sort_unstable();
    let rank = |p: f64| {
        let index = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
        to_seconds(values[index])
    };
    let total: u128 = values.iter().map(|&v| u128::from(v)).sum();
    StageStats { mean_s: total as f64 / 1e6 / values.len() as f64, p50_s: rank(0.5), p99_s: rank(0.99) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    #[test]
    fn stages_follow_the_layers_in_order_and_add_up() {
        // Fault at 100 s, detected at 130 s, first name server at 131 s; the resolver's
        // entry refilled at 101 s expires at 161 s; own cache until 150 s (inside the
        // resolver's stage: adds nothing); connection closed at 170 s; reached at 172 s.
        let marks = Marks {
            resolver_fetched_us: 101 * S,
            resolver_until_us: 161 * S,
            cache_until_us: 150 * S,
            connection_until_us: 170 * S,
        };
        let stages = split(100 * S, Some(130 * S), Some(131 * S), 172 * S, &marks);
        assert_eq!(stages, [30 * S, S, 0, 30 * S, 0, 9 * S, 2 * S]);
        assert_eq!(stages.iter().sum::<u64>(), 72 * S);
        // Cached before the fault: the other resolver column.
        let before = Marks { resolver_fetched_us: 90 * S, ..marks };
        assert_eq!(split(100 * S, Some(130 * S), Some(131 * S), 172 * S, &before)[2..4], [30 * S, 0]);
    }

    #[test]
    fn a_client_that_got_there_before_the_name_servers_changed_waited_for_nothing_dns() {
        // Reached at 110 s (say, the next address of its answer): no detection stage.
        let stages = split(100 * S, Some(130 * S), Some(131 * S), 110 * S, &Marks::default());
        assert_eq!(stages, [0, 0, 0, 0, 0, 0, 10 * S]);
        // Marks beyond the reach are cut at it.
        let late = Marks { cache_until_us: 500 * S, ..Marks::default() };
        assert_eq!(split(100 * S, None, None, 110 * S, &late), [0, 0, 0, 0, 10 * S, 0, 0]);
    }

    #[test]
    fn summaries_are_nearest_rank_and_means_add_up() {
        let reached: Vec<(u64, Marks)> = (1..=100).map(|k| (k * S, Marks::default())).collect();
        let s = summarise(0, None, None, &reached).unwrap();
        assert_eq!((s.next_request.mean_s, s.next_request.p50_s, s.next_request.p99_s), (50.5, 50.0, 99.0));
        assert_eq!(s.detection, StageStats::default());
        assert!(summarise(0, None, None, &[]).is_none());
    }
}
