//! `--rate`: the open-loop schedule of one connection.
//!
//! The target rate is split evenly over the connections. Connection `c`
//! sends batch `b` (its `--pipeline` commands) at the fixed time
//! `offset_c + b × interval`, with `interval = pipeline / (rate /
//! connections)`; the offsets spread the connections evenly over one
//! interval so they do not all send at the same instant. The schedule
//! never moves: a connection that falls behind (the server is slower than
//! the target, or a reply stalled) sends its late batches back to back
//! until it is on time again, and each command's latency is measured from
//! its batch's scheduled time, not from when it could finally be sent.
//! That is the latency a client issuing requests at the target rate would
//! see, including the time spent queued behind slow replies (no
//! "coordinated omission").

use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    /// Seconds from the start of the run to the first batch.
    offset: f64,
    /// Seconds between two batches of this connection.
    interval: f64,
}

impl Pacer {
    /// The schedule of connection `conn` of `connections`, for `rate`
    /// commands per second in total and `pipeline` commands per batch.
    pub fn new(rate: f64, connections: usize, conn: usize, pipeline: usize) -> Pacer {
        let per_conn = rate / connections as f64;
        let interval = pipeline as f64 / per_conn;
        Pacer {
            offset: interval * conn as f64 / connections as f64,
            interval,
        }
    }

    /// When batch `b` is due, from the start of the run.
    pub fn due(&self, b: u64) -> Duration {
        Duration::from_secs_f64(self.offset + b as f64 * self.interval)
    }

    /// How many batches are due before `secs` into the run.
    #[cfg(test)]
    pub fn batches_before(&self, secs: f64) -> u64 {
        if secs <= self.offset {
            0
        } else {
            ((secs - self.offset) / self.interval).ceil() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_adds_up_to_the_target_rate() {
        for (rate, conns, pipeline) in [(1000.0, 16, 1), (333.0, 7, 4), (50.0, 3, 1), (1e6, 32, 16)]
        {
            let secs = 10.0;
            let total: u64 = (0..conns)
                .map(|c| {
                    Pacer::new(rate, conns, c, pipeline).batches_before(secs) * pipeline as u64
                })
                .sum();
            let want = rate * secs;
            // Each connection rounds up to a whole batch at most.
            assert!(
                (total as f64 - want).abs() <= (conns * pipeline) as f64,
                "{rate} {conns} {pipeline}: {total} vs {want}"
            );
        }
    }

    /// Equal to the microsecond (the arithmetic is in floating point).
    fn near(a: Duration, ms: f64) -> bool {
        (a.as_secs_f64() * 1000.0 - ms).abs() < 1e-3
    }

    #[test]
    fn batches_are_evenly_spaced_and_connections_staggered() {
        let p = Pacer::new(100.0, 4, 0, 1);
        // 25 per second per connection: one every 40 ms.
        assert!(near(p.due(0), 0.0));
        assert!(near(p.due(1), 40.0));
        assert!(near(p.due(25), 1000.0));
        // One connection every 10 ms.
        for c in 0..4 {
            assert!(near(Pacer::new(100.0, 4, c, 1).due(0), 10.0 * c as f64));
        }
        // Pipelining sends the same commands in fewer, wider-spaced batches.
        assert!(near(Pacer::new(100.0, 4, 0, 5).due(1), 200.0));
    }
}
