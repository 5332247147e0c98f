//! Benchmark yardsticks: a bare `BinaryHeap` hold loop and the engine's own hold loop at a
//! given queue size, so that the model's events per second read as a ratio that holds on a
//! noisy machine. Pure work; the caller times it.

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
