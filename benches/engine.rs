//! End-to-end benchmarks: simulated flows per second for `scenarios/crosszone.toml`, each
//! variant, with the bulk engine on 1 thread and on every core, and with the discrete-event loop
//! (the reference the bulk engine is tested against); for `scenarios/endpoint-per-az.toml`
//! (several caching clients) on 1 thread; and for `benches/flapping.toml` (a target whose server
//! crashes and recovers every 10 s) beside the same without events, on 1 thread. `cargo bench`
//! prints flows per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim::sim::bulk::{BulkOptions, run};

fn crosszone(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/crosszone.toml");
    let scenario =
        sim::scenario::load(std::path::Path::new(path)).expect("crosszone.toml is valid");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let flows = 20_000_000;
    let mut group = c.benchmark_group("engine/crosszone");
    group.throughput(Throughput::Elements(flows));
    group.sample_size(10);
    for variant in &scenario.variants {
        for threads in [1, cores] {
            let name = format!("{}/bulk, {threads} thread(s)", variant.name);
            group.bench_function(name, |b| {
                b.iter(|| {
                    let options = BulkOptions {
                        flows,
                        seed: 1,
                        threads,
                    };
                    run(black_box(&variant.topology), &options, None).events
                })
            });
        }
    }
    group.finish();

    let flows = 100_000;
    let mut group = c.benchmark_group("engine/crosszone");
    group.throughput(Throughput::Elements(flows));
    group.sample_size(10);
    for variant in &scenario.variants {
        group.bench_function(format!("{}/event loop", variant.name), |b| {
            b.iter(|| {
                let options = sim::sim::events::RunOptions {
                    flows,
                    seed: 1,
                    trace_flow: None,
                };
                sim::sim::events::run(black_box(&variant.topology), &options).events
            })
        });
    }
    group.finish();
}

/// Every variant of the scenario at `file` (from the crate's root), `flows` flows each, on the
/// bulk engine on 1 thread, in group `engine/NAME`.
fn one_thread_group(c: &mut Criterion, name: &str, file: &str, flows: u64) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let scenario = sim::scenario::load(&path).expect("the bench scenarios are valid");
    let mut group = c.benchmark_group(format!("engine/{name}"));
    group.throughput(Throughput::Elements(flows));
    group.sample_size(10);
    for variant in &scenario.variants {
        group.bench_function(format!("{}/bulk, 1 thread", variant.name), |b| {
            b.iter(|| {
                let options = BulkOptions {
                    flows,
                    seed: 1,
                    threads: 1,
                };
                run(black_box(&variant.topology), &options, None).events
            })
        });
    }
    group.finish();
}

fn flapping(c: &mut Criterion) {
    // 2 x 10^7 flows at 10^5 flows/s: 200 s, 20 changes of state.
    one_thread_group(c, "flapping", "benches/flapping.toml", 20_000_000);
}

fn endpoint_per_az(c: &mut Criterion) {
    one_thread_group(
        c,
        "endpoint-per-az",
        "scenarios/endpoint-per-az.toml",
        20_000_000,
    );
}

criterion_group!(benches, crosszone, endpoint_per_az, flapping);
criterion_main!(benches);
