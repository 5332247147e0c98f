//! The discrete-event core: a priority queue of events ordered by time, then by the order
//! they were scheduled.
//!
//! Owns the clock and the ordering rule, nothing else: events at the same instant come out
//! in the order they were scheduled. It knows nothing about DNS; the model supplies the
//! event type and the dispatch.

use crate::time::SimTime;

pub struct Engine<E> {
    now: SimTime,
    pending: RadixHeap<E>,
    pending_max: usize,
    /// Queued events the model has superseded (they will be popped and ignored): they do
    /// not count against `pending_max`.
    stale_count: usize,
    pending_peak: usize,
    processed_count: u64,
}

impl<E: Copy> Engine<E> {
    /// `pending_max` bounds the queue: the model sizes it from the scenario, so going past
    /// it is a bug in the model, not a user error.
    pub fn new(pending_max: usize) -> Self {
        Engine { now: 0, pending: RadixHeap::new(), pending_max, stale_count: 0, pending_peak: 0, processed_count: 0 }
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
        assert!(
            self.pending.len - self.stale_count < self.pending_max,
            "event queue over its bound of {} live events",
            self.pending_max
        );
        self.pending.push(at, event);
        self.pending_peak = self.pending_peak.max(self.pending.len);
    }

    /// One queued event has been superseded: the model will ignore it when it is popped.
    pub fn superseded(&mut self) {
        self.stale_count += 1;
    }

    /// A superseded event was popped.
    pub fn stale_popped(&mut self) {
        self.stale_count -= 1;
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

/// A monotone priority queue on times — a radix heap with base-256 digits, in effect a
/// hierarchical timing wheel: keys never go below the reference time `last`, which only
/// moves forward, as in discrete-event simulation. An entry sits at the level of the
/// highest byte in which its time differs from `last`, in the sub-bucket of that byte's
/// value; all entries of a sub-bucket come before those of higher sub-buckets and levels.
/// Entries equal to `last` form the current bucket. A level-0 sub-bucket holds one time and
/// becomes current as a whole; a higher one is emptied into lower levels. An entry moves
/// down a few times at most (events a minute ahead: about three).
///
/// The ordering rule needs no sequence number: entries with equal times always share a
/// bucket, are appended in the order they were scheduled, and moves keep their relative
/// order, so the current bucket is a FIFO in schedule order.
///
/// `peek` may move `last` past the present, and the event being handled may still schedule
/// something before it: such entries wait in a small side list (`early`), always popped
/// first, in time then schedule order.
struct RadixHeap<E> {
    last: SimTime,
    /// Entries equal to `last`, consumed from `head`.
    current: Vec<(SimTime, E)>,
    head: usize,
    /// `[level * 256 + digit]`.
    buckets: Vec<Vec<(SimTime, E)>>,
    /// Per level, one bit per non-empty sub-bucket.
    occupied: [[u64; 4]; LEVELS],
    /// Entries earlier than `last`: (time, order of scheduling, event); a handful at most.
    early: Vec<(SimTime, u64, E)>,
    early_sequence: u64,
    len: usize,
}

const LEVELS: usize = 8;
/// Entries a drained bucket may keep room for.
const BUCKET_CAPACITY_KEPT: usize = 1024;

impl<E> RadixHeap<E> {
    fn new() -> Self {
        RadixHeap {
            last: 0,
            current: Vec::new(),
            head: 0,
            buckets: (0..LEVELS * 256).map(|_| Vec::new()).collect(),
            occupied: [[0; 4]; LEVELS],
            early: Vec::new(),
            early_sequence: 0,
            len: 0,
        }
    }

    /// Where a time goes relative to `last`: None for the current bucket.
    fn slot(last: SimTime, at: SimTime) -> Option<(usize, usize)> {
        let differ = at ^ last;
        if differ == 0 {
            return None;
        }
        let level = (63 - differ.leading_zeros() as usize) / 8;
        Some((level, ((at >> (8 * level)) & 0xff) as usize))
    }

    fn place(&mut self, at: SimTime, event: E) {
        match Self::slot(self.last, at) {
            None => self.current.push((at, event)),
            Some((level, digit)) => {
                self.buckets[level * 256 + digit].push((at, event));
                self.occupied[level][digit / 64] |= 1 << (digit % 64);
            }
        }
    }

    fn push(&mut self, at: SimTime, event: E) {
        self.len += 1;
        if at < self.last {
            self.early.push((at, self.early_sequence, event));
            self.early_sequence += 1;
        } else {
            self.place(at, event);
        }
    }

    /// The position in `early` of its next entry.
    fn earliest_early(&self) -> Option<usize> {
        (0..self.early.len()).min_by_key(|&i| (self.early[i].0, self.early[i].1))
    }

    /// The lowest non-empty sub-bucket.
    fn lowest(&self) -> Option<(usize, usize)> {
        for (level, words) in self.occupied.iter().enumerate() {
            for (w, &bits) in words.iter().enumerate() {
                if bits != 0 {
                    return Some((level, w * 64 + bits.trailing_zeros() as usize));
                }
            }
        }
        None
    }

    /// The time of the next entry; refills the current bucket when it is empty.
    fn min_key(&mut self) -> Option<SimTime> {
        if let Some(i) = self.earliest_early() {
            return Some(self.early[i].0);
        }
        while self.head == self.current.len() {
            let (level, digit) = self.lowest()?;
            let index = level * 256 + digit;
            self.occupied[level][digit / 64] &= !(1 << (digit % 64));
            let mut moved = std::mem::take(&mut self.buckets[index]);
            self.current.clear();
            self.head = 0;
            if level == 0 {
                // One time only: it becomes the current bucket as it is.
                self.last = moved[0].0;
                std::mem::swap(&mut self.current, &mut moved);
            } else {
                self.last = moved.iter().map(|(at, _)| *at).min().expect("an occupied bucket holds entries");
                for (at, event) in moved.drain(..) {
                    self.place(at, event);
                }
            }
            // Keep a small allocation for the next time this bucket fills; give a large one
            // back, or 2048 buckets would each hold on to their largest size.
            if moved.capacity() <= BUCKET_CAPACITY_KEPT {
                self.buckets[index] = moved;
            }
        }
        Some(self.last)
    }

    fn peek(&mut self) -> Option<&E> {
        self.min_key()?;
        Some(match self.earliest_early() {
            Some(i) => &self.early[i].2,
            None => &self.current[self.head].1,
        })
    }

    fn pop_min(&mut self) -> E
    where
        E: Copy,
    {
        self.min_key().expect("pop_min on an empty queue");
        self.len -= 1;
        if let Some(i) = self.earliest_early() {
            return self.early.swap_remove(i).2;
        }
        let (_, event) = self.current[self.head];
        self.head += 1;
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

    /// The engine beside a `BinaryHeap` of (time, sequence, event): both must pop the same.
    struct Checked {
        engine: Engine<u64>,
        reference: std::collections::BinaryHeap<std::cmp::Reverse<(u64, u64, u64)>>,
        sequence: u64,
    }

    impl Checked {
        fn new() -> Self {
            Checked { engine: Engine::new(100_000), reference: std::collections::BinaryHeap::new(), sequence: 0 }
        }

        fn schedule(&mut self, at: u64, event: u64) {
            self.engine.schedule(at, event);
            self.reference.push(std::cmp::Reverse((at, self.sequence, event)));
            self.sequence += 1;
        }

        fn pop(&mut self) -> (u64, u64) {
            let popped = self.engine.pop_before(u64::MAX).unwrap();
            let std::cmp::Reverse((at, _, event)) = self.reference.pop().unwrap();
            assert_eq!(popped, (at, event));
            popped
        }
    }

    #[test]
    fn matches_a_binary_heap_on_random_holds() {
        use rand::Rng;
        let mut r = crate::rng::stream(9, "test");
        let mut q = Checked::new();
        for i in 0..2_000u64 {
            q.schedule(r.next_u64() % 1_000, i);
        }
        for _ in 0..20_000 {
            let (t, e) = q.pop();
            q.schedule(t + r.next_u64() % 500, e);
        }
    }

    #[test]
    fn peeking_ahead_keeps_the_order_of_events_scheduled_meanwhile() {
        use rand::Rng;
        let mut r = crate::rng::stream(11, "test");
        let mut q = Checked::new();
        for i in 0..500u64 {
            q.schedule(r.next_u64() % 10_000, i);
        }
        for _ in 0..20_000 {
            let (t, e) = q.pop();
            q.engine.peek();
            // Often at the same instant or just after: before the peeked event.
            for _ in 0..(r.next_u64() % 3) {
                q.schedule(t + r.next_u64() % 3, e);
            }
            q.schedule(t + r.next_u64() % 5_000, e);
            while q.reference.len() > 2_000 {
                q.pop();
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
