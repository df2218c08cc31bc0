//! The covariance of the outcome counts when flows come in clusters that share one DNS decision,
//! kept in factored form: never as a `k x k` matrix (docs/model.md STAT-2).
//!
//! Per client `c` (chosen uniformly per flow among `C`), each cluster (one TTL window of one
//! client) draws a route `R` with probability `pi_c(R)` and its flows then draw outcomes
//! independently from `q_R`. With `N_c` flows and `Q_c` = sum of squared cluster sizes, the law
//! of total covariance (first over the routes, then over the client assignment
//! `N_c ~ Multinomial(N, 1/C)`) gives
//!
//! ```text
//! Sigma = sum_c [ N_c E_pi_c[diag(q) - q q^T] + Q_c Cov_pi_c(q) ]
//!       + (N / C) sum_c (mu_c - mubar)(mu_c - mubar)^T
//! ```
//!
//! with `mu_c = E_pi_c[q]` and `mubar` their mean over clients; the last sum equals
//! `N ((1/C) sum_c mu_c mu_c^T - mubar mubar^T)`. Every term is a sum of positive multiples of
//! outer products or of multinomial covariances, so `Sigma` is positive semi-definite, and each
//! row sums to zero (every flow has exactly one outcome).
//!
//! # Factored form
//! Every term but the diagonal one lives in the span of the route vectors `q_R`:
//! `q_R - mu_c` and `mu_c - mubar` are combinations of them. With the distinct route vectors as
//! the columns of `U` (`k x m`, `m` at most the number of routes, usually a handful; identical
//! vectors of several clients are one column), `Sigma = D + U C U^T`:
//!
//! - `D = diag(sum_c N_c mu_c)`, the expected count of each category given the client counts;
//! - `C = sum_c [ -N_c diag(pi_c) + Q_c sum_R pi_c(R) (e_R - pi_c)(e_R - pi_c)^T ]
//!   + (N / C) sum_c (pi_c - pibar)(pi_c - pibar)^T`, over the route space.
//!
//! [`Covariance`] keeps `D`, `U` and each client's `(N_c, Q_c, pi_c)` (`O(k m)` memory), never
//! `C` multiplied out: the terms are evaluated centred, as written above, so that a sum the
//! routes cannot change (all targets together, a certain outcome) gets variance 0 to rounding of
//! its own size, not to rounding of `Q_c` (which grows as `N^2`). [`Covariance::variance_of`] is
//! exact in that sense; [`super::wald_fit`] works in the reduced space of `U` (see its module).
/// The model of one client: the routes (DNS decisions) its clusters take.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientModel {
    /// The routes, with probabilities given this client that sum to 1.
    pub routes: Vec<RouteModel>,
}

/// One route (which address curl connects to) and the outcome distribution of its flows.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteModel {
    /// Probability of this route given the client.
    pub probability: f64,
    /// Probability of each outcome category (targets, then failure reasons) for a flow on this
    /// route; sums to 1. A shorter vector than another route's reads as zeros beyond its end.
    pub outcomes: Vec<f64>,
}

/// What a run observed of one client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCounts {
    /// Flows of this client.
    pub flows: u64,
    /// Sum over the client's clusters of the squared cluster size. A client that does not cache
    /// has one flow per cluster: `cluster_squares == flows`.
    pub cluster_squares: u128,
}

impl ClientCounts {
    /// The counts of a client whose every flow is its own cluster (no caching).
    pub fn unclustered(flows: u64) -> ClientCounts {
        ClientCounts {
            flows,
            cluster_squares: u128::from(flows),
        }
    }
}

/// One client's share of the covariance (the terms of `Sigma` indexed by `c`), in the route
/// space of [`Covariance`].
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Group {
    /// `N_c`: the weight of the within-route (multinomial) terms.
    pub(super) flows: f64,
    /// `Q_c` when the between-cluster term applies (two or more routes that clusters can take),
    /// else 0.
    pub(super) squares: f64,
    /// `(column of U, pi_c(R))` per route with a non-zero probability, in the model's order.
    pub(super) routes: Vec<(usize, f64)>,
}

/// The covariance of the count vector, `Sigma = D + U C U^T` (module documentation): the
/// diagonal `D`, the distinct route vectors (the columns of `U`) and each client's weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Covariance {
    dimension: usize,
    /// `D`: per category, `sum_c N_c mu_c`.
    pub(super) diagonal: Vec<f64>,
    /// The columns of `U`, each of length `dimension`, in order of first appearance.
    pub(super) columns: Vec<Vec<f64>>,
    /// Per client.
    pub(super) groups: Vec<Group>,
    /// `N / C`, the weight of the client-assignment term; 0 when it does not apply (one client,
    /// or no flows).
    pub(super) assignment: f64,
}

impl Covariance {
    /// Number of categories (rows and columns of `Sigma`).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Entry `(i, j)`: the covariance of the counts of categories `i` and `j` (`O(routes)`).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return self.variance_of(&[i]);
        }
        let values: Vec<[f64; 2]> = self.columns.iter().map(|u| [u[i], u[j]]).collect();
        self.form(&values, |[a, b]| a * b)
    }

    /// Variance of the summed count of the distinct categories `indices` (a subnet's or an AZ's
    /// targets): `1_S^T Sigma 1_S`, clamped at 0 against rounding. With `s_R = q_R . 1_S` (the
    /// share of route `R`'s flows in the set) it is
    /// `sum_c [ N_c E_pi_c[s (1 - s)] + Q_c Var_pi_c(s) ] + (N / C) sum_c (E_pi_c[s] - mean)^2`:
    /// `O(|S| m + routes)`, no `k x k` matrix. Each index must appear once.
    pub fn variance_of(&self, indices: &[usize]) -> f64 {
        let sums: Vec<f64> = self
            .columns
            .iter()
            .map(|u| indices.iter().map(|&i| u[i]).sum())
            .collect();
        self.form(&sums, |s| s * s).max(0.0)
    }

    /// `x^T Sigma y` for the vectors `x`, `y` whose products with the columns of `U` are given
    /// by `values` (one per column) through `product` (`x . u` times `y . u` from the pair).
    /// The diagonal term and the within-route term together are `N_c pi (x.D_R y - xu yu)`; for
    /// a set's indicator (`x = y`, entries 0 or 1) `x.D_R y = s`, so it is `s (1 - s)`, kept
    /// accurate near 0 and 1. Summation order: clients, then routes, in model order.
    fn form<T: Centred>(&self, values: &[T], product: impl Fn(T) -> f64) -> f64 {
        let mut total = 0.0;
        let mut means = Vec::with_capacity(self.groups.len());
        for group in &self.groups {
            let mut mean = T::zero();
            for &(a, p) in &group.routes {
                mean = mean.add_scaled(values[a], p);
            }
            for &(a, p) in &group.routes {
                let v = values[a];
                if group.flows != 0.0 {
                    total += group.flows * p * v.within(product(v));
                }
                if group.squares != 0.0 {
                    total += group.squares * p * product(v.minus(mean));
                }
            }
            means.push(mean);
        }
        if self.assignment != 0.0 {
            let mut overall = T::zero();
            for &m in &means {
                overall = overall.add_scaled(m, 1.0);
            }
            let overall = overall.scaled(1.0 / means.len() as f64);
            for &m in &means {
                total += self.assignment * product(m.minus(overall));
            }
        }
        total
    }

    /// The same covariance over `groups` categories, category `categories[a]` summed into group
    /// `group[a]`: `P^T Sigma P` for the 0/1 matrix `P` of that partition, still factored
    /// (`P^T D P` is diagonal, `P^T U` has `m` columns). `O(k m)`.
    pub(super) fn pooled(
        &self,
        categories: &[usize],
        group: &[usize],
        groups: usize,
    ) -> Covariance {
        let mut diagonal = vec![0.0; groups];
        for (&i, &g) in categories.iter().zip(group) {
            diagonal[g] += self.diagonal[i];
        }
        let columns = self
            .columns
            .iter()
            .map(|u| {
                let mut pooled = vec![0.0; groups];
                for (&i, &g) in categories.iter().zip(group) {
                    pooled[g] += u[i];
                }
                pooled
            })
            .collect();
        Covariance {
            dimension: groups,
            diagonal,
            columns,
            groups: self.groups.clone(),
            assignment: self.assignment,
        }
    }

    /// The dense `k x k` matrix, row-major: only for tests (it is what this type avoids).
    #[cfg(test)]
    pub(super) fn dense(&self) -> Vec<f64> {
        let k = self.dimension;
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                out[i * k + j] = self.get(i, j);
            }
        }
        out
    }
}

/// What [`Covariance::form`] needs of a column's value: a number (a set's share of the route) or
/// a pair (two categories' entries, for an off-diagonal entry).
trait Centred: Copy {
    fn zero() -> Self;
    fn add_scaled(self, other: Self, factor: f64) -> Self;
    fn scaled(self, factor: f64) -> Self;
    fn minus(self, other: Self) -> Self;
    /// The within-route term given the product of the column values: `s - s^2` written as
    /// `s (1 - s)` for a set; `-u_i u_j` off the diagonal.
    fn within(self, product: f64) -> f64;
}

impl Centred for f64 {
    fn zero() -> f64 {
        0.0
    }
    fn add_scaled(self, other: f64, factor: f64) -> f64 {
        self + factor * other
    }
    fn scaled(self, factor: f64) -> f64 {
        self * factor
    }
    fn minus(self, other: f64) -> f64 {
        self - other
    }
    fn within(self, _product: f64) -> f64 {
        self * (1.0 - self)
    }
}

impl Centred for [f64; 2] {
    fn zero() -> [f64; 2] {
        [0.0, 0.0]
    }
    fn add_scaled(self, other: [f64; 2], factor: f64) -> [f64; 2] {
        [self[0] + factor * other[0], self[1] + factor * other[1]]
    }
    fn scaled(self, factor: f64) -> [f64; 2] {
        [self[0] * factor, self[1] * factor]
    }
    fn minus(self, other: [f64; 2]) -> [f64; 2] {
        [self[0] - other[0], self[1] - other[1]]
    }
    fn within(self, product: f64) -> f64 {
        -product
    }
}

/// Number of outcome categories of `models`: the longest outcome vector.
fn categories(models: &[ClientModel]) -> usize {
    models
        .iter()
        .flat_map(|m| &m.routes)
        .map(|r| r.outcomes.len())
        .max()
        .unwrap_or(0)
}

/// `mu_c = sum_R pi_c(R) q_R`, summed in route order.
fn client_mean(model: &ClientModel, k: usize) -> Vec<f64> {
    let mut mean = vec![0.0; k];
    for route in &model.routes {
        for (m, &q) in mean.iter_mut().zip(&route.outcomes) {
            *m += route.probability * q;
        }
    }
    mean
}

/// `mubar`: the mean of the client means.
fn overall_mean(means: &[Vec<f64>], k: usize) -> Vec<f64> {
    let mut mean = vec![0.0; k];
    for mu in means {
        for (m, &x) in mean.iter_mut().zip(mu) {
            *m += x;
        }
    }
    let clients = means.len() as f64;
    for m in &mut mean {
        *m /= clients;
    }
    mean
}

/// The expected share of each category, `mubar = (1/C) sum_c mu_c`: the probabilities to pass to
/// [`super::wald_fit`].
pub fn expected_shares(models: &[ClientModel]) -> Vec<f64> {
    let k = categories(models);
    if models.is_empty() {
        return vec![0.0; k];
    }
    let means: Vec<Vec<f64>> = models.iter().map(|m| client_mean(m, k)).collect();
    overall_mean(&means, k)
}

/// Builds the columns of `U`: identical outcome vectors (bit for bit, read as zeros beyond their
/// end) share one column, numbered in order of first appearance.
struct Columns {
    k: usize,
    index: std::collections::BTreeMap<Vec<u64>, usize>,
    columns: Vec<Vec<f64>>,
}

impl Columns {
    fn new(k: usize) -> Columns {
        Columns {
            k,
            index: std::collections::BTreeMap::new(),
            columns: Vec::new(),
        }
    }

    /// The column of `q`, added if new.
    fn of(&mut self, q: &[f64]) -> usize {
        let mut column = vec![0.0; self.k];
        column[..q.len()].copy_from_slice(q);
        let key: Vec<u64> = column.iter().map(|x| x.to_bits()).collect();
        let next = self.columns.len();
        let a = *self.index.entry(key).or_insert(next);
        if a == next {
            self.columns.push(column);
        }
        a
    }
}

/// The covariance `Sigma` of the count vector (see the module documentation), from the model of
/// each client and what the run observed of it (`models[c]` goes with `counts[c]`).
///
/// Cost: `O(k)` per route with a non-zero probability, `O(k m)` memory. Summation order is
/// fixed: the result is bit-identical for the same inputs on any machine.
///
/// # Panics
/// When `models` and `counts` differ in length.
pub fn count_covariance(models: &[ClientModel], counts: &[ClientCounts]) -> Covariance {
    assert_eq!(
        models.len(),
        counts.len(),
        "one ClientCounts per ClientModel"
    );
    let k = categories(models);
    let mut columns = Columns::new(k);
    let mut diagonal = vec![0.0; k];
    let mut groups = Vec::with_capacity(models.len());
    for (model, count) in models.iter().zip(counts) {
        let flows = count.flows as f64;
        let squares = count.cluster_squares as f64;
        let mut routes = Vec::new();
        for route in model.routes.iter().filter(|r| r.probability != 0.0) {
            routes.push((columns.of(&route.outcomes), route.probability));
            // D: N_c pi(R) q_R, the diagonal of the within-route term.
            let weight = flows * route.probability;
            if weight != 0.0 {
                for (d, &q) in diagonal.iter_mut().zip(&route.outcomes) {
                    *d += weight * q;
                }
            }
        }
        // Between clusters only with a DNS decision that can differ between clusters.
        let squares = if squares != 0.0 && routes.len() > 1 {
            squares
        } else {
            0.0
        };
        groups.push(Group {
            flows,
            squares,
            routes,
        });
    }
    let flows: u64 = counts.iter().map(|c| c.flows).sum();
    let assignment = if models.len() > 1 && flows > 0 {
        flows as f64 / models.len() as f64
    } else {
        0.0
    };
    Covariance {
        dimension: k,
        diagonal,
        columns: columns.columns,
        groups,
        assignment,
    }
}

/// The expected shares and the covariance of the count vector *given* how many flows took each
/// route: the flows are then independent draws from their route's outcomes, so
/// `Sigma = sum_r n_r (diag(q_r) - q_r q_r^T)` and the expected counts are `sum_r n_r q_r`. This
/// tests the rules after the DNS decisions, whatever their luck: with few clusters it keeps its
/// nominal level where the unconditional test ([`count_covariance`]) cannot. Factored as
/// [`count_covariance`] is: each route is a client of its own with one route and no clusters.
pub fn given_routes(routes: &[(u64, &[f64])]) -> (Vec<f64>, Covariance) {
    let k = routes.iter().map(|(_, q)| q.len()).max().unwrap_or(0);
    let total: u64 = routes.iter().map(|(n, _)| n).sum();
    let mut shares = vec![0.0; k];
    let mut columns = Columns::new(k);
    let mut groups = Vec::new();
    for &(flows, q) in routes {
        if flows == 0 {
            continue;
        }
        let weight = flows as f64;
        for (share, &x) in shares.iter_mut().zip(q) {
            *share += weight * x;
        }
        groups.push(Group {
            flows: weight,
            squares: 0.0,
            routes: vec![(columns.of(q), 1.0)],
        });
    }
    let diagonal = shares.clone();
    if total > 0 {
        for share in &mut shares {
            *share /= total as f64;
        }
    }
    let sigma = Covariance {
        dimension: k,
        diagonal,
        columns: columns.columns,
        groups,
        assignment: 0.0,
    };
    (shares, sigma)
}

#[cfg(test)]
mod tests {
    use super::super::dense_tests::literal;
    use super::*;

    fn route(probability: f64, outcomes: &[f64]) -> RouteModel {
        RouteModel {
            probability,
            outcomes: outcomes.to_vec(),
        }
    }

    fn mixed() -> (Vec<ClientModel>, Vec<ClientCounts>) {
        let models = vec![
            ClientModel {
                routes: vec![
                    route(0.5, &[0.5, 0.5, 0.0, 0.0, 0.0]),
                    route(0.3, &[0.0, 0.4, 0.4, 0.2, 0.0]),
                    route(0.2, &[0.0, 0.0, 0.0, 0.0, 1.0]),
                ],
            },
            ClientModel {
                routes: vec![route(1.0, &[0.2, 0.2, 0.2, 0.2, 0.2])],
            },
            ClientModel {
                routes: vec![
                    route(0.25, &[0.0, 0.0, 1.0, 0.0, 0.0]),
                    route(0.75, &[1.0, 0.0, 0.0, 0.0, 0.0]),
                ],
            },
        ];
        let counts = vec![
            ClientCounts {
                flows: 3_400,
                cluster_squares: 1_000_000,
            },
            ClientCounts::unclustered(3_300),
            ClientCounts {
                flows: 3_300,
                cluster_squares: 3_300 * 3_300,
            },
        ];
        (models, counts)
    }

    #[test]
    fn factored_covariance_matches_the_literal_formula() {
        let (models, counts) = mixed();
        let sigma = count_covariance(&models, &counts);
        let reference = literal(&models, &counts, categories(&models));
        let scale = reference.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (i, (&a, &b)) in sigma.dense().iter().zip(&reference).enumerate() {
            assert!((a - b).abs() <= 1e-12 * scale, "entry {i}: {a} vs {b}");
        }
        // Exactly symmetric; every row sums to zero (to rounding), so rank <= K - 1.
        let k = sigma.dimension();
        for i in 0..k {
            let row: f64 = (0..k).map(|j| sigma.get(i, j)).sum();
            assert!(row.abs() <= 1e-9 * scale, "row {i} sums to {row}");
            for j in 0..k {
                assert_eq!(sigma.get(i, j).to_bits(), sigma.get(j, i).to_bits());
            }
        }
        let all: Vec<usize> = (0..k).collect();
        assert!(sigma.variance_of(&all) <= 1e-9 * scale);
        // A set's variance is the sum of its block.
        let block = sigma.get(0, 0) + sigma.get(1, 1) + 2.0 * sigma.get(0, 1);
        assert!((sigma.variance_of(&[0, 1]) - block).abs() <= 1e-12 * scale);
    }

    #[test]
    fn one_route_is_the_multinomial_covariance() {
        let mu = [0.2, 0.3, 0.5];
        let models = [ClientModel {
            routes: vec![route(1.0, &mu)],
        }];
        // The cluster sizes do not matter when the DNS decision cannot vary.
        let counts = [ClientCounts {
            flows: 1_000,
            cluster_squares: 1_000_000,
        }];
        let sigma = count_covariance(&models, &counts);
        for i in 0..3 {
            for j in 0..3 {
                let want = 1_000.0 * (if i == j { mu[i] } else { 0.0 } - mu[i] * mu[j]);
                assert!((sigma.get(i, j) - want).abs() < 1e-9);
            }
        }
        assert_eq!(expected_shares(&models), mu.to_vec());
    }

    #[test]
    fn two_azs_without_cross_zone_vary_by_cluster() {
        // Route A -> outcome 0, route B -> outcome 1, each with probability 1/2: only the DNS
        // decision varies, once per cluster: Var(Y_0) = Q / 4.
        let models = [ClientModel {
            routes: vec![route(0.5, &[1.0, 0.0]), route(0.5, &[0.0, 1.0])],
        }];
        let counts = [ClientCounts {
            flows: 200_000,
            cluster_squares: 33 * 6_000 * 6_000,
        }];
        let sigma = count_covariance(&models, &counts);
        let quarter = (33 * 6_000 * 6_000) as f64 / 4.0;
        assert_eq!(sigma.get(0, 0), quarter);
        assert_eq!(sigma.get(0, 1), -quarter);
        assert_eq!(sigma.variance_of(&[0]), quarter);
        assert_eq!(expected_shares(&models), vec![0.5, 0.5]);
    }

    #[test]
    fn clients_with_different_means_add_assignment_variance() {
        // Two clients, each always on one outcome: the counts vary only by which client each
        // flow picked, Binomial(N, 1/2).
        let models = [
            ClientModel {
                routes: vec![route(1.0, &[1.0, 0.0])],
            },
            ClientModel {
                routes: vec![route(1.0, &[0.0, 1.0])],
            },
        ];
        let counts = [
            ClientCounts::unclustered(480),
            ClientCounts::unclustered(520),
        ];
        let sigma = count_covariance(&models, &counts);
        assert_eq!(sigma.get(0, 0), 250.0);
        assert_eq!(sigma.get(1, 0), -250.0);
    }
}
