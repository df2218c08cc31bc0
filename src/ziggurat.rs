//! Exponential variates from one 64-bit word: the ziggurat method of Marsaglia and Tsang
//! ("The Ziggurat Method for Generating Random Variables", Journal of Statistical Software 5(8),
//! 2000), with their 256 layers (`r = 7.697117470131487`, `v = 3.949659822581572e-3`).
//!
//! Modelled: the Poisson arrivals' exponential gaps (mean 1; [`crate::sim::arrivals::arrival_gap`] scales
//! them). The word's low 8 bits pick a layer `i`, its top 53 bits an integer `j`; when
//! `j < K[i]` (97.8 % of words) the variate is `j * W[i]`: one comparison and one multiply,
//! where inverting the distribution costs a logarithm per flow. The other words take the slow
//! path: the wedge test against `exp(-x)` or the tail `r - ln(u)`, with the further uniforms
//! it needs drawn from SplitMix64 seeded by the word itself, so that a flow's gap still depends
//! on its own word alone (the random-access contract of [`crate::rng`]).
//!
//! Determinism: the tables are computed by the compiler from [`crate::detmath`]'s `ln` and
//! `exp` (IEEE basic operations only), and sampling uses integer comparisons, exact integer to
//! double conversions, IEEE multiplication and, on the slow path, the same deterministic
//! functions: every machine draws the same gaps.
//!
//! Not modelled: other distributions (the simulator needs none).

use crate::detmath;
use crate::rng::{splitmix64, unit_open};

/// Start of the tail: the right edge of the base layer's rectangle.
const R: f64 = 7.697_117_470_131_487;
/// Area of each layer.
const V: f64 = 3.949_659_822_581_572e-3;
/// `j` has 53 bits.
const SCALE: f64 = 9_007_199_254_740_992.0;

/// The layers: `K[i]` the fast-path bound on `j`, `W[i]` the width per unit of `j`, `F[i]` the
/// density at the layer's edge.
struct Tables {
    k: [u64; 256],
    w: [f64; 256],
    f: [f64; 256],
}

static TABLES: Tables = build();

const fn build() -> Tables {
    let mut k = [0u64; 256];
    let mut w = [0.0; 256];
    let mut f = [0.0; 256];
    let mut de = R;
    let mut te = R;
    let q = V / detmath::exp(-de);
    k[0] = (de / q * SCALE) as u64;
    k[1] = 0;
    w[0] = q / SCALE;
    w[255] = de / SCALE;
    f[0] = 1.0;
    f[255] = detmath::exp(-de);
    let mut i = 254;
    while i >= 1 {
        de = -detmath::ln(V / de + detmath::exp(-de));
        k[i + 1] = (de / te * SCALE) as u64;
        te = de;
        f[i] = detmath::exp(-de);
        w[i] = de / SCALE;
        i -= 1;
    }
    Tables { k, w, f }
}

/// An exponential variate of mean 1 from a uniform 64-bit `word`.
#[inline(always)]
pub fn exponential(word: u64) -> f64 {
    let i = (word & 0xff) as usize;
    let j = word >> 11;
    if j < TABLES.k[i] {
        return j as f64 * TABLES.w[i];
    }
    slow(word, i, j)
}

/// The wedges and the tail (2.2 % of words).
#[cold]
#[inline(never)]
fn slow(word: u64, mut i: usize, mut j: u64) -> f64 {
    let t = &TABLES;
    let mut state = word;
    loop {
        if i == 0 {
            return R + detmath::neg_ln_unit(splitmix64(&mut state));
        }
        let x = j as f64 * t.w[i];
        let u = unit_open(splitmix64(&mut state));
        let y = t.f[i] + u * (t.f[i - 1] - t.f[i]);
        // exp(-x) is convex: above its tangent at the layer's edge x_i, below the chord from
        // (x_{i-1}, f_{i-1}) to (x_i, f_i), which is where y lies when u = 1 - (x - x_{i-1}) /
        // (x_i - x_{i-1}). Points under the tangent are accepted and points over the chord
        // rejected without computing exp (a squeeze: most wedge points never need it).
        let below_tangent = y < t.f[i] * (1.0 + (t.w[i] * SCALE - x));
        if below_tangent || (y < chord(t, i, x) && y < detmath::exp_negative(-x)) {
            return x;
        }
        let next = splitmix64(&mut state);
        i = (next & 0xff) as usize;
        j = next >> 11;
        if j < t.k[i] {
            return j as f64 * t.w[i];
        }
    }
}

/// The chord of `exp(-x)` over layer `i`'s wedge, at `x`.
fn chord(t: &Tables, i: usize, x: f64) -> f64 {
    let (left, right) = (t.w[i - 1] * SCALE, t.w[i] * SCALE);
    let share = (x - left) / (right - left);
    t.f[i - 1] + share * (t.f[i] - t.f[i - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize, seed: u64) -> impl Iterator<Item = u64> {
        let mut state = seed;
        (0..n).map(move |_| splitmix64(&mut state))
    }

    #[test]
    fn the_tables_describe_a_ziggurat() {
        let t = &TABLES;
        // Layer edges grow from the top (i = 1, narrowest) to the base (i = 255 at r).
        for i in 2..256 {
            assert!(t.w[i] > t.w[i - 1], "{i}");
            assert!(t.f[i] < t.f[i - 1], "{i}");
        }
        assert_eq!(t.w[255] * SCALE, R);
        assert!((t.f[255] - (-R).exp()).abs() < 1e-18);
        // Every layer has area v: x_i * (f_{i-1} - f_i) for the rectangles above the base.
        for i in 2..256 {
            let area = t.w[i] * SCALE * (t.f[i - 1] - t.f[i]);
            assert!((area - V).abs() < 1e-12, "layer {i}: {area}");
        }
        // Most words take the fast path.
        let fast = words(1_000_000, 3)
            .filter(|w| (w >> 11) < t.k[(w & 0xff) as usize])
            .count();
        assert!((975_000..980_500).contains(&fast), "{fast}");
    }

    #[test]
    fn variates_are_exponential() {
        let n = 2_000_000;
        let xs: Vec<f64> = words(n, 11).map(exponential).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        // Standard errors: 1/sqrt(n) = 0.0007 for the mean, about 0.0016 for the variance.
        assert!((mean - 1.0).abs() < 0.004, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        // Survival function at several points, tail included (beyond r = 7.7).
        for t in [0.05, 0.5, 1.0, 2.0, 4.0, 7.0, 8.0, 10.0] {
            let observed = xs.iter().filter(|&&x| x > t).count() as f64;
            let expected = n as f64 * (-t).exp();
            let sigma = (expected * (1.0 - expected / n as f64)).sqrt();
            assert!(
                (observed - expected).abs() < 5.0 * sigma + 1.0,
                "P(X > {t}): {observed} vs {expected}"
            );
        }
        assert!(xs.iter().all(|&x| x >= 0.0 && x.is_finite()));
    }

    #[test]
    fn a_word_always_gives_the_same_variate() {
        for w in words(1000, 5) {
            assert_eq!(exponential(w).to_bits(), exponential(w).to_bits());
        }
        // The slow path's extremes: layer 0 with a large j (the tail), and the top layer.
        assert!(exponential(!0xff) >= R);
        assert!(exponential(!0xfe) > 0.0);
    }
}
