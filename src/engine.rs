//! The discrete-event core: a priority queue of events keyed `(time, sequence)`.
//!
//! Owns the clock and the ordering rule, nothing else: events at the same instant come out
//! in the order they were scheduled. It knows nothing about DNS; the model supplies the
//! event type and the dispatch.

use crate::time::SimTime;

pub struct Engine<E> {
    now: SimTime,
    pending: RadixHeap<E>,
    pending_max: usize,
    pending_peak: usize,
    processed_count: u64,
}

impl<E: Copy> Engine<E> {
    /// `pending_max` bounds the queue: the model sizes it from the scenario, so going past
    /// it is a bug in the model, not a user error.
    pub fn new(pending_max: usize) -> Self {
        Engine { now: 0, pending: RadixHeap::new(), pending_max, pending_peak: 0, processed_count: 0 }
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
        self.pending.push(at, event);
        self.pending_peak = self.pending_peak.max(self.pending.len);
    }

    /// The next event, without taking it (to prefetch what it will touch).
    pub fn peek(&mut self) -> Option<&E> {
        self.pending.peek()
    }

    /// The next event strictly before `end`, advancing the clock to it.
    pub fn pop_before(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        let at = self.pending.min_key()?;
        if at >= end {
            return None;
        }
        let event = self.pending.pop_min();
        self.now = at;
        self.processed_count += 1;
        Some((at, event))
    }
}

/// A monotone priority queue (radix heap) on times: keys never go below the last key popped,
/// which holds in discrete-event simulation. An entry sits in the bucket of the highest bit
/// in which its time differs from the last popped time; popping empties the lowest
/// non-empty bucket into lower ones. Push is O(1); an entry moves down a few times at most.
///
/// The ordering rule needs no sequence number: entries with equal times always share a
/// bucket, are appended in the order they were scheduled, and moves keep their relative
/// order, so bucket 0 (time = the last popped time) is a FIFO in schedule order.
///
/// `peek` may move the reference time past the present, and the event being handled may
/// still schedule something before it: such entries wait in a small side list (`early`),
/// always popped first, in time then schedule order.
struct RadixHeap<E> {
    last: SimTime,
    /// Entries earlier than `last`: (time, order of scheduling, event); a handful at most.
    early: Vec<(SimTime, u64, E)>,
    early_sequence: u64,
    /// Bucket b holds times whose highest bit differing from `last` is bit b - 1.
    buckets: Vec<Vec<(SimTime, E)>>,
    /// Entries of bucket 0 already popped (it is consumed from the front).
    head: usize,
    /// Bit b set iff bucket b holds entries not yet popped.
    occupied: u128,
    len: usize,
}

impl<E> RadixHeap<E> {
    fn new() -> Self {
        RadixHeap {
            last: 0,
            early: Vec::new(),
            early_sequence: 0,
            buckets: (0..65).map(|_| Vec::new()).collect(),
            head: 0,
            occupied: 0,
            len: 0,
        }
    }

    fn bucket_of(last: SimTime, at: SimTime) -> usize {
        64 - (at ^ last).leading_zeros() as usize
    }

    fn push(&mut self, at: SimTime, event: E) {
        self.len += 1;
        if at < self.last {
            self.early.push((at, self.early_sequence, event));
            self.early_sequence += 1;
            return;
        }
        let b = Self::bucket_of(self.last, at);
        self.buckets[b].push((at, event));
        self.occupied |= 1 << b;
    }

    /// The position in `early` of its next entry.
    fn earliest_early(&self) -> Option<usize> {
        (0..self.early.len()).min_by_key(|&i| (self.early[i].0, self.early[i].1))
    }

    /// The time of the next entry; makes bucket 0 hold the earliest bucketed entries.
    fn min_key(&mut self) -> Option<SimTime> {
        if let Some(i) = self.earliest_early() {
            return Some(self.early[i].0);
        }
        if self.occupied & 1 == 0 {
            if self.occupied == 0 {
                return None;
            }
            let b = self.occupied.trailing_zeros() as usize;
            let mut moved = std::mem::take(&mut self.buckets[b]);
            self.occupied &= !(1 << b);
            self.last = moved.iter().map(|(at, _)| *at).min().expect("an occupied bucket holds entries");
            self.buckets[0].clear();
            self.head = 0;
            for (at, event) in moved.drain(..) {
                let to = Self::bucket_of(self.last, at);
                self.buckets[to].push((at, event));
                self.occupied |= 1 << to;
            }
            // Keep the allocation for the next time this bucket fills.
            self.buckets[b] = moved;
        }
        Some(self.last)
    }

    fn peek(&mut self) -> Option<&E> {
        self.min_key()?;
        Some(match self.earliest_early() {
            Some(i) => &self.early[i].2,
            None => &self.buckets[0][self.head].1,
        })
    }

    fn pop_min(&mut self) -> E
    where
        E: Copy,
    {
        self.min_key().expect("pop_min on an empty queue");
        if let Some(i) = self.earliest_early() {
            self.len -= 1;
            return self.early.swap_remove(i).2;
        }
        let (_, event) = self.buckets[0][self.head];
        self.head += 1;
        if self.head == self.buckets[0].len() {
            self.buckets[0].clear();
            self.head = 0;
            self.occupied &= !1;
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
    fn peeking_ahead_keeps_the_order_of_events_scheduled_meanwhile() {
        use rand::Rng;
        let mut r = crate::rng::stream(11, "test");
        let mut engine = Engine::new(10_000);
        let mut reference = std::collections::BinaryHeap::new();
        let mut seq = 0u64;
        for i in 0..500u64 {
            let t = r.next_u64() % 10_000;
            engine.schedule(t, i);
            reference.push(std::cmp::Reverse((t, seq, i)));
            seq += 1;
        }
        for _ in 0..20_000 {
            let (t, e) = engine.pop_before(u64::MAX).unwrap();
            let std::cmp::Reverse((rt, _, re)) = reference.pop().unwrap();
            assert_eq!((t, e), (rt, re));
            engine.peek();
            // Often at the same instant or just after: before the peeked event.
            for _ in 0..(r.next_u64() % 3) {
                let next = t + r.next_u64() % 3;
                engine.schedule(next, e);
                reference.push(std::cmp::Reverse((next, seq, e)));
                seq += 1;
            }
            let next = t + r.next_u64() % 5_000;
            engine.schedule(next, e);
            reference.push(std::cmp::Reverse((next, seq, e)));
            seq += 1;
            while reference.len() > 2_000 {
                let (t, e) = engine.pop_before(u64::MAX).unwrap();
                let std::cmp::Reverse((rt, _, re)) = reference.pop().unwrap();
                assert_eq!((t, e), (rt, re));
            }
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
