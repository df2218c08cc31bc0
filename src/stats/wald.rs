//! The Wald goodness-of-fit test of observed counts against the model's expected counts, with the
//! model's covariance of the counts instead of the multinomial one (docs/model.md STAT-2).
//!
//! `X^2 = d^T Sigma^- d`, `d = observed - N p`, over the `g` categories left after pooling the
//! sparse ones. `Sigma` is singular (the counts sum to `N`), so `Sigma^-` is a generalized
//! inverse; for a `d` in `Sigma`'s column space `d^T G d` is the same for every generalized
//! inverse `G`, so it is `d^T Sigma^+ d`, asymptotically chi-squared with `rank(Sigma)` degrees
//! of freedom (Moore 1977).
//!
//! # In the reduced space
//! `Sigma = D + U C U^T` ([`Covariance`], pooled by the partition `P`: `P^T D P` is still
//! diagonal and `P^T U` has the same `m` columns), so the form never needs a `g x g` matrix:
//!
//! 1. Whiten the categories with `D > 0`: `e = D^{-1/2} d`, `V = D^{-1/2} U`; there
//!    `D^{-1/2} Sigma D^{-1/2} = I + V C V^T`, the identity outside `span(V)`.
//! 2. An orthonormal basis `Qv` of `span(V)` (`r <= m` columns): modified Gram-Schmidt, run
//!    twice; a column whose remainder is below `1e-10` of its length lies in the span already
//!    and adds no direction. A category with `D = 0` (every client that can reach it had no flow,
//!    so only the client-assignment term varies it) is not whitened: its unit axis joins the
//!    basis as it is, and `I` reads 0 on it. `S` is the space of that basis, `s` its dimension.
//! 3. `M = J + (Qs^T V) C (Qs^T V)^T` (`s x s`, `J` the identity on the whitened part) is
//!    assembled term by term from the centred vectors of [`Covariance`]; outside `S` the form is
//!    the plain sum of squares, so
//!    `X^2 = |e_perp|^2 + y^T M^- y`, `y = Qs^T e`, `e_perp = e - Qs y` (also projected twice),
//!    and `rank = (g - s) + rank(M)`.
//! 4. `M^-` by `L D L^T` with symmetric (diagonal) pivoting on the largest remaining diagonal
//!    entry, stopping when it falls below [`PIVOT_TOLERANCE`] times the scale of `M`: the
//!    largest diagonal entry of `J + sum_t |w_t| b_t b_t^T` over its terms (`w_t b_t b_t^T`),
//!    the size of what was summed, so that a pivot that is zero but for rounding is dropped
//!    however large the between-cluster terms (which grow with `Q_c`, as `N^2`). The null
//!    direction (the counts sum to `N`) is such a dropped pivot.
//! 5. `y` is eliminated alongside, with the row operations recorded: what is left of it after
//!    the kept pivots is its component along the dropped directions, each a known linear form
//!    `f . d` of the counts. Under the model its variance is below the tolerance; a deviation
//!    beyond ten times that standard deviation plus `1e-9 N` flows of rounding (scaled by `f`'s
//!    largest coefficient, so that the allowance is in flows, as a deviation of the counts) is a
//!    deviation the model says cannot happen: p = 0.
//!
//! Cost `O(g m^2 + m^3)` time and `O(g m)` memory, against `O(g^3)` and `O(g^2)` densely. In
//! exact arithmetic this is the dense computation; the tests compare it with a dense reference
//! (the pivoted `L D L^T` of the whole pooled matrix) on random models.

use super::Covariance;
use super::upper_regularized_gamma;

/// Pivots of `M` below this fraction of its scale (see the module documentation) are dropped
/// as zero.
pub const PIVOT_TOLERANCE: f64 = 1e-9;

/// A column of `V` whose remainder after projecting out the basis so far is below this fraction
/// of its length lies in the span already.
const SPAN_TOLERANCE: f64 = 1e-10;
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
/// outcome is certain and there is nothing random to test. Computed in the reduced space of
/// `sigma`'s factors (module documentation): `O(g m^2 + m^3)`.
///
/// # Panics
/// When the lengths of `observed`, `expected_probabilities` and `sigma` differ.
pub fn wald_fit(
    observed: &[u64],
    expected_probabilities: &[f64],
    sigma: &Covariance,
) -> Option<Fit> {
    assert_eq!(
        sigma.dimension(),
        observed.len(),
        "one row of sigma per category"
    );
    let pooled = Pooled::new(observed, expected_probabilities)?;
    let sigma = sigma.pooled(&pooled.possible, &pooled.group, pooled.d.len());
    let (statistic, rank, off_column_space) = reduced_quadratic_form(&sigma, &pooled.d, pooled.n);
    pooled.fit(statistic, rank, off_column_space)
}

/// The categories of a test after leaving out the excluded ones and pooling the sparse ones.
pub(super) struct Pooled {
    /// Whether an excluded outcome happened.
    excluded: bool,
    /// The categories with a positive expected probability, ascending.
    pub(super) possible: Vec<usize>,
    /// The group of each of `possible`.
    pub(super) group: Vec<usize>,
    /// Observed minus expected count, per group.
    pub(super) d: Vec<f64>,
    /// Flows observed.
    pub(super) n: f64,
}

impl Pooled {
    /// `None` when nothing was observed.
    ///
    /// # Panics
    /// When `observed` and `expected_probabilities` differ in length.
    pub(super) fn new(observed: &[u64], expected_probabilities: &[f64]) -> Option<Pooled> {
        let k = observed.len();
        assert_eq!(
            expected_probabilities.len(),
            k,
            "one probability per category"
        );
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
        let mut hits = vec![0u64; g];
        let mut expected = vec![0.0; g];
        for (a, &i) in possible.iter().enumerate() {
            hits[group[a]] += observed[i];
            expected[group[a]] += n_f * expected_probabilities[i];
        }
        let d = hits
            .iter()
            .zip(&expected)
            .map(|(&o, &e)| o as f64 - e)
            .collect();
        Some(Pooled {
            excluded,
            possible,
            group,
            d,
            n: n_f,
        })
    }

    /// The fit from the quadratic form of the pooled deviation.
    pub(super) fn fit(&self, statistic: f64, rank: usize, off_column_space: bool) -> Option<Fit> {
        let degrees_of_freedom = rank as u32;
        if self.excluded || off_column_space {
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
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `y -= c x`.
fn subtract(y: &mut [f64], c: f64, x: &[f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y -= c * x;
    }
}

/// `d^T Sigma^- d` in the reduced space of `sigma`'s factors (module documentation, steps 1 to
/// 5), with `n` flows scaling the rounding of the counts. Returns the form, the rank kept, and
/// whether `d` has a component along a dropped direction beyond what the dropped variance and
/// rounding allow.
fn reduced_quadratic_form(sigma: &Covariance, d: &[f64], n: f64) -> (f64, usize, bool) {
    let g = d.len();
    // 1. Whitening; a category with D = 0 (or a NaN) keeps its own axis.
    let root: Vec<f64> = sigma
        .diagonal
        .iter()
        .map(|&x| if x > 0.0 { x.sqrt() } else { 0.0 })
        .collect();
    let axes: Vec<usize> = (0..g).filter(|&i| root[i] == 0.0).collect();
    let whiten = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(&root)
            .map(|(&x, &r)| if r > 0.0 { x / r } else { 0.0 })
            .collect()
    };
    let v: Vec<Vec<f64>> = sigma.columns.iter().map(|u| whiten(u)).collect();
    // 2. An orthonormal basis of span(V), Gram-Schmidt twice per column.
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for column in &v {
        let length = dot(column, column).sqrt();
        if !(length > 0.0 && length.is_finite()) {
            continue;
        }
        let mut x = column.clone();
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &x);
                subtract(&mut x, c, q);
            }
        }
        let rest = dot(&x, &x).sqrt();
        if rest <= SPAN_TOLERANCE * length {
            continue;
        }
        for x in &mut x {
            *x /= rest;
        }
        basis.push(x);
    }
    let z = axes.len();
    let s = z + basis.len();
    // Qs^T of each column of U: the D = 0 axes as they are, then the whitened part on Qv.
    let b: Vec<Vec<f64>> = sigma
        .columns
        .iter()
        .zip(&v)
        .map(|(u, w)| {
            let mut x: Vec<f64> = axes.iter().map(|&i| u[i]).collect();
            x.extend(basis.iter().map(|q| dot(q, w)));
            x
        })
        .collect();
    // 3. M = J + sum_t w_t b_t b_t^T (upper triangle, then mirrored), and its scale.
    let mut m = vec![0.0; s * s];
    let mut scale = vec![0.0; s];
    for i in z..s {
        m[i * s + i] = 1.0;
        scale[i] = 1.0;
    }
    let mut add = |w: f64, x: &[f64]| {
        if w == 0.0 {
            return;
        }
        for i in 0..s {
            let wi = w * x[i];
            if wi == 0.0 {
                continue;
            }
            scale[i] += w.abs() * (x[i] * x[i]);
            for j in i..s {
                m[i * s + j] += wi * x[j];
            }
        }
    };
    let mut means = Vec::with_capacity(sigma.groups.len());
    for group in &sigma.groups {
        let mut mean = vec![0.0; s];
        for &(a, p) in &group.routes {
            for (m, &x) in mean.iter_mut().zip(&b[a]) {
                *m += p * x;
            }
        }
        let mut centred = vec![0.0; s];
        for &(a, p) in &group.routes {
            if group.flows != 0.0 {
                add(-(group.flows * p), &b[a]);
            }
            if group.squares != 0.0 {
                for ((c, &x), &m) in centred.iter_mut().zip(&b[a]).zip(&mean) {
                    *c = x - m;
                }
                add(group.squares * p, &centred);
            }
        }
        means.push(mean);
    }
    if sigma.assignment != 0.0 {
        let mut overall = vec![0.0; s];
        for mean in &means {
            for (o, &x) in overall.iter_mut().zip(mean) {
                *o += x;
            }
        }
        for o in &mut overall {
            *o /= means.len() as f64;
        }
        let mut centred = vec![0.0; s];
        for mean in &means {
            for ((c, &x), &o) in centred.iter_mut().zip(mean).zip(&overall) {
                *c = x - o;
            }
            add(sigma.assignment, &centred);
        }
    }
    for i in 0..s {
        for j in 0..i {
            m[i * s + j] = m[j * s + i];
        }
    }
    // y = Qs^T e and the part of e outside S, projected twice.
    let e = whiten(d);
    let mut y: Vec<f64> = axes.iter().map(|&i| d[i]).collect();
    let mut perp = e;
    y.resize(s, 0.0);
    for _ in 0..2 {
        for (j, q) in basis.iter().enumerate() {
            let c = dot(q, &perp);
            subtract(&mut perp, c, q);
            y[z + j] += c;
        }
    }
    let outside = dot(&perp, &perp);
    // 4. and 5.
    let tolerance = PIVOT_TOLERANCE * scale.iter().copied().fold(0.0, f64::max);
    let (inside, rank, leftover) = pivoted_form(m, y, tolerance);
    let mut off = false;
    for (row, left) in leftover {
        // The linear form of the counts that this leftover is: `f = Qs row`, unwhitened.
        let mut f: Vec<f64> = vec![0.0; g];
        for (&i, &h) in axes.iter().zip(&row) {
            f[i] = h;
        }
        for (q, &h) in basis.iter().zip(&row[z..]) {
            if h != 0.0 {
                subtract(&mut f, -h, q);
            }
        }
        let largest = f
            .iter()
            .zip(&root)
            .map(|(&x, &r)| if r > 0.0 { (x / r).abs() } else { x.abs() })
            .fold(0.0, f64::max);
        let slack = 10.0 * tolerance.sqrt() + 1e-9 * n * largest;
        off |= left.is_nan() || left.abs() > slack;
    }
    (outside + inside, (g - s) + rank, off)
}

/// `y^T M^- y` for the symmetric positive semi-definite `s x s` matrix `m` (row-major), by
/// `L D L^T` with symmetric pivoting on the largest remaining diagonal entry, stopping at or below
/// `tolerance`. `y` is eliminated alongside (forward substitution) and the row operations are
/// recorded: returns the form, the rank kept, and for each dropped direction the row of the
/// elimination (over the original coordinates) and what is left of `y` along it.
#[allow(clippy::type_complexity)]
fn pivoted_form(
    mut a: Vec<f64>,
    mut y: Vec<f64>,
    tolerance: f64,
) -> (f64, usize, Vec<(Vec<f64>, f64)>) {
    let s = y.len();
    let mut rows: Vec<Vec<f64>> = (0..s)
        .map(|i| {
            let mut row = vec![0.0; s];
            row[i] = 1.0;
            row
        })
        .collect();
    let mut form = 0.0;
    let mut rank = 0;
    while rank < s {
        let k = rank;
        let mut p = k;
        for j in k + 1..s {
            if a[j * s + j] > a[p * s + p] {
                p = j;
            }
        }
        let pivot = a[p * s + p];
        if pivot.is_nan() || pivot <= tolerance {
            break;
        }
        if p != k {
            for j in 0..s {
                a.swap(k * s + j, p * s + j);
            }
            for i in 0..s {
                a.swap(i * s + k, i * s + p);
            }
            y.swap(k, p);
            rows.swap(k, p);
        }
        let yk = y[k];
        form += yk * yk / pivot;
        let (done, rest) = rows.split_at_mut(k + 1);
        let row_k = &done[k];
        for (i, row_i) in (k + 1..s).zip(rest) {
            let l = a[i * s + k] / pivot;
            if l == 0.0 {
                continue;
            }
            y[i] -= l * yk;
            subtract(row_i, l, row_k);
            for j in k + 1..s {
                a[i * s + j] -= l * a[k * s + j];
            }
        }
        rank += 1;
    }
    let leftover = rows.into_iter().zip(y).skip(rank).collect();
    (form, rank, leftover)
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
