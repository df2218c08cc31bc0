//! The workload's arrivals (docs/model.md WL-1): Poisson, one exponential gap per flow from its
//! arrival word. ([`crate::time::arrivals_fit`] keeps a run inside the 64-bit nanosecond clock.)

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
