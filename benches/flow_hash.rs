//! Benchmarks of the flow-hashing core: the hash alone, hash + pick for each strategy over 3, 30
//! and 300 targets, and the Maglev table build. `cargo bench` prints elements per second: flow
//! decisions (or table builds).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim::rules::nlb::hash::{FlowHasher, FlowKey, TCP, flow_hash};
use sim::rules::nlb::pick::{Maglev, PickStrategy, TargetPick, Uniform};

const KEYS: u64 = 4096;

/// Flows from one client to one endpoint ENI on port 80, as a node sees them: random source
/// ports and initial sequence numbers.
fn keys() -> Vec<FlowKey> {
    let mut state = 1u64;
    (0..KEYS)
        .map(|_| {
            let bits = sim::rng::splitmix64(&mut state);
            FlowKey {
                protocol: TCP,
                src_ip: 0x0a0b_0004,
                src_port: sim::rules::client::ephemeral_port((bits >> 32) as u32),
                dst_ip: 0x0a0b_0005,
                dst_port: 80,
                isn: bits as u32,
            }
        })
        .collect()
}

/// The per-flow fields of [`keys`], (source port, initial sequence number): what a node's hasher
/// for one path takes per flow.
fn flows(keys: &[FlowKey]) -> Vec<(u16, u32)> {
    keys.iter().map(|k| (k.src_port, k.isn)).collect()
}

/// Target identities (IP, port) as [`sim::rules::nlb::target_identity`] makes them.
fn identities(n: usize) -> Vec<u64> {
    (0..n as u64)
        .map(|i| ((0x0a0b_0000 + i) << 16) | 80)
        .collect()
}

fn hash_alone(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("flow_hash");
    group.throughput(Throughput::Elements(KEYS));
    group.bench_function("hash/full key", |b| {
        b.iter(|| {
            keys.iter()
                .fold(0u64, |acc, k| acc ^ flow_hash(black_box(k)))
        })
    });
    // What a node does per flow: the path's fields (protocol, addresses, port) are folded in
    // once, the source port and sequence number per flow.
    let hasher = FlowHasher::new(TCP, 0x0a0b_0004, 0x0a0b_0005, 80);
    let flows = flows(&keys);
    group.bench_function("hash/per flow on one path", |b| {
        b.iter(|| {
            let hasher = black_box(&hasher);
            flows
                .iter()
                .fold(0u64, |acc, &(port, isn)| acc ^ hasher.hash(port, isn))
        })
    });
    group.finish();
}

/// Hash + pick per flow, as the engine's hot loop runs it: the strategy is known outside the
/// loop, the pick is inlined into it.
fn hash_and_pick(c: &mut Criterion) {
    let keys = flows(&keys());
    let hasher = FlowHasher::new(TCP, 0x0a0b_0004, 0x0a0b_0005, 80);
    let mut group = c.benchmark_group("flow_hash");
    group.throughput(Throughput::Elements(KEYS));
    fn decide<P: TargetPick>(flows: &[(u16, u32)], hasher: &FlowHasher, pick: &P) -> usize {
        flows
            .iter()
            .map(|&(port, isn)| pick.pick(hasher.hash(port, isn)))
            .sum::<usize>()
    }
    for strategy in [PickStrategy::Uniform, PickStrategy::Maglev] {
        for targets in [3usize, 30, 300] {
            let ids = identities(targets);
            let name = format!("hash+{} pick/{targets} targets", strategy.name());
            match strategy {
                PickStrategy::Uniform => {
                    let pick = Uniform::new(targets);
                    group.bench_function(name, |b| {
                        b.iter(|| decide(&keys, black_box(&hasher), black_box(&pick)))
                    });
                }
                PickStrategy::Maglev => {
                    let pick = Maglev::new(&ids);
                    group.bench_function(name, |b| {
                        b.iter(|| decide(&keys, black_box(&hasher), black_box(&pick)))
                    });
                }
            }
        }
    }
    group.finish();
}

fn maglev_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("maglev");
    group.throughput(Throughput::Elements(1));
    for targets in [3usize, 30, 300] {
        let ids = identities(targets);
        group.bench_function(format!("table build/{targets} targets"), |b| {
            b.iter(|| Maglev::new(black_box(&ids)).slots()[0])
        });
    }
    group.finish();
}

criterion_group!(benches, hash_alone, hash_and_pick, maglev_build);
criterion_main!(benches);
