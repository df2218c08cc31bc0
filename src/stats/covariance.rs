//! The covariance of the outcome counts when flows come in clusters that share one DNS decision.
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

/// A dense symmetric matrix: the covariance of the count vector, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Covariance {
    dimension: usize,
    entries: Vec<f64>,
}

impl Covariance {
    /// The `dimension` x `dimension` zero matrix.
    pub(super) fn zeros(dimension: usize) -> Covariance {
        Covariance {
            dimension,
            entries: vec![0.0; dimension * dimension],
        }
    }

    /// Number of categories (rows and columns).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Entry `(i, j)`: the covariance of the counts of categories `i` and `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.entries[i * self.dimension + j]
    }

    /// The row-major entries.
    pub fn entries(&self) -> &[f64] {
        &self.entries
    }

    /// Variance of the summed count of the categories `indices` (a subnet's or an AZ's targets):
    /// `1^T Sigma_S 1`, clamped at 0 against rounding. An index listed twice counts twice.
    pub fn variance_of(&self, indices: &[usize]) -> f64 {
        let mut sum = 0.0;
        for &i in indices {
            for &j in indices {
                sum += self.get(i, j);
            }
        }
        sum.max(0.0)
    }

    /// Adds `x` to entry `(i, j)` with `i <= j` (the upper triangle; see [`Self::mirror`]).
    fn add_upper(&mut self, i: usize, j: usize, x: f64) {
        debug_assert!(i <= j);
        self.entries[i * self.dimension + j] += x;
    }

    /// Copies the upper triangle onto the lower one: exactly symmetric.
    fn mirror(&mut self) {
        let k = self.dimension;
        for i in 0..k {
            for j in 0..i {
                self.entries[i * k + j] = self.entries[j * k + i];
            }
        }
    }

    /// Adds `weight * v v^T` over the indices `support` (ascending) of `v`.
    fn add_outer(&mut self, weight: f64, support: &[usize], v: &[f64]) {
        for (a, &i) in support.iter().enumerate() {
            let wi = weight * v[i];
            if wi == 0.0 {
                continue;
            }
            for &j in &support[a..] {
                self.add_upper(i, j, wi * v[j]);
            }
        }
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

/// Ascending indices where some vector of `vectors` is non-zero.
fn union_support<'a>(vectors: impl Iterator<Item = &'a [f64]>, k: usize) -> Vec<usize> {
    let mut mask = vec![false; k];
    for v in vectors {
        for (flag, &x) in mask.iter_mut().zip(v) {
            *flag |= x != 0.0;
        }
    }
    (0..k).filter(|&i| mask[i]).collect()
}

/// The expected share of each category, `mubar = (1/C) sum_c mu_c`: the probabilities to pass to
/// [`super::wald_fit`] (computed exactly as [`count_covariance`] computes them).
pub fn expected_shares(models: &[ClientModel]) -> Vec<f64> {
    let k = categories(models);
    if models.is_empty() {
        return vec![0.0; k];
    }
    let means: Vec<Vec<f64>> = models.iter().map(|m| client_mean(m, k)).collect();
    overall_mean(&means, k)
}

/// The covariance `Sigma` of the count vector (see the module documentation), from the model of
/// each client and what the run observed of it (`models[c]` goes with `counts[c]`).
///
/// Cost: per route, the square of its non-zero outcomes (within-route term) and of its client's
/// support (between-cluster term); per client, the square of all clients' support (assignment
/// term, only with several clients). Summation order is fixed: the result is bit-identical for
/// the same inputs on any machine.
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
    let mut sigma = Covariance::zeros(k);
    if models.is_empty() {
        return sigma;
    }
    let means: Vec<Vec<f64>> = models.iter().map(|m| client_mean(m, k)).collect();
    let mut nonzero = Vec::with_capacity(k);
    let mut centred = vec![0.0; k];
    for ((model, count), mu) in models.iter().zip(counts).zip(&means) {
        let flows = count.flows as f64;
        let squares = count.cluster_squares as f64;
        let routes = || model.routes.iter().filter(|r| r.probability != 0.0);
        // Within a route: N_c pi(R) (diag(q) - q q^T), over the route's non-zero outcomes.
        for route in routes() {
            let weight = flows * route.probability;
            if weight == 0.0 {
                continue;
            }
            let q = &route.outcomes;
            nonzero.clear();
            nonzero.extend((0..q.len()).filter(|&i| q[i] != 0.0));
            for (a, &i) in nonzero.iter().enumerate() {
                sigma.add_upper(i, i, weight * (q[i] * (1.0 - q[i])));
                for &j in &nonzero[a + 1..] {
                    sigma.add_upper(i, j, -(weight * (q[i] * q[j])));
                }
            }
        }
        // Between clusters: Q_c sum_R pi(R) (q_R - mu_c)(q_R - mu_c)^T, over the client's support.
        if squares != 0.0 && routes().nth(1).is_some() {
            let support = union_support(routes().map(|r| r.outcomes.as_slice()), k);
            for route in routes() {
                for &i in &support {
                    centred[i] = route.outcomes.get(i).copied().unwrap_or(0.0) - mu[i];
                }
                sigma.add_outer(squares * route.probability, &support, &centred);
            }
        }
    }
    // Client assignment: (N / C) sum_c (mu_c - mubar)(mu_c - mubar)^T.
    let flows: u64 = counts.iter().map(|c| c.flows).sum();
    if models.len() > 1 && flows > 0 {
        let mean = overall_mean(&means, k);
        let support = union_support(means.iter().map(Vec::as_slice), k);
        let weight = flows as f64 / models.len() as f64;
        for mu in &means {
            for &i in &support {
                centred[i] = mu[i] - mean[i];
            }
            sigma.add_outer(weight, &support, &centred);
        }
    }
    sigma.mirror();
    sigma
}

/// The expected shares and the covariance of the count vector *given* how many flows took each
/// route: the flows are then independent draws from their route's outcomes, so
/// `Sigma = sum_r n_r (diag(q_r) - q_r q_r^T)` and the expected counts are `sum_r n_r q_r`. This
/// tests the rules after the DNS decisions, whatever their luck: with few clusters it keeps its
/// nominal level where the unconditional test ([`count_covariance`]) cannot.
pub fn given_routes(routes: &[(u64, &[f64])]) -> (Vec<f64>, Covariance) {
    let k = routes.iter().map(|(_, q)| q.len()).max().unwrap_or(0);
    let total: u64 = routes.iter().map(|(n, _)| n).sum();
    let mut shares = vec![0.0; k];
    let mut sigma = Covariance::zeros(k);
    let mut nonzero = Vec::with_capacity(k);
    for &(flows, q) in routes {
        if flows == 0 {
            continue;
        }
        let weight = flows as f64;
        nonzero.clear();
        nonzero.extend((0..q.len()).filter(|&i| q[i] != 0.0));
        for (a, &i) in nonzero.iter().enumerate() {
            shares[i] += weight * q[i];
            sigma.add_upper(i, i, weight * (q[i] * (1.0 - q[i])));
            for &j in &nonzero[a + 1..] {
                sigma.add_upper(i, j, -(weight * (q[i] * q[j])));
            }
        }
    }
    if total > 0 {
        for share in &mut shares {
            *share /= total as f64;
        }
    }
    sigma.mirror();
    (shares, sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(probability: f64, outcomes: &[f64]) -> RouteModel {
        RouteModel {
            probability,
            outcomes: outcomes.to_vec(),
        }
    }

    /// The brief's formula written out densely, term by term, with no sparsity: the reference
    /// the sparse code must agree with.
    #[allow(clippy::needless_range_loop)]
    fn literal(models: &[ClientModel], counts: &[ClientCounts]) -> Vec<f64> {
        let k = categories(models);
        let c = models.len() as f64;
        let n: f64 = counts.iter().map(|x| x.flows as f64).sum();
        let mut s = vec![0.0; k * k];
        let mut mus = Vec::new();
        for (m, cnt) in models.iter().zip(counts) {
            let mut mu = vec![0.0; k];
            for r in &m.routes {
                for i in 0..k {
                    mu[i] += r.probability * r.outcomes[i];
                }
            }
            for r in &m.routes {
                let q = &r.outcomes;
                for i in 0..k {
                    for j in 0..k {
                        let within = if i == j { q[i] } else { 0.0 } - q[i] * q[j];
                        let between = (q[i] - mu[i]) * (q[j] - mu[j]);
                        s[i * k + j] += r.probability
                            * (cnt.flows as f64 * within + cnt.cluster_squares as f64 * between);
                    }
                }
            }
            mus.push(mu);
        }
        let mut mubar = vec![0.0; k];
        for mu in &mus {
            for i in 0..k {
                mubar[i] += mu[i] / c;
            }
        }
        for i in 0..k {
            for j in 0..k {
                let second: f64 = mus.iter().map(|mu| mu[i] * mu[j]).sum::<f64>() / c;
                s[i * k + j] += n * (second - mubar[i] * mubar[j]);
            }
        }
        s
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
    fn sparse_covariance_matches_the_literal_formula() {
        let (models, counts) = mixed();
        let sigma = count_covariance(&models, &counts);
        let reference = literal(&models, &counts);
        let scale = reference.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (i, (&a, &b)) in sigma.entries().iter().zip(&reference).enumerate() {
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
