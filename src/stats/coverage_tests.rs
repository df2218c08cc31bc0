//! Coverage of the clustered intervals and size of the Wald test, by simulating the two-stage
//! model directly (clusters draw a route, flows draw an outcome) over many seeds.

use super::*;
use crate::rng::{below, splitmix64};

const SEEDS: u64 = 200;

/// A uniform draw in `[0, 1)`.
pub(super) fn uniform(state: &mut u64) -> f64 {
    (splitmix64(state) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Index drawn with the given probabilities (summing to 1; when rounding leaves the draw beyond
/// their sum, the last index that can be drawn).
pub(super) fn pick(probabilities: &[f64], state: &mut u64) -> usize {
    let u = uniform(state);
    let mut cumulative = 0.0;
    for (i, &p) in probabilities.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return i;
        }
    }
    probabilities.iter().rposition(|&p| p > 0.0).unwrap_or(0)
}

fn seeded(seed: u64) -> u64 {
    let mut state = seed ^ 0x5eed_0fc1_u64;
    splitmix64(&mut state)
}

fn route(probability: f64, outcomes: &[f64]) -> RouteModel {
    RouteModel {
        probability,
        outcomes: outcomes.to_vec(),
    }
}

fn covers(interval: [f64; 2], share: f64) -> bool {
    interval[0] <= share && share <= interval[1]
}

/// Tallies over seeds, as fractions of [`SEEDS`].
#[derive(Default, Debug)]
struct Tally {
    clustered_covers: u32,
    wilson_covers: u32,
    wald_rejects: u32,
    pearson_rejects: u32,
}

impl Tally {
    /// Adds one seed's run: the interval of the share of the categories `row` and the whole fit.
    fn add(&mut self, row: &[usize], observed: &[u64], expected: &[f64], sigma: &Covariance) {
        let n = observed.iter().sum();
        let hits = row.iter().map(|&i| observed[i]).sum();
        let share = row.iter().map(|&i| expected[i]).sum();
        let variance = sigma.variance_of(row);
        self.clustered_covers += u32::from(covers(share_interval(hits, n, variance), share));
        let (lo, hi) = wilson95(hits, n);
        self.wilson_covers += u32::from(covers([lo, hi], share));
        let wald = wald_fit(observed, expected, sigma).unwrap();
        self.wald_rejects += u32::from(wald.p_value < 0.05);
        let pearson = chi_squared(observed, expected).unwrap();
        self.pearson_rejects += u32::from(pearson.p_value < 0.05);
    }

    fn rate(count: u32) -> f64 {
        f64::from(count) / SEEDS as f64
    }
}

#[test]
fn two_azs_cross_zone_off_one_caching_client() {
    // The issue: 33 clusters of about 6,000 flows, each cluster all in AZ a or all in AZ b.
    let models = [ClientModel {
        routes: vec![route(0.5, &[1.0, 0.0]), route(0.5, &[0.0, 1.0])],
    }];
    let expected = expected_shares(&models);
    let mut tally = Tally::default();
    for seed in 0..SEEDS {
        let mut state = seeded(seed);
        let (mut hits, mut n, mut squares) = (0u64, 0u64, 0u128);
        for _ in 0..33 {
            let size = 5_500 + below(splitmix64(&mut state), 1_001);
            if pick(&[0.5, 0.5], &mut state) == 0 {
                hits += size;
            }
            n += size;
            squares += u128::from(size) * u128::from(size);
        }
        let counts = [ClientCounts {
            flows: n,
            cluster_squares: squares,
        }];
        let sigma = count_covariance(&models, &counts);
        let observed = [hits, n - hits];
        tally.add(&[0], &observed, &expected, &sigma);
    }
    eprintln!("issue case: {tally:?} of {SEEDS}");
    let covered = Tally::rate(tally.clustered_covers);
    assert!((0.90..=0.99).contains(&covered), "{tally:?}");
    assert!(Tally::rate(tally.wald_rejects) <= 0.12, "{tally:?}");
    assert!(Tally::rate(tally.wilson_covers) < 0.5, "{tally:?}");
    assert!(Tally::rate(tally.pearson_rejects) > 0.5, "{tally:?}");
}

/// Cross-zone on, three targets and a failure reason: each route reaches two of the three
/// targets (route C also fails a fifth of its flows). Client 0 caches for windows of
/// `window` flows (its flows in one window are one cluster); client 1 does not cache.
fn mixed_models() -> Vec<ClientModel> {
    let a = [0.5, 0.5, 0.0, 0.0];
    let b = [0.0, 0.5, 0.5, 0.0];
    let c = [0.4, 0.0, 0.4, 0.2];
    vec![
        ClientModel {
            routes: vec![route(0.5, &a), route(0.3, &b), route(0.2, &c)],
        },
        ClientModel {
            routes: vec![
                route(1.0 / 3.0, &a),
                route(1.0 / 3.0, &b),
                route(1.0 / 3.0, &c),
            ],
        },
    ]
}

fn simulate_mixed(models: &[ClientModel], seed: u64) -> (Vec<u64>, Vec<ClientCounts>) {
    const FLOWS: u64 = 24_000;
    const WINDOW: u64 = 800;
    let mut state = seeded(seed);
    let mut observed = vec![0u64; 4];
    let mut counts = vec![ClientCounts::default(); 2];
    let route_probabilities: Vec<Vec<f64>> = models
        .iter()
        .map(|m| m.routes.iter().map(|r| r.probability).collect())
        .collect();
    for _ in 0..FLOWS / WINDOW {
        let cached = pick(&route_probabilities[0], &mut state);
        let mut cluster = 0u64;
        for _ in 0..WINDOW {
            let client = below(splitmix64(&mut state), 2) as usize;
            let r = if client == 0 {
                cluster += 1;
                cached
            } else {
                pick(&route_probabilities[1], &mut state)
            };
            counts[client].flows += 1;
            observed[pick(&models[client].routes[r].outcomes, &mut state)] += 1;
        }
        counts[0].cluster_squares += u128::from(cluster) * u128::from(cluster);
    }
    counts[1].cluster_squares = u128::from(counts[1].flows);
    (observed, counts)
}

#[test]
fn cross_zone_on_with_a_caching_and_a_plain_client() {
    let models = mixed_models();
    let expected = expected_shares(&models);
    let mut target = Tally::default();
    let mut zone = Tally::default();
    for seed in 0..SEEDS {
        let (observed, counts) = simulate_mixed(&models, seed);
        let sigma = count_covariance(&models, &counts);
        target.add(&[0], &observed, &expected, &sigma);
        // A row of two targets (say one AZ's).
        zone.add(&[0, 1], &observed, &expected, &sigma);
    }
    eprintln!("mixed case, target 0: {target:?}; targets 0+1: {zone:?} of {SEEDS}");
    for tally in [&target, &zone] {
        let covered = Tally::rate(tally.clustered_covers);
        assert!((0.90..=0.99).contains(&covered), "{tally:?}");
        assert!(Tally::rate(tally.wilson_covers) < 0.5, "{tally:?}");
    }
    assert!(Tally::rate(target.wald_rejects) <= 0.12, "{target:?}");
    assert!(Tally::rate(target.pearson_rejects) > 0.5, "{target:?}");
}

#[test]
fn unequal_cluster_sizes() {
    // A quarter of the clusters are large (5,000 to 15,000 flows), the rest small (100 to 300):
    // the variance follows the sum of squared sizes, not N^2 / clusters.
    let models = [ClientModel {
        routes: vec![route(0.7, &[1.0, 0.0]), route(0.3, &[0.0, 1.0])],
    }];
    let expected = expected_shares(&models);
    let mut tally = Tally::default();
    let mut equal_size_covers = 0u32;
    for seed in 0..SEEDS {
        let mut state = seeded(seed);
        let (mut hits, mut n, mut squares) = (0u64, 0u64, 0u128);
        const CLUSTERS: u64 = 80;
        for _ in 0..CLUSTERS {
            let size = if below(splitmix64(&mut state), 4) == 0 {
                5_000 + below(splitmix64(&mut state), 10_001)
            } else {
                100 + below(splitmix64(&mut state), 201)
            };
            if pick(&[0.7, 0.3], &mut state) == 0 {
                hits += size;
            }
            n += size;
            squares += u128::from(size) * u128::from(size);
        }
        let counts = [ClientCounts {
            flows: n,
            cluster_squares: squares,
        }];
        let sigma = count_covariance(&models, &counts);
        let observed = [hits, n - hits];
        tally.add(&[0], &observed, &expected, &sigma);
        let equal = [ClientCounts {
            flows: n,
            cluster_squares: u128::from(n) * u128::from(n) / u128::from(CLUSTERS),
        }];
        let variance = count_covariance(&models, &equal).variance_of(&[0]);
        equal_size_covers += u32::from(covers(share_interval(hits, n, variance), 0.7));
    }
    eprintln!(
        "unequal clusters: {tally:?}, equal-size formula covers {equal_size_covers} of {SEEDS}"
    );
    let covered = Tally::rate(tally.clustered_covers);
    assert!((0.90..=0.99).contains(&covered), "{tally:?}");
    assert!(Tally::rate(tally.wald_rejects) <= 0.12, "{tally:?}");
    assert!(Tally::rate(tally.wilson_covers) < 0.5, "{tally:?}");
    assert!(Tally::rate(equal_size_covers) < 0.85, "{equal_size_covers}");
}

#[test]
fn same_inputs_give_bit_identical_outputs() {
    let models = mixed_models();
    let run = || {
        let (observed, counts) = simulate_mixed(&models, 7);
        let sigma = count_covariance(&models, &counts);
        let expected = expected_shares(&models);
        let fit = wald_fit(&observed, &expected, &sigma).unwrap();
        let n = observed.iter().sum();
        let interval = share_interval(observed[0] + observed[1], n, sigma.variance_of(&[0, 1]));
        let mut bits: Vec<u64> = sigma.dense().iter().map(|x| x.to_bits()).collect();
        bits.extend(expected.iter().map(|x| x.to_bits()));
        bits.extend([
            fit.statistic.to_bits(),
            fit.p_value.to_bits(),
            u64::from(fit.degrees_of_freedom),
        ]);
        bits.extend(interval.map(f64::to_bits));
        bits
    };
    let first = run();
    assert_eq!(first, run());
    // And the fit is a real one: three degrees of freedom (four categories summing to N).
    assert_eq!(first[first.len() - 3], 3);
}
