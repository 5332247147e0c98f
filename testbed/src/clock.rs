//! The run's one time origin. Every logged instant is integer microseconds since it (monotonic
//! clock); the wall-clock instant of the origin is recorded once so logs can be lined up with
//! daemon logs.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    pub origin_unix_s: f64,
}

impl Clock {
    pub fn start() -> Clock {
        let origin = Instant::now();
        let origin_unix_s = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        Clock { origin, origin_unix_s }
    }

    /// Microseconds since the origin.
    pub fn now_us(&self) -> u64 {
        self.us(Instant::now())
    }

    pub fn us(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_micros()).unwrap_or(u64::MAX)
    }

    pub fn instant(&self, us: u64) -> Instant {
        self.origin + Duration::from_micros(us)
    }
}

pub fn secs_to_us(s: f64) -> u64 {
    assert!(s.is_finite() && s >= 0.0, "negative or non-finite duration {s}");
    (s * 1e6).round() as u64
}

pub fn us_to_s(us: u64) -> f64 {
    us as f64 / 1e6
}
