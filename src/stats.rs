//! Statistics of a report: confidence intervals of shares and a chi-squared goodness-of-fit test
//! of observed hits against the expected distribution.
//!
//! All functions are deterministic across machines (see [`crate::detmath`]).
//! Sources: Wilson score interval (Wilson 1927); regularized incomplete gamma by series and
//! continued fraction (Numerical Recipes, 3rd ed., 6.2).

use crate::detmath::{exp, ln, ln_gamma};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score 95 % interval of a proportion `hits / n`. `(0, 0)` when `n` is 0.
pub fn wilson95(hits: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let n_f = n as f64;
    let p = hits as f64 / n_f;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Result of a chi-squared goodness-of-fit test.
#[derive(Clone, Debug, PartialEq)]
pub struct ChiSquared {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom (categories with a positive expected share, minus one).
    pub degrees_of_freedom: u32,
    /// Probability of a statistic at least this large if the expected distribution is right.
    pub p_value: f64,
}

/// Chi-squared test of `observed` counts against `expected` probabilities (same order, summing to
/// 1). A category with expected probability 0 and observed hits makes the p-value 0 (an outcome
/// the model rules out happened). `None` when fewer than two categories are possible: the
/// outcome is then certain and there is nothing to test.
pub fn chi_squared(observed: &[u64], expected: &[f64]) -> Option<ChiSquared> {
    let n: u64 = observed.iter().sum();
    if n == 0 {
        return None;
    }
    let n_f = n as f64;
    let mut statistic = 0.0;
    let mut categories = 0u32;
    let mut impossible = false;
    for (&o, &p) in observed.iter().zip(expected) {
        if p <= 0.0 {
            impossible |= o > 0;
            continue;
        }
        categories += 1;
        let e = p * n_f;
        statistic += (o as f64 - e) * (o as f64 - e) / e;
    }
    if categories < 2 {
        return impossible.then_some(ChiSquared {
            statistic: f64::INFINITY,
            degrees_of_freedom: 0,
            p_value: 0.0,
        });
    }
    let degrees_of_freedom = categories - 1;
    let p_value = if impossible {
        0.0
    } else {
        upper_regularized_gamma(f64::from(degrees_of_freedom) / 2.0, statistic / 2.0)
    };
    Some(ChiSquared {
        statistic: if impossible { f64::INFINITY } else { statistic },
        degrees_of_freedom,
        p_value,
    })
}

/// Q(a, x) = Gamma(a, x) / Gamma(a), the upper regularized incomplete gamma function.
pub fn upper_regularized_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let prefix = exp(a * ln(x) - x - ln_gamma(a));
    if x < a + 1.0 {
        // Series for P(a, x).
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut k = a;
        for _ in 0..1000 {
            k += 1.0;
            term *= x / k;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * prefix).clamp(0.0, 1.0)
    } else {
        // Continued fraction for Q(a, x) (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let i = f64::from(i);
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (prefix * h).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_squared_p_values_match_tables() {
        // Upper tail of the chi-squared distribution: Q(k/2, x/2).
        let cases = [
            (1.0, 3.841, 0.05),
            (2.0, 5.991, 0.05),
            (2.0, 9.210, 0.01),
            (6.0, 12.592, 0.05),
            (10.0, 2.558, 0.99),
        ];
        for (k, x, p) in cases {
            let q = upper_regularized_gamma(k / 2.0, x / 2.0);
            assert!((q - p).abs() < 2e-4, "k={k} x={x}: {q} vs {p}");
        }
        // With 2 degrees of freedom Q is exactly exp(-x/2).
        assert!((upper_regularized_gamma(1.0, 1.5) - (-1.5f64).exp()).abs() < 1e-14);
    }

    #[test]
    fn chi_squared_test_behaviour() {
        let third = 1.0 / 3.0;
        let fair = chi_squared(&[1000, 1000, 1000], &[third, third, third]).unwrap();
        assert_eq!(fair.statistic, 0.0);
        assert_eq!(fair.p_value, 1.0);
        assert_eq!(fair.degrees_of_freedom, 2);
        let skewed = chi_squared(&[1200, 900, 900], &[third, third, third]).unwrap();
        assert!(skewed.p_value < 1e-6);
        // A certain outcome has nothing to test; an impossible one happening fails outright.
        assert_eq!(chi_squared(&[3000, 0, 0], &[1.0, 0.0, 0.0]), None);
        assert_eq!(
            chi_squared(&[2999, 1, 0], &[1.0, 0.0, 0.0])
                .unwrap()
                .p_value,
            0.0
        );
    }

    #[test]
    fn wilson_interval_contains_the_share_and_narrows() {
        let (lo, hi) = wilson95(10_000, 30_000);
        assert!(lo < 1.0 / 3.0 && 1.0 / 3.0 < hi);
        assert!((hi - lo) < 0.011 && (hi - lo) > 0.010);
        let (lo, hi) = wilson95(30_000, 30_000);
        assert!(lo > 0.9998 && hi == 1.0);
        assert_eq!(wilson95(0, 0), (0.0, 0.0));
    }
}
