//! The discrete-event core: a priority queue of events keyed `(time, sequence)`.
//!
//! Owns the clock and the ordering rule, nothing else: events at the same instant come out
//! in the order they were scheduled. It knows nothing about DNS; the model supplies the
//! event type and the dispatch.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

pub struct Engine<E> {
    now: SimTime,
    next_sequence: u64,
    pending: BinaryHeap<Entry<E>>,
    pending_max: usize,
    processed_count: u64,
}

struct Entry<E> {
    /// Time in the high 64 bits, sequence in the low: one integer comparison orders both.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest key first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

impl<E> Engine<E> {
    /// `pending_max` bounds the queue: the model sizes it from the scenario, so going past
    /// it is a bug in the model, not a user error.
    pub fn new(pending_max: usize) -> Self {
        Engine {
            now: 0,
            next_sequence: 0,
            pending: BinaryHeap::with_capacity(pending_max.min(1 << 20)),
            pending_max,
            processed_count: 0,
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn processed_count(&self) -> u64 {
        self.processed_count
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    pub fn schedule(&mut self, at: SimTime, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at} < {}", self.now);
        assert!(self.pending.len() < self.pending_max, "event queue over its bound of {}", self.pending_max);
        let key = (u128::from(at) << 64) | u128::from(self.next_sequence);
        self.next_sequence += 1;
        self.pending.push(Entry { key, event });
    }

    /// The next event strictly before `end`, advancing the clock to it.
    pub fn pop_before(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        let head = self.pending.peek()?;
        let at = (head.key >> 64) as SimTime;
        if at >= end {
            return None;
        }
        let entry = self.pending.pop().expect("peeked entry is there");
        self.now = at;
        self.processed_count += 1;
        Some((at, entry.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_instant_events_keep_schedule_order() {
        let mut engine = Engine::new(16);
        engine.schedule(5, 'c');
        engine.schedule(3, 'a');
        engine.schedule(5, 'd');
        engine.schedule(3, 'b');
        let mut seen = String::new();
        while let Some((_, e)) = engine.pop_before(100) {
            seen.push(e);
        }
        assert_eq!(seen, "abcd");
        assert_eq!(engine.processed_count(), 4);
    }

    #[test]
    fn stops_at_the_end_time() {
        let mut engine = Engine::new(4);
        engine.schedule(10, 1);
        engine.schedule(20, 2);
        assert_eq!(engine.pop_before(20), Some((10, 1)));
        assert_eq!(engine.pop_before(20), None);
        assert_eq!(engine.now(), 10);
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn refuses_the_past() {
        let mut engine = Engine::new(4);
        engine.schedule(10, ());
        engine.pop_before(100);
        engine.schedule(5, ());
    }

    #[test]
    #[should_panic(expected = "over its bound")]
    fn refuses_to_grow_past_its_bound() {
        let mut engine = Engine::new(1);
        engine.schedule(1, ());
        engine.schedule(2, ());
    }
}
