//! Randomness: one master seed, split into named ChaCha8 streams.
//!
//! Determinism contract: a flow's random draws depend only on (seed, flow index). Flow `i` owns
//! words `[i * WORDS_PER_FLOW, (i + 1) * WORDS_PER_FLOW)` of the `flows` stream, so the engine
//! reads the stream sequentially while [`FlowDraws::for_flow`] can jump straight to any flow
//! (used by `sim explain` and by tests that check both agree). The draws do not depend on the
//! variant either: every variant of a scenario replays the same flows (same clients, ports,
//! sequence numbers and arrival times), so differences between variants are the configuration's,
//! not the dice's (common random numbers).
//!
//! Reductions to a range use the multiply-shift method (`(x * n) >> 64`), whose bias is below
//! `n / 2^64`: invisible at any flow count a run can reach.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// 32-bit words of the `flows` stream that belong to one flow (four 64-bit draws).
pub const WORDS_PER_FLOW: u128 = 8;

/// The random draws of one flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlowDraws {
    /// Uniform bits for the exponential gap between this flow's arrival and the previous one.
    pub arrival: u64,
    /// Uniform bits for the choice of client instance.
    pub client: u64,
    /// Low 32 bits: the TCP initial sequence number; high 32 bits: the ephemeral source port.
    pub port_and_isn: u64,
    /// Uniform bits for the weighted choice among a listener's target groups.
    pub forward: u64,
}

impl FlowDraws {
    /// The draws of flow `index` under `seed`, computed directly (random access).
    pub fn for_flow(seed: u64, index: u64) -> FlowDraws {
        let mut stream = FlowStream::starting_at(seed, index);
        stream.next_flow()
    }

    /// The initial sequence number (uniform over 32 bits).
    pub fn isn(&self) -> u32 {
        self.port_and_isn as u32
    }
}

/// Sequential reader of the `flows` stream: flow after flow, in index order.
pub struct FlowStream {
    rng: ChaCha8Rng,
}

impl FlowStream {
    /// A reader positioned at flow `first`.
    pub fn starting_at(seed: u64, first: u64) -> FlowStream {
        let mut rng = ChaCha8Rng::from_seed(stream_key(seed, "flows"));
        rng.set_word_pos(u128::from(first) * WORDS_PER_FLOW);
        FlowStream { rng }
    }

    /// The draws of the next flow.
    pub fn next_flow(&mut self) -> FlowDraws {
        FlowDraws {
            arrival: self.rng.next_u64(),
            client: self.rng.next_u64(),
            port_and_isn: self.rng.next_u64(),
            forward: self.rng.next_u64(),
        }
    }
}

/// The 256-bit ChaCha key of the stream `name` under `seed` (SplitMix64 over the seed and an
/// FNV-1a hash of the name).
pub fn stream_key(seed: u64, name: &str) -> [u8; 32] {
    let mut state = seed ^ fnv1a(name.as_bytes());
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    key
}

/// FNV-1a, 64-bit: a stable hash of a stream name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Maps uniform 64-bit `bits` onto `0..n` (multiply-shift). `n` must be at least 1.
#[inline]
pub fn below(bits: u64, n: u64) -> u64 {
    ((u128::from(bits) * u128::from(n)) >> 64) as u64
}

/// Maps uniform 64-bit `bits` onto the open interval (0, 1) with 52 bits of precision.
#[inline]
pub fn unit_open(bits: u64) -> f64 {
    ((bits >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_access_agrees_with_sequential_reading() {
        let mut stream = FlowStream::starting_at(7, 0);
        for index in 0..50 {
            assert_eq!(
                stream.next_flow(),
                FlowDraws::for_flow(7, index),
                "flow {index}"
            );
        }
    }

    #[test]
    fn seeds_and_stream_names_give_different_keys() {
        assert_ne!(stream_key(1, "flows"), stream_key(2, "flows"));
        assert_ne!(stream_key(1, "flows"), stream_key(1, "other"));
        assert_ne!(FlowDraws::for_flow(1, 0), FlowDraws::for_flow(2, 0));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut seen = [0u32; 7];
        let mut state = 3;
        for _ in 0..7000 {
            let v = below(splitmix64(&mut state), 7);
            seen[v as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 850 && c < 1150), "{seen:?}");
        assert_eq!(below(u64::MAX, 5), 4);
        assert_eq!(below(0, 5), 0);
    }

    #[test]
    fn unit_open_never_reaches_the_ends() {
        assert!(unit_open(0) > 0.0);
        assert!(unit_open(u64::MAX) < 1.0);
    }
}
