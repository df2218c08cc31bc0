//! Target picks: how a node maps a flow hash onto its eligible targets. Pure and
//! allocation-free per decision (a Maglev table is allocated once, when the eligible set is
//! built).
//!
//! Two strategies behind one interface ([`TargetPick`], and the enum [`Picker`] the engines
//! store), chosen per load balancer with `hash = "uniform" | "maglev"`:
//! - [`Uniform`]: multiply-shift reduction `(h * n) >> 64`. Exactly uniform, but when the target
//!   set changes most flows move (the interval of each target shifts).
//! - [`Maglev`]: the lookup table of Maglev (Eisenbud et al., "Maglev: A Fast and Reliable
//!   Software Network Load Balancer", NSDI 2016, section 3.4): a prime-sized table filled from
//!   each target's own permutation, so that losing one target of N moves little more than that
//!   target's 1/N of the flows.
//!
//! ASSUMPTION (docs/model.md NLB-8): AWS does not publish which function its nodes use; neither
//! strategy is claimed to be AWS's. [`remapped_share`] measures, exactly, the share of flows
//! that change target when one target is lost, to set beside the optimum 1/N.

use crate::rng::{below, mix64};

/// Size of a Maglev table: the prime of the Maglev paper (more than 100 slots per target up to
/// 655 targets, its rule for an even spread).
pub const MAGLEV_TABLE_SIZE: usize = 65_537;

/// Largest number of targets a pick supports (Maglev table entries are 16-bit).
pub const MAX_TARGETS: usize = u16::MAX as usize;

pub use crate::model::PickStrategy;

/// Maps a flow hash onto one of `len()` eligible targets.
pub trait TargetPick {
    /// The index of the picked target, in `0..len()`.
    fn pick(&self, hash: u64) -> usize;
    /// The number of targets picked among.
    fn len(&self) -> usize;
    /// True for an empty target set (nothing to pick).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Multiply-shift pick over `n` targets.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Uniform {
    n: u64,
}

impl Uniform {
    /// A pick over `n` targets.
    pub fn new(n: usize) -> Uniform {
        Uniform { n: n as u64 }
    }
}

impl TargetPick for Uniform {
    #[inline]
    fn pick(&self, hash: u64) -> usize {
        below(hash, self.n) as usize
    }

    fn len(&self) -> usize {
        self.n as usize
    }
}

/// A Maglev lookup table over a set of targets, each known by a stable 64-bit identity (sim
/// uses the target's IP and port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Maglev {
    table: Box<[u16]>,
    n: usize,
}

const EMPTY: u16 = u16::MAX;

impl Maglev {
    /// Builds the table for targets with these identities (at most [`MAX_TARGETS`]). Each
    /// target `i` walks its permutation `offset_i + j * skip_i (mod M)`, offset and skip from
    /// two hashes of its identity; in turns, each takes its next free slot until the table is
    /// full.
    pub fn new(identities: &[u64]) -> Maglev {
        let n = identities.len();
        assert!(n <= MAX_TARGETS, "at most {MAX_TARGETS} targets");
        let m = MAGLEV_TABLE_SIZE as u64;
        let mut table = vec![EMPTY; MAGLEV_TABLE_SIZE].into_boxed_slice();
        if n == 0 {
            return Maglev { table, n };
        }
        let walks: Vec<(u64, u64)> = identities
            .iter()
            .map(|&id| {
                let offset = mix64(id ^ 0x6d61_676c_6576_6f66) % m;
                let skip = mix64(id ^ 0x6d61_676c_6576_736b) % (m - 1) + 1;
                (offset, skip)
            })
            .collect();
        let mut position = vec![0u64; n];
        let mut filled = 0;
        'fill: loop {
            for (i, &(offset, skip)) in walks.iter().enumerate() {
                let slot = loop {
                    let slot = ((offset + position[i] * skip) % m) as usize;
                    position[i] += 1;
                    if table[slot] == EMPTY {
                        break slot;
                    }
                };
                table[slot] = i as u16;
                filled += 1;
                if filled == MAGLEV_TABLE_SIZE {
                    break 'fill;
                }
            }
        }
        Maglev { table, n }
    }

    /// The target index of each table slot.
    pub fn slots(&self) -> &[u16] {
        &self.table
    }
}

impl TargetPick for Maglev {
    #[inline]
    fn pick(&self, hash: u64) -> usize {
        usize::from(self.table[below(hash, MAGLEV_TABLE_SIZE as u64) as usize])
    }

    fn len(&self) -> usize {
        self.n
    }
}

/// A pick of either strategy: what the engines keep per eligible set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picker {
    /// Multiply-shift.
    Uniform(Uniform),
    /// Maglev table.
    Maglev(Maglev),
}

impl Picker {
    /// The pick of `strategy` over targets with these identities.
    pub fn new(strategy: PickStrategy, identities: &[u64]) -> Picker {
        match strategy {
            PickStrategy::Uniform => Picker::Uniform(Uniform::new(identities.len())),
            PickStrategy::Maglev => Picker::Maglev(Maglev::new(identities)),
        }
    }
}

impl Picker {
    /// The exact share of all flow hashes each target gets (docs/model.md NLB-8): the width of
    /// its multiply-shift interval, or its Maglev slots over the table size.
    pub fn shares(&self) -> Vec<f64> {
        match self {
            Picker::Uniform(p) => {
                let n = p.len() as u128;
                let span = 1u128 << 64;
                let start = |k: u128| (k * span).div_ceil(n);
                (0..n)
                    .map(|k| (start(k + 1) - start(k)) as f64 / span as f64)
                    .collect()
            }
            // An empty table holds no target (its slots are all empty): no shares.
            Picker::Maglev(p) if p.is_empty() => Vec::new(),
            Picker::Maglev(p) => {
                let mut slots = vec![0u64; p.len()];
                for &slot in p.slots() {
                    slots[usize::from(slot)] += 1;
                }
                slots
                    .iter()
                    .map(|&c| c as f64 / MAGLEV_TABLE_SIZE as f64)
                    .collect()
            }
        }
    }
}

impl TargetPick for Picker {
    #[inline]
    fn pick(&self, hash: u64) -> usize {
        match self {
            Picker::Uniform(p) => p.pick(hash),
            Picker::Maglev(p) => p.pick(hash),
        }
    }

    fn len(&self) -> usize {
        match self {
            Picker::Uniform(p) => p.len(),
            Picker::Maglev(p) => p.len(),
        }
    }
}

/// The share of all flow hashes that change target when target `lost` (an index into
/// `identities`) leaves the set, exactly: the flows of the lost target (1/N, the optimum) plus
/// those the strategy moves needlessly. Flows stay "the same" when they go to the same target
/// identity. `identities` needs at least two entries.
pub fn remapped_share(strategy: PickStrategy, identities: &[u64], lost: usize) -> f64 {
    let n = identities.len();
    assert!(n >= 2 && lost < n);
    // After the loss, index j of the smaller set is index j (j < lost) or j + 1 of the old one.
    let old_index = |j: usize| if j < lost { j } else { j + 1 };
    match strategy {
        PickStrategy::Uniform => {
            let mut moved = 0u128;
            uniform_steps(n, |before, after, width| {
                if before as usize != old_index(after as usize) {
                    moved += width;
                }
            });
            moved as f64 / HASH_SPACE as f64
        }
        PickStrategy::Maglev => maglev_remap(&Maglev::new(identities), identities, lost),
    }
}

/// [`remapped_share`] averaged over which target is lost (docs/model.md NLB-9).
///
/// `uniform`: exact over every lost target, in one walk over the steps of the two picks (linear
/// in the number of targets). `maglev`: exact over every lost target up to
/// [`MAGLEV_LOSSES_AVERAGED`] targets; above, over that many lost targets spread evenly over the
/// set (each loss is a table of 65,537 slots to rebuild, so averaging over every one of 10,000
/// targets would rebuild 10,000 tables).
pub fn mean_remapped_share(strategy: PickStrategy, identities: &[u64]) -> f64 {
    let n = identities.len();
    assert!(n >= 2);
    match strategy {
        PickStrategy::Uniform => mean_uniform_remap(n),
        PickStrategy::Maglev => {
            let before = Maglev::new(identities);
            let losses = maglev_losses(n);
            losses
                .iter()
                .map(|&lost| maglev_remap(&before, identities, lost))
                .sum::<f64>()
                / losses.len() as f64
        }
    }
}

/// Most lost targets [`mean_remapped_share`] averages a Maglev remap over.
pub const MAGLEV_LOSSES_AVERAGED: usize = 32;

/// The lost targets a Maglev remap is averaged over: all of `0..n` up to
/// [`MAGLEV_LOSSES_AVERAGED`], else that many spread evenly (`k * n / count`).
fn maglev_losses(n: usize) -> Vec<usize> {
    let count = n.min(MAGLEV_LOSSES_AVERAGED);
    (0..count).map(|k| k * n / count).collect()
}

/// The share of slots of `before` (the table of `identities`) that change target when target
/// `lost` leaves.
fn maglev_remap(before: &Maglev, identities: &[u64], lost: usize) -> f64 {
    let old_index = |j: usize| if j < lost { j } else { j + 1 };
    let remaining: Vec<u64> = (0..identities.len() - 1)
        .map(|j| identities[old_index(j)])
        .collect();
    let after = Maglev::new(&remaining);
    let moved = before
        .slots()
        .iter()
        .zip(after.slots())
        .filter(|(b, a)| usize::from(**b) != old_index(usize::from(**a)))
        .count();
    moved as f64 / MAGLEV_TABLE_SIZE as f64
}

/// The uniform remap averaged over all `n` lost targets, exactly. A hash `x` picks
/// `a = floor(x n)` before and `b = floor(x (n - 1))` after (`a` is `b` or `b + 1`); after losing
/// target `L` it stays on its target when `a == b` and `L > b` (`n - 1 - b` losses), or when
/// `a == b + 1` and `L <= b` (`b + 1` losses). One walk over the union of both picks' steps
/// sums the moved share over every loss.
fn mean_uniform_remap(n: usize) -> f64 {
    let targets = n as u128;
    let mut moved = 0u128;
    uniform_steps(n, |before, after, width| {
        let stays = if before == after {
            targets - 1 - after
        } else {
            after + 1
        };
        moved += width * (targets - stays);
    });
    moved as f64 / (HASH_SPACE as f64 * n as f64)
}

/// The 2^64 flow hashes.
const HASH_SPACE: u128 = 1 << 64;

/// The uniform pick over `n` targets and over `n - 1` are step functions of the hash: walks the
/// union of their steps, calling `visit(before, after, width)` for each run of `width` hashes
/// that picks index `before` of `n` and index `after` of `n - 1`.
fn uniform_steps(n: usize, mut visit: impl FnMut(u128, u128, u128)) {
    let step_start = |k: u128, parts: u128| (k * HASH_SPACE).div_ceil(parts);
    let (before, after) = (n as u128, n as u128 - 1);
    let (mut i, mut j, mut at) = (0u128, 0u128, 0u128);
    while at < HASH_SPACE {
        let next = step_start(i + 1, before).min(step_start(j + 1, after));
        visit(i, j, next - at);
        at = next;
        if at == step_start(i + 1, before) {
            i += 1;
        }
        if at == step_start(j + 1, after) {
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identities(n: usize) -> Vec<u64> {
        (0..n as u64)
            .map(|i| (0x0a0b_0000 + i) << 16 | 80)
            .collect()
    }

    #[test]
    fn maglev_fills_every_slot_and_spreads_evenly() {
        for n in [1usize, 3, 30, 300] {
            let table = Maglev::new(&identities(n));
            let mut counts = vec![0usize; n];
            for &slot in table.slots() {
                counts[usize::from(slot)] += 1;
            }
            let even = MAGLEV_TABLE_SIZE / n;
            // The paper's bound: entries per target differ by at most about 1 %... of M / N
            // per 100 slots; allow 2 % at 300 targets (218 slots each).
            let (lo, hi) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
            assert!(
                lo + 1 >= even * 98 / 100 && hi <= even * 102 / 100 + 1,
                "{n}: {lo}..{hi}"
            );
        }
    }

    #[test]
    fn both_picks_stay_in_range() {
        let mut state = 1;
        for n in [1usize, 2, 3, 7, 300] {
            let ids = identities(n);
            for strategy in [PickStrategy::Uniform, PickStrategy::Maglev] {
                let picker = Picker::new(strategy, &ids);
                assert_eq!(picker.len(), n);
                for _ in 0..1000 {
                    assert!(picker.pick(crate::rng::splitmix64(&mut state)) < n);
                }
            }
        }
    }

    #[test]
    fn uniform_remap_is_exact() {
        // 2 targets -> 1: every flow of the lost one moves, nothing else: 1/2.
        assert_eq!(
            remapped_share(PickStrategy::Uniform, &identities(2), 0),
            0.5
        );
        // 3 -> 2, losing the middle one: [0,1/3) stays on 0, [1/3,1/2) moves to 0,
        // [1/2,2/3) moves to 2, [2/3,1) stays on 2: 1/3 moves.
        let share = remapped_share(PickStrategy::Uniform, &identities(3), 1);
        assert!((share - 1.0 / 3.0).abs() < 1e-15, "{share}");
        // Losing the first: [0,1/3) moves; [1/3,1/2) goes from 1 to... index 0 = target 1: stays;
        // [1/2,2/3) from 1 to target 2: moves; [2/3,1) stays on 2: 1/2 moves.
        let share = remapped_share(PickStrategy::Uniform, &identities(3), 0);
        assert!((share - 0.5).abs() < 1e-15, "{share}");
    }

    #[test]
    fn the_mean_remap_is_the_mean_of_each_loss() {
        for n in [2usize, 3, 7, 40] {
            let ids = identities(n);
            for strategy in [PickStrategy::Uniform, PickStrategy::Maglev] {
                let losses: Vec<usize> = match strategy {
                    PickStrategy::Uniform => (0..n).collect(),
                    PickStrategy::Maglev => maglev_losses(n),
                };
                let each = losses
                    .iter()
                    .map(|&lost| remapped_share(strategy, &ids, lost))
                    .sum::<f64>()
                    / losses.len() as f64;
                let mean = mean_remapped_share(strategy, &ids);
                assert!(
                    (mean - each).abs() < 1e-12,
                    "{strategy:?} {n}: {mean} vs {each}"
                );
            }
        }
        assert_eq!(maglev_losses(3), vec![0, 1, 2]);
        assert_eq!(
            maglev_losses(64),
            (0..32).map(|k| 2 * k).collect::<Vec<_>>()
        );
    }

    #[test]
    fn maglev_moves_little_more_than_the_lost_share() {
        for n in [3usize, 30] {
            let ids = identities(n);
            let maglev = mean_remapped_share(PickStrategy::Maglev, &ids);
            let uniform = mean_remapped_share(PickStrategy::Uniform, &ids);
            let optimum = 1.0 / n as f64;
            assert!(maglev >= optimum * 0.97, "{n}: {maglev}");
            assert!(maglev < optimum * 1.6, "{n}: maglev {maglev} vs {optimum}");
            assert!(
                uniform > maglev * 1.3,
                "{n}: uniform {uniform} vs maglev {maglev}"
            );
        }
    }

    #[test]
    fn shares_are_exact_and_sum_to_one() {
        for n in [1usize, 3, 7] {
            for strategy in [PickStrategy::Uniform, PickStrategy::Maglev] {
                let shares = Picker::new(strategy, &identities(n)).shares();
                assert_eq!(shares.len(), n);
                assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                for s in &shares {
                    assert!((s - 1.0 / n as f64).abs() < 0.01, "{strategy:?} {shares:?}");
                }
            }
        }
        assert_eq!(
            Picker::new(PickStrategy::Uniform, &identities(4)).shares(),
            vec![0.25; 4]
        );
        for strategy in [PickStrategy::Uniform, PickStrategy::Maglev] {
            assert!(Picker::new(strategy, &[]).shares().is_empty());
        }
    }

    #[test]
    fn strategy_names_round_trip() {
        for s in [PickStrategy::Uniform, PickStrategy::Maglev] {
            assert_eq!(PickStrategy::from_name(s.name()), Some(s));
        }
        assert_eq!(PickStrategy::from_name("ring"), None);
    }
}
