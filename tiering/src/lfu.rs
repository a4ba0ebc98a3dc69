//! Access tracking, bit-for-bit as Redis keeps it in the 24-bit `lru` field.
//!
//! Under an LFU policy the field holds two parts: the top 16 bits are the
//! time of the last decrement, in minutes (wrapping every ~45 days), and the
//! low 8 bits a *logarithmic* access counter (a Morris counter). New values
//! start at `LFU_INIT_VAL` so they are not evicted before they had a chance
//! to be used. Each access first decays the counter by one per
//! `lfu-decay-time` minutes elapsed, then increments it with probability
//! `1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1)`, so with the
//! default factor of 10 a counter of 255 needs about a million hits.
//!
//! Under other policies the field is an LRU clock in seconds, wrapping at
//! 2^24, from which `OBJECT IDLETIME` is estimated.

use rand::Rng;

pub const LFU_INIT_VAL: u8 = 5;
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
const LRU_CLOCK_RESOLUTION_MS: u64 = 1000;

/// The tunables of the counter (`lfu-log-factor`, `lfu-decay-time`).
#[derive(Clone, Copy, Debug)]
pub struct LfuParams {
    pub log_factor: u32,
    pub decay_time: u32,
}

impl Default for LfuParams {
    fn default() -> Self {
        LfuParams {
            log_factor: 10,
            decay_time: 1,
        }
    }
}

pub fn lru_clock(now_ms: u64) -> u32 {
    ((now_ms / LRU_CLOCK_RESOLUTION_MS) & LRU_CLOCK_MAX as u64) as u32
}

fn minutes(now_ms: u64) -> u32 {
    ((now_ms / 1000 / 60) & 0xffff) as u32
}

/// The initial field for a new value.
pub fn initial(lfu_policy: bool, now_ms: u64) -> u32 {
    if lfu_policy {
        (minutes(now_ms) << 8) | LFU_INIT_VAL as u32
    } else {
        lru_clock(now_ms)
    }
}

/// The field for a value restored (RESTORE, RDB load) with what was saved
/// with it: its frequency counts under an LFU policy, its idle time under
/// the others; otherwise it is a new value.
pub fn restored(lfu_policy: bool, freq: Option<u8>, idle_secs: Option<u64>, now_ms: u64) -> u32 {
    match (lfu_policy, freq, idle_secs) {
        (true, Some(f), _) => with_freq(f, now_ms),
        (false, _, Some(i)) => with_idle(i, now_ms),
        _ => initial(lfu_policy, now_ms),
    }
}

/// The field for a value restored with a saved access frequency (LFU
/// policies).
pub fn with_freq(freq: u8, now_ms: u64) -> u32 {
    (minutes(now_ms) << 8) | freq as u32
}

/// The field for a value restored with a saved idle time (LRU policies).
/// An idle time longer than the clock's range becomes "half a clock
/// period ago", as Redis does.
pub fn with_idle(idle_secs: u64, now_ms: u64) -> u32 {
    let clock = lru_clock(now_ms) as i64;
    let idle = (idle_secs.saturating_mul(1000) / LRU_CLOCK_RESOLUTION_MS) as i64;
    let abs = clock - idle;
    if abs < 0 {
        ((clock + (LRU_CLOCK_MAX / 2) as i64) % LRU_CLOCK_MAX as i64) as u32
    } else {
        abs as u32
    }
}

fn time_elapsed(ldt: u32, now_ms: u64) -> u32 {
    let now = minutes(now_ms);
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// The counter as last stored (no decay applied).
pub fn counter(field: u32) -> u8 {
    (field & 255) as u8
}

/// The counter after decay, without updating the field (`OBJECT FREQ`).
pub fn decayed_counter(field: u32, params: LfuParams, now_ms: u64) -> u8 {
    let ldt = field >> 8;
    let counter = (field & 255) as u8;
    let periods = time_elapsed(ldt, now_ms)
        .checked_div(params.decay_time)
        .unwrap_or(0);
    if periods == 0 {
        counter
    } else if periods > counter as u32 {
        0
    } else {
        counter - periods as u8
    }
}

fn log_incr<R: Rng + ?Sized>(counter: u8, log_factor: u32, rng: &mut R) -> u8 {
    if counter == 255 {
        return 255;
    }
    let r: f64 = rng.gen();
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// The field after one access.
pub fn touch<R: Rng + ?Sized>(
    field: u32,
    lfu_policy: bool,
    params: LfuParams,
    now_ms: u64,
    rng: &mut R,
) -> u32 {
    if lfu_policy {
        let c = decayed_counter(field, params, now_ms);
        let c = log_incr(c, params.log_factor, rng);
        (minutes(now_ms) << 8) | c as u32
    } else {
        lru_clock(now_ms)
    }
}

/// Estimated idle time in milliseconds from an LRU field.
pub fn idle_ms(field: u32, now_ms: u64) -> u64 {
    let clock = lru_clock(now_ms);
    let ticks = if clock >= field {
        clock - field
    } else {
        clock + (LRU_CLOCK_MAX - field)
    };
    ticks as u64 * LRU_CLOCK_RESOLUTION_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn counter_is_logarithmic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let p = LfuParams::default();
        let now = 1_700_000_000_000;
        let mut f = initial(true, now);
        assert_eq!(decayed_counter(f, p, now), 5);
        for _ in 0..100 {
            f = touch(f, true, p, now, &mut rng);
        }
        let c100 = decayed_counter(f, p, now);
        // From LFU_INIT_VAL with factor 10, ~100 hits gives about 8.
        assert!((7..=10).contains(&c100), "counter {c100}");
        for _ in 0..100_000 {
            f = touch(f, true, p, now, &mut rng);
        }
        let c = decayed_counter(f, p, now);
        assert!((100..=200).contains(&c), "counter {c}");
    }

    #[test]
    fn counter_decays_per_minute() {
        let p = LfuParams::default();
        let now = 1_700_000_000_000;
        let f = (minutes(now) << 8) | 20;
        assert_eq!(decayed_counter(f, p, now + 3 * 60_000), 17);
        assert_eq!(decayed_counter(f, p, now + 300 * 60_000), 0);
    }

    #[test]
    fn idle_time_wraps() {
        let now = 10_000;
        assert_eq!(idle_ms(lru_clock(now), now + 5000), 5000);
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 1, 2000), 3000);
    }
}
