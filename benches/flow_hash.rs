//! Benchmarks of the flow-hashing core and of whole runs.
//!
//! `cargo bench` prints elements per second: flow decisions for the hash benches, simulated
//! flows for the end-to-end ones.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim::engine::{RunOptions, run};
use sim::nlb::hash::{FlowKey, TCP, flow_hash, pick_uniform};

const KEYS: u64 = 4096;

fn keys() -> Vec<FlowKey> {
    let mut state = 1u64;
    (0..KEYS)
        .map(|_| {
            let bits = sim::rng::splitmix64(&mut state);
            FlowKey {
                protocol: TCP,
                src_ip: 0x0a0b_0004,
                src_port: sim::flow::ephemeral_port((bits >> 32) as u32),
                dst_ip: 0x0a0b_0005,
                dst_port: 80,
                isn: bits as u32,
            }
        })
        .collect()
}

fn hashing(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("flow_hash");
    group.throughput(Throughput::Elements(KEYS));
    group.bench_function("hash", |b| {
        b.iter(|| {
            keys.iter()
                .fold(0u64, |acc, k| acc ^ flow_hash(black_box(k)))
        })
    });
    for targets in [3usize, 30, 300] {
        group.bench_function(format!("hash+uniform pick/{targets} targets"), |b| {
            b.iter(|| {
                keys.iter()
                    .map(|k| pick_uniform(flow_hash(black_box(k)), black_box(targets)))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/crosszone.toml");
    let scenario =
        sim::scenario::load(std::path::Path::new(path)).expect("crosszone.toml is valid");
    let flows = 20_000;
    let mut group = c.benchmark_group("engine/crosszone");
    group.throughput(Throughput::Elements(flows));
    group.sample_size(20);
    for variant in &scenario.variants {
        group.bench_function(variant.name.as_str(), |b| {
            b.iter(|| {
                let options = RunOptions {
                    flows,
                    seed: 1,
                    trace_flow: None,
                };
                run(black_box(&variant.topology), &options).events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hashing, end_to_end);
criterion_main!(benches);
