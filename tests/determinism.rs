//! Determinism: the same scenario and seed give byte-identical reports on any thread count and
//! either engine; another seed gives another report; runs that do not fit the clock and bad
//! thread counts are refused.

mod common;

use common::*;

// ---- Determinism -----------------------------------------------------------------------------

#[test]
fn same_seed_gives_byte_identical_reports_and_another_seed_does_not() {
    let args = [
        "run",
        "scenarios/crosszone.toml",
        "--format",
        "json",
        "--flows",
        "5000",
        "--seed",
        "42",
    ];
    let first = sim(&args);
    let second = sim(&args);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
    let other = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--format",
        "json",
        "--flows",
        "5000",
        "--seed",
        "43",
    ]);
    assert_ne!(first.stdout, other.stdout);
}

/// The report does not depend on the thread count or the engine: `--threads 1`, `2` and `8` and
/// the discrete-event loop (one event at a time, in `(time, sequence)` order) print the same
/// bytes, for every scenario, as table and as JSON. 150,000 flows: three windows of the bulk
/// engine, so threads really share the work.
#[test]
fn threads_and_engines_give_byte_identical_reports() {
    for file in [
        "scenarios/crosszone.toml",
        "scenarios/endpoint-per-az.toml",
        "scenarios/az-id-mismatch.toml",
    ] {
        for format in ["json", "table"] {
            let run = |extra: &[&str]| {
                let mut args = vec!["run", file, "--format", format, "--flows", "150000"];
                args.extend_from_slice(extra);
                let output = sim(&args);
                assert!(
                    output.status.success(),
                    "{file} {extra:?}: {}",
                    stderr(&output)
                );
                output.stdout
            };
            let event_loop = run(&["--engine", "events"]);
            for threads in ["1", "2", "8"] {
                let bulk = run(&["--threads", threads]);
                assert!(
                    bulk == event_loop,
                    "{file} --format {format} --threads {threads}: {}",
                    first_difference(
                        &String::from_utf8_lossy(&event_loop),
                        &String::from_utf8_lossy(&bulk)
                    )
                );
            }
        }
    }
}

/// The exam library too: every question's report (its own flows and seed) is the same from the
/// event loop and the bulk engine, so the answers `sim test` checks do not depend on the engine.
#[test]
fn the_exam_library_reports_the_same_on_both_engines() {
    let files = common::scenario_files("scenarios/ans");
    assert!(files.len() >= 15);
    for file in files {
        let file = file.to_str().unwrap();
        for format in ["json", "table"] {
            let run = |extra: &[&str]| {
                let mut args = vec!["run", file, "--format", format];
                args.extend_from_slice(extra);
                let output = sim(&args);
                assert!(output.status.success(), "{file}: {}", stderr(&output));
                output.stdout
            };
            let event_loop = run(&["--engine", "events"]);
            let bulk = run(&["--threads", "2"]);
            assert!(
                bulk == event_loop,
                "{file} --format {format}: {}",
                first_difference(
                    &String::from_utf8_lossy(&event_loop),
                    &String::from_utf8_lossy(&bulk)
                )
            );
        }
    }
}

#[test]
fn rejects_a_run_longer_than_the_clock() {
    // One flow at 1e-8 flows/s fits (the file validates); 1000 flows are about 3,200 years.
    let path = scratch(
        "slow",
        &CROSSZONE
            .replacen("arrival_rate = 100", "arrival_rate = 1e-8", 1)
            .replacen("flows = 100000", "flows = 1", 1),
    );
    let output = sim(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = sim(&["run", path.to_str().unwrap(), "--flows", "1000"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("--flows 1000") && message.contains("workload.arrival_rate = 0.00000001"),
        "{message}"
    );
    // The scenario's own [run] flows at 100 flows/s fit; 10^20 flows do not.
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "100000000000000000000",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn rejects_a_thread_count_out_of_range() {
    for bad in ["0", "1025"] {
        let output = sim(&["run", "scenarios/crosszone.toml", "--threads", bad]);
        assert_eq!(output.status.code(), Some(2), "--threads {bad}");
        assert!(stderr(&output).contains("--threads"), "{}", stderr(&output));
    }
    let output = sim(&["run", "scenarios/crosszone.toml", "--engine", "warp"]);
    assert_eq!(output.status.code(), Some(2));
}
