//! What held a client back from a healthy endpoint (failover stages, docs/model.md §7.3):
//! until when its resolver's cache, its own cache and its pooled connection last pointed it
//! at an endpoint under a fault. Read once per client and episode, as the client first
//! reaches a healthy endpoint; the metrics turn these instants into stages.

use super::client::Clients;
use super::dns::NameServers;
use super::endpoint::EndpointModel;
use crate::observe::Marks;
use crate::time::SimTime;

/// `Before`'s and `Previous`'s "no answer".
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

/// What held a client back, read as it first reaches a healthy endpoint in an episode.
pub fn marks(clients: &Clients, name_servers: &NameServers, models: &[EndpointModel], client: u32) -> Marks {
    let c = client as usize;
    let before = clients.before[c];
    let faulted = |answer, until_us| named_a_fault(models, name_servers, answer, until_us);
    let mut marks = Marks::default();
    let previous = before.resolver;
    if faulted(previous.answer, previous.until_us) {
        marks.resolver_fetched_us = previous.fetched_us;
        marks.resolver_until_us = previous.until_us;
    }
    if faulted(before.cache_answer, before.cache_until_us) {
        marks.cache_until_us = before.cache_until_us;
    }
    if faulted(before.conn_endpoint, before.conn_until_us) {
        marks.connection_until_us = before.conn_until_us;
    }
    marks
}
