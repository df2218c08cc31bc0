//! The one integration-test binary: it drives the real `sim` executable (golden output of every
//! scenario, determinism, bad input) and the library (invariants over many seeds).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sim::model::Topology;
use sim::scenario::{self, Scenario};
use sim::sim::events::{RunOptions, run};

const CROSSZONE: &str = include_str!("../scenarios/crosszone.toml");

/// Runs the real binary in the repository's root. `sim run` gets `--no-plot` unless the test
/// asks about plots itself, so that no test writes into the repository's `plots/`.
fn sim(args: &[&str]) -> Output {
    let mut args = args.to_vec();
    if args.first() == Some(&"run") && !args.iter().any(|a| *a == "--plot-dir" || *a == "--no-plot")
    {
        args.push("--no-plot");
    }
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the sim binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 output")
}

/// Writes `text` as a scenario file in the test's scratch directory.
fn scratch(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("scratch directory is writable");
    path
}

/// Runs `sim run --format json` on scenario `text` with `flows` flows and parses the report.
fn run_json(name: &str, text: &str, flows: u64) -> serde_json::Value {
    let path = scratch(name, text);
    let flows = flows.to_string();
    let output = sim(&[
        "run",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--flows",
        &flows,
    ]);
    assert!(output.status.success(), "{name}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("the report is JSON")
}

fn crosszone_with(from: &str, to: &str) -> String {
    assert!(
        CROSSZONE.contains(from),
        "the fixture no longer contains {from:?}"
    );
    CROSSZONE.replacen(from, to, 1)
}

/// Shows where two texts first differ.
fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        expected.lines().count(),
        actual.lines().count()
    )
}

// ---- Golden output ---------------------------------------------------------------------------

/// Every scenario in `scenarios/` runs, and its table and JSON match `tests/golden/`. Set
/// `UPDATE_GOLDEN=1` to rewrite the golden files after an intended change.
#[test]
fn every_scenario_matches_its_golden_output() {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .expect("scenarios/ exists")
            .map(|e| e.expect("readable entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let relative = format!("scenarios/{stem}.toml");
        for (format, extension) in [("table", "txt"), ("json", "json")] {
            let output = sim(&["run", &relative, "--format", format]);
            assert!(output.status.success(), "{relative}: {}", stderr(&output));
            assert!(
                stderr(&output).contains("throughput:"),
                "{relative}: no throughput line"
            );
            let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/golden/{stem}.{extension}"));
            let actual = stdout(&output);
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&golden, &actual).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
                panic!("missing {}: run with UPDATE_GOLDEN=1", golden.display())
            });
            assert!(
                expected == actual,
                "{relative} --format {format}: {}",
                first_difference(&expected, &actual)
            );
        }
    }
}

#[test]
fn readme_shows_the_real_output_of_the_main_command() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/crosszone.txt"),
    )
    .unwrap();
    assert!(
        readme.contains(golden.trim_end()),
        "README.md's output sample is stale: paste tests/golden/crosszone.txt"
    );
    assert!(readme.contains("cargo run --release -- run scenarios/crosszone.toml"));
    assert!(readme.contains("cargo test"));
}

#[test]
fn crosszone_reproduces_the_experiment() {
    let output = sim(&["run", "scenarios/crosszone.toml", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["flows"].as_u64().unwrap() >= 30_000);
    let variants = report["variants"].as_array().unwrap();
    let off = variants
        .iter()
        .find(|v| v["name"] == "cross-zone off")
        .unwrap();
    let on = variants
        .iter()
        .find(|v| v["name"] == "cross-zone on")
        .unwrap();
    let shares = |v: &serde_json::Value, key: &str| -> Vec<f64> {
        v["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[key].as_f64().unwrap())
            .collect()
    };
    assert_eq!(shares(off, "share"), [1.0, 0.0, 0.0]);
    assert_eq!(shares(off, "expected_share"), [1.0, 0.0, 0.0]);
    for share in shares(on, "share") {
        assert!((share - 1.0 / 3.0).abs() < 0.01, "{share}");
    }
    assert_eq!(shares(on, "expected_share"), [0.333333; 3]);
    assert_eq!(off["subnets"][0]["az_id"], "use1-az1");
    assert_eq!(off["cross_az"]["flows"], 0);
    // Through PrivateLink every target sees the NLB node's private IP, never the client's.
    for v in [off, on] {
        for target in v["targets"].as_array().unwrap() {
            for source in target["sources"].as_array().unwrap() {
                assert!(
                    ["10.11.0.5", "10.11.0.69", "10.11.0.133"]
                        .contains(&source["ip"].as_str().unwrap()),
                    "{source}"
                );
            }
        }
    }
    assert_eq!(on["targets"][2]["sources"][0]["ip"], "10.11.0.5");
    assert!(on["cross_az"]["flows"].as_u64().unwrap() > 0);
}

#[test]
fn csv_has_a_row_per_variant_level_and_name() {
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--format",
        "csv",
        "--flows",
        "500",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "variant,level,name,az,az_id,present,hits,share,expected_share,ci95_low,ci95_high"
    );
    let rows: Vec<&str> = lines.collect();
    // Two variants x (3 subnets + 3 AZs + 3 targets).
    assert_eq!(rows.len(), 18, "{text}");
    assert!(
        rows.contains(&"cross-zone off,subnet,provider-1,us-east-1a,use1-az1,true,500,1,1,1,1"),
        "{text}"
    );
}

#[test]
fn explain_traces_one_flow_hop_by_hop() {
    let output = sim(&[
        "explain",
        "scenarios/crosszone.toml",
        "--flow",
        "3",
        "--variant",
        "cross-zone on",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for hop in [
        "DNS",
        "SYN at endpoint",
        "node 10.11.0.5",
        "flow hash",
        "sees it from",
        "response \"Hello from Provider VPC on Subnet",
        "assumption",
    ] {
        assert!(
            text.to_lowercase().contains(&hop.to_lowercase()),
            "missing {hop:?} in\n{text}"
        );
    }
}

#[test]
fn check_summarises_the_bindings() {
    let output = sim(&["check", "scenarios/crosszone.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "ENI 10.11.0.5 in consumer-1 (us-east-1a, use1-az1) -> provider-nlb node 10.11.0.5 (provider-1)"
        ),
        "{text}"
    );
}

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

#[test]
fn rejects_a_run_longer_than_the_clock() {
    // 5 flows at 1e-12 flows/s: 158,000 years of simulated time.
    let path = scratch(
        "slow",
        &CROSSZONE.replacen("arrival_rate = 100", "arrival_rate = 1e-12", 1),
    );
    let output = sim(&["run", path.to_str().unwrap(), "--flows", "5"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("--flows 5") && message.contains("workload.arrival_rate = 0.000000000001"),
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

// ---- Invariants over many seeds (library) ----------------------------------------------------

fn load(text: &str) -> Scenario {
    scenario::parse("test.toml", "test", text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Runs `flows` flows of `t` under `seed`, untraced.
fn simulate(t: &Topology, flows: u64, seed: u64) -> sim::sim::tally::Tally {
    run(
        t,
        &RunOptions {
            flows,
            seed,
            trace_flow: None,
        },
    )
}

fn variant<'a>(s: &'a Scenario, name: &str) -> &'a Topology {
    &s.variants.iter().find(|v| v.name == name).unwrap().topology
}

#[test]
fn invariants_hold_for_many_seeds() {
    let s = load(CROSSZONE);
    for seed in 0..40 {
        for v in &s.variants {
            let t = &v.topology;
            let tally = simulate(t, 1500, seed);
            let answered: u64 = tally.target_hits.iter().sum();
            let failed: u64 = tally.failures.iter().sum();
            assert_eq!(
                answered + failed,
                1500,
                "seed {seed}, {}: hits and failures must sum to flows",
                v.name
            );
            let eni_zone = t.enis[0].zone;
            if v.name == "cross-zone off" {
                for (i, hits) in tally.target_hits.iter().enumerate() {
                    if *hits > 0 {
                        assert_eq!(
                            t.targets[i].zone, eni_zone,
                            "seed {seed}: cross-zone off sent a flow out of the ENI's AZ"
                        );
                    }
                }
                assert_eq!(tally.cross_az_flows, 0, "seed {seed}");
            } else {
                assert!(
                    tally.target_hits.iter().all(|h| *h > 0),
                    "seed {seed}: cross-zone on reaches every target"
                );
            }
        }
    }
}

#[test]
fn the_same_five_tuple_and_sequence_number_pick_the_same_target() {
    use sim::rules::nlb::hash::{FlowKey, TCP, flow_hash, pick_uniform};
    let mut state = 9u64;
    for _ in 0..10_000 {
        let bits = sim::rng::splitmix64(&mut state);
        let key = FlowKey {
            protocol: TCP,
            src_ip: bits as u32,
            src_port: (bits >> 32) as u16,
            dst_ip: 0x0a0b_0005,
            dst_port: 80,
            isn: (bits >> 16) as u32,
        };
        let copy = key;
        assert_eq!(
            pick_uniform(flow_hash(&key), 3),
            pick_uniform(flow_hash(&copy), 3)
        );
    }
}

#[test]
fn a_target_group_attribute_wins_over_the_load_balancer() {
    let text = crosszone_with(
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        "targets = [\"web-1\", \"web-2\", \"web-3\"]\nload_balancing.cross_zone.enabled = \"false\"",
    );
    let s = load(&text);
    let t = variant(&s, "cross-zone on");
    let tally = simulate(t, 3000, 5);
    assert_eq!(tally.target_hits, [3000, 0, 0]);
}

const ENDPOINT_PER_AZ: &str = include_str!("../scenarios/endpoint-per-az.toml");

/// client-3 (subnet 3) with ENIs only in subnets 1 and 2: no address in its own subnet, so curl
/// takes the first address of each (rotated) answer.
fn client_without_local_eni(dns_cache: bool) -> Scenario {
    let text = ENDPOINT_PER_AZ
        .replacen("clients = [\"client-1\", \"client-2\", \"client-3\"]", "clients = [\"client-3\"]", 1)
        .replacen("dns_cache = true", &format!("dns_cache = {dns_cache}"), 1)
        .replacen(
            "set.vpc_endpoints.provider-endpoint.subnet_ids = [\"consumer-1\", \"consumer-2\", \"consumer-3\"]",
            "set.vpc_endpoints.provider-endpoint.subnet_ids = [\"consumer-1\", \"consumer-2\"]",
            1,
        );
    load(&text)
}

#[test]
fn the_resolver_rotates_answers_and_curl_takes_the_first_address() {
    let s = client_without_local_eni(false);
    let t = variant(&s, "ENI per AZ");
    let tally = simulate(t, 1000, 2);
    // Every flow queries; each answer comes in a random order (DNS-5), so each ENI is first in
    // about half of them (binomial: 1000 flows, 4 sd = 63), each bound to its AZ's node.
    assert_eq!(tally.dns_queries(), 1000);
    assert_eq!(tally.target_hits[0] + tally.target_hits[1], 1000);
    assert!(
        (437..=563).contains(&tally.target_hits[0]),
        "{:?}",
        tally.target_hits
    );
    assert_eq!(tally.target_hits[2], 0);
    assert_eq!(tally.client_cross_az_flows, 1000);
}

#[test]
fn a_cached_answer_pins_the_client_to_one_endpoint_eni_for_its_ttl() {
    let s = client_without_local_eni(true);
    let t = variant(&s, "ENI per AZ");
    // 100 flows at 100/s last about one second, well inside the 60 s TTL: one query, one ENI.
    let tally = simulate(t, 100, 2);
    assert_eq!(tally.dns_queries(), 1);
    assert!(tally.target_hits.contains(&100), "{:?}", tally.target_hits);
    // Over ten minutes the cache expires at least ten times and both ENIs get their turn; each
    // one-minute window of flows stays on one ENI, so the split is by windows, not by flows.
    let tally = simulate(t, 60_000, 2);
    assert!(tally.dns_queries() >= 10, "{}", tally.dns_queries());
    assert!(
        tally.target_hits[0] > 5_000 && tally.target_hits[1] > 5_000,
        "{:?}",
        tally.target_hits
    );
    let buckets_on_both = tally
        .timeline
        .hits
        .iter()
        .filter(|b| b[0] > 0 && b[1] > 0)
        .count();
    assert!(
        buckets_on_both * 4 < tally.timeline.hits.len(),
        "flows within a window should share an ENI"
    );
}

#[test]
fn the_time_series_stays_bounded() {
    // The bucket width grows with the run: a few hundred thousand flows still fit in ~120.
    let s = load(CROSSZONE);
    let t = variant(&s, "cross-zone on");
    let tally = simulate(t, 200_000, 3);
    assert!(tally.timeline.hits.len() <= 130);
}

#[test]
fn an_endpoint_security_group_that_forgets_the_client_times_out_every_flow() {
    let text = crosszone_with(
        "cidr_blocks = [\"10.11.0.0/26\", \"10.11.0.64/26\", \"10.11.0.128/26\"]",
        "cidr_blocks = [\"10.11.0.64/26\", \"10.11.0.128/26\"]",
    );
    let report = run_json("sg-deny", &text, 300);
    let failed = report["variants"][0]["failed"].as_object().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let failed = &failed["SG_DENY"];
    assert_eq!(failed["flows"], 300);
    assert_eq!(failed["expected_share"], 1.0);
}

#[test]
fn no_mutilation_of_the_scenario_makes_sim_panic() {
    // Delete each line in turn, and replace each value in turn with values of other types;
    // every result must either be rejected with located errors or simulate cleanly.
    let lines: Vec<&str> = CROSSZONE.lines().collect();
    let replacements = [
        "0",
        "-1",
        "\"\"",
        "\"x\"",
        "[]",
        "{}",
        "true",
        "99999999999",
        "\"10.11.0.0/33\"",
        "1.5",
    ];
    let mut variants_tried = 0;
    for i in 0..lines.len() {
        let mut candidates = vec![
            lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n"),
        ];
        if let Some((key, _)) = lines[i].split_once(" = ") {
            for r in replacements {
                let mut changed = lines.clone();
                let line = format!("{key} = {r}");
                changed[i] = &line;
                candidates.push(changed.join("\n"));
            }
        }
        for text in candidates {
            variants_tried += 1;
            match scenario::parse("m.toml", "m", &text) {
                Ok(s) => {
                    for v in &s.variants {
                        let tally = simulate(&v.topology, 50, 1);
                        let total: u64 =
                            tally.target_hits.iter().chain(tally.failures.iter()).sum();
                        assert_eq!(total, 50);
                        let t = &v.topology;
                        let _ = sim::expected::expected(
                            &sim::walk::Walker::new(t, 1),
                            &sim::state::State::initial(t, 1),
                        );
                    }
                }
                Err(errors) => {
                    assert!(!errors.is_empty());
                    for e in errors {
                        assert!(e.line >= 1 && e.column >= 1, "{e}");
                    }
                }
            }
        }
    }
    assert!(variants_tried > 500);
}

// ---- Bad input: one case per validation rule -------------------------------------------------

/// Runs `sim run` on `text` and checks exit status 2 and that stderr names `key_path` and says
/// `fragment`, with a file:line:column location.
fn rejects(name: &str, text: &str, key_path: &str, fragment: &str) -> String {
    let path = scratch(name, text);
    let output = sim(&["run", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{name}: expected exit 2, stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(
        err.contains(key_path),
        "{name}: stderr does not name {key_path:?}:\n{err}"
    );
    assert!(
        err.contains(fragment),
        "{name}: stderr does not say {fragment:?}:\n{err}"
    );
    let location = format!("{}:", path.display());
    assert!(
        err.contains(&location),
        "{name}: no file:line:column in\n{err}"
    );
    assert!(
        stdout(&output).is_empty(),
        "{name}: printed a report anyway"
    );
    err
}

#[test]
fn rejects_unknown_keys() {
    let text = crosszone_with("[vpcs.provider]\n", "[vpcs.provider]\ncolour = \"blue\"\n");
    let err = rejects("unknown-key", &text, "vpcs.provider.colour", "unknown key");
    // The line where the key is written.
    let line = text.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    assert!(err.contains(&format!("unknown-key.toml:{line}:")), "{err}");
}

#[test]
fn rejects_dangling_references() {
    let text = crosszone_with("subnet_id = \"provider-1\"", "subnet_id = \"provider-9\"");
    rejects(
        "dangling",
        &text,
        "instances.web-1.subnet_id = \"provider-9\"",
        "no subnet of that name",
    );
}

#[test]
fn rejects_a_subnet_outside_its_vpc() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.128/26\"",
        "cidr_block = \"10.12.0.128/26\"",
    );
    rejects(
        "outside-vpc",
        &text,
        "subnets.provider-3.cidr_block = \"10.12.0.128/26\"",
        "outside its VPC provider (10.11.0.0/24)",
    );
}

#[test]
fn rejects_overlapping_subnets() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.64/26\"",
        "cidr_block = \"10.11.0.32/27\"",
    );
    rejects(
        "overlap",
        &text,
        "subnets.provider-2.cidr_block",
        "overlaps subnet provider-1 (10.11.0.0/26)",
    );
}

#[test]
fn rejects_an_ip_outside_its_subnet() {
    let text = crosszone_with(
        "subnet_id = \"provider-1\"\n",
        "subnet_id = \"provider-1\"\nprivate_ip = \"10.11.0.100\"\n",
    );
    rejects(
        "ip-outside",
        &text,
        "instances.web-1.private_ip = \"10.11.0.100\"",
        "outside its subnet provider-1",
    );
}

#[test]
fn rejects_two_load_balancer_subnets_in_one_az() {
    let text = CROSSZONE.replacen(
        "availability_zone = \"us-east-1b\"\ncidr_block = \"10.11.0.64/26\"",
        "availability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.64/26\"",
        1,
    );
    assert_ne!(text, CROSSZONE);
    rejects(
        "nlb-same-az",
        &text,
        "load_balancers.provider-nlb.subnets[1]",
        "at most one subnet per AZ",
    );
}

#[test]
fn rejects_two_endpoint_subnets_in_one_az() {
    let text = crosszone_with(
        "vpc_id = \"consumer\"\navailability_zone = \"us-east-1b\"",
        "vpc_id = \"consumer\"\navailability_zone = \"us-east-1a\"",
    )
    .replacen(
        "subnet_ids = [\"consumer-1\"]",
        "subnet_ids = [\"consumer-1\", \"consumer-2\"]",
        1,
    );
    rejects(
        "endpoint-same-az",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[1]",
        "at most one subnet per AZ",
    );
}

#[test]
fn rejects_an_endpoint_subnet_in_an_az_the_nlb_does_not_enable() {
    let text = crosszone_with(
        "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
        "subnets = [\"provider-2\", \"provider-3\"]",
    );
    rejects(
        "endpoint-az",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[0]",
        "PrivateLink matches AZs by AZ ID",
    );
}

#[test]
fn maps_az_names_through_each_account_before_matching() {
    // Same AZ name, different accounts: the consumer's us-east-1a is use1-az3 for it, a zone the
    // provider's NLB does not enable, so the endpoint subnet is rejected although the names match.
    let text = crosszone_with(
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }",
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }\n\n[accounts.other]\naz_ids = { us-east-1a = \"use1-az3\", us-east-1b = \"use1-az1\", us-east-1c = \"use1-az2\" }",
    )
    .replacen("[vpcs.consumer]\n", "[vpcs.consumer]\naccount = \"other\"\n", 1)
    .replacen("[vpcs.provider]\n", "[vpcs.provider]\naccount = \"lab\"\n", 1);
    let err = rejects(
        "account-maps",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[0]",
        "us-east-1a = use1-az3 for account other",
    );
    assert!(
        err.contains("use1-az1 (us-east-1a in the provider's account)"),
        "{err}"
    );
}

#[test]
fn rejects_peering_overlapping_vpcs_and_points_to_privatelink() {
    // Before [workload]: after [[variants]] the table would belong to the last variant.
    let text = crosszone_with(
        "[workload]",
        "[vpc_peerings.direct]\nvpc_id = \"consumer\"\npeer_vpc_id = \"provider\"\n\n[workload]",
    );
    rejects(
        "peering",
        &text,
        "vpc_peerings.direct.peer_vpc_id",
        "PrivateLink",
    );
}

#[test]
fn rejects_a_port_no_listener_serves() {
    let text = crosszone_with("port = 80\narrival_rate", "port = 8080\narrival_rate");
    rejects(
        "no-listener",
        &text,
        "workload.port = 8080",
        "no listener of load balancer provider-nlb",
    );
}

#[test]
fn warns_about_a_target_in_an_az_the_nlb_does_not_enable() {
    let text = crosszone_with(
        "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
        "subnets = [\"provider-1\", \"provider-2\"]",
    );
    let report = run_json("unused-target", &text, 600);
    let warning = report["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("target_groups.web.targets[2]") && warning.contains("Target.NotInUse"),
        "{warning}"
    );
    let on = &report["variants"][1];
    assert_eq!(on["targets"][2]["hits"], 0);
    assert_eq!(on["targets"][2]["expected_share"], 0.0);
}

#[test]
fn rejects_malformed_toml_with_its_position() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.0/24\"",
        "cidr_block = \"10.11.0.0/24",
    );
    let path = scratch("syntax", &text);
    let output = sim(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("not valid TOML") && err.contains("syntax.toml:16:"),
        "{err}"
    );
}

#[test]
fn rejects_a_misspelt_resource_in_a_variant() {
    let text = crosszone_with(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nbl.enable_cross_zone_load_balancing = true",
    );
    rejects(
        "variant-typo",
        &text,
        "variants[1].set.load_balancers.provider-nbl",
        "a variant can change resources, not add them",
    );
}

#[test]
fn reports_a_bad_value_set_by_a_variant_where_the_variant_sets_it() {
    let text = crosszone_with(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = \"yes\"",
    );
    let err = rejects(
        "variant-type",
        &text,
        "variants[1].set.load_balancers.provider-nlb.enable_cross_zone_load_balancing",
        "invalid type",
    );
    assert!(err.contains("in variant \"cross-zone on\""), "{err}");
}

#[test]
fn rejects_a_bad_duration() {
    let text = crosszone_with("interval = \"30s\"", "interval = \"30 parsecs\"");
    rejects(
        "duration",
        &text,
        "target_groups.web.health_check.interval",
        "not a unit of time",
    );
}

#[test]
fn rejects_bad_flags_and_missing_files() {
    let output = sim(&["run", "scenarios/crosszone.toml", "--flows", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--flows must be at least 1"));
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--variant",
        "cross-zone sideways",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--variant \"cross-zone sideways\""));
    let output = sim(&["run", "scenarios/crosszone.toml", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sim(&["run", "scenarios/no-such-file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read scenarios/no-such-file.toml"));
}

#[test]
fn a_maglev_pick_spreads_evenly_and_moves_few_flows_when_a_target_leaves() {
    let text = crosszone_with(
        "enable_cross_zone_load_balancing = false\n",
        "enable_cross_zone_load_balancing = false\nhash = \"maglev\"\n",
    );
    let report = run_json("maglev", &text, 30_000);
    let on = &report["variants"][1];
    assert_eq!(on["hashing"]["strategy"], "maglev");
    assert_eq!(on["hashing"]["targets"], 3);
    let moved = on["hashing"]["repicked_share"].as_f64().unwrap();
    assert!((0.33..0.40).contains(&moved), "{moved}");
    assert!(on["fit"]["p_value"].as_f64().unwrap() > 0.001, "{on}");
    let uniform = run_json("uniform", CROSSZONE, 30_000);
    let moved_uniform = uniform["variants"][1]["hashing"]["repicked_share"]
        .as_f64()
        .unwrap();
    assert!(moved_uniform > moved + 0.05, "{moved_uniform} vs {moved}");
}

#[test]
fn rejects_an_unknown_hash() {
    let text = crosszone_with(
        "enable_cross_zone_load_balancing = false\n",
        "enable_cross_zone_load_balancing = false\nhash = \"ring\"\n",
    );
    rejects(
        "bad-hash",
        &text,
        "load_balancers.provider-nlb.hash = \"ring\"",
        "\"uniform\" or \"maglev\"",
    );
}

// ---- Plots -----------------------------------------------------------------------------------

/// An empty directory of its own for one test.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("plots-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory is writable");
    dir
}

const PLOT_FILES: [&str; 4] = [
    "crosszone.png",
    "crosszone.svg",
    "crosszone-timeseries.png",
    "crosszone-timeseries.svg",
];

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let document = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    document
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn run_writes_the_distribution_and_the_time_series_into_the_plot_dir() {
    let dir = fresh_dir("written");
    std::fs::write(dir.join("keep.txt"), "not sim's").unwrap();
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "3000",
        "--plot-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Hits per subnet"));
    let err = stderr(&output);
    for name in PLOT_FILES {
        assert!(err.contains(&dir.join(name).display().to_string()), "{err}");
    }
    let mut listed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "crosszone-timeseries.png",
            "crosszone-timeseries.svg",
            "crosszone.png",
            "crosszone.svg",
            "keep.txt"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "not sim's"
    );
    assert_eq!(
        png_size(&std::fs::read(dir.join("crosszone.png")).unwrap()),
        (1200, 700)
    );
    assert_eq!(
        png_size(&std::fs::read(dir.join("crosszone-timeseries.png")).unwrap()),
        (1200, 700)
    );
    let texts = svg_texts(&dir.join("crosszone.svg"));
    for label in [
        "provider-1",
        "provider-2",
        "provider-3",
        "us-east-1a (use1-az1)",
        "us-east-1b (use1-az2)",
        "us-east-1c (use1-az4)",
        "cross-zone off",
        "cross-zone on",
        "crosszone: hits per subnet (3000 flows per variant, seed 1)",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
    let texts = svg_texts(&dir.join("crosszone-timeseries.svg"));
    for label in ["web-1", "web-2", "web-3"] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
}

/// Runs `sim run` on crosszone.toml from `dir` as the current directory.
fn sim_in(dir: &Path, extra: &[&str]) -> Output {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/crosszone.toml");
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(scenario)
        .args(["--flows", "2000"])
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("the sim binary runs")
}

#[test]
fn plots_go_to_plots_by_default_and_nowhere_with_no_plot() {
    let dir = fresh_dir("default");
    let output = sim_in(&dir, &["--no-plot"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("plots:"));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "--no-plot wrote"
    );
    let output = sim_in(&dir, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("plots: plots/crosszone.png, plots/crosszone.svg"));
    for name in PLOT_FILES {
        assert!(dir.join("plots").join(name).is_file(), "no plots/{name}");
    }
}

#[test]
fn an_unwritable_plot_dir_is_an_error_after_the_table() {
    let dir = fresh_dir("unwritable");
    let file = dir.join("file");
    std::fs::write(&file, "a regular file").unwrap();
    let target = file.join("sub");
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "2000",
        "--plot-dir",
        target.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("Hits per subnet"), "no table");
    let err = stderr(&output);
    assert!(
        err.contains(&format!("error: cannot write {}", target.display())),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "a regular file",
        "the file in the way was touched"
    );
}

#[test]
fn no_plot_and_plot_dir_conflict() {
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--no-plot",
        "--plot-dir",
        "elsewhere",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );
}
