//! Randomness: one master seed, split into named ChaCha8 streams.
//!
//! Determinism contract: a flow's random draws depend only on (seed, flow index). Each flow owns
//! one 64-bit word of each of two streams: word `i` of `arrivals` (its inter-arrival gap and its
//! client) and word `i` of `flows` (its source port, initial sequence number and weighted
//! forward). Readers can start at any flow ([`FlowDraws::for_flow`], used by `sim explain` and by
//! the engine's threads, each of which reads its own share of the flows). Two streams, not one:
//! the bulk engine's arrival pass reads only `arrivals` and its routing pass only `flows`, so no
//! word is generated twice.
//!
//! The draws do not depend on the variant either: every variant of a scenario replays the same
//! flows (same clients, ports, sequence numbers and arrival times), so differences between
//! variants are the configuration's, not the dice's (common random numbers).
//!
//! Where a word serves two purposes, the second one reads it through [`mix64`] (the SplitMix64
//! finaliser, a bijection whose output bits each depend on every input bit): the client choice
//! from the arrival word, the weighted forward from the flow word.
//!
//! Draws that belong to a resource rather than a flow (the order of one DNS answer, the NLB an
//! endpoint ENI binds to) are keyed by (seed, stream name, resource name, index): [`keyed`] and
//! [`draw`]. Adding a resource, a variant or a thread never moves another resource's draws.
//!
//! Reductions to a range use the multiply-shift method (`(x * n) >> 64`), whose bias is below
//! `n / 2^64`: invisible at any flow count a run can reach.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// The random draws of one flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlowDraws {
    /// Word of the `arrivals` stream: the exponential gap before this flow's arrival (through
    /// [`crate::ziggurat`]) and, mixed, the choice of client.
    pub arrival: u64,
    /// Word of the `flows` stream: low 32 bits the TCP initial sequence number, high 32 bits the
    /// ephemeral source port; mixed, the weighted choice among a listener's target groups.
    pub flow: u64,
}

impl FlowDraws {
    /// The draws of flow `index` under `seed`, computed directly (random access).
    pub fn for_flow(seed: u64, index: u64) -> FlowDraws {
        FlowDraws {
            arrival: WordStream::starting_at(seed, Stream::Arrivals, index).next_word(),
            flow: WordStream::starting_at(seed, Stream::Flows, index).next_word(),
        }
    }

    /// Uniform bits for the choice of client.
    pub fn client_bits(&self) -> u64 {
        client_bits(self.arrival)
    }
}

/// The TCP initial sequence number, from a flow's flow word (its low 32 bits).
#[inline(always)]
pub fn isn(flow: u64) -> u32 {
    flow as u32
}

/// The source port bits (see [`crate::rules::client::ephemeral_port`]), from a flow's flow word (its
/// high 32 bits).
#[inline(always)]
pub fn port_bits(flow: u64) -> u32 {
    (flow >> 32) as u32
}

/// Uniform bits for the client choice, from a flow's arrival word.
#[inline]
pub fn client_bits(arrival: u64) -> u64 {
    mix64(arrival)
}

/// Uniform bits for the weighted forward, from a flow's flow word.
#[inline]
pub fn forward_bits(flow: u64) -> u64 {
    mix64(flow)
}

/// The two per-flow streams.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stream {
    /// One word per flow: inter-arrival gap and client.
    Arrivals,
    /// One word per flow: port, sequence number, forward.
    Flows,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Arrivals => "arrivals",
            Stream::Flows => "flows",
        }
    }
}

/// Words of one stream read in blocks (ChaCha8 fills 256 words at a time: faster than word by
/// word), flow after flow.
pub struct WordStream {
    rng: ChaCha8Rng,
    block: WordBlock,
    next: usize,
}

/// Words a [`WordStream`] generates at a time.
pub const BLOCK: usize = 256;

/// [`BLOCK`] words of a stream as ChaCha8 writes them (little-endian bytes): reading a word is
/// one load on a little-endian machine, and the same word on any machine.
#[derive(Clone)]
pub struct WordBlock {
    bytes: [u8; BLOCK * 8],
}

impl Default for WordBlock {
    fn default() -> WordBlock {
        WordBlock {
            bytes: [0; BLOCK * 8],
        }
    }
}

impl WordBlock {
    /// Word `i` (`i < BLOCK`).
    #[inline(always)]
    pub fn word(&self, i: usize) -> u64 {
        let bytes: [u8; 8] = self.bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes");
        u64::from_le_bytes(bytes)
    }

    /// Words `from..to` (`to <= BLOCK`), in order.
    #[inline(always)]
    pub fn words(&self, from: usize, to: usize) -> impl Iterator<Item = u64> + '_ {
        self.bytes[from * 8..to * 8]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
    }
}

impl WordStream {
    /// A reader of `stream` positioned at flow `first`.
    pub fn starting_at(seed: u64, stream: Stream, first: u64) -> WordStream {
        let mut rng = ChaCha8Rng::from_seed(stream_key(seed, stream.name()));
        // Two 32-bit ChaCha words per 64-bit flow word.
        rng.set_word_pos(u128::from(first) * 2);
        WordStream {
            rng,
            block: WordBlock::default(),
            next: BLOCK,
        }
    }

    /// The next flow's word.
    #[inline]
    pub fn next_word(&mut self) -> u64 {
        if self.next == BLOCK {
            self.rng.fill_bytes(&mut self.block.bytes);
            self.next = 0;
        }
        let word = self.block.word(self.next);
        self.next += 1;
        word
    }

    /// The next [`BLOCK`] words, into `block` (the reader must be at a block boundary: it has
    /// handed out words only by blocks so far).
    #[inline]
    pub fn next_block(&mut self, block: &mut WordBlock) {
        debug_assert_eq!(self.next, BLOCK, "next_block after next_word");
        self.rng.fill_bytes(&mut block.bytes);
    }
}

/// Sequential reader of both streams: flow after flow, in index order.
pub struct FlowStream {
    arrivals: WordStream,
    flows: WordStream,
}

impl FlowStream {
    /// A reader positioned at flow `first`.
    pub fn starting_at(seed: u64, first: u64) -> FlowStream {
        FlowStream {
            arrivals: WordStream::starting_at(seed, Stream::Arrivals, first),
            flows: WordStream::starting_at(seed, Stream::Flows, first),
        }
    }

    /// The draws of the next flow.
    pub fn next_flow(&mut self) -> FlowDraws {
        FlowDraws {
            arrival: self.arrivals.next_word(),
            flow: self.flows.next_word(),
        }
    }
}

/// The SplitMix64 finaliser: a bijection of 64-bit words that mixes every input bit into every
/// output bit.
#[inline]
pub fn mix64(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

/// The key of the draws of stream `stream` about resource `name` under `seed`.
pub fn keyed(seed: u64, stream: &str, name: &str) -> u64 {
    let mut state = seed ^ fnv1a(stream.as_bytes());
    let salted = splitmix64(&mut state) ^ fnv1a(name.as_bytes());
    mix64(salted)
}

/// Uniform word `index` of the draws keyed `key` (random access: any index, any order).
#[inline]
pub fn draw(key: u64, index: u64) -> u64 {
    mix64(key ^ mix64(index.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// FNV-1a, 64-bit: a stable hash of a name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    mix64(*state)
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
    fn readers_can_start_anywhere_across_blocks() {
        let mut from_zero = FlowStream::starting_at(9, 0);
        let all: Vec<FlowDraws> = (0..700).map(|_| from_zero.next_flow()).collect();
        for first in [1u64, 255, 256, 257, 511, 600] {
            let mut stream = FlowStream::starting_at(9, first);
            for (index, want) in all.iter().enumerate().skip(first as usize) {
                assert_eq!(stream.next_flow(), *want, "start {first}, flow {index}");
            }
        }
        assert_ne!(all[0].arrival, all[0].flow, "the streams differ");
    }

    #[test]
    fn seeds_and_stream_names_give_different_keys() {
        assert_ne!(stream_key(1, "flows"), stream_key(2, "flows"));
        assert_ne!(stream_key(1, "flows"), stream_key(1, "other"));
        assert_ne!(FlowDraws::for_flow(1, 0), FlowDraws::for_flow(2, 0));
    }

    #[test]
    fn keyed_draws_depend_on_seed_stream_name_and_index() {
        let k = keyed(1, "dns-order", "client-1");
        assert_ne!(k, keyed(2, "dns-order", "client-1"));
        assert_ne!(k, keyed(1, "eni-binding", "client-1"));
        assert_ne!(k, keyed(1, "dns-order", "client-2"));
        assert_ne!(draw(k, 0), draw(k, 1));
        assert_eq!(draw(k, 7), draw(keyed(1, "dns-order", "client-1"), 7));
        // Uniform enough: the top bit of consecutive draws splits evenly.
        let high = (0..10_000).filter(|&i| draw(k, i) >> 63 == 1).count();
        assert!((4_800..5_200).contains(&high), "{high}");
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
