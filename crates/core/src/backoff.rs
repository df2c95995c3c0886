//! Retry delays for failed jobs: exponential with full jitter, capped.

use crate::time::Millis;

/// Delay before retry number `attempt` (1-based), given a jitter sample in `[0, 1)`.
///
/// The upper bound doubles each attempt from `base` up to `cap`; the delay is drawn in the
/// upper half of that bound so retries spread out without ever retrying immediately.
pub fn retry_delay(attempt: u32, base: Millis, cap: Millis, jitter: f64) -> Millis {
    let exp = attempt.saturating_sub(1).min(30);
    let bound = base.saturating_mul(1_i64 << exp).min(cap).max(1);
    let j = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let half = bound / 2;
    half + ((bound - half) as f64 * j) as Millis
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grows_then_caps() {
        assert_eq!(retry_delay(1, 1000, 60_000, 1.0), 1000);
        assert_eq!(retry_delay(2, 1000, 60_000, 1.0), 2000);
        assert_eq!(retry_delay(3, 1000, 60_000, 0.0), 2000);
        assert_eq!(retry_delay(20, 1000, 60_000, 1.0), 60_000);
    }

    proptest! {
        #[test]
        fn within_bounds(attempt in 0u32..100, j in proptest::num::f64::ANY) {
            let d = retry_delay(attempt, 500, 3_600_000, j);
            prop_assert!((250..=3_600_000).contains(&d));
        }
    }
}
