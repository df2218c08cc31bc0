//! The factored covariance and the reduced-space Wald test against their dense reference: the
//! `k x k` matrix built entry by entry from the factors, checked against the formula written out
//! term by term, and the pivoted `L D L^T` of the whole pooled matrix (the method before the
//! factored form). On many random models (clients, routes, shared route vectors, clients without
//! flows, excluded and sparse categories) both give the same statistic, rank, p-value and
//! variances of sums to a tight relative tolerance.

use super::coverage_tests::{pick, uniform};
use super::wald::{PIVOT_TOLERANCE, Pooled};
use super::*;
use crate::rng::{below, splitmix64};

/// The dense Wald test: pool the `k x k` matrix `dense` (of `sigma`), then
/// [`generalized_quadratic_form`], with the pivot tolerance relative to at least the largest
/// pooled `D` (the size of the terms summed, as in the factored path; without that floor a
/// certain outcome whose clients' means are 1 to rounding kept a pivot of pure rounding, 1e-27,
/// and got one degree of freedom).
fn dense_wald_fit(
    observed: &[u64],
    expected: &[f64],
    sigma: &Covariance,
    dense: &[f64],
) -> Option<Fit> {
    let k = observed.len();
    let pooled = Pooled::new(observed, expected)?;
    let g = pooled.d.len();
    let mut a = vec![0.0; g * g];
    for (x, &i) in pooled.possible.iter().enumerate() {
        for (y, &j) in pooled.possible.iter().enumerate() {
            a[pooled.group[x] * g + pooled.group[y]] += dense[i * k + j];
        }
    }
    let floor = sigma
        .pooled(&pooled.possible, &pooled.group, g)
        .diagonal
        .iter()
        .copied()
        .fold(0.0, f64::max);
    let (form, rank, off) = generalized_quadratic_form(a, pooled.d.clone(), pooled.n, floor);
    pooled.fit(form, rank, off)
}

/// `d^T A^- d` for the symmetric positive semi-definite `g x g` matrix `a` (row-major), by
/// `L D L^T` with symmetric pivoting on the largest remaining diagonal entry, stopping below
/// [`PIVOT_TOLERANCE`] of the largest diagonal entry (or `floor`, if larger); the leftover of
/// `d` beyond ten standard deviations of the dropped variance or `1e-9 n` flows is off the
/// column space.
fn generalized_quadratic_form(
    mut a: Vec<f64>,
    mut d: Vec<f64>,
    n: f64,
    floor: f64,
) -> (f64, usize, bool) {
    let g = d.len();
    let largest = (0..g).map(|i| a[i * g + i]).fold(floor, f64::max);
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
    let slack = 10.0 * tolerance.sqrt() + 1e-9 * n;
    let off = d[rank..].iter().any(|r| r.is_nan() || r.abs() > slack);
    (form, rank, off)
}

/// The covariance formula written out densely, term by term, with no sparsity and no factors
/// (also the reference of `covariance`'s own tests).
#[allow(clippy::needless_range_loop)]
pub(super) fn literal(models: &[ClientModel], counts: &[ClientCounts], k: usize) -> Vec<f64> {
    let c = models.len() as f64;
    let n: f64 = counts.iter().map(|x| x.flows as f64).sum();
    let at = |q: &[f64], i: usize| q.get(i).copied().unwrap_or(0.0);
    let mut s = vec![0.0; k * k];
    let mut mus = Vec::new();
    for (m, cnt) in models.iter().zip(counts) {
        let mut mu = vec![0.0; k];
        for r in &m.routes {
            for i in 0..k {
                mu[i] += r.probability * at(&r.outcomes, i);
            }
        }
        let routes = m.routes.iter().filter(|r| r.probability != 0.0).count();
        for r in &m.routes {
            let q = &r.outcomes;
            for i in 0..k {
                for j in 0..k {
                    let within = if i == j { at(q, i) } else { 0.0 } - at(q, i) * at(q, j);
                    let between = if routes > 1 {
                        (at(q, i) - mu[i]) * (at(q, j) - mu[j])
                    } else {
                        0.0
                    };
                    s[i * k + j] += r.probability
                        * (cnt.flows as f64 * within + cnt.cluster_squares as f64 * between);
                }
            }
        }
        mus.push(mu);
    }
    if models.len() > 1 && n > 0.0 {
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
    }
    s
}

/// A random distribution over `k` categories on a random support (each category with
/// probability `density`, at least one), sometimes with a category at 1 - 1e-7.
fn distribution(k: usize, density: f64, state: &mut u64) -> Vec<f64> {
    let mut q = vec![0.0; k];
    for x in &mut q {
        if uniform(state) < density {
            *x = 0.05 + uniform(state);
        }
    }
    if q.iter().all(|&x| x == 0.0) {
        q[below(splitmix64(state), k as u64) as usize] = 1.0;
    }
    let total: f64 = q.iter().sum();
    for x in &mut q {
        *x /= total;
    }
    q
}

/// A random model and a run of it simulated flow by flow: clusters of random sizes draw a route,
/// flows draw an outcome. Returns the models, the counts, the observed outcomes and the flows
/// that took each route (client by client, in model order).
#[allow(clippy::type_complexity)]
fn random_run(seed: u64) -> (Vec<ClientModel>, Vec<ClientCounts>, Vec<u64>, Vec<u64>) {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x0dd_ba11;
    splitmix64(&mut state);
    let k = 2 + below(splitmix64(&mut state), 14) as usize;
    // The last category is unreachable in a third of the models (an excluded outcome).
    let reachable = if below(splitmix64(&mut state), 3) == 0 {
        k - 1
    } else {
        k
    };
    let clients = 1 + below(splitmix64(&mut state), 4) as usize;
    let density = 0.2 + 0.8 * uniform(&mut state);
    let mut pool: Vec<Vec<f64>> = Vec::new();
    let mut models = Vec::new();
    for _ in 0..clients {
        let routes = 1 + below(splitmix64(&mut state), 4) as usize;
        let mut probabilities: Vec<f64> = (0..routes).map(|_| 0.1 + uniform(&mut state)).collect();
        if routes > 1 && below(splitmix64(&mut state), 5) == 0 {
            probabilities[0] = 0.0;
        }
        let total: f64 = probabilities.iter().sum();
        let routes = probabilities
            .iter()
            .map(|&p| {
                // Shared route vectors (another client's address) a third of the time.
                let outcomes = if !pool.is_empty() && below(splitmix64(&mut state), 3) == 0 {
                    pool[below(splitmix64(&mut state), pool.len() as u64) as usize].clone()
                } else {
                    let mut q = distribution(reachable, density, &mut state);
                    q.resize(k, 0.0);
                    pool.push(q.clone());
                    q
                };
                RouteModel {
                    probability: p / total,
                    outcomes,
                }
            })
            .collect();
        models.push(ClientModel { routes });
    }
    let flows = [50u64, 2_000, 20_000][below(splitmix64(&mut state), 3) as usize];
    let idle = if clients > 1 && below(splitmix64(&mut state), 4) == 0 {
        Some(below(splitmix64(&mut state), clients as u64) as usize)
    } else {
        None
    };
    let mut counts = vec![ClientCounts::default(); clients];
    let mut observed = vec![0u64; k];
    let mut route_flows = Vec::new();
    for (c, model) in models.iter().enumerate() {
        let first = route_flows.len();
        route_flows.resize(first + model.routes.len(), 0);
        if idle == Some(c) {
            continue;
        }
        let probabilities: Vec<f64> = model.routes.iter().map(|r| r.probability).collect();
        let mut left = flows / clients as u64 + below(splitmix64(&mut state), 50);
        let largest = 1 + below(splitmix64(&mut state), 500);
        while left > 0 {
            let size = (1 + below(splitmix64(&mut state), largest)).min(left);
            let r = pick(&probabilities, &mut state);
            route_flows[first + r] += size;
            let route = &model.routes[r];
            for _ in 0..size {
                observed[pick(&route.outcomes, &mut state)] += 1;
            }
            counts[c].flows += size;
            counts[c].cluster_squares += u128::from(size) * u128::from(size);
            left -= size;
        }
    }
    (models, counts, observed, route_flows)
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    a == b || (a - b).abs() <= relative * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn factored_covariance_matches_the_literal_formula() {
    for seed in 0..300 {
        let (models, counts, _, _) = random_run(seed);
        let sigma = count_covariance(&models, &counts);
        let k = sigma.dimension();
        let reference = literal(&models, &counts, k);
        let dense = sigma.dense();
        // Rounding is relative to the terms summed, at least N.
        let flows: u64 = counts.iter().map(|c| c.flows).sum();
        let scale = reference.iter().fold(flows as f64, |m, x| m.max(x.abs()));
        for (i, (&a, &b)) in dense.iter().zip(&reference).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * scale,
                "seed {seed} entry {i}: {a} vs {b}"
            );
        }
        // Variances of sums: the factored sum against the dense block, over random sets.
        let mut state = seed;
        for _ in 0..10 {
            let set: Vec<usize> = (0..k).filter(|_| splitmix64(&mut state) & 1 == 0).collect();
            let block: f64 = set
                .iter()
                .flat_map(|&i| set.iter().map(move |&j| (i, j)))
                .map(|(i, j)| reference[i * k + j])
                .sum();
            let factored = sigma.variance_of(&set);
            assert!(
                (factored - block.max(0.0)).abs() <= 1e-11 * scale,
                "seed {seed} set {set:?}: {factored} vs {block}"
            );
        }
        let all: Vec<usize> = (0..k).collect();
        assert!(sigma.variance_of(&all) <= 1e-9 * scale, "seed {seed}");
    }
}

#[test]
fn factored_wald_agrees_with_the_dense_reference() {
    let (mut compared, mut pooled, mut idle, mut excluded) = (0, 0, 0, 0);
    for seed in 0..600 {
        let (models, counts, observed, route_flows) = random_run(seed);
        let sigma = count_covariance(&models, &counts);
        let expected = expected_shares(&models);
        let factored = wald_fit(&observed, &expected, &sigma);
        let dense = dense_wald_fit(&observed, &expected, &sigma, &sigma.dense());
        let n: u64 = observed.iter().sum();
        pooled += u32::from(
            expected
                .iter()
                .any(|&p| p > 0.0 && n as f64 * p < MIN_EXPECTED),
        );
        idle += u32::from(counts.iter().any(|c| c.flows == 0));
        excluded += u32::from(expected.contains(&0.0));
        match (&factored, &dense) {
            (Some(f), Some(d)) => {
                assert_eq!(
                    f.degrees_of_freedom, d.degrees_of_freedom,
                    "seed {seed}: {f:?} vs {d:?}"
                );
                assert!(
                    close(f.statistic, d.statistic, 1e-7),
                    "seed {seed}: {f:?} vs {d:?}"
                );
                assert!(
                    (f.p_value - d.p_value).abs() <= 1e-9 || close(f.p_value, d.p_value, 1e-6),
                    "seed {seed}: {f:?} vs {d:?}"
                );
                compared += 1;
            }
            (None, None) => {}
            _ => panic!("seed {seed}: {factored:?} vs {dense:?}"),
        }
        // Given the routes, too.
        let routes: Vec<(u64, &[f64])> = route_flows
            .iter()
            .zip(models.iter().flat_map(|m| &m.routes))
            .map(|(&flows, route)| (flows, route.outcomes.as_slice()))
            .collect();
        let (shares, sigma) = given_routes(&routes);
        if shares.iter().sum::<f64>() > 0.0 {
            let factored = wald_fit(&observed, &shares, &sigma);
            let dense = dense_wald_fit(&observed, &shares, &sigma, &sigma.dense());
            match (&factored, &dense) {
                (Some(f), Some(d)) => {
                    assert_eq!(f.degrees_of_freedom, d.degrees_of_freedom, "seed {seed}");
                    assert!(close(f.statistic, d.statistic, 1e-7), "seed {seed}");
                    assert!((f.p_value - d.p_value).abs() <= 1e-9, "seed {seed}");
                }
                (None, None) => {}
                _ => panic!("seed {seed} given routes: {factored:?} vs {dense:?}"),
            }
        }
    }
    eprintln!(
        "compared {compared} fits; {pooled} with a pool, {idle} with a client without flows, \
         {excluded} with an excluded category"
    );
    assert!(compared > 400 && pooled > 50 && idle > 30 && excluded > 100);
}

#[test]
fn off_the_column_space_agrees_with_the_dense_reference() {
    let check = |sigma: &Covariance, expected: &[f64], observed: &[u64], off: bool| {
        let factored = wald_fit(observed, expected, sigma).unwrap();
        let dense = dense_wald_fit(observed, expected, sigma, &sigma.dense()).unwrap();
        assert_eq!(factored.degrees_of_freedom, dense.degrees_of_freedom);
        assert_eq!(factored.p_value == 0.0, off, "{observed:?}: {factored:?}");
        assert_eq!(dense.p_value == 0.0, off, "{observed:?}: {dense:?}");
        assert!(
            close(factored.statistic, dense.statistic, 1e-9),
            "{observed:?}"
        );
        assert!(
            (factored.p_value - dense.p_value).abs() <= 1e-12,
            "{observed:?}"
        );
        factored.degrees_of_freedom
    };
    // Given the routes, 500 flows took each of two routes over disjoint categories (all with
    // D > 0): each pair's total cannot vary. Flows moved within a pair are chance; between the
    // pairs, impossible.
    let (a, b) = ([0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]);
    let (shares, sigma) = given_routes(&[(500, &a), (500, &b)]);
    assert_eq!(check(&sigma, &shares, &[250, 250, 250, 250], false), 2);
    check(&sigma, &shares, &[240, 260, 255, 245], false);
    check(&sigma, &shares, &[260, 250, 250, 240], true);
    // A client without flows is the only one to reach categories 2 and 3 (D = 0 there), half
    // and half: only the client assignment moves them, together.
    let models = [
        ClientModel {
            routes: vec![
                RouteModel {
                    probability: 0.5,
                    outcomes: vec![1.0, 0.0, 0.0, 0.0],
                },
                RouteModel {
                    probability: 0.5,
                    outcomes: vec![0.0, 1.0, 0.0, 0.0],
                },
            ],
        },
        ClientModel {
            routes: vec![RouteModel {
                probability: 1.0,
                outcomes: vec![0.0, 0.0, 0.5, 0.5],
            }],
        },
    ];
    let counts = [
        ClientCounts {
            flows: 1_000,
            cluster_squares: 40_000,
        },
        ClientCounts::unclustered(0),
    ];
    let sigma = count_covariance(&models, &counts);
    let expected = expected_shares(&models);
    assert_eq!(check(&sigma, &expected, &[240, 260, 250, 250], false), 2);
    check(&sigma, &expected, &[300, 300, 200, 200], false);
    check(&sigma, &expected, &[250, 250, 260, 240], true);
}
