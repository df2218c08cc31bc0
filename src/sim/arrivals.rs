//! The workload's arrivals (docs/model.md WL-1): Poisson, one exponential gap per flow from its
//! arrival word, and the bound that keeps a run inside the 64-bit nanosecond clock.

/// The gap before a flow's arrival: exponential with mean `ns_per_mean` nanoseconds (Poisson
/// arrivals; [`crate::ziggurat`] from the flow's arrival word), rounded to the nearest whole
/// nanosecond (ties to even). Both engines use it.
#[inline(always)]
pub fn arrival_gap(arrival_bits: u64, ns_per_mean: f64) -> crate::time::Span {
    crate::time::Span(round_to_u64(
        crate::ziggurat::exponential(arrival_bits) * ns_per_mean,
    ))
}

/// `x >= 0` rounded to the nearest integer, ties to even. Below 2^52 by the IEEE addition of
/// 2^52 (whose sum has no fraction bits left, so the addition itself rounds): two instructions,
/// the same on every machine, no call to libm. Larger values are integers already.
#[inline(always)]
fn round_to_u64(x: f64) -> u64 {
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    if x < TWO_POW_52 {
        (x + TWO_POW_52).to_bits() - TWO_POW_52.to_bits()
    } else {
        x as u64
    }
}

/// Simulated time runs on 64-bit nanoseconds: 584 years. Arrivals use at most 2^64 - 2^62 of
/// them, the rest is left for the flows' own paths (latencies, response times, timeouts).
const ARRIVALS_ROOM_NS: f64 = 13_835_058_055_282_163_712.0;

/// `Err(years)` when `flows` arrivals at `rate` per second might not fit in simulated time:
/// their sum is bounded by `mean * (flows + 10 sqrt(flows) + 45)` (ten standard deviations of
/// the sum of exponentials, and the largest single gap the sampler can draw is under 45 means).
/// `years` is the expected duration.
pub fn arrivals_fit(flows: u64, rate: f64) -> Result<(), f64> {
    let mean = ns_per_mean(rate);
    let n = flows as f64;
    if mean * (n + 10.0 * n.sqrt() + 45.0) < ARRIVALS_ROOM_NS {
        Ok(())
    } else {
        Err(mean * n / 1e9 / (365.25 * 86_400.0))
    }
}

/// Nanoseconds per mean gap for `rate` flows per second.
pub fn ns_per_mean(rate: f64) -> f64 {
    1e9 / rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_round_to_the_nearest_nanosecond() {
        for (x, want) in [
            (0.0, 0),
            (0.49, 0),
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (2.51, 3),
            (1e7 + 0.7, 10_000_001),
            (4.6e15, 4_600_000_000_000_000),
        ] {
            assert_eq!(round_to_u64(x), want, "{x}");
        }
    }
}
