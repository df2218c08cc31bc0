//! `sim explain` and `sim check`: one flow hop by hop, with the rules that decided; what a
//! scenario builds.

mod common;
#[path = "common/generator.rs"]
#[allow(dead_code)]
mod generator;

use common::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use sim::output::explain::trace_lines;
use sim::scenario::Scenario;
use sim::sim::bulk::{WINDOW, trace::trace_all};
use sim::sim::events::{Traced, trace_flows};
use sim::timeline::{self, Timeline};

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
    // Every hop (the lines under the flow's heading, up to the blank line) cites the rules of
    // docs/model.md that decided it.
    let hops: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("flow 3 of scenario"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(hops.len() >= 8, "{text}");
    for hop in hops {
        assert!(
            hop.trim_end().ends_with(']'),
            "a hop without its rules: {hop}"
        );
    }
    for id in [
        "[WL-1, CLI-3]",
        "DNS-7",
        "PL-6",
        "NLB-7*",
        "NLB-10",
        "CLI-3",
    ] {
        assert!(text.contains(id), "missing {id} in\n{text}");
    }
    // The source port is even (docs/model.md CLI-1: connect() tries the even ports first).
    let port: u16 = text
        .split("connect 10.11.0.4:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no source port in\n{text}"));
    assert!(port % 2 == 0 && (32768..=60998).contains(&port), "{port}");
}

/// A flow whose SYN the endpoint drops is traced to its timeout, with the group that dropped it.
#[test]
fn explain_traces_a_failure_to_its_reason() {
    let text = crosszone_with(
        "cidr_blocks = [\"10.11.0.0/26\", \"10.11.0.64/26\", \"10.11.0.128/26\"]",
        "cidr_blocks = [\"10.11.0.64/26\"]",
    );
    let path = scratch("explain-sg-deny", &text);
    let output = sim(&[
        "explain",
        path.to_str().unwrap(),
        "--flow",
        "0",
        "--variant",
        "cross-zone on",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("no rule of its security groups (endpoint-sg) admits tcp/80 from 10.11.0.4: dropped [PL-6, SG-1]"), "{text}");
    assert!(
        text.contains("failed: SG_DENY (curl: (28) Connection timed out)"),
        "{text}"
    );
    // curl started at 602.021us and gives up at its 10 s connect timeout.
    assert!(text.contains("10.000602021s  failed"), "{text}");
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

/// `--flow` names a flow of the run: at or beyond the run's flow count it is refused with the
/// flag, the value, the scenario's `run.flows` and how to raise it (exit 2), at once; before,
/// the event loop replayed every flow up to it (minutes, or forever).
#[test]
fn explain_refuses_a_flow_beyond_the_run() {
    let output = sim(&["explain", "scenarios/crosszone.toml", "--flow", "100000"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let text = stderr(&output);
    assert!(
        text.contains("error: --flow 100000: scenarios/crosszone.toml sets run.flows = 100000, so its flows are numbered 0 to 99999; to trace flow 100000, give --flows 100001 or more"),
        "{text}"
    );
    assert!(stdout(&output).is_empty());

    let output = sim(&[
        "explain",
        "scenarios/crosszone.toml",
        "--flow",
        "5",
        "--flows",
        "5",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("error: --flow 5: the run has --flows 5 flows, numbered 0 to 4 (scenarios/crosszone.toml sets run.flows = 100000); to trace flow 5, give --flows 6 or more"),
        "{text}"
    );

    // A flow no run can reach: the clock (584 years of nanoseconds) ends first.
    let output = sim(&[
        "explain",
        "scenarios/crosszone.toml",
        "--flow",
        "18446744073709551614",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains(
            "--flow 18446744073709551614: scenarios/crosszone.toml sets run.flows = 100000"
        ) && text.contains("no run reaches flow 18446744073709551614")
            && text.contains("584 years"),
        "{text}"
    );
}

/// `--flows` is checked as `sim run` checks it: at least 1, and arrivals that fit the clock.
#[test]
fn explain_checks_its_flows_like_run() {
    let output = sim(&["explain", "scenarios/crosszone.toml", "--flows", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("error: --flows must be at least 1"),
        "{}",
        stderr(&output)
    );
    let output = sim(&[
        "explain",
        "scenarios/crosszone.toml",
        "--flow",
        "18446744073709551614",
        "--flows",
        "18446744073709551615",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("--flows 18446744073709551615 at workload.arrival_rate = 100 flows/s")
            && text.contains("584 years"),
        "{text}"
    );
}

/// A flow beyond the scenario's `run.flows`, given `--flows`, right after the first TTL expiry
/// (flow 6035 sends query #1) and past the first window: the default (bulk) trace prints what
/// the event loop's prints, byte for byte, for every variant.
#[test]
fn explain_engines_print_the_same_trace() {
    for flow in ["6035", "6036", "120001"] {
        let args = [
            "explain",
            "scenarios/crosszone.toml",
            "--flow",
            flow,
            "--flows",
            "200000",
        ];
        let fast = sim(&args);
        assert!(fast.status.success(), "{}", stderr(&fast));
        let events = sim(&[&args[..], &["--engine", "events"]].concat());
        assert!(events.status.success(), "{}", stderr(&events));
        assert_eq!(
            stdout(&fast),
            stdout(&events),
            "flow {flow}: {}",
            first_difference(&stdout(&events), &stdout(&fast))
        );
    }
    let text = stdout(&sim(&[
        "explain",
        "scenarios/crosszone.toml",
        "--flow",
        "6035",
        "--flows",
        "200000",
    ]));
    assert!(
        text.contains("DNS: no valid cached answer: query #1 to the VPC resolver"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The bulk trace against the event loop's.

/// Flows traced by the event loop in one run, beside the bulk engine's trace: every flow of
/// `0..DENSE`, both sides of each window edge, and the last.
const DENSE: u64 = 14_000;
/// Runs of up to this many flows compare every flow.
const SMALL: u64 = 100;

/// One trace as compared: every field, and the lines `sim explain` prints.
fn shown(s: &Scenario, variant: usize, seed: u64, traced: &Traced) -> String {
    let t = &s.variants[variant].topology;
    format!(
        "{}\n{traced:?}",
        trace_lines(
            t,
            &Timeline::new(t, seed, timeline::horizon(t, traced.index + 1)),
            traced
        )
        .join("\n")
    )
}

/// For every variant of `s` under `seed`, in a run of `last + 1` flows: the bulk engine's trace
/// ([`trace_all`], all variants at once, on `threads` threads) is the event loop's, for flows 0
/// to 3, 10, the last, seven spread over the first [`DENSE`], the flows at the window edges, and
/// the flows around DNS changes (the last hit before an expiry, the query after it and the flow
/// after that; queries racing their answers); every flow of runs up to [`SMALL`] flows.
/// Returns how many flows were compared.
fn fast_trace_is_the_event_loops(
    what: &str,
    s: &Scenario,
    seed: u64,
    last: u64,
    threads: usize,
) -> usize {
    let w = WINDOW as u64;
    let mut traced: Vec<u64> = (0..=last.min(DENSE)).collect();
    for edge in [w, 2 * w] {
        traced.extend((edge.saturating_sub(2)..=edge + 1).filter(|&i| i <= last));
    }
    traced.push(last);
    traced.sort_unstable();
    traced.dedup();
    let reference: Vec<Vec<Traced>> = s
        .variants
        .iter()
        .map(|v| trace_flows(&v.topology, seed, &traced))
        .collect();
    let mut chosen: Vec<u64> = [0, 1, 2, 3, 10, last, w - 1, w, w + 1, 2 * w]
        .into_iter()
        .chain((1..8).map(|k| k * last.min(DENSE) / 8))
        .filter(|&i| i <= last)
        .collect();
    if last <= SMALL {
        chosen.extend(0..=last);
    }
    for refs in &reference {
        assert_eq!(
            refs.len(),
            traced.len(),
            "{what}: the event loop traced every flow asked"
        );
        // Expiries: a query right after a cache hit of the same client.
        let mut expiries = 0;
        let mut races = 0;
        for (k, r) in refs.iter().enumerate().skip(1) {
            let queried = r.cache_expires.is_none();
            let before = refs[..k].iter().rev().find(|p| p.client == r.client);
            let after_hit = before.is_some_and(|p| p.cache_expires.is_some());
            if queried && after_hit && expiries < 6 {
                expiries += 1;
                let p = before.expect("after a hit").index;
                chosen.extend([p, r.index, r.index + 1].into_iter().filter(|&i| i <= last));
            } else if queried && before.is_some_and(|p| p.cache_expires.is_none()) && races < 4 {
                races += 1;
                chosen.push(r.index);
            }
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    let variants: Vec<_> = s.variants.iter().map(|v| (&v.topology, seed)).collect();
    for &flow in &chosen {
        let k = traced
            .binary_search(&flow)
            .expect("chosen flows are traced");
        let fast = trace_all(&variants, flow, threads);
        for (v, (refs, got)) in reference.iter().zip(&fast).enumerate() {
            let want = shown(s, v, seed, &refs[k]);
            let got = shown(s, v, seed, got);
            assert!(
                want == got,
                "{what}, variant \"{}\", seed {seed}, flow {flow}: {}\nevent loop:\n{want}\nbulk:\n{got}",
                s.variants[v].name,
                first_difference(&want, &got)
            );
        }
    }
    chosen.len()
}

#[test]
fn fast_trace_is_the_event_loops_on_every_scenario() {
    let w = WINDOW as u64;
    // The exam library's reports are compared engine to engine in tests/determinism.rs.
    for path in common::scenario_files("scenarios") {
        let s = sim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let what = path.display().to_string();
        for (seed, threads) in [(1, 2), (7, 1)] {
            let n = fast_trace_is_the_event_loops(&what, &s, seed, 2 * w + 3, threads);
            assert!(n > 12, "{what}: only {n} flows compared");
        }
    }
}

/// endpoint-per-az with short TTLs and a resolver as fast as the arrivals: caches that expire
/// every few thousand flows, answers that land on the nanosecond of an arrival (the event loop
/// applies the answer first only when it was scheduled first), clients that never cache, three
/// addresses outside client-1's subnet (so each answer's order decides), one not an endpoint's.
#[test]
fn fast_trace_is_the_event_loops_when_dns_races() {
    let one = "[\"client-1\"]";
    let three = "[\"client-1\", \"client-2\", \"client-3\"]";
    let record = "records = [{ name = \"provider-nlb\", type = \"A\", alias = { vpc_endpoint = \"provider-endpoint\" } }]";
    let edge = |dns_cache: bool, clients: &str, rate: &str, ttl: u32, resolver: &str| {
        let addresses = format!(
            "records = [{{ name = \"provider-nlb\", type = \"A\", ttl = {ttl}, records = [\"10.11.0.69\", \"10.11.0.133\", \"10.11.0.200\"] }}]"
        );
        let workload = "clients = [\"client-1\", \"client-2\", \"client-3\"]";
        assert!(ENDPOINT_PER_AZ.contains(record) && ENDPOINT_PER_AZ.contains(workload));
        load(
            &ENDPOINT_PER_AZ
                .replacen(record, &addresses, 1)
                .replacen(workload, &format!("clients = {clients}"), 1)
                .replacen("arrival_rate = 100", &format!("arrival_rate = {rate}"), 1)
                .replacen("dns_cache = true", &format!("dns_cache = {dns_cache}"), 1)
                .replacen(
                    "[workload]",
                    &format!("[network]\nresolver_latency = \"{resolver}\"\n\n[workload]"),
                    1,
                ),
        )
    };
    for clients in [one, three] {
        for dns_cache in [true, false] {
            // Ten thousand flows a second, 1 s TTL: each client's cache expires every few
            // thousand flows.
            let s = edge(dns_cache, clients, "10000", 1, "200us");
            fast_trace_is_the_event_loops("ttl 1s", &s, 1, WINDOW as u64 + 500, 2);
            for ttl in [0, 1] {
                let s = edge(dns_cache, clients, "1e9", ttl, "1ns");
                // Each seed's first flows race their answers: every flow of a short run, and
                // the first flows (before an answer is cached) of many seeds.
                for seed in 1..=2 {
                    fast_trace_is_the_event_loops("ties", &s, seed, SMALL, 1);
                }
                for seed in 3..=40 {
                    fast_trace_is_the_event_loops("first ties", &s, seed, 8, 1);
                }
            }
        }
    }
}

/// Generated scenarios (`tests/common/generator.rs`: DNS failures, fixed records, CNAMEs, TTLs
/// from 0, resolvers of 1 ns, caching on and off, variants that change them): the bulk trace is
/// the event loop's.
#[test]
fn fast_trace_is_the_event_loops_on_generated_scenarios() {
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(0x7ace),
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let strategy = (generator::scenario(), 200u64..=3000, 0u64..1000);
    for case in 0..24 {
        let (generated, last, seed) = strategy
            .new_tree(&mut runner)
            .expect("a generated case")
            .current();
        let s = sim::scenario::parse("gen.toml", "gen", &generated.toml)
            .unwrap_or_else(|e| panic!("case {case}: {e:?}\n{generated:?}"));
        let what = format!("generated case {case}:\n{generated:?}");
        fast_trace_is_the_event_loops(&what, &s, seed, last, 1 + case % 2);
    }
}

/// NLB-14: `explain` shows the proxy protocol v2 header a target receives, byte for byte: for a
/// direct client, the client's address and port and the node's; through PrivateLink, the endpoint
/// ENI's as the destination and the TLV 0xEA, subtype 0x01, with the endpoint's ID.
#[test]
fn explain_shows_the_proxy_protocol_header_byte_for_byte() {
    let s = sim::scenario::load(std::path::Path::new("scenarios/client-ip.toml")).unwrap();
    let v = s
        .variants
        .iter()
        .position(|v| v.name == "proxy protocol")
        .unwrap();
    let t = &s.variants[v].topology;
    let (mut direct, mut privatelink) = (false, false);
    for flow in 0..12 {
        let output = sim(&[
            "explain",
            "scenarios/client-ip.toml",
            "--flow",
            &flow.to_string(),
            "--variant",
            "proxy protocol",
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        // "connect A:P -> B:80 (...": the client's address and port, and the one it connected to.
        let connect = text.lines().find(|l| l.contains(" connect ")).unwrap();
        let mut words = connect
            .split_whitespace()
            .skip_while(|w| *w != "connect")
            .skip(1);
        let source: std::net::SocketAddrV4 = words.next().unwrap().parse().unwrap();
        let destination: std::net::SocketAddrV4 = words.nth(1).unwrap().parse().unwrap();
        // The hex dump under the header line.
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("proxy protocol v2 header first"))
            .unwrap_or_else(|| panic!("flow {flow}: no header shown:\n{text}"));
        let mut bytes = Vec::new();
        for line in &lines[at + 1..] {
            let hex: Vec<&str> = line
                .split_whitespace()
                .take_while(|w| w.len() == 2 && !w.starts_with('['))
                .collect();
            if hex.is_empty() {
                break;
            }
            bytes.extend(hex.iter().map(|h| u8::from_str_radix(h, 16).unwrap()));
        }
        // Built by hand from the PROXY protocol v2 layout.
        let mut want = vec![
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11,
        ];
        let through_endpoint = text.contains("SYN at endpoint");
        let id = &t.endpoints[0].endpoint_id;
        let tlv = if through_endpoint {
            3 + 1 + id.len()
        } else {
            0
        };
        want.extend(((12 + tlv) as u16).to_be_bytes());
        want.extend(source.ip().octets());
        want.extend(destination.ip().octets());
        want.extend(source.port().to_be_bytes());
        want.extend(destination.port().to_be_bytes());
        if through_endpoint {
            want.push(0xEA);
            want.extend(((1 + id.len()) as u16).to_be_bytes());
            want.push(0x01);
            want.extend(id.as_bytes());
            assert!(id.starts_with("vpce-") && id.len() == 22, "{id}");
            privatelink = true;
        } else {
            direct = true;
        }
        assert_eq!(bytes, want, "flow {flow}:\n{text}");
    }
    assert!(direct && privatelink, "both paths shown");
}

/// A UDP flow (docs/model.md NLB-17): a datagram without handshake or ISN, the listener's
/// protocol, the 5-tuple hash, the client's own address at the target, and ICMP port unreachable
/// from a target whose UDP service listens elsewhere.
#[test]
fn explain_shows_a_udp_flow() {
    let run = |flow: &str, variant: &str| {
        let output = sim(&[
            "explain",
            "scenarios/udp.toml",
            "--flow",
            flow,
            "--variant",
            variant,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let answered = run("2", "all serving");
    for hop in [
        "sends one UDP request",
        "send a UDP datagram",
        "no handshake",
        "listener :5000 (TCP_UDP)",
        "5-tuple hash (no sequence number)",
        "admits the datagram",
        "sees it from 10.20.12.4, the client's own address (client IP preservation is always on for UDP)",
        "response \"game-b1 (use1-az2)\"",
    ] {
        assert!(answered.contains(hop), "no {hop:?} in:\n{answered}");
    }
    assert!(!answered.contains("ISN"), "{answered}");
    assert!(!answered.contains("SYN-ACK"), "{answered}");
    let refused = run("1", "c1 on 5001");
    for hop in [
        "target game-c1: no UDP server on port 5000",
        "ICMP port unreachable",
        "PORT_UNREACHABLE",
    ] {
        assert!(refused.contains(hop), "no {hop:?} in:\n{refused}");
    }
}

/// NLB-11 to NLB-16: `explain` on a direct client's flow shows what the NLB's name answered and
/// the AZ rule that shaped it, the node reached directly, the target and the source address it
/// sees (the client's own, preserved for instance targets).
#[test]
fn explain_shows_a_direct_clients_dns_answer_node_target_and_source() {
    let output = sim(&[
        "explain",
        "scenarios/nlb-direct.toml",
        "--flow",
        "7",
        "--variant",
        "off, full",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for hop in [
        "is load balancer app-nlb's regional name",
        "NLB DNS: app-nlb-4f9c2a1b7d3e5a60.elb.us-east-1.amazonaws.com answers with one node per zone it keeps",
        "client routing policy availability_zone_affinity: this query gets only the client's zone",
        "reached directly over the VPC's local route",
        "the NLB's security groups admit the client",
        "the client's own address (preserve_client_ip.enabled is true for this instance target group)",
        "[NLB-11*, NLB-12*, NLB-13*]",
        "NLB-13: with partial AZ affinity",
    ] {
        assert!(text.contains(hop), "no {hop:?} in:\n{text}");
    }
}

/// `sim check` lists a load balancer's DNS names, its routing policy and listeners, and each
/// target group's protocol, target type, client IP preservation and proxy protocol.
#[test]
fn check_lists_the_nlb_dns_names_and_what_targets_see() {
    let output = sim(&["check", "scenarios/client-ip.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for line in [
        "DNS name provider-nlb-0a1b2c3d4e5f6a7b.elb.us-east-1.amazonaws.com (TTL 60s), client routing policy any_availability_zone; listeners TCP 80",
        "zonal name us-east-1b.provider-nlb-0a1b2c3d4e5f6a7b.elb.us-east-1.amazonaws.com",
        "target group web (TCP instance targets, client IPs preserved):",
        "target group web (TCP ip targets):",
        "target group web (TCP instance targets, proxy protocol v2):",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Every line names its rules, and every rule its sources (docs/model.md, read by
// sim::rules::catalog).

/// Checks one `sim explain` output: every line of every flow's trace ends with the rules that
/// decided it, `[ID, ...]`, each a rule of docs/model.md, marked `*` exactly when its rule rests
/// on a stated assumption; every id anywhere in the output is listed under "Sources" with its
/// title and every source docs/model.md gives it (AWS pages labelled AWS). Returns the ids the
/// trace lines cite.
fn assert_every_line_cites_its_sources(text: &str) -> Vec<String> {
    use sim::rules::catalog;
    let lines: Vec<&str> = text.lines().collect();
    let sources_at = lines
        .iter()
        .position(|l| l.starts_with("Sources ("))
        .unwrap_or_else(|| panic!("no Sources section in\n{text}"));
    // The Sources section: "  ID[*]  title", then "      LABEL: reference" rows.
    let mut listed: Vec<(String, Vec<&str>)> = Vec::new();
    for line in &lines[sources_at + 1..] {
        let trimmed = line.trim_start();
        if line.len() - trimmed.len() == 2 {
            let (id, title) = trimmed.split_once("  ").expect("id and title");
            listed.push((id.to_string(), vec![title.trim()]));
        } else {
            listed.last_mut().expect("an entry").1.push(trimmed);
        }
    }
    for (id, rows) in &listed {
        let rule = catalog::rule(id.trim_end_matches('*')).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(id.ends_with('*'), rule.assumption, "{id}");
        assert_eq!(rows[0], rule.title, "{id}");
        for source in &rule.sources {
            let row = format!("{}: {}", source.publisher().label(), source.text);
            assert!(rows.contains(&row.as_str()), "{id}: no {row:?} in {rows:?}");
        }
        if rule.sources.is_empty() {
            assert_eq!(rows[1..], ["no page cited: see docs/model.md"], "{id}");
        }
    }
    let listed_ids: Vec<&str> = listed
        .iter()
        .map(|(id, _)| id.trim_end_matches('*'))
        .collect();
    for (_, id) in catalog::ids_in(text) {
        assert!(
            listed_ids.contains(&id),
            "{id} is cited but not under Sources"
        );
    }
    // The trace lines: under each flow's heading, up to the blank line.
    let mut cited = Vec::new();
    let mut in_trace = false;
    let mut traced = 0;
    for line in &lines[..sources_at] {
        if line.starts_with("flow ") {
            in_trace = true;
            continue;
        }
        if line.is_empty() {
            in_trace = false;
        }
        if !in_trace {
            continue;
        }
        traced += 1;
        let ids = line
            .trim_end()
            .strip_suffix(']')
            .and_then(|l| l.rsplit_once(" ["))
            .map(|(_, ids)| ids)
            .unwrap_or_else(|| panic!("a line without its rules: {line}"));
        assert!(!ids.is_empty(), "{line}");
        for marked in ids.split(", ") {
            let id = marked.trim_end_matches('*');
            let rule = catalog::rule(id).unwrap_or_else(|| panic!("{id} is no rule: {line}"));
            assert_eq!(
                marked.ends_with('*'),
                rule.assumption,
                "{id} (assumption: {}) on {line}",
                rule.assumption
            );
            cited.push(id.to_string());
        }
    }
    assert!(traced >= 3, "{text}");
    cited
}

/// Every scenario, every variant: each line of a flow's trace cites rules of docs/model.md, with
/// their sources listed; and so do a failure, a direct client, a UDP flow, a connection that
/// lives, a proxy protocol header and a flow that meets a changed state.
#[test]
fn every_explain_line_names_its_rules_and_their_sources() {
    let explain = |args: &[&str]| {
        let output = sim(&[&["explain"], args].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    let scenarios = common::every_scenario();
    assert!(scenarios.len() >= 30);
    for path in &scenarios {
        let text = explain(&[path.to_str().unwrap(), "--flow", "2"]);
        assert_every_line_cites_its_sources(&text);
    }
    // A failure: the endpoint's group drops the SYN.
    let denied = scratch(
        "explain-sources-sg-deny",
        &crosszone_with(
            "cidr_blocks = [\"10.11.0.0/26\", \"10.11.0.64/26\", \"10.11.0.128/26\"]",
            "cidr_blocks = [\"10.11.0.64/26\"]",
        ),
    );
    let text = explain(&[denied.to_str().unwrap(), "--flow", "0"]);
    let cited = assert_every_line_cites_its_sources(&text);
    // The last line names the rule behind the failure reason, and when curl learns it.
    assert!(
        text.contains("failed: SG_DENY (curl: (28) Connection timed out) [CLI-4, PL-6]"),
        "{text}"
    );
    for id in ["PL-6", "SG-1", "CLI-4"] {
        assert!(cited.iter().any(|c| c == id), "{id}: {text}");
    }
    assert!(text.contains("docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html"), "{text}");
    // A refused flow after a crash, whose line names the checks that took a target out (HC-5).
    let text = explain(&[
        "scenarios/target-failure.toml",
        "--flow",
        "40000",
        "--variant",
        "server crash",
    ]);
    let cited = assert_every_line_cites_its_sources(&text);
    assert!(text.contains("left out: web-2 unhealthy"), "{text}");
    assert!(cited.iter().any(|c| c == "HC-5"), "{text}");
    // A direct client, with the NLB's DNS answer.
    let text = explain(&["scenarios/nlb-direct.toml", "--flow", "7"]);
    let cited = assert_every_line_cites_its_sources(&text);
    assert!(text.contains("[NLB-11*, NLB-12*, NLB-13*]"), "{text}");
    assert!(cited.iter().any(|c| c == "NLB-15"), "{text}");
    // UDP: the 5-tuple hash is NLB-17's, not NLB-7's (no sequence number).
    let text = explain(&["scenarios/udp.toml", "--flow", "1"]);
    assert_every_line_cites_its_sources(&text);
    let pick = text.lines().find(|l| l.contains("5-tuple hash")).unwrap();
    assert!(
        pick.contains("NLB-17*") && !pick.contains("NLB-7*"),
        "{pick}"
    );
    // A connection that lives, and how it ended.
    let text = explain(&["scenarios/draining.toml", "--flow", "5"]);
    let cited = assert_every_line_cites_its_sources(&text);
    assert!(text.contains("connection CLOSED"), "{text}");
    assert!(cited.iter().any(|c| c.starts_with("CONN-")), "{text}");
    // A proxy protocol header: each row of its bytes cites NLB-14.
    let text = explain(&[
        "scenarios/client-ip.toml",
        "--flow",
        "0",
        "--variant",
        "proxy protocol",
    ]);
    assert_every_line_cites_its_sources(&text);
    assert!(text.contains("  [NLB-14*]\n"), "{text}");
}
