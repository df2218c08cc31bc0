//! The state over a run (docs/model.md HC-5, EV-1 to EV-6): how long a dead target keeps getting
//! new connections and how long it takes to come back, for any check interval, thresholds and
//! phases; what the shipped scenarios target-failure.toml and az-outage.toml answer; warnings
//! for events after the last flow; explain's view of the state; a revoked security-group rule
//! (EV-7) and a weights change (EV-8) as flows and checks meet them.

mod common;

use common::*;
use sim::model::ids::TargetId;
use sim::rules::health::TargetHealth;
use sim::time::SimTime;
use sim::timeline::Timeline;

const TARGET_FAILURE: &str = include_str!("../scenarios/target-failure.toml");
const AZ_OUTAGE: &str = include_str!("../scenarios/az-outage.toml");

fn secs(x: f64) -> SimTime {
    SimTime((x * 1e9) as u64)
}

/// web-2's health changes in `text`'s first variant under `seed`, as (seconds, health).
fn web2_changes(text: &str, seed: u64) -> Vec<(f64, TargetHealth)> {
    let s = load(text);
    let t = &s.variants[0].topology;
    let timeline = Timeline::new(t, seed, secs(1e6));
    timeline.history[1]
        .iter()
        .map(|c| (c.at.0 as f64 / 1e9, c.health))
        .collect()
}

/// The first instant at or after `from` where web-2 is `healthy` (or not).
fn first(changes: &[(f64, TargetHealth)], from: f64, healthy: bool) -> f64 {
    changes
        .iter()
        .find(|(at, h)| *at >= from && (*h == TargetHealth::Healthy) == healthy)
        .unwrap_or_else(|| panic!("no change to healthy = {healthy} after {from} s: {changes:?}"))
        .0
}

#[test]
fn target_failure_is_detected_and_recovered_within_one_interval_of_threshold_times_interval() {
    let changes = web2_changes(TARGET_FAILURE, 1);
    let (out, back) = (first(&changes, 300.0, false), first(&changes, 900.0, true));
    // 30 s x 3 both ways: within one interval of 90 s.
    assert!(
        (out - 300.0 - 90.0).abs() <= 30.0,
        "out at {out} s: {changes:?}"
    );
    assert!(
        (back - 900.0 - 90.0).abs() <= 30.0,
        "back at {back} s: {changes:?}"
    );
    // The report says so, and counts the connections refused meanwhile.
    let report = run_json("target-failure", TARGET_FAILURE, 150_000);
    let crash = &report["variants"][0];
    let answers = crash["changes"]["answers"].as_array().unwrap();
    let detection = answers[0]["seconds"].as_f64().unwrap();
    assert!((detection - (out - 300.0)).abs() < 1e-3, "{answers:?}");
    let refused = crash["failed"]["TARGET_REFUSED"]["flows"].as_u64().unwrap();
    assert_eq!(answers[0]["flows"].as_u64().unwrap(), refused);
    // About a third of the flows of the detection window, at 100 flows/s.
    let window = detection * 100.0 / 3.0;
    assert!(
        (refused as f64 - window).abs() < 0.1 * window,
        "{refused} vs {window}"
    );
    let recovery = answers[1]["seconds"].as_f64().unwrap();
    assert!((recovery - (back - 900.0)).abs() < 1e-3, "{answers:?}");
    // Stopping the instance instead takes it out at once: no refused connection, no wait.
    let stop = &report["variants"][1];
    assert!(
        stop["failed"].as_object().unwrap().is_empty(),
        "{}",
        stop["failed"]
    );
    assert_eq!(stop["changes"]["answers"][0]["seconds"], 0.0);
    assert_eq!(
        stop["changes"]["health"][0]["changes"][1]["state"],
        "unused"
    );
}

/// A target whose server crashes at `crash` and recovers at `recover`, with these checks: the
/// web-2 target's view leaves after (u - 1) to u intervals (the first failing check is within one
/// interval of the crash) and comes back after (h - 1) to h, for every seed (the nodes' phases).
#[test]
fn detection_and_recovery_follow_the_thresholds_for_any_interval_and_phase() {
    let mut checked = 0;
    for interval in [5u64, 10, 30, 60, 300] {
        for (healthy, unhealthy) in [(2u32, 2u32), (3, 3), (5, 2), (2, 10), (10, 4)] {
            let crash = 1000.0;
            let recover = crash + f64::from(unhealthy + 2) * interval as f64;
            let text = TARGET_FAILURE
                .replace(
                    "health_check = { protocol = \"TCP\", interval = \"30s\", healthy_threshold = 3, unhealthy_threshold = 3 }",
                    &format!(
                        "health_check = {{ protocol = \"TCP\", interval = \"{interval}s\", healthy_threshold = {healthy}, unhealthy_threshold = {unhealthy} }}"
                    ),
                )
                .replace("at = \"300s\"", &format!("at = \"{crash}s\""))
                .replace("at = \"900s\"", &format!("at = \"{recover}s\""));
            for seed in 1..=12 {
                let changes = web2_changes(&text, seed);
                let i = interval as f64;
                let out = first(&changes, crash, false) - crash;
                let back = first(&changes, recover, true) - recover;
                let (u, h) = (f64::from(unhealthy), f64::from(healthy));
                assert!(
                    out >= (u - 1.0) * i && out < u * i,
                    "interval {interval}, thresholds {healthy}/{unhealthy}, seed {seed}: out after {out} s"
                );
                assert!(
                    back >= (h - 1.0) * i && back < h * i,
                    "interval {interval}, thresholds {healthy}/{unhealthy}, seed {seed}: back after {back} s"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 300);
}

/// Checks nobody answers (a zone's targets impaired) fail at the timeout: out after (u - 1)
/// periods plus the timeout, a period being the interval or the timeout when that is longer.
#[test]
fn unanswered_checks_fail_at_their_timeout() {
    for (interval, timeout) in [(30u64, 10u64), (10, 10), (5, 20)] {
        let text = AZ_OUTAGE.replace(
            "health_check = { protocol = \"TCP\", interval = \"30s\", healthy_threshold = 3, unhealthy_threshold = 3 }",
            &format!(
                "health_check = {{ protocol = \"TCP\", interval = \"{interval}s\", timeout = \"{timeout}s\", healthy_threshold = 3, unhealthy_threshold = 3 }}"
            ),
        );
        let s = load(&text);
        let t = &s.variants[6].topology; // ENI per AZ, cross-zone off, targets down
        for seed in 1..=8 {
            let timeline = Timeline::new(t, seed, secs(5000.0));
            let web1 = &timeline.history[0];
            let out = web1
                .iter()
                .find(|c| c.at >= secs(300.0) && c.health != TargetHealth::Healthy)
                .expect("web-1 goes out")
                .at
                .0 as f64
                / 1e9
                - 300.0;
            let period = interval.max(timeout) as f64;
            let (lo, hi) = (2.0 * period + timeout as f64, 3.0 * period + timeout as f64);
            assert!(
                out >= lo && out < hi,
                "interval {interval}, timeout {timeout}, seed {seed}: out after {out} s, not in [{lo}, {hi})"
            );
        }
    }
}

/// Who keeps working in az-outage.toml, variant by variant: flows during the outage that failed.
#[test]
fn az_outage_answers_who_keeps_working() {
    let report = run_json("az-outage", AZ_OUTAGE, 120_000);
    let variants = report["variants"].as_array().unwrap();
    let by_name = |name: &str| {
        variants
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no variant {name}"))
    };
    let lost =
        |v: &serde_json::Value| v["failed"]["ZONE_IMPAIRED"]["flows"].as_u64().unwrap_or(0) as f64;
    // 600 s of the run's 1,200 s are the outage; 100 flows/s.
    let outage = 60_000.0;
    let near = |x: f64, want: f64| (x - want).abs() <= 0.05 * outage;
    // One ENI, in the failed zone: every flow of the outage is lost, cross-zone or not.
    for name in [
        "1 ENI, cross-zone off, zone down",
        "1 ENI, cross-zone on, zone down",
    ] {
        assert!(
            near(lost(by_name(name)), outage),
            "{name}: {}",
            lost(by_name(name))
        );
    }
    // Only the zone's targets: with cross-zone off the ENI's node has nothing else and fails open
    // to its unhealthy target, so all is lost; with it on, only until the checks take web-1 out
    // (70 to 100 s of flows, a third of them picked web-1; bounds a little wider for chance).
    assert!(near(
        lost(by_name("1 ENI, cross-zone off, targets down")),
        outage
    ));
    let on = lost(by_name("1 ENI, cross-zone on, targets down"));
    assert!(
        (60.0 * 100.0 / 3.0..=110.0 * 100.0 / 3.0).contains(&on),
        "{on}"
    );
    // One ENI per AZ: the clients of the other zones keep working; client-1 connects to its own
    // subnet's ENI (DNS-7) and loses its flows (a third of them), cross-zone off.
    for name in [
        "ENI per AZ, cross-zone off, zone down",
        "ENI per AZ, cross-zone off, targets down",
    ] {
        assert!(
            near(lost(by_name(name)), outage / 3.0),
            "{name}: {}",
            lost(by_name(name))
        );
    }
    // With cross-zone on and a targets-only failure, client-1's ENI still works: only flows
    // picked for web-1 before the checks act are lost.
    let on = lost(by_name("ENI per AZ, cross-zone on, targets down"));
    assert!(
        (60.0 * 100.0 / 3.0..=110.0 * 100.0 / 3.0).contains(&on),
        "{on}"
    );
    // Every variant says when web-1 was back: within one interval of 90 s after the zone is.
    for v in variants {
        let answers = v["changes"]["answers"].as_array().unwrap();
        let back = answers
            .iter()
            .find(|a| a["question"].as_str().unwrap().contains("back in service"))
            .unwrap();
        let seconds = back["seconds"].as_f64().unwrap();
        assert!(
            (60.0..120.0).contains(&seconds),
            "{}: back after {seconds} s",
            v["name"]
        );
    }
}

#[test]
fn an_event_after_the_last_flow_is_a_warning_naming_it() {
    let text = TARGET_FAILURE.replace("flows = 150000", "flows = 20000");
    let path = scratch("late-event.toml", &text);
    let output = sim(&["run", path.to_str().unwrap(), "--no-plot"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("events[0] (web-2's web server crashes) at 300s comes after the last flow"),
        "{out}"
    );
    assert!(
        out.contains("events[1] (web-2's web server is back) at 900s"),
        "{out}"
    );
}

#[test]
fn explain_shows_the_state_each_hop_read_and_why() {
    // Flow 33,000 starts near 330 s: web-2 has crashed and is not yet out.
    let output = sim(&[
        "explain",
        "scenarios/target-failure.toml",
        "--flow",
        "33000",
        "--variant",
        "server crash",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("web-2 (healthy since 0s)"), "{out}");
    // Flow 60,000 (near 600 s): web-2 is left out, with when and why.
    let output = sim(&[
        "explain",
        "scenarios/target-failure.toml",
        "--flow",
        "60000",
        "--variant",
        "server crash",
    ]);
    let out = stdout(&output);
    assert!(
        out.contains("left out: web-2 unhealthy (Target.FailedHealthChecks: its web server has crashed, checks are refused) since 371.77"),
        "{out}"
    );
    assert!(out.contains("3 failed checks in a row from node"), "{out}");
}

#[test]
fn metrics_come_under_cloudwatch_names_in_json_and_csv() {
    let output = sim(&[
        "run",
        "scenarios/target-failure.toml",
        "--format",
        "metrics-csv",
        "--no-plot",
        "--flows",
        "100000",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = stdout(&output);
    assert!(csv.starts_with(
        "variant,bucket_start_seconds,bucket_seconds,metric,dimensions,value,state\n"
    ));
    let sum = |metric: &str, variant: &str| -> u64 {
        csv.lines()
            .filter(|l| l.starts_with(variant) && l.contains(&format!(",{metric},")))
            .map(|l| l.split(',').nth(6).unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(sum("NewFlowCount", "server crash"), 100_000);
    let resets = sum("TCP_Target_Reset_Count", "server crash");
    assert!(resets > 1_000, "{resets}");
    assert_eq!(resets, sum("Target.Failed", "server crash"));
    assert_eq!(sum("TCP_Target_Reset_Count", "instance stop"), 0);
    // HealthyHostCount: web-2's group and AZ dips to 0 while it is out.
    assert!(csv.lines().any(|l| l.starts_with("server crash")
        && l.contains(",HealthyHostCount,\"TargetGroup=web,AvailabilityZone=us-east-1b\",0,")));
    let output = sim(&[
        "run",
        "scenarios/target-failure.toml",
        "--format",
        "metrics-json",
        "--no-plot",
        "--flows",
        "1000",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        json["variants"][0]["metrics"]["buckets"][0]["values"][0]["metric"],
        "NewFlowCount"
    );
}

#[test]
fn a_target_that_stops_is_out_at_once_and_a_start_goes_through_initial() {
    let s = load(TARGET_FAILURE);
    let t = &s.variants[1].topology;
    let timeline = Timeline::new(t, 1, secs(2000.0));
    let web2 = TargetId(1);
    assert_eq!(timeline.health_since(web2, secs(300.0)).at, secs(300.0));
    assert_eq!(
        timeline.state_at(secs(300.0)).health(web2).state_name(),
        "unused"
    );
    assert_eq!(
        timeline.state_at(secs(900.0)).health(web2),
        TargetHealth::Initial
    );
    let back = timeline.history[1].last().unwrap();
    assert_eq!(back.health, TargetHealth::Healthy);
    assert!(
        back.at > secs(960.0) && back.at < secs(990.0),
        "{:?}",
        back.at
    );
    // No node may pick it while it is stopped or initial.
    assert_eq!(
        timeline.leaves_service(web2, secs(299.0), |state| {
            sim::walk::Walker::new(t, 1).entry_nodes(state)
        }),
        Some(secs(300.0))
    );
}

/// NLB-6: with a routing failover count of 3 and cross-zone on, web-2's crash takes it out of no
/// eligible set (2 healthy of 3 is below the count: every node fails open), so the derived
/// answer says it got new connections for the whole failure, and why; explain says why the node
/// failed open with healthy targets left.
#[test]
fn a_routing_failover_threshold_keeps_a_crashed_target_in_service_and_says_why() {
    let text = format!(
        "{}\n[[events]]\nat = \"10s\"\ncrash = \"web-2\"\n",
        crosszone_with(
            "targets = [\"web-1\", \"web-2\", \"web-3\"]",
            "targets = [\"web-1\", \"web-2\", \"web-3\"]\ntarget_group_health.unhealthy_state_routing.minimum_healthy_targets.count = 3",
        )
    );
    let report = run_json("failover-crash", &text, 20_000);
    let on = &report["variants"][1];
    assert_eq!(on["name"], "cross-zone on");
    let answer = on["changes"]["answers"][0]["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("for the whole failure")
            && answer.contains("but a node whose healthy targets in scope fall below the group's routing failover threshold fails open to it (NLB-6)"),
        "{answer}"
    );
    let path = scratch("failover-crash-explain", &text);
    let output = sim(&[
        "explain",
        path.to_str().unwrap(),
        "--flow",
        "19000",
        "--variant",
        "cross-zone on",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let trace = stdout(&output);
    assert!(
        trace.contains(
            "(2 of 3 healthy, below the routing failover threshold (count 3): failing open)"
        ),
        "{trace}"
    );
}

const DRAINING: &str = include_str!("../scenarios/draining.toml");

/// draining.toml: which of web-2's connections survive its deregistration at 300 s, and when
/// the others are closed (CONN-3).
#[test]
fn draining_answers_which_connections_survive_and_when_the_others_close() {
    let report = run_json("draining", DRAINING, 12_000);
    let variant = |name: &str| {
        report["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no variant {name}"))
            .clone()
    };
    let web2 = |v: &serde_json::Value, code: &str| -> u64 {
        v["connections"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["target"] == "web-2")
            .and_then(|x| {
                x["ends"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e[0] == code)
                    .map(|e| e[1].as_u64().unwrap())
            })
            .unwrap_or(0)
    };
    let reset_at = |v: &serde_json::Value| -> Option<(f64, f64)> {
        v["connections"]["ends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == "RESET_DEREGISTERED")
            .map(|e| {
                (
                    e["first_seconds"].as_f64().unwrap(),
                    e["last_seconds"].as_f64().unwrap(),
                )
            })
    };
    // Termination off (the default), whatever the delay: every connection web-2 held survives
    // until its client closes it.
    for name in ["delay 300 s, termination off", "delay 0 s, termination off"] {
        let v = variant(name);
        assert_eq!(web2(&v, "RESET_DEREGISTERED"), 0, "{name}");
        assert!(web2(&v, "CLOSED") > 900, "{name}: {}", web2(&v, "CLOSED"));
        assert_eq!(reset_at(&v), None, "{name}");
    }
    // Termination on: those still open when the delay ends are reset then, at 600 s or 300 s.
    let late = variant("delay 300 s, termination on");
    let early = variant("delay 0 s, termination on");
    assert_eq!(reset_at(&late), Some((600.0, 600.0)));
    assert_eq!(reset_at(&early), Some((300.0, 300.0)));
    // Fewer survive the longer the delay is short: about exp(-300 / 600) of those open at 300 s
    // are still open at 600 s.
    let (a, b) = (
        web2(&late, "RESET_DEREGISTERED"),
        web2(&early, "RESET_DEREGISTERED"),
    );
    let ratio = a as f64 / b as f64;
    assert!(
        (ratio - (-0.5f64).exp()).abs() < 0.08,
        "{a} / {b} = {ratio}"
    );
    // Every variant: the same connections opened (the same flows), all accounted for.
    for v in report["variants"].as_array().unwrap() {
        let opened = v["connections"]["opened"].as_u64().unwrap();
        let hits: u64 = v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["hits"].as_u64().unwrap())
            .sum();
        assert_eq!(opened, hits, "{}", v["name"]);
    }
}

#[test]
fn active_flow_count_is_the_connections_open_at_each_bucket_start() {
    let output = sim(&[
        "run",
        "scenarios/draining.toml",
        "--format",
        "metrics-csv",
        "--no-plot",
        "--variant",
        "delay 300 s, termination off",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = stdout(&output);
    let active: Vec<u64> = csv
        .lines()
        .filter(|l| l.contains(",ActiveFlowCount,"))
        // The variant's name holds a comma (quoted): read the value from the end.
        .map(|l| l.rsplit(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(!active.is_empty());
    // 10 flows/s, open 600 s on average: it climbs towards 6,000 over the run's 1,200 s.
    let peak = *active.iter().max().unwrap();
    assert!((3_500..=6_500).contains(&peak), "{peak}");
    assert_eq!(active[0], 0);
}

/// Without connection termination, an unhealthy target is `unhealthy.draining` for the draining
/// interval, then `unhealthy` (CONN-2).
#[test]
fn without_termination_an_unhealthy_target_drains_first() {
    let text = TARGET_FAILURE.replace(
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        "targets = [\"web-1\", \"web-2\", \"web-3\"]\ntarget_health_state.unhealthy.connection_termination.enabled = false\ntarget_health_state.unhealthy.draining_interval_seconds = 60",
    );
    let changes = web2_changes(&text, 1);
    let states: Vec<&str> = changes.iter().map(|(_, h)| h.state_name()).collect();
    assert_eq!(
        states,
        [
            "healthy",
            "unhealthy.draining",
            "unhealthy",
            "unhealthy",
            "healthy"
        ],
        "{changes:?}"
    );
    assert!(
        (changes[2].0 - changes[1].0 - 60.0).abs() < 1e-6,
        "{changes:?}"
    );
}

/// The seed scenario with web-2 in a group of its own, `web2-sg` (the same rule as `web-sg`), and
/// `events` at its end.
fn web2_in_its_own_group(events: &str) -> String {
    let text = CROSSZONE
        .replacen(
            "[instances.web-1]",
            "[security_groups.web2-sg]\nvpc_id = \"provider\"\ningress = [{ protocol = \"tcp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.11.0.0/24\"] }]\n\n[instances.web-1]",
            1,
        )
        .replacen(
            "subnet_id = \"provider-2\"\nsecurity_group_ids = [\"web-sg\"]",
            "subnet_id = \"provider-2\"\nsecurity_group_ids = [\"web2-sg\"]",
            1,
        );
    assert!(text.contains("security_group_ids = [\"web2-sg\"]"));
    format!("{text}\n{events}")
}

/// The branches of the seed's one client from its cache (one address: its only ENI) under the
/// state holding at `at`: (target, how it ends, probability).
fn branches_at(
    t: &sim::model::Topology,
    timeline: &Timeline,
    at: f64,
) -> Vec<(
    Option<TargetId>,
    Result<(), sim::rules::outcome::FailReason>,
    f64,
)> {
    use sim::walk::{AnswerRef, Lookup, Walker, enumerate::branches};
    let walker = Walker::new(t, 1);
    branches(
        &walker,
        timeline.state_at(secs(at)),
        0,
        Lookup::Cached,
        AnswerRef::Address(0),
    )
    .into_iter()
    .map(|b| (b.ended.target, b.ended.outcome, b.probability))
    .collect()
}

/// EV-7, HC-1: web-2's only ingress rule revoked at 300 s. New connections to it are dropped
/// from that instant (TARGET_SG_DENY), but it stays in service until `unhealthy_threshold`
/// checks, dropped by the same evaluation, have failed at their timeout: out between 2 x 30 + 10
/// and 3 x 30 + 10 s later. The report's answer measures that and counts the failures; the
/// connections web-2 already held are not touched by the revoke (stateful groups, SG-1): they
/// end when the target turns unhealthy (CONN-2), not at 300 s.
#[test]
fn a_revoked_ingress_rule_fails_new_flows_at_once_and_the_target_after_the_thresholds() {
    use sim::rules::health::UnhealthyReason;
    use sim::rules::outcome::FailReason;
    let text = web2_in_its_own_group(
        "[[events]]\nat = \"300s\"\nrevoke = { security_group = \"web2-sg\", ingress = 0 }\n",
    );
    let s = load(&text);
    let t = variant(&s, "cross-zone on");
    assert_eq!(t.events[0].label, "revoke web2-sg ingress[0]");
    let web2 = TargetId(1);
    for seed in 1..=6 {
        let timeline = Timeline::new(t, seed, secs(2000.0));
        let out = timeline.history[1]
            .iter()
            .find(|c| c.health != TargetHealth::Healthy)
            .expect("web-2 goes out");
        assert_eq!(
            out.health,
            TargetHealth::Unhealthy(UnhealthyReason::ChecksDropped(FailReason::TargetSgDeny))
        );
        let after = out.at.0 as f64 / 1e9 - 300.0;
        assert!(
            (70.0..100.0).contains(&after),
            "seed {seed}: out {after} s after the revoke"
        );
        // Other targets are untouched.
        assert_eq!(timeline.history[0].len(), 1);
        assert_eq!(timeline.history[2].len(), 1);
    }
    let timeline = Timeline::new(t, 1, secs(2000.0));
    let out = timeline.history[1]
        .iter()
        .find(|c| c.health != TargetHealth::Healthy)
        .unwrap()
        .at;
    let out_s = out.0 as f64 / 1e9;
    // The walk: a flow picked for web-2 is answered just before 300 s, dropped from 300 s, and
    // none is picked for it once the checks have taken it out.
    let to_web2 = |at: f64| {
        branches_at(t, &timeline, at)
            .into_iter()
            .filter(|b| b.0 == Some(web2))
            .map(|b| (b.1, b.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(to_web2(299.999_999), [(Ok(()), 1.0 / 3.0)]);
    assert_eq!(to_web2(300.0), [(Err(FailReason::TargetSgDeny), 1.0 / 3.0)]);
    assert_eq!(to_web2(out_s), []);
    // The report: how long web-2 still got new connections, and how many failed.
    let report = run_json("revoke-web2", &text, 60_000);
    let on = &report["variants"][1];
    assert_eq!(on["name"], "cross-zone on");
    let answer = &on["changes"]["answers"][0];
    assert_eq!(
        answer["question"],
        "After revoke web2-sg ingress[0], how long did web-2 still get new connections?"
    );
    assert!((answer["seconds"].as_f64().unwrap() - (out_s - 300.0)).abs() < 1e-3);
    let denied = on["failed"]["TARGET_SG_DENY"]["flows"].as_u64().unwrap();
    assert_eq!(answer["flows"].as_u64().unwrap(), denied);
    let window = (out_s - 300.0) * 100.0 / 3.0;
    assert!(
        (denied as f64 - window).abs() < 0.15 * window,
        "{denied} vs {window}"
    );
    let states = on["changes"]["states"].as_array().unwrap();
    assert_eq!(states[0]["state"], "as the scenario starts");
    assert!(
        states[0]["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["name"] != "TARGET_SG_DENY")
    );
    assert_eq!(states[1]["state"], "web2-sg ingress[0] revoked");
    // Connections that live: those web-2 holds at 300 s carry on until it turns unhealthy.
    let living = text.replacen(
        "dns_cache = true",
        "dns_cache = true\nconnection = { duration = \"200s\", request_interval = \"20s\" }",
        1,
    );
    let s = load(&living);
    let t = variant(&s, "cross-zone on");
    let tally = simulate(t, 40_000, 1);
    let reset = sim::rules::connection::End::ResetUnhealthy.index();
    assert_eq!(tally.connections.first[reset], out.0);
    assert!(tally.connections.target_ends[1][reset] > 0);
    assert_eq!(tally.connections.target_ends[0][reset], 0);
}

/// EV-8: a weighted forward of 1/1 between `web` (web-1, web-2) and `green` (web-3) becomes 1/3
/// at 600 s: the state changes at that instant, and web-3's share goes from 1/2 to 3/4.
#[test]
fn a_weights_change_moves_the_shares_at_its_instant() {
    let text = WEIGHTED_FORWARD;
    let text = format!(
        "{text}\n[[events]]\nat = \"600s\"\nlistener_weights = {{ load_balancer = \"provider-nlb\", port = 80, forward = [{{ target_group = \"green\", weight = 3 }}, {{ target_group = \"web\", weight = 1 }}] }}\n"
    );
    let s = load(&text);
    let t = variant(&s, "cross-zone on");
    assert_eq!(t.events[0].label, "weights 1/3 on provider-nlb:80");
    let timeline = Timeline::new(t, 1, secs(2000.0));
    assert_eq!(timeline.spans.len(), 2);
    assert_eq!(timeline.spans[1].0, secs(600.0));
    let web3 = |at: f64| -> f64 {
        branches_at(t, &timeline, at)
            .into_iter()
            .filter(|b| b.0 == Some(TargetId(2)))
            .map(|b| b.2)
            .sum()
    };
    assert_eq!(web3(599.999_999), 0.5);
    assert_eq!(web3(600.0), 0.75);
    // The topology keeps the scenario's weights; the state holds the new ones.
    assert_eq!(t.listeners[0].forward[1].1, 1);
    assert_eq!(timeline.state_at(secs(600.0)).admin().forward[0][1].1, 3);
    let report = run_json("weights-change", &text, 120_000);
    let states = report["variants"][1]["changes"]["states"]
        .as_array()
        .unwrap();
    assert_eq!(states.len(), 2);
    assert_eq!(states[1]["state"], "weights 1/3 on provider-nlb:80");
    for (state, want) in [(&states[0], 0.5), (&states[1], 0.75)] {
        let web3 = state["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "web-3")
            .unwrap();
        assert_eq!(web3["expected_share"].as_f64().unwrap(), want);
        let share = web3["share"].as_f64().unwrap();
        assert!((share - want).abs() < 0.01, "{share} vs {want}");
    }
}

/// A slow web server stays healthy (a TCP check needs only the handshake) and keeps its share;
/// only the completion times show it (EV-9).
#[test]
fn a_slow_server_stays_healthy_and_only_completion_times_show_it() {
    let text = TARGET_FAILURE
        .replace(
            "crash = \"web-2\"",
            "slow = { instance = \"web-2\", response_time = \"2s\" }",
        )
        .replace(
            "recover = \"web-2\"",
            "slow = { instance = \"web-2\", response_time = \"200us\" }",
        );
    let changes = web2_changes(&text, 1);
    assert_eq!(
        changes.len(),
        1,
        "web-2's health never changes: {changes:?}"
    );
    let report = run_json("slow-server", &text, 150_000);
    let slow = &report["variants"][0];
    assert!(slow["failed"].as_object().unwrap().is_empty());
    let web2 = slow["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "web-2")
        .unwrap();
    assert!((web2["share"].as_f64().unwrap() - 1.0 / 3.0).abs() < 0.01);
    // A third of the flows between 300 s and 900 s (40 % of the run) take 2 s more: over 13 %
    // of all flows, so the 99th percentile is about 2 s.
    let p99 = slow["completion"]["p99_us"].as_f64().unwrap();
    assert!((2_000_000.0..2_010_000.0).contains(&p99), "{p99}");
    let states = slow["changes"]["states"].as_array().unwrap();
    assert!(
        states
            .iter()
            .any(|s| s["state"] == "web-2's server answers in 2s"),
        "{states:?}"
    );
}

/// An endpoint loses a subnet at 330 s (EV-10): the client whose cached answer made curl pick
/// that ENI keeps connecting to it, and timing out, until its answer expires (60 s at most);
/// then it asks again and gets the ENIs left.
#[test]
fn clients_keep_a_removed_eni_until_their_cached_answer_expires() {
    let text = ENDPOINT_PER_AZ
        .split("[[variants]]")
        .next()
        .unwrap()
        .replace(
            "subnet_ids = [\"consumer-1\"]",
            "subnet_ids = [\"consumer-1\", \"consumer-2\", \"consumer-3\"]",
        )
        .replace("flows = 30000", "flows = 60000")
        + "\n[[events]]\nat = \"330s\"\nremove_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }\n";
    let report = run_json("eni-removed", &text, 60_000);
    let v = &report["variants"][0];
    let failed = v["failed"]["NO_ENDPOINT_AT_ADDRESS"]["flows"]
        .as_u64()
        .unwrap();
    // client-2 (a third of 100 flows/s) until its cached answer, renewed every 60 s or so,
    // expires: between 0 and 60 s of its flows.
    assert!((1..=2100).contains(&failed), "{failed}");
    let answers = v["changes"]["answers"].as_array().unwrap();
    assert_eq!(answers[0]["flows"].as_u64().unwrap(), failed, "{answers:?}");
    // The failures all start within a TTL of the removal: the time series has none after.
    let bucket = v["time_series"]["bucket_seconds"].as_f64().unwrap();
    let last_failing = v["time_series"]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .rposition(|n| n.as_u64().unwrap() > 0)
        .unwrap() as f64
        * bucket;
    assert!(last_failing <= 330.0 + 60.0, "{last_failing}");
    // The other clients, and client-2 once it asks again, keep answering.
    let answered: u64 = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["hits"].as_u64().unwrap())
        .sum();
    assert_eq!(answered + failed, 60_000);
}

/// `sim check` lists what happens over time: the target groups' check and draining settings,
/// connections that live, and the events.
#[test]
fn check_lists_the_events_and_the_settings_they_meet() {
    let output = sim(&["check", "scenarios/draining.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for line in [
        "target group web (TCP instance targets, client IPs preserved): checks every 30s (timeout 10s), 3 to be healthy, 3 to be unhealthy; deregistration delay 300s; unhealthy: connections reset",
        "target group web (TCP instance targets, client IPs preserved): checks every 30s (timeout 10s), 3 to be healthy, 3 to be unhealthy; deregistration delay 300s, then open connections reset; unhealthy: connections reset",
        "connections stay open for an exponential time of mean 600s, a request every 60s (CONN-1)",
        "events[0] at 300s: web-2 is deregistered",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}
