//! What the simulator answers, scenario by scenario: the experiment it started from, the rules
//! of docs/model.md as they show in reports and tallies, and the wrong answers of earlier
//! versions (each a repro).

mod common;

use common::*;
use sim::scenario::Scenario;

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
        .hits()
        .iter()
        .filter(|b| b[0] > 0 && b[1] > 0)
        .count();
    assert!(
        buckets_on_both * 4 < tally.timeline.rows.len(),
        "flows within a window should share an ENI"
    );
}

#[test]
fn the_time_series_stays_bounded() {
    // The bucket width grows with the run: a few hundred thousand flows still fit in ~120.
    let s = load(CROSSZONE);
    let t = variant(&s, "cross-zone on");
    let tally = simulate(t, 200_000, 3);
    assert!(tally.timeline.rows.len() <= 130);
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

/// NLB-6: with web-2's server on the wrong port (unhealthy) and cross-zone on, a node keeps the
/// two healthy targets by default; a routing failover count of 3, or a percentage above 2/3,
/// makes it fail open to all three, and web-2's third of the flows is refused.
#[test]
fn a_routing_failover_threshold_above_the_healthy_targets_sends_to_the_unhealthy_one_too() {
    let unhealthy = crosszone_with(
        "web_server = { port = 80, body = \"Hello from Provider VPC on Subnet 2\" }",
        "web_server = { port = 81, body = \"Hello from Provider VPC on Subnet 2\" }",
    );
    let with = |lines: &str| {
        unhealthy.replacen(
            "targets = [\"web-1\", \"web-2\", \"web-3\"]",
            &format!("targets = [\"web-1\", \"web-2\", \"web-3\"]\n{lines}"),
            1,
        )
    };
    let routing = "target_group_health.unhealthy_state_routing.minimum_healthy_targets";
    for (name, text, refused) in [
        ("failover-default", unhealthy.clone(), 0.0),
        (
            "failover-count",
            with(&format!("{routing}.count = 3")),
            1.0 / 3.0,
        ),
        (
            "failover-percentage-70",
            with(&format!("{routing}.percentage = 70")),
            1.0 / 3.0,
        ),
        (
            "failover-percentage-60",
            with(&format!("{routing}.percentage = 60")),
            0.0,
        ),
        // DNS failover does not act on the PrivateLink path.
        (
            "failover-dns",
            with("target_group_health.dns_failover.minimum_healthy_targets.count = 3"),
            0.0,
        ),
    ] {
        let report = run_json(name, &text, 3000);
        let on = &report["variants"][1];
        assert_eq!(on["name"], "cross-zone on");
        let expected = on["failed"]["TARGET_REFUSED"]["expected_share"]
            .as_f64()
            .unwrap_or(0.0);
        assert!((expected - refused).abs() < 1e-6, "{name}: {expected}");
        let flows = on["failed"]["TARGET_REFUSED"]["flows"]
            .as_f64()
            .unwrap_or(0.0);
        assert!((flows / 3000.0 - refused).abs() < 0.03, "{name}: {flows}");
        // Cross-zone off: the ENI's node (zone A) has web-1 alone, healthy, 1 of 1.
        let off = &report["variants"][0];
        assert!(off["failed"].get("TARGET_REFUSED").is_none(), "{name}");
    }
}
