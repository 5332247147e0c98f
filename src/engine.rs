//! The discrete-event core: a priority queue of events keyed `(time, sequence)`.
//!
//! Owns the clock and the ordering rule, nothing else: events at the same instant come out
//! in the order they were scheduled. It knows nothing about DNS; the model supplies the
//! event type and the dispatch.

use crate::time::SimTime;

pub struct Engine<E> {
    now: SimTime,
    next_sequence: u64,
    pending: RadixHeap<E>,
    pending_max: usize,
    pending_peak: usize,
    processed_count: u64,
}

impl<E> Engine<E> {
    /// `pending_max` bounds the queue: the model sizes it from the scenario, so going past
    /// it is a bug in the model, not a user error.
    pub fn new(pending_max: usize) -> Self {
        Engine { now: 0, next_sequence: 0, pending: RadixHeap::new(), pending_max, pending_peak: 0, processed_count: 0 }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn processed_count(&self) -> u64 {
        self.processed_count
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len
    }

    /// The most events that were ever pending at once.
    pub fn pending_peak(&self) -> usize {
        self.pending_peak
    }

    pub fn schedule(&mut self, at: SimTime, event: E) {
        assert!(at >= self.now, "event scheduled in the past: {at} < {}", self.now);
        assert!(self.pending.len < self.pending_max, "event queue over its bound of {}", self.pending_max);
        // Time in the high 64 bits, sequence in the low: one integer orders both.
        let key = (u128::from(at) << 64) | u128::from(self.next_sequence);
        self.next_sequence += 1;
        self.pending.push(key, event);
        self.pending_peak = self.pending_peak.max(self.pending.len);
    }

    /// The next event strictly before `end`, advancing the clock to it.
    pub fn pop_before(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        let key = self.pending.min_key()?;
        let at = (key >> 64) as SimTime;
        if at >= end {
            return None;
        }
        let event = self.pending.pop_min();
        self.now = at;
        self.processed_count += 1;
        Some((at, event))
    }
}

/// A monotone priority queue (radix heap): keys never go below the last key popped, which
/// holds in discrete-event simulation. An entry sits in the bucket of the highest bit in
/// which its key differs from the last popped key; popping empties the lowest non-empty
/// bucket into lower ones. Push is O(1); each entry moves down at most 128 times, in
/// practice a few, so it beats a binary heap on large queues.
struct RadixHeap<E> {
    last: u128,
    /// Bucket 0 holds keys equal to `last`; bucket b holds keys whose highest bit differing
    /// from `last` is bit b - 1.
    buckets: Vec<Vec<(u128, E)>>,
    /// Bit b set iff bucket b is non-empty (129 buckets).
    occupied: [u64; 3],
    len: usize,
}

impl<E> RadixHeap<E> {
    fn new() -> Self {
        RadixHeap { last: 0, buckets: (0..129).map(|_| Vec::new()).collect(), occupied: [0; 3], len: 0 }
    }

    fn bucket_of(last: u128, key: u128) -> usize {
        128 - (key ^ last).leading_zeros() as usize
    }

    fn push(&mut self, key: u128, event: E) {
        debug_assert!(key >= self.last, "radix heap keys must not go below the last popped key");
        let b = Self::bucket_of(self.last, key);
        self.buckets[b].push((key, event));
        self.occupied[b / 64] |= 1 << (b % 64);
        self.len += 1;
    }

    fn lowest_occupied(&self) -> Option<usize> {
        self.occupied.iter().enumerate().find(|(_, w)| **w != 0).map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// Makes bucket 0 hold the minimum, and returns its key.
    fn min_key(&mut self) -> Option<u128> {
        let b = self.lowest_occupied()?;
        if b != 0 {
            let mut moved = std::mem::take(&mut self.buckets[b]);
            self.occupied[b / 64] &= !(1 << (b % 64));
            self.last = moved.iter().map(|(k, _)| *k).min().expect("an occupied bucket holds entries");
            for (key, event) in moved.drain(..) {
                let to = Self::bucket_of(self.last, key);
                self.buckets[to].push((key, event));
                self.occupied[to / 64] |= 1 << (to % 64);
            }
            // Keep the allocation for the next time this bucket fills.
            self.buckets[b] = moved;
        }
        Some(self.last)
    }

    fn pop_min(&mut self) -> E {
        let key = self.min_key().expect("pop_min on an empty queue");
        let (popped, event) = self.buckets[0].pop().expect("bucket 0 holds the minimum");
        debug_assert_eq!(popped, key);
        if self.buckets[0].is_empty() {
            self.occupied[0] &= !1;
        }
        self.len -= 1;
        event
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
    fn matches_a_binary_heap_on_random_holds() {
        use rand::Rng;
        let mut r = crate::rng::stream(9, "test");
        let mut engine = Engine::new(10_000);
        let mut reference = std::collections::BinaryHeap::new();
        let mut seq = 0u64;
        for i in 0..2_000u64 {
            let t = r.next_u64() % 1_000;
            engine.schedule(t, i);
            reference.push(std::cmp::Reverse((t, seq, i)));
            seq += 1;
        }
        for _ in 0..20_000 {
            let (t, e) = engine.pop_before(u64::MAX).unwrap();
            let std::cmp::Reverse((rt, _, re)) = reference.pop().unwrap();
            assert_eq!((t, e), (rt, re));
            let next = t + r.next_u64() % 500;
            engine.schedule(next, e);
            reference.push(std::cmp::Reverse((next, seq, e)));
            seq += 1;
        }
    }

    #[test]
    #[should_panic(expected = "over its bound")]
    fn refuses_to_grow_past_its_bound() {
        let mut engine = Engine::new(1);
        engine.schedule(1, ());
        engine.schedule(2, ());
    }
}
