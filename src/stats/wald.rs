//! The Wald goodness-of-fit test of observed counts against the model's expected counts, with the
//! model's covariance of the counts instead of the multinomial one.
//!
//! `X^2 = d^T Sigma^- d`, `d = observed - N p`, over the categories after pooling the sparse
//! ones. `Sigma` is singular (the counts sum to `N`), so `Sigma^-` is a generalized inverse from
//! an `L D L^T` factorisation with symmetric (diagonal) pivoting that stops when the largest
//! remaining pivot falls below [`PIVOT_TOLERANCE`] times the largest diagonal entry: the kept
//! pivots span `Sigma`'s column space numerically, their number is the rank. For a `d` in that
//! column space `d^T G d` is the same for every generalized inverse `G`, so it is
//! `d^T Sigma^+ d`, asymptotically chi-squared with `rank` degrees of freedom (Moore 1977).

use super::Covariance;
use super::upper_regularized_gamma;

/// Pivots below this fraction of the largest diagonal entry of `Sigma` are dropped as zero.
pub const PIVOT_TOLERANCE: f64 = 1e-9;

/// A category whose expected count is below this is pooled with the other sparse ones
/// (Cochran's rule of thumb for the chi-squared approximation).
pub const MIN_EXPECTED: f64 = 5.0;

/// Result of a Wald goodness-of-fit test.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// `d^T Sigma^- d`; infinite when an outcome the model excludes happened.
    pub statistic: f64,
    /// The rank of the pooled `Sigma` that was kept.
    pub degrees_of_freedom: u32,
    /// Probability of a statistic at least this large if the model is right; 0 when an outcome
    /// the model excludes happened.
    pub p_value: f64,
}

/// Wald test of `observed` counts per category against `expected_probabilities` (same order,
/// summing to 1; usually [`super::expected_shares`]) with the count covariance `sigma`
/// (usually [`super::count_covariance`] of the same run).
///
/// - A category with expected probability 0 (or below) and observed hits is an outcome the model
///   excludes: statistic infinite, p-value 0. Such categories with no hits are left out.
/// - Categories whose expected count `N p` is below [`MIN_EXPECTED`] are pooled into one category
///   (their observed counts, expected counts, and rows and columns of `sigma` summed). If the
///   pool itself expects fewer than [`MIN_EXPECTED`], it is merged into the remaining category
///   with the smallest expected count (the first such on a tie); with no category remaining, the
///   pool is the only category and there is nothing to test.
/// - A deviation in a direction `sigma` says cannot vary (a dropped pivot: its remaining variance
///   is below the tolerance, so a deviation of more than ten times the tolerance's standard
///   deviation, or more than `1e-9 N` flows of rounding, is at least a 10-sigma event) is also an
///   excluded outcome: p-value 0.
/// - Otherwise the p-value is `Q(rank / 2, X^2 / 2)`.
///
/// `None` when nothing was observed, or when the rank is 0 and nothing excluded happened: the
/// outcome is certain and there is nothing random to test.
///
/// # Panics
/// When the lengths of `observed`, `expected_probabilities` and `sigma` differ.
pub fn wald_fit(
    observed: &[u64],
    expected_probabilities: &[f64],
    sigma: &Covariance,
) -> Option<Fit> {
    let k = observed.len();
    assert_eq!(
        expected_probabilities.len(),
        k,
        "one probability per category"
    );
    assert_eq!(sigma.dimension(), k, "one row of sigma per category");
    let n: u64 = observed.iter().sum();
    if n == 0 {
        return None;
    }
    let n_f = n as f64;
    let mut excluded = false;
    let possible: Vec<usize> = (0..k)
        .filter(|&i| {
            let possible = expected_probabilities[i] > 0.0;
            excluded |= !possible && observed[i] > 0;
            possible
        })
        .collect();

    let group = pool(&possible, |i| n_f * expected_probabilities[i]);
    let g = group.iter().copied().max().map_or(0, |m| m + 1);
    let mut d = vec![0.0; g];
    let mut hits = vec![0u64; g];
    let mut expected = vec![0.0; g];
    let mut pooled = vec![0.0; g * g];
    for (a, &i) in possible.iter().enumerate() {
        hits[group[a]] += observed[i];
        expected[group[a]] += n_f * expected_probabilities[i];
        for (b, &j) in possible.iter().enumerate() {
            pooled[group[a] * g + group[b]] += sigma.get(i, j);
        }
    }
    for ((x, &o), &e) in d.iter_mut().zip(&hits).zip(&expected) {
        *x = o as f64 - e;
    }

    let (statistic, rank, off_column_space) = generalized_quadratic_form(pooled, d, n_f);
    let degrees_of_freedom = rank as u32;
    if excluded || off_column_space {
        return Some(Fit {
            statistic: f64::INFINITY,
            degrees_of_freedom,
            p_value: 0.0,
        });
    }
    if rank == 0 {
        return None;
    }
    Some(Fit {
        statistic,
        degrees_of_freedom,
        p_value: upper_regularized_gamma(f64::from(degrees_of_freedom) / 2.0, statistic / 2.0),
    })
}

/// The group of each of `categories` (in order) after pooling those whose `expected` count is
/// below [`MIN_EXPECTED`]; groups are numbered from 0 in order of first appearance.
fn pool(categories: &[usize], expected: impl Fn(usize) -> f64) -> Vec<usize> {
    let sparse = |i: usize| expected(i) < MIN_EXPECTED;
    let pool_expected: f64 = categories
        .iter()
        .filter(|&&i| sparse(i))
        .map(|&i| expected(i))
        .sum();
    let any_sparse = categories.iter().any(|&i| sparse(i));
    // The remaining category the pool joins when the pool is still too sparse.
    let host = if any_sparse && pool_expected < MIN_EXPECTED {
        let mut host: Option<usize> = None;
        for (a, &i) in categories.iter().enumerate() {
            if !sparse(i) && host.is_none_or(|h| expected(i) < expected(categories[h])) {
                host = Some(a);
            }
        }
        host
    } else {
        None
    };
    let mut group = vec![usize::MAX; categories.len()];
    let mut next = 0;
    let mut pool_group = None;
    for (a, &i) in categories.iter().enumerate() {
        let joins_pool = sparse(i) || host == Some(a);
        if joins_pool {
            group[a] = *pool_group.get_or_insert_with(|| {
                next += 1;
                next - 1
            });
        } else {
            group[a] = next;
            next += 1;
        }
    }
    group
}

/// `d^T A^- d` for the symmetric positive semi-definite `g x g` matrix `a` (row-major), by
/// `L D L^T` with symmetric pivoting on the largest remaining diagonal entry, stopping below
/// [`PIVOT_TOLERANCE`] of the largest diagonal entry. `d` is eliminated alongside (forward
/// substitution), so what is left of it after the kept pivots is its component outside the kept
/// column space. Returns the form, the rank kept, and whether that component exceeds what the
/// dropped variance and rounding allow (`n` scales the rounding of the counts).
fn generalized_quadratic_form(mut a: Vec<f64>, mut d: Vec<f64>, n: f64) -> (f64, usize, bool) {
    let g = d.len();
    let largest = (0..g).map(|i| a[i * g + i]).fold(0.0, f64::max);
    let tolerance = PIVOT_TOLERANCE * largest;
    let mut form = 0.0;
    let mut rank = 0;
    while rank < g {
        let k = rank;
        let mut p = k;
        for j in k + 1..g {
            if a[j * g + j] > a[p * g + p] {
                p = j;
            }
        }
        let pivot = a[p * g + p];
        if pivot.is_nan() || pivot <= tolerance {
            break;
        }
        if p != k {
            for j in 0..g {
                a.swap(k * g + j, p * g + j);
            }
            for i in 0..g {
                a.swap(i * g + k, i * g + p);
            }
            d.swap(k, p);
        }
        let dk = d[k];
        form += dk * dk / pivot;
        for i in k + 1..g {
            let l = a[i * g + k] / pivot;
            if l == 0.0 {
                continue;
            }
            d[i] -= l * dk;
            for j in k + 1..g {
                a[i * g + j] -= l * a[k * g + j];
            }
        }
        rank += 1;
    }
    // Under the model the leftover d has covariance the leftover Schur complement, whose diagonal
    // is at most `tolerance`.
    let slack = 10.0 * tolerance.sqrt() + 1e-9 * n;
    let off = d[rank..].iter().any(|r| r.is_nan() || r.abs() > slack);
    (form, rank, off)
}

#[cfg(test)]
mod tests {
    use super::super::{ClientCounts, ClientModel, RouteModel, chi_squared, count_covariance};
    use super::*;

    fn single_route(q: &[f64], flows: u64) -> Covariance {
        count_covariance(
            &[ClientModel {
                routes: vec![RouteModel {
                    probability: 1.0,
                    outcomes: q.to_vec(),
                }],
            }],
            &[ClientCounts::unclustered(flows)],
        )
    }

    #[test]
    fn one_route_reduces_to_pearson() {
        let q = [0.2, 0.3, 0.1, 0.4];
        for observed in [
            [200u64, 300, 100, 400],
            [180, 330, 95, 395],
            [260, 240, 140, 360],
            [2_050, 2_900, 1_010, 4_040],
        ] {
            let n = observed.iter().sum();
            let wald = wald_fit(&observed, &q, &single_route(&q, n)).unwrap();
            let pearson = chi_squared(&observed, &q).unwrap();
            let scale = pearson.statistic.max(1e-6);
            assert!(
                (wald.statistic - pearson.statistic).abs() <= 1e-9 * scale,
                "{observed:?}: {} vs {}",
                wald.statistic,
                pearson.statistic
            );
            assert_eq!(wald.degrees_of_freedom, pearson.degrees_of_freedom);
            assert!((wald.p_value - pearson.p_value).abs() <= 1e-9);
        }
        // The cluster sizes and a second client with the same route change nothing.
        let observed = [180u64, 330, 95, 395];
        let model = ClientModel {
            routes: vec![RouteModel {
                probability: 1.0,
                outcomes: q.to_vec(),
            }],
        };
        let sigma = count_covariance(
            &[model.clone(), model],
            &[
                ClientCounts {
                    flows: 400,
                    cluster_squares: 400 * 400,
                },
                ClientCounts::unclustered(600),
            ],
        );
        let wald = wald_fit(&observed, &q, &sigma).unwrap();
        let pearson = chi_squared(&observed, &q).unwrap();
        assert!((wald.statistic - pearson.statistic).abs() <= 1e-9 * pearson.statistic);
    }

    #[test]
    fn sparse_categories_are_pooled() {
        // Expected 0.5 flows in the last category, observed 3: Pearson alone calls that a misfit;
        // pooled into the next-smallest category it is not.
        let q = [0.5, 0.3, 0.1999, 0.0001];
        let observed = [2_500u64, 1_500, 997, 3];
        let sigma = single_route(&q, 5_000);
        let pearson = chi_squared(&observed, &q).unwrap();
        assert!(pearson.p_value < 0.01, "{pearson:?}");
        let wald = wald_fit(&observed, &q, &sigma).unwrap();
        assert!(wald.p_value > 0.5, "{wald:?}");
        assert_eq!(wald.degrees_of_freedom, 2);
        assert!(wald.statistic < 1e-9);

        // Six sparse categories expecting 9 flows together stay one category of their own.
        let mut q = vec![0.5, 0.3, 0.2 - 6.0 * 0.0003];
        q.extend([0.0003; 6]);
        let observed = [2_510u64, 1_490, 991, 2, 0, 1, 3, 1, 2];
        let wald = wald_fit(&observed, &q, &single_route(&q, 5_000)).unwrap();
        assert_eq!(wald.degrees_of_freedom, 3);
        assert!(wald.p_value > 0.5, "{wald:?}");

        // The grouping itself.
        let expected = [100.0, 2.0, 50.0, 1.0, 7.0];
        assert_eq!(pool(&[0, 1, 2, 3, 4], |i| expected[i]), vec![0, 1, 2, 1, 1]);
        let expected = [100.0, 2.0, 50.0, 4.0, 7.0];
        assert_eq!(pool(&[0, 1, 2, 3, 4], |i| expected[i]), vec![0, 1, 2, 1, 3]);
        assert_eq!(pool(&[0, 1], |_| 1.0), vec![0, 0]);
    }

    #[test]
    fn excluded_outcomes_give_p_zero() {
        // Expected probability 0, observed once.
        let q = [0.6, 0.4, 0.0];
        let fit = wald_fit(&[600, 399, 1], &q, &single_route(&q, 1_000)).unwrap();
        assert_eq!(fit.p_value, 0.0);
        assert_eq!(fit.statistic, f64::INFINITY);
        // ... but never observed: a normal test over the other two.
        let fit = wald_fit(&[600, 400, 0], &q, &single_route(&q, 1_000)).unwrap();
        assert_eq!(
            (fit.statistic, fit.degrees_of_freedom, fit.p_value),
            (0.0, 1, 1.0)
        );

        // The covariance says categories 1 and 2 cannot vary (their route is certain, say), but
        // the expected shares put them at 25 % each and the counts moved between them.
        let sigma = single_route(&[0.5, 0.5, 0.0], 1_000);
        let q = [0.5, 0.25, 0.25];
        let moved = wald_fit(&[500, 260, 240], &q, &sigma).unwrap();
        assert_eq!(moved.p_value, 0.0);
        assert_eq!(moved.degrees_of_freedom, 1);
        let still = wald_fit(&[500, 250, 250], &q, &sigma).unwrap();
        assert_eq!(still.p_value, 1.0);

        // A certain outcome: nothing to test, unless something else happened.
        let q = [1.0, 0.0];
        assert_eq!(wald_fit(&[1_000, 0], &q, &single_route(&q, 1_000)), None);
        assert_eq!(
            wald_fit(&[999, 1], &q, &single_route(&q, 1_000))
                .unwrap()
                .p_value,
            0.0
        );
        assert_eq!(wald_fit(&[0, 0], &q, &single_route(&q, 0)), None);
    }
}
