//! Deterministic elementary functions: `ln`, `exp` and `ln_gamma` built from IEEE-754 basic
//! operations only (+, -, *, / and `sqrt`, which the standard requires to be correctly rounded).
//!
//! Why: the platform's libm may differ in the last bit between machines, and the simulator
//! promises byte-identical reports for the same scenario and seed on any machine. Every
//! transcendental on a path that reaches a report (Poisson inter-arrival times, chi-squared
//! p-values) goes through here. Accuracy is a few ulps, far below what any report prints.

use std::f64::consts::LN_2;

/// Natural logarithm of `x` (`x > 0`); `-inf` for 0, NaN for negatives.
pub const fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    // Split x = m * 2^e with m in [sqrt(1/2), sqrt(2)), exactly, from the bits.
    let mut bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64;
    if exponent == 0 {
        // Subnormal: scale into the normal range first.
        bits = (x * 18_446_744_073_709_551_616.0).to_bits();
        exponent = ((bits >> 52) & 0x7ff) as i64 - 64;
    }
    let mut e = exponent - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172: the series converges fast.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * LN_2
}

/// `-ln(u)` for the uniform `u = ((bits >> 12) + 0.5) / 2^52` in (0, 1) that
/// [`crate::rng::unit_open`] makes of `bits`: the exponential variate of the Poisson arrivals,
/// fast enough to run once per flow.
///
/// `u = m * 2^e` with `m` in [1, 2), read from the bits; `m` is split at the centre `c` of its
/// 1/128-wide table cell, `ln m = ln c + ln(1 + r)` with `r = (m - c) / c`, `|r| < 2^-8`, and
/// `ln(1 + r)` from six terms of its series (error below 2^-56). Only +, -, * and one table, so
/// the result is the same on every machine. Relative error about 1e-15.
#[inline]
pub fn neg_ln_unit(bits: u64) -> f64 {
    // u = (2k + 1) / 2^53 with k = bits >> 12, exactly: an odd integer v of at most 53 bits.
    // With its leading one at bit p, u = m * 2^(p - 53) where m = v / 2^p is in [1, 2); m's
    // mantissa is v shifted so that the leading one sits at bit 52. Integer operations only,
    // and the same u, m and exponent as reading them off the double `unit_open(bits)`.
    let v = ((bits >> 12) << 1) | 1;
    let leading = v.leading_zeros();
    let normalised = v << (leading - 11);
    let cell = ((normalised >> 45) & 0x7f) as usize;
    let m = f64::from_bits((normalised & ((1u64 << 52) - 1)) | (1023u64 << 52));
    let (centre, inverse, ln_centre) = LN_CELLS[cell];
    let r = (m - centre) * inverse;
    let series =
        r * (1.0 + r * (-0.5 + r * (1.0 / 3.0 + r * (-0.25 + r * (0.2 + r * (-1.0 / 6.0))))));
    -(EXPONENT_LN2[leading as usize & 63] + ln_centre + series)
}

/// `(63 - k - 53) * ln 2` for `k` leading zeros: the `exponent as f64 * LN_2` of
/// [`neg_ln_unit`], one correctly rounded product each, computed by the compiler.
static EXPONENT_LN2: [f64; 64] = exponent_ln2();

const fn exponent_ln2() -> [f64; 64] {
    let mut table = [0.0; 64];
    let mut k = 0;
    while k < 64 {
        table[k] = (63 - k as i64 - 53) as f64 * LN_2;
        k += 1;
    }
    table
}

/// Per cell of [1, 2) split in 128: (centre, 1 / centre, ln centre), from [`ln`] and IEEE
/// division, computed by the compiler (whose IEEE arithmetic is the same as the machine's).
static LN_CELLS: [(f64, f64, f64); 128] = ln_cells();

const fn ln_cells() -> [(f64, f64, f64); 128] {
    let mut cells = [(0.0, 0.0, 0.0); 128];
    let mut j = 0;
    while j < 128 {
        let centre = 1.0 + (j as f64 + 0.5) / 128.0;
        cells[j] = (centre, 1.0 / centre, ln(centre));
        j += 1;
    }
    cells
}

/// `e` raised to `x`; 0 below -745, infinity above 709.8.
pub const fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x > 709.78 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    let (k, r) = reduce(x);
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 1;
    while n < 30 {
        term *= r / n as f64;
        sum += term;
        n += 1;
    }
    scale(sum, k)
}

/// `x = k ln2 + r` with `|r| <= ln2/2`; ln2 is split in two (Cody-Waite, the constants of
/// fdlibm) so that `k * LN2_HI` is exact and `r` keeps its digits.
const fn reduce(x: f64) -> (f64, f64) {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    let k = round_half_away(x / LN_2);
    (k, (x - k * LN2_HI) - k * LN2_LO)
}

/// `e^r * 2^k`: 2^k in two steps, so that `k` near the subnormal range does not overflow the
/// exponent field.
const fn scale(e_r: f64, k: f64) -> f64 {
    let k = k as i32;
    let half = k / 2;
    e_r * pow2(half) * pow2(k - half)
}

/// `e` raised to `x` for `-745 < x <= 0`, faster than [`exp`]: the same reduction, then a
/// degree-13 polynomial in Horner form with the coefficients `1/n!` computed by the compiler
/// (no division at run time). Within a few ulps of [`exp`]; for the ziggurat's wedge test.
pub fn exp_negative(x: f64) -> f64 {
    if x.is_nan() || x > 0.0 {
        return exp(x);
    }
    if x < -745.2 {
        return 0.0;
    }
    let (k, r) = reduce(x);
    let mut sum = INVERSE_FACTORIALS[13];
    let mut n = 13;
    while n > 0 {
        n -= 1;
        sum = sum * r + INVERSE_FACTORIALS[n];
    }
    scale(sum, k)
}

/// `1/n!` for `n` in 0..=13 (|r|^14 / 14! < 2^-60 for |r| <= ln 2 / 2).
static INVERSE_FACTORIALS: [f64; 14] = inverse_factorials();

const fn inverse_factorials() -> [f64; 14] {
    let mut table = [1.0; 14];
    let mut n = 1;
    while n < 14 {
        table[n] = table[n - 1] / n as f64;
        n += 1;
    }
    table
}

/// `y` rounded to the nearest integer, halves away from zero (what `f64::round` does), for
/// `|y| < 2^52`, in a form the compiler can evaluate.
const fn round_half_away(y: f64) -> f64 {
    let whole = y as i64 as f64;
    let fraction = y - whole;
    if fraction >= 0.5 {
        whole + 1.0
    } else if fraction <= -0.5 {
        whole - 1.0
    } else {
        whole
    }
}

const fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `ln(Gamma(x))` for `x > 0` (Lanczos approximation, g = 7, n = 9).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Gamma(x) Gamma(1-x) = pi / sin(pi x); only x in (0, 0.5) reaches here and
        // the chi-squared code never asks for it, so use the recurrence instead of sin.
        return ln_gamma(x + 1.0) - ln(x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + G + 0.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * ln(2.0 * std::f64::consts::PI) + (x + 0.5) * ln(t) - t + ln(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1.0)
    }

    #[test]
    fn ln_matches_the_platform_to_a_few_ulps() {
        for &x in &[
            1e-300, 1e-10, 0.1, 0.5, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300, 5e-324,
        ] {
            assert!(
                close(ln(x), x.ln(), 1e-14),
                "ln({x}) = {} vs {}",
                ln(x),
                x.ln()
            );
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn neg_ln_unit_matches_the_platform() {
        let mut state = 5u64;
        let mut bits: Vec<u64> = (0..20_000)
            .map(|_| crate::rng::splitmix64(&mut state))
            .collect();
        bits.extend([
            0,
            1,
            4095,
            4096,
            u64::MAX,
            u64::MAX - 4096,
            1 << 63,
            (1 << 63) - 1,
        ]);
        for b in bits {
            let u = crate::rng::unit_open(b);
            let want = -u.ln();
            let got = neg_ln_unit(b);
            assert!(close(got, want, 4e-15), "bits {b:#x}: {got} vs {want}");
            assert!(got > 0.0);
        }
    }

    #[test]
    fn exp_negative_matches_exp() {
        let mut x = 0.0;
        while x > -700.0 {
            let (fast, slow) = (exp_negative(x), exp(x));
            assert!(
                ((fast - slow) / slow).abs() < 4e-15,
                "{x}: {fast} vs {slow}"
            );
            x -= 0.0137;
        }
        assert_eq!(exp_negative(0.0), 1.0);
        assert_eq!(exp_negative(-800.0), 0.0);
    }

    #[test]
    fn exp_matches_the_platform_to_a_few_ulps() {
        for &x in &[-700.0, -20.0, -1.0, -1e-9, 0.0, 0.5, 1.0, 3.3, 50.0, 700.0] {
            assert!(
                close(exp(x), x.exp(), 1e-14),
                "exp({x}) = {} vs {}",
                exp(x),
                x.exp()
            );
        }
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        // Gamma(n) = (n-1)!
        let mut factorial = 1.0f64;
        for n in 1..30 {
            assert!(close(ln_gamma(n as f64), factorial.ln(), 1e-12), "n = {n}");
            factorial *= n as f64;
        }
        // Gamma(1/2) = sqrt(pi)
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-12
        ));
    }
}
