//! The bulk engine against the event loop: identical tallies, field for field, on every
//! scenario and on the DNS cases where the order of events matters (answers that tie with
//! arrivals, caches that expire every few flows, clients that never cache, several clients).

use super::{BulkOptions, WINDOW, run};
use crate::model::Topology;
use crate::scenario::{self, Scenario};
use crate::sim::events::{self, RunOptions};
use crate::sim::tally::Tally;

const CROSSZONE: &str = include_str!("../../../scenarios/crosszone.toml");
const ENDPOINT_PER_AZ: &str = include_str!("../../../scenarios/endpoint-per-az.toml");
const AZ_ID_MISMATCH: &str = include_str!("../../../scenarios/az-id-mismatch.toml");
const NLB_DIRECT: &str = include_str!("../../../scenarios/nlb-direct.toml");
const CLIENT_IP: &str = include_str!("../../../scenarios/client-ip.toml");
const UDP: &str = include_str!("../../../scenarios/udp.toml");

fn load(text: &str) -> Scenario {
    scenario::parse("test.toml", "test", text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn event_loop(t: &Topology, flows: u64, seed: u64) -> Tally {
    events::run(
        t,
        &RunOptions {
            flows,
            seed,
            trace_flow: None,
        },
    )
}

fn bulk(t: &Topology, flows: u64, seed: u64, threads: usize) -> Tally {
    run(
        t,
        &BulkOptions {
            flows,
            seed,
            threads,
        },
        None,
    )
}

/// Both engines, on every variant of `text`, for these flow counts and seeds, on 1 to 3 threads.
fn agree(what: &str, text: &str, flows: &[u64], seeds: &[u64]) {
    let s = load(text);
    for v in &s.variants {
        for &n in flows {
            for &seed in seeds {
                let want = event_loop(&v.topology, n, seed);
                for threads in [1, 2, 3] {
                    let got = bulk(&v.topology, n, seed, threads);
                    assert_eq!(
                        got, want,
                        "{what}, variant {}, {n} flows, seed {seed}, {threads} threads",
                        v.name
                    );
                }
            }
        }
    }
}

/// Flow counts that end inside the first window, on its edge and in a later one.
const ACROSS_WINDOWS: [u64; 4] = [1, 777, WINDOW as u64, WINDOW as u64 * 2 + 3];

#[test]
fn every_scenario_gives_the_event_loops_tally() {
    agree("crosszone", CROSSZONE, &ACROSS_WINDOWS, &[1, 2]);
    agree(
        "endpoint-per-az",
        ENDPOINT_PER_AZ,
        &[1, 5000, WINDOW as u64 + 9],
        &[1, 3],
    );
    agree("az-id-mismatch", AZ_ID_MISMATCH, &[4000], &[1]);
    agree("nlb-direct", NLB_DIRECT, &ACROSS_WINDOWS, &[1, 2]);
    let cached = NLB_DIRECT.replace("dns_cache = false", "dns_cache = true");
    agree("nlb-direct cached", &cached, &[WINDOW as u64 + 9], &[3]);
    agree("client-ip", CLIENT_IP, &[1, WINDOW as u64 + 9], &[1, 2]);
    agree("udp", UDP, &ACROSS_WINDOWS, &[1, 2]);
}

/// Arrivals so fast that the flows of the last milliseconds span several blocks of words (a
/// cross-AZ answer ends 1.8 ms after a same-AZ one); and the same with every segment's latest
/// event found by reading its words again, the path the walk back from its end rarely needs.
#[test]
fn fast_arrivals_agree() {
    for reread in [false, true] {
        super::REREAD_ALWAYS.store(reread, std::sync::atomic::Ordering::Relaxed);
        for rate in ["100", "1e6", "1e9"] {
            let text =
                CROSSZONE.replacen("arrival_rate = 100", &format!("arrival_rate = {rate}"), 1);
            agree(rate, &text, &[WINDOW as u64 + 100], &[1, 2]);
        }
    }
    super::REREAD_ALWAYS.store(false, std::sync::atomic::Ordering::Relaxed);
}

/// endpoint-per-az with its `[workload]` and DNS record replaced: short TTLs, a resolver as fast
/// as the arrivals (answers tie with arrivals at the same nanosecond), three addresses outside
/// client-1's subnet (so the answer's random order decides), one of which is not an endpoint ENI.
fn dns_edge_case(dns_cache: bool, clients: &str, rate: &str, ttl: u32, resolver: &str) -> String {
    let record = "records = [{ name = \"provider-nlb\", type = \"A\", alias = { vpc_endpoint = \"provider-endpoint\" } }]";
    assert!(ENDPOINT_PER_AZ.contains(record));
    let addresses = format!(
        "records = [{{ name = \"provider-nlb\", type = \"A\", ttl = {ttl}, records = [\"10.11.0.69\", \"10.11.0.133\", \"10.11.0.200\"] }}]"
    );
    let workload = "clients = [\"client-1\", \"client-2\", \"client-3\"]";
    assert!(ENDPOINT_PER_AZ.contains(workload));
    ENDPOINT_PER_AZ
        .replacen(record, &addresses, 1)
        .replacen(workload, &format!("clients = {clients}"), 1)
        .replacen("arrival_rate = 100", &format!("arrival_rate = {rate}"), 1)
        .replacen("dns_cache = true", &format!("dns_cache = {dns_cache}"), 1)
        .replacen(
            "[workload]",
            &format!("[network]\nresolver_latency = \"{resolver}\"\n\n[workload]"),
            1,
        )
}

#[test]
fn caches_that_expire_often_and_answers_that_tie_with_arrivals_agree() {
    let one = "[\"client-1\"]";
    let three = "[\"client-1\", \"client-2\", \"client-3\"]";
    for clients in [one, three] {
        for dns_cache in [true, false] {
            // About a million flows a second, 1 s TTL: the caches expire every few thousand flows.
            let text = dns_edge_case(dns_cache, clients, "1000000", 1, "200us");
            agree("ttl 1s", &text, &[3000, WINDOW as u64 + 500], &[1, 4]);
            // A 1 ns resolver at 1e9 flows a second: gaps of 0 and 1 ns, answers land on the
            // same nanosecond as arrivals; TTL 0 expires each entry as it is set.
            // Each seed's first flows race their answers: many seeds, few flows.
            let seeds: Vec<u64> = (1..=24).collect();
            for ttl in [0, 1] {
                let text = dns_edge_case(dns_cache, clients, "1e9", ttl, "1ns");
                agree("ties", &text, &[300], &seeds);
            }
        }
    }
}

/// [`dns_edge_case`] with 40 more clients in each consumer subnet: every client's first lookups
/// race their answers, at the same nanoseconds, 120 times over.
#[test]
fn many_clients_racing_their_first_answers_agree() {
    let mut names = Vec::new();
    let mut instances = String::new();
    for subnet in 1..=3u32 {
        for k in 0..40 {
            // Addresses from the top of each subnet: the ENIs keep .5, .69 and .133.
            let name = format!("c{subnet}-{k}");
            let ip = (subnet - 1) * 64 + 20 + k;
            instances.push_str(&format!(
                "[instances.{name}]\nsubnet_id = \"consumer-{subnet}\"\nprivate_ip = \"10.11.0.{ip}\"\n\n"
            ));
            names.push(format!("\"{name}\""));
        }
    }
    let clients = format!("[{}]", names.join(", "));
    for dns_cache in [true, false] {
        let text = dns_edge_case(dns_cache, &clients, "1e9", 1, "1ns").replacen(
            "[workload]",
            &format!("{instances}[workload]"),
            1,
        );
        agree("many clients", &text, &[20_000], &[1, 2]);
    }
}

#[test]
fn thread_count_does_not_change_the_tally() {
    let s = load(CROSSZONE);
    let t = &s.variants[1].topology;
    let flows = WINDOW as u64 * 5 + 17;
    let one = bulk(t, flows, 9, 1);
    for threads in [2, 4, 8] {
        assert_eq!(bulk(t, flows, 9, threads), one, "{threads} threads");
    }
}

/// `t` with these events (in time order), for tests that do not go through the scenario format.
fn with_events(t: &Topology, events: &[(f64, crate::model::events::Action)]) -> Topology {
    let mut t = t.clone();
    t.events = events
        .iter()
        .enumerate()
        .map(|(index, &(secs, action))| crate::model::events::Event {
            at: crate::time::SimTime((secs * 1e9) as u64),
            action,
            index,
            label: format!("event {index}"),
        })
        .collect();
    t
}

/// Both engines, on every variant of `s` with each of `timelines` (events in time order), for
/// each of `seeds` at 20,000 flows, on the bulk engine's `threads`: the same tally, which
/// `check` may assert more of (given the timeline's position and the event loop's tally).
fn agree_on_timelines(
    s: &Scenario,
    timelines: &[Vec<(f64, crate::model::events::Action)>],
    seeds: &[u64],
    threads: &[usize],
    check: impl Fn(usize, &Tally),
) {
    for v in &s.variants {
        for (i, events) in timelines.iter().enumerate() {
            let t = with_events(&v.topology, events);
            for &seed in seeds {
                let want = event_loop(&t, 20_000, seed);
                check(i, &want);
                for &n in threads {
                    assert_eq!(
                        bulk(&t, 20_000, seed, n),
                        want,
                        "variant {}, timeline {i}, seed {seed}, {n} threads",
                        v.name
                    );
                }
            }
        }
    }
}

#[test]
fn engines_agree_across_changes_of_state() {
    use crate::model::Direction;
    use crate::model::events::Action;
    use crate::model::ids::{InstanceId, LoadBalancerId, SecurityGroupId, TargetId, ZoneId};
    let s = load(CROSSZONE);
    // web-sg, the targets' group, and endpoint-sg, the endpoint's.
    let (web_sg, endpoint_sg) = (SecurityGroupId(0), SecurityGroupId(1));
    assert_eq!(
        s.variants[0].topology.security_groups[1].name,
        "endpoint-sg"
    );
    let rule = |group, revoke: bool| Action::rule_change(revoke, group, Direction::Ingress, 0);
    // 100 flows/s: 20,000 flows are 200 s; checks every 30 s, 3/3, so web-2 is out about 60 to
    // 90 s after its crash and back 60 to 90 s after it recovers.
    let timelines: Vec<Vec<(f64, Action)>> = vec![
        vec![
            (10.0, Action::Crash(InstanceId(1))),
            (100.0, Action::Recover(InstanceId(1))),
        ],
        vec![
            (5.0, Action::Stop(InstanceId(2))),
            (50.0, Action::Start(InstanceId(2))),
        ],
        vec![
            (20.0, Action::Deregister(TargetId(0))),
            (150.0, Action::Register(TargetId(0))),
        ],
        vec![
            (
                0.0,
                Action::ImpairZone {
                    zone: ZoneId(0),
                    targets_only: false,
                },
            ),
            (60.0, Action::RestoreZone(ZoneId(0))),
            (
                61.0,
                Action::ImpairZone {
                    zone: ZoneId(1),
                    targets_only: true,
                },
            ),
        ],
        vec![
            (
                30.0,
                Action::LoadBalancerCrossZone {
                    load_balancer: LoadBalancerId(0),
                    enabled: true,
                },
            ),
            (
                90.0,
                Action::LoadBalancerCrossZone {
                    load_balancer: LoadBalancerId(0),
                    enabled: false,
                },
            ),
        ],
        // The targets' ingress rule revoked: their flows are dropped at once, the checks take
        // them out about 70 to 100 s later, every node fails open to them; authorized again.
        vec![(10.0, rule(web_sg, true)), (130.0, rule(web_sg, false))],
        // The endpoint's rule revoked for 20 s: SG_DENY, no health change.
        vec![
            (30.0, rule(endpoint_sg, true)),
            (50.0, rule(endpoint_sg, false)),
            (50.0, rule(web_sg, true)),
        ],
    ];
    agree_on_timelines(&s, &timelines, &[1, 7], &[1, 3], |i, want| {
        assert!(
            want.state_outcomes.len() > 1 || i == 4,
            "timeline {i} changes the state"
        );
    });
    // Weights: the seed's listener as a weighted forward to `web` (web-1, web-2) and `green`
    // (web-3), whose weights change twice, one of them to 0.
    let text = include_str!("../../../tests/common/weighted-forward.toml");
    let weight = |at: &str, web: u16, green: u16| {
        format!(
            "[[events]]\nat = \"{at}\"\nlistener_weights = {{ load_balancer = \"provider-nlb\", port = 80, forward = [{{ target_group = \"web\", weight = {web} }}, {{ target_group = \"green\", weight = {green} }}] }}\n"
        )
    };
    let text = format!(
        "{text}\n{}{}{}",
        weight("40s", 0, 5),
        weight("120s", 3, 1),
        "[[events]]\nat = \"150s\"\nrevoke = { security_group = \"web-sg\", ingress = 0 }\n"
    );
    let s = load(&text);
    for v in &s.variants {
        let t = &v.topology;
        assert_eq!(t.listener_weight_sets, [vec![0, 5], vec![3, 1]]);
        for seed in [1, 7] {
            let want = event_loop(t, 20_000, seed);
            assert!(want.state_flows().iter().filter(|&&n| n > 0).count() >= 3);
            for threads in [1, 3] {
                assert_eq!(
                    bulk(t, 20_000, seed, threads),
                    want,
                    "weights, variant {}, seed {seed}, {threads} threads",
                    v.name
                );
            }
        }
    }
}

#[test]
fn flows_that_straddle_a_change_are_walked_and_agree() {
    use crate::model::events::Action;
    use crate::model::ids::InstanceId;
    // At 10^6 flows/s a change catches flows in flight; web-1's server crashes and recovers
    // every 5 ms (too fast for the checks to notice: its connections are refused or answered).
    let s = load(&CROSSZONE.replace("arrival_rate = 100", "arrival_rate = 1000000"));
    let events: Vec<(f64, Action)> = (0..40)
        .map(|k| {
            let at = 0.0005 + 0.005 * k as f64;
            let i = InstanceId(0);
            (
                at,
                if k % 2 == 0 {
                    Action::Crash(i)
                } else {
                    Action::Recover(i)
                },
            )
        })
        .collect();
    for v in &s.variants {
        let t = with_events(&v.topology, &events);
        let want = event_loop(&t, 3 * WINDOW as u64, 3);
        assert!(want.state_flows().iter().filter(|&&n| n > 0).count() > 1);
        assert!(want.failures[crate::rules::outcome::FailReason::TargetRefused.index()] > 0);
        for threads in [1, 2] {
            assert_eq!(bulk(&t, 3 * WINDOW as u64, 3, threads), want, "{}", v.name);
        }
    }
    // The client's egress (its VPC's default group: allow all) revoked and authorized every
    // 5 ms: the step that connects reads the state too (EV-7).
    let consumer = &s.variants[0].topology.vpcs[1];
    assert_eq!(consumer.name, "consumer");
    let group = consumer.default_security_group;
    let events: Vec<(f64, Action)> = (0..40)
        .map(|k| {
            let at = 0.0005 + 0.005 * k as f64;
            let egress = crate::model::Direction::Egress;
            (at, Action::rule_change(k % 2 == 0, group, egress, 0))
        })
        .collect();
    for v in &s.variants {
        let t = with_events(&v.topology, &events);
        let want = event_loop(&t, 3 * WINDOW as u64, 3);
        assert!(want.failures[crate::rules::outcome::FailReason::ClientSgDeny.index()] > 0);
        for threads in [1, 2] {
            assert_eq!(bulk(&t, 3 * WINDOW as u64, 3, threads), want, "{}", v.name);
        }
    }
}

#[test]
fn engines_agree_on_connections_that_live_across_changes() {
    use crate::model::events::Action;
    use crate::model::ids::{InstanceId, TargetId, ZoneId};
    let text = CROSSZONE.replace(
        "dns_cache = true",
        "dns_cache = true\nconnection = { duration = \"60s\", distribution = \"exponential\", request_interval = \"20s\" }",
    );
    let s = load(&text);
    let timelines: Vec<Vec<(f64, Action)>> = vec![
        vec![
            (10.0, Action::Crash(InstanceId(1))),
            (100.0, Action::Recover(InstanceId(1))),
        ],
        vec![
            (20.0, Action::Deregister(TargetId(0))),
            (150.0, Action::Register(TargetId(0))),
        ],
        vec![
            (
                30.0,
                Action::ImpairZone {
                    zone: ZoneId(1),
                    targets_only: true,
                },
            ),
            (90.0, Action::RestoreZone(ZoneId(1))),
        ],
        vec![],
    ];
    agree_on_timelines(&s, &timelines, &[5], &[1, 2], |_, want| {
        assert_eq!(
            want.connections.total(),
            want.target_hits.iter().sum::<u64>()
        );
    });
}

#[test]
fn engines_agree_across_a_server_that_turns_slow() {
    use crate::model::events::Action;
    use crate::model::ids::InstanceId;
    let s = load(CROSSZONE);
    let slow = |secs: u64| Action::Slow {
        instance: InstanceId(1),
        response_time: crate::time::Span::from_millis(secs),
    };
    let timelines = [vec![(20.0, slow(2000)), (120.0, slow(1))]];
    agree_on_timelines(&s, &timelines, &[9], &[1, 2], |_, want| {
        assert!(want.state_outcomes.len() > 1);
    });
}

/// endpoint-per-az.toml's system with one ENI per AZ, no variants: a base for endpoint subnet
/// events (EV-10).
fn eni_per_az() -> String {
    ENDPOINT_PER_AZ
        .split("[[variants]]")
        .next()
        .unwrap()
        .replace(
            "subnet_ids = [\"consumer-1\"]",
            "subnet_ids = [\"consumer-1\", \"consumer-2\", \"consumer-3\"]",
        )
}

#[test]
fn engines_agree_across_endpoint_subnets_added_and_removed() {
    let events = |ev: &str| format!("{ev}\n");
    let remove_add = events(
        "[[events]]\nat = \"20s\"\nremove_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }\n\n[[events]]\nat = \"120s\"\nadd_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }",
    );
    let add_later = events(
        "[[events]]\nat = \"50s\"\nadd_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-3\" }",
    );
    let per_az = eni_per_az();
    for (what, text) in [
        ("removed and added back", format!("{per_az}\n{remove_add}")),
        (
            "added later",
            format!(
                "{}\n{add_later}",
                CROSSZONE.split("[[variants]]").next().unwrap()
            ),
        ),
    ] {
        let s = load(&text);
        for v in &s.variants {
            let t = &v.topology;
            for seed in [2, 11] {
                let want = event_loop(t, 20_000, seed);
                assert!(want.state_outcomes.len() > 1, "{what}: the state changes");
                for threads in [1, 2] {
                    assert_eq!(
                        bulk(t, 20_000, seed, threads),
                        want,
                        "{what}, seed {seed}, {threads} threads"
                    );
                }
            }
        }
    }
}

/// Regressions of the generated scenarios: a client that does not cache, walked across an ENI's
/// removal, picks its answer's address under the state of the answer's arrival (the bulk engine
/// used the state of the flow's start); and a zonal name whose ENI leaves keeps its address
/// (the pick among no address panicked).
#[test]
fn engines_agree_when_a_removal_meets_uncached_queries_and_zonal_names() {
    let base = eni_per_az();
    let events = "\n[[events]]\nat = \"5ms\"\nremove_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }\n\n[[events]]\nat = \"10ms\"\nadd_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }\n";
    let uncached = base
        .replace("dns_cache = true", "dns_cache = false")
        .replace("arrival_rate = 100\n", "arrival_rate = 1000000\n")
        + events;
    let zonal = base.replace(
        "alias = { vpc_endpoint = \"provider-endpoint\" }",
        "alias = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }",
    ) + &events.replace("5ms", "20s").replace("10ms", "40s");
    assert!(zonal.contains("subnet_id = \"consumer-2\" }"));
    for (what, text, flows) in [("uncached", uncached, 30_000), ("zonal", zonal, 6_000)] {
        let s = load(&text);
        let t = &s.variants[0].topology;
        let want = event_loop(t, flows, 4);
        let lost = want.failures[crate::rules::outcome::FailReason::NoEndpointAtAddress.index()];
        // Fresh answers never hold the removed ENI; the zonal name still does.
        assert_eq!(
            lost > 0,
            what == "zonal",
            "{what}: {lost} flows met the removed ENI"
        );
        assert!(want.state_outcomes.len() > 1, "{what}");
        for threads in [1, 2] {
            assert_eq!(
                bulk(t, flows, 4, threads),
                want,
                "{what}, {threads} threads"
            );
        }
    }
}

/// Direct clients of an NLB across the changes its DNS follows: a zone whose only target dies
/// leaves the answer once the checks notice (DNS failover), a zonal shift pulls a zone and gives
/// it back, an impaired zone drops the SYNs that reach its node; clients that cache keep a
/// pulled node's address for the TTL. Every AZ-affinity policy and cross-zone setting.
#[test]
fn engines_agree_on_direct_clients_across_dns_failover_and_zonal_shift() {
    let base = NLB_DIRECT.replace(
        "enable_cross_zone_load_balancing = false\ndns_record",
        "enable_cross_zone_load_balancing = false\nenable_zonal_shift = true\ndns_record",
    );
    assert!(base.contains("enable_zonal_shift = true"));
    let events = "\n[[events]]\nat = \"5s\"\ncrash = \"web-a1\"\n\n[[events]]\nat = \"20s\"\nstart_zonal_shift = { load_balancer = \"app-nlb\", away_from = \"use1-az2\" }\n\n[[events]]\nat = \"120s\"\nend_zonal_shift = { load_balancer = \"app-nlb\", away_from = \"use1-az2\" }\n\n[[events]]\nat = \"150s\"\nimpair_zone = \"use1-az4\"\n";
    for cache in ["false", "true"] {
        let text = base.replace("dns_cache = false", &format!("dns_cache = {cache}")) + events;
        let s = load(&text);
        for v in &s.variants {
            let t = &v.topology;
            let want = event_loop(t, 20_000, 5);
            assert!(want.state_outcomes.len() > 3, "{}", v.name);
            for threads in [1, 2] {
                assert_eq!(
                    bulk(t, 20_000, 5, threads),
                    want,
                    "cache {cache}, variant {}, {threads} threads",
                    v.name
                );
            }
        }
    }
}

/// UDP flows (NLB-17): no handshake, the 5-tuple hash, ICMP port unreachable from a target
/// without a UDP server, across a crash, a slow server, a revoked UDP rule and an impaired zone,
/// with and without a DNS cache; UDP sessions that idle out and are hashed again after cross-zone
/// is turned off.
#[test]
fn engines_agree_on_udp_flows_across_changes_of_state() {
    let events = "\n[[events]]\nat = \"5s\"\ncrash = \"game-a1\"\n\n[[events]]\nat = \"40s\"\nrecover = \"game-a1\"\n\n[[events]]\nat = \"60s\"\nslow = { instance = \"game-b1\", response_time = \"30ms\" }\n\n[[events]]\nat = \"150s\"\nimpair_zone = \"use1-az4\"\n";
    for cache in ["false", "true"] {
        let text = UDP.replace("dns_cache = true", &format!("dns_cache = {cache}")) + events;
        let s = load(&text);
        for v in &s.variants {
            let t = &v.topology;
            for seed in [5, 6] {
                let want = event_loop(t, 20_000, seed);
                // The session variants set their own events (one change of state).
                assert!(want.state_outcomes.len() > 1, "{}", v.name);
                for threads in [1, 2, 3] {
                    assert_eq!(
                        bulk(t, 20_000, seed, threads),
                        want,
                        "cache {cache}, variant {}, seed {seed}, {threads} threads",
                        v.name
                    );
                }
            }
        }
    }
}
