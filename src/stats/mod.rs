//! Statistics of a report: confidence intervals of shares and goodness-of-fit tests of observed
//! counts per outcome (targets, then failure reasons) against the expected distribution.
//!
//! # What is modelled
//! [`wilson95`] and [`chi_squared`] treat flows as independent draws. They are not: a client that
//! caches its DNS answer sends every flow of one TTL window (a *cluster*) to the same endpoint
//! ENI, so the DNS decision is shared within a cluster. With ENIs in two AZs, cross-zone off and
//! one caching client, 200,000 flows at 100 flows/s and a 60 s TTL are only about 33 independent
//! DNS decisions, and Pearson's test rejects a correct model (p = 1e-74).
//!
//! The clustered statistics model the flows in two stages. Each flow picks a client uniformly
//! among `C`; each cluster of client `c` draws a route `R` (the address curl connects to) with
//! probability `pi_c(R)`; within the cluster, flows draw their outcomes independently from the
//! route's distribution `q_R`. [`count_covariance`] gives the covariance of the count vector
//! under that model from the observed flows and sum of squared cluster sizes of each client
//! (the between-cluster term grows with the squares: the design effect of cluster sampling).
//! [`share_interval`] turns the variance of one count, or of a sum of counts
//! ([`Covariance::variance_of`]), into a 95 % interval of a share; [`wald_fit`] tests the whole
//! count vector with that covariance. With one client and one route both reduce to the
//! multinomial case: [`wald_fit`] then gives Pearson's statistic.
//!
//! The covariance is kept factored, `Sigma = D + U C U^T` with `D` diagonal and `U` the few
//! distinct route vectors (never `k x k`: 10,000 targets would need 800 MB), and the Wald test
//! is computed in the space `U` spans, `O(k m^2)` for `m` routes instead of `O(k^3)`
//! (`covariance.rs`, `wald.rs`; `dense_tests.rs` checks both against the dense matrix).
//!
//! The between-cluster term uses the observed cluster sizes as fixed; the client-assignment term
//! is the multinomial variance of the flows per client. Both are the law of total covariance; the
//! normal approximation behind the intervals and the chi-squared reference distribution needs
//! enough clusters (a few dozen) as well as enough flows.
//!
//! Each cluster draws its route independently of the client's other clusters: the order of each
//! DNS answer is drawn per query (docs/model.md DNS-5), so this holds by construction. The
//! normal approximation behind the intervals and the fit needs a few dozen clusters; with fewer,
//! [`given_routes`] tests the outcomes given the DNS decisions actually made, where the flows are
//! independent draws (the generated-scenario tests use both). docs/model.md STAT-2.
//!
//! All functions are deterministic across machines: IEEE basic operations and `sqrt` only, plus
//! [`crate::detmath`] for `ln`, `exp` and `ln_gamma`; fixed summation orders.
//!
//! Sources: Wilson score interval (Wilson 1927, JASA 22:209-212); regularized incomplete gamma by
//! series and continued fraction (Numerical Recipes, 3rd ed., 6.2); design effect of cluster
//! sampling (Kish 1965, *Survey Sampling*); Pearson's test under cluster sampling (Rao and
//! Scott 1981, JASA 76:221-230); Wald tests with a generalized inverse of a singular covariance
//! (Moore 1977, JASA 72:131-137); pooling below 5 expected (Cochran 1954, Biometrics
//! 10:417-451); Cholesky/`L D L^T` of a semi-definite matrix with complete pivoting (Higham,
//! *Accuracy and Stability of Numerical Algorithms*, 2nd ed., 10.3); Gram-Schmidt run twice
//! ("twice is enough": Giraud, Langou and Rozloznik 2005, Comput. Math. Appl. 50:1069-1075);
//! the inverse of a diagonal plus low-rank matrix in the low-rank space (Woodbury 1950; Golub and
//! Van Loan, *Matrix Computations*, 4th ed., 2.1.4).

mod covariance;
#[cfg(test)]
mod coverage_tests;
#[cfg(test)]
mod dense_tests;
mod wald;

pub use covariance::{
    ClientCounts, ClientModel, Covariance, RouteModel, count_covariance, expected_shares,
    given_routes,
};
pub use wald::{Fit, MIN_EXPECTED, PIVOT_TOLERANCE, wald_fit};

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

/// The 95 % interval of the share `hits / n` given the variance of the count `hits` (from
/// [`Covariance::get`] or [`Covariance::variance_of`]): the share plus or minus
/// `1.96 sqrt(variance) / n`, clamped to `[0, 1]`. `[0, 0]` when `n` is 0.
pub fn share_interval(hits: u64, n: u64, variance_of_count: f64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 0.0];
    }
    let n_f = n as f64;
    let share = hits as f64 / n_f;
    let half = Z95 * variance_of_count.max(0.0).sqrt() / n_f;
    [(share - half).max(0.0), (share + half).min(1.0)]
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

    #[test]
    fn share_interval_is_symmetric_and_clamped() {
        // sd 100 flows of 10,000: half-width 1.96 %.
        let [lo, hi] = share_interval(5_000, 10_000, 10_000.0);
        assert!((lo - (0.5 - 0.0195996)).abs() < 1e-7 && (hi - (0.5 + 0.0195996)).abs() < 1e-7);
        let [lo, hi] = share_interval(100, 10_000, 1e6);
        assert!(lo == 0.0 && (hi - (0.01 + Z95 * 0.1)).abs() < 1e-15);
        assert_eq!(share_interval(10_000, 10_000, 1e6)[1], 1.0);
        assert_eq!(share_interval(3, 10, 0.0), [0.3, 0.3]);
        assert_eq!(share_interval(0, 0, 1.0), [0.0, 0.0]);
    }
}
