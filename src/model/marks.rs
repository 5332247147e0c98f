//! What held a client back from a healthy endpoint (failover stages, docs/model.md §7.2.7):
//! until when its resolver's cache, its own cache and its pooled connection last pointed it
//! at an endpoint under a fault. Read once per client and episode, as the client first
//! reaches a healthy endpoint; the metrics turn these instants into stages.
//!
//! A client's route changes only with a simulated request, so its first request to a
//! healthy endpoint after a fault is simulated, and its state just before that request
//! still holds the cached answer and the connection that held it back. A client whose
//! requests are counted in batches reaches one in a batch only when it already headed
//! there before the episode followed it: nothing held it back. Clients without a cache
//! behind a caching resolver (pools) read their resolver's entry: what the resolver served
//! before is all that held them back.

use super::client::ClientState;
use super::dns::NameServers;
use super::endpoint::EndpointModel;
use super::resolver::Previous;
use crate::observe::Marks;
use crate::time::SimTime;

/// `ClientState`'s "no answer, no connection".
const NONE: u32 = u32::MAX;

/// Whether an answer (a number of `AnswerTable`, or `NONE`) named an endpoint under a fault
/// in its last microsecond before `until_us`.
fn named_a_fault(models: &[EndpointModel], name_servers: &NameServers, answer: u32, until_us: SimTime) -> bool {
    if answer == NONE || until_us == 0 {
        return false;
    }
    let one = [answer];
    let named: &[u32] = if (answer as usize) < models.len() { &one } else { name_servers.addresses(answer) };
    named.iter().any(|&e| !models[e as usize].at(until_us - 1).episodes.is_empty())
}

/// What a client held just before a request: its cached answer and connection.
#[derive(Clone, Copy)]
pub struct Held {
    cache_answer: u32,
    conn_endpoint: u32,
    cache_expires_us: SimTime,
    conn_until_us: SimTime,
}

impl Held {
    #[inline(always)]
    pub fn of(state: &ClientState) -> Self {
        Held {
            cache_answer: state.cache_answer,
            conn_endpoint: state.conn_endpoint,
            cache_expires_us: state.cache_expires_us,
            conn_until_us: state.conn_idle_deadline_us.min(state.conn_life_deadline_us),
        }
    }
}

/// A client's resolver: what it served before the answer it hands out now.
pub fn of_resolver(models: &[EndpointModel], name_servers: &NameServers, previous: Previous) -> Marks {
    let mut marks = Marks::default();
    if named_a_fault(models, name_servers, previous.answer, previous.until_us) {
        marks.resolver_fetched_us = previous.fetched_us;
        marks.resolver_until_us = previous.until_us;
    }
    marks
}

/// A client that reached a healthy endpoint with a simulated request at `now_us`: `before`
/// is its state just before it, `previous` what its resolver served before the answer it
/// got (the default when it asked none).
#[cold]
#[inline(never)]
pub fn at_request(
    models: &[EndpointModel],
    name_servers: &NameServers,
    before: Held,
    previous: Previous,
    now_us: SimTime,
) -> Marks {
    let mut marks = of_resolver(models, name_servers, previous);
    let cache_until_us = before.cache_expires_us.min(now_us);
    if named_a_fault(models, name_servers, before.cache_answer, cache_until_us) {
        marks.cache_until_us = cache_until_us;
    }
    let connection_until_us = before.conn_until_us.min(now_us);
    if named_a_fault(models, name_servers, before.conn_endpoint, connection_until_us) {
        marks.connection_until_us = connection_until_us;
    }
    marks
}
