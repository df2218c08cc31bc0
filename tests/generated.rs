//! Differential property test over generated scenarios: for random valid scenarios
//! (`tests/common/generator.rs`), every variant simulated by the event loop and by the bulk engine
//! gives the same [`Tally`], field for field, and the tally keeps the invariants that are clearly
//! true of any run. A fixed-seed run also checks that the generator reaches every failure reason
//! a valid scenario can reach.
//!
//! ```sh
//! cargo test --test generated                                    # 256 cases (debug)
//! SIM_GEN_CASES=10000 cargo test --release --test generated      # more
//! PROPTEST_RNG_SEED=1234 cargo test --test generated             # replay a run's seed
//! ```
//!
//! The property test uses a fixed seed, `PROPTEST_RNG_SEED` when set, or a fresh one with
//! `SIM_GEN_SEED=random` (printed, to replay with `PROPTEST_RNG_SEED`). A failing case is shrunk by proptest;
//! the panic message has the smallest scenario's TOML, its flow count, seed and thread count,
//! and the TOML is also saved to `target/tmp/generated-failure.toml` for `sim run` and
//! `sim explain`.

#[path = "common/generator.rs"]
mod generator;

use std::cell::RefCell;
use std::fmt;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};

use generator::GenScenario;
use sim::model::events::Action;
use sim::model::ids::{LoadBalancerId, NodeId, TargetGroupId, TargetId};
use sim::model::{FailoverThreshold, Topology};
use sim::rules::address::{self, Destination};
use sim::rules::dns;
use sim::rules::health::TargetHealth;
use sim::rules::nlb;
use sim::rules::outcome::FailReason;
use sim::sim::bulk::{self, BulkOptions};
use sim::sim::events::{self as engine, RunOptions};
use sim::sim::tally::Tally;
use sim::state::State;
use sim::stats;
use sim::timeline::{self, Timeline};
use sim::walk::Walker;

/// Cases of the property test when `SIM_GEN_CASES` is not set.
const DEFAULT_CASES: u32 = 256;
/// The property test's seed unless told otherwise.
const FIXED_SEED: u64 = 0x5eed_2026;
/// The coverage test: its seed and case count (fixed, so that it is deterministic).
const COVERAGE_SEED: u64 = 20_261_126;
const COVERAGE_CASES: u32 = 256;

/// Failure reasons the generated scenarios cannot reach, and why.
const UNREACHABLE: [(FailReason, &str); 2] = [
    (
        FailReason::TargetStopped,
        "a stopped instance is unused (Target.InvalidState, HC-3) and never eligible, and health is settled before the run (HC-4): no flow meets a stopped target",
    ),
    (
        FailReason::NoUdpListener,
        "no valid scenario reaches it: a UDP workload cannot cross PrivateLink (PL-8), and a direct client's load balancer without a UDP listener on the port is refused by validation (NLB-17)",
    ),
];

/// The fit must not reject the rules at this level (a true model fails it once in a million).
const FIT_P_MIN: f64 = 1e-6;

// ---------------------------------------------------------------------------------------------
// One case: a scenario, a flow count, a seed and a thread count.

#[derive(Clone)]
struct Case {
    scenario: GenScenario,
    flows: u64,
    seed: u64,
    threads: usize,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "flows {}, seed {}, bulk threads {}",
            self.flows, self.seed, self.threads
        )?;
        write!(f, "{:?}", self.scenario)
    }
}

fn case() -> impl Strategy<Value = Case> {
    // Mostly 200-5000 flows; now and then more than one bulk window (65,536 flows), so that the
    // window boundaries of the DNS script and the worker threads are exercised too (with fewer
    // flows than a window, the bulk engine runs one window on one thread whatever `threads`).
    let flows = prop_oneof![
        40 => 200u64..=5000,
        1 => (bulk::WINDOW as u64 + 1)..=(2 * bulk::WINDOW as u64 + 5000),
    ];
    (generator::scenario(), flows, any::<u64>(), 1usize..=2).prop_map(
        |(scenario, flows, seed, threads)| Case {
            scenario,
            flows,
            seed,
            threads,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// The check.

/// What a scenario reached, summed over its variants.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Variants simulated.
    pub variants: u64,
    /// Flows simulated (all variants).
    pub flows: u64,
    /// Answered flows.
    pub answered: u64,
    /// Failed flows per reason, indexed by [`FailReason::index`].
    pub failures: [u64; FailReason::ALL.len()],
    /// Variants whose tally was also tested without conditioning on the DNS decisions.
    pub clustered_fits: u64,
    /// Variants whose state changed during the run (events, health checks).
    pub with_changes: u64,
    /// Variants with a target group whose routing failover threshold is not AWS's default.
    pub failover_thresholds: u64,
    /// Connections that lived, per way they ended (docs/model.md CONN-1 to CONN-5).
    pub ends: [u64; sim::rules::connection::End::ALL.len()],
    /// Variants in which a node failed open with healthy targets left in scope: a routing
    /// failover threshold above its healthy targets (NLB-6).
    pub failover_with_healthy: u64,
    /// Variants with an event that revokes or authorizes a security-group rule (EV-7).
    pub rule_changes: u64,
    /// Variants with an event that changes a listener's weights (EV-8).
    pub weight_changes: u64,
}

impl Coverage {
    /// The failure reasons at least one flow ended in.
    pub fn reached(&self) -> impl Iterator<Item = FailReason> + '_ {
        FailReason::ALL
            .into_iter()
            .filter(|r| self.failures[r.index()] > 0)
    }

    fn add(&mut self, tally: &Tally) {
        self.variants += 1;
        self.flows += tally.flows;
        self.answered += tally.target_hits.iter().sum::<u64>();
        for (sum, n) in self.failures.iter_mut().zip(tally.failures) {
            *sum += n;
        }
    }
}

/// Parses and validates `text`, runs every variant with both engines (`threads` for the bulk
/// one), requires equal tallies and the invariants, and returns what was reached.
pub fn check_scenario(
    text: &str,
    flows: u64,
    seed: u64,
    threads: usize,
) -> Result<Coverage, String> {
    let scenario = sim::scenario::parse("gen.toml", "gen", text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        format!(
            "generator bug: the scenario does not validate:\n{}",
            lines.join("\n")
        )
    })?;
    let mut coverage = Coverage::default();
    for variant in &scenario.variants {
        let t = &variant.topology;
        let events = engine::run(
            t,
            &RunOptions {
                flows,
                seed,
                trace_flow: None,
            },
        );
        let counted = bulk::run(
            t,
            &BulkOptions {
                flows,
                seed,
                threads,
            },
            None,
        );
        if events != counted {
            return Err(format!(
                "variant {}: the engines disagree (event loop vs bulk engine on {threads} thread(s)):\n{}",
                variant.name,
                differences(&events, &counted)
            ));
        }
        let timeline = Timeline::new(t, seed, timeline::horizon(t, flows));
        invariants(t, &timeline, &events, flows)
            .map_err(|e| format!("variant {}: {e}", variant.name))?;
        coverage.failover_thresholds += u64::from(
            t.target_groups
                .iter()
                .any(|g| g.routing_failover != FailoverThreshold::DEFAULT),
        );
        let has = |f: fn(&Action) -> bool| u64::from(t.events.iter().any(|e| f(&e.action)));
        coverage.rule_changes +=
            has(|a| matches!(a, Action::Revoke { .. } | Action::Authorize { .. }));
        coverage.weight_changes += has(|a| matches!(a, Action::ListenerWeights { .. }));
        coverage.failover_with_healthy += u64::from(timeline.states.iter().any(|s| {
            s.all_eligible().any(|(_, _, e)| {
                e.fail_open
                    && e.targets
                        .iter()
                        .any(|x| s.health(*x) == TargetHealth::Healthy)
            })
        }));
        // With state changes a flow's outcome depends on when it starts as well as on its DNS
        // answer, so the fits (per route, per client) do not apply: the engines' agreement and
        // the invariants are what such scenarios check.
        if timeline.is_constant() {
            let clustered = fits(t, &timeline.states[0], &events, seed)
                .map_err(|e| format!("variant {}: {e}", variant.name))?;
            coverage.clustered_fits += u64::from(clustered);
        } else {
            coverage.with_changes += 1;
        }
        for (sum, n) in coverage.ends.iter_mut().zip(events.connections.ends) {
            *sum += n;
        }
        coverage.add(&events);
    }
    Ok(coverage)
}

/// The fields in which two tallies differ, with both values (long ones cut).
fn differences(a: &Tally, b: &Tally) -> String {
    fn cut(text: String) -> String {
        if text.len() > 600 {
            format!("{}... ({} chars)", &text[..600], text.len())
        } else {
            text
        }
    }
    let mut out = Vec::new();
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!(
                "  {name}:\n    event loop {}\n    bulk       {}",
                cut(x),
                cut(y)
            ));
        }
    };
    macro_rules! fields {
        ($($name:ident),*) => {
            $(field(stringify!($name), format!("{:?}", a.$name), format!("{:?}", b.$name));)*
        };
    }
    fields!(
        flows,
        target_hits,
        sources,
        failures,
        cross_az_flows,
        cross_az_bytes,
        client_cross_az_flows,
        bytes,
        client_cross_az_bytes,
        endpoint_bytes,
        completion,
        clients,
        end,
        events,
        timeline
    );
    out.join("\n")
}

/// The id of `lb`.
fn lb_id(t: &Topology, lb: &sim::model::LoadBalancer) -> LoadBalancerId {
    LoadBalancerId::from_index(
        t.load_balancers
            .iter()
            .position(|x| std::ptr::eq(x, lb))
            .expect("one of them"),
    )
}

/// The load balancer whose listener forwards to `tg`, and the weight it gives it.
fn owner(t: &Topology, tg: TargetGroupId) -> Option<(LoadBalancerId, u16)> {
    t.listeners.iter().find_map(|l| {
        l.forward
            .iter()
            .find(|(g, _)| *g == tg)
            .map(|(_, w)| (l.load_balancer, *w))
    })
}

/// The expected distribution: its shares sum to one, and the tally fits it at p above
/// [`FIT_P_MIN`]. Given each client's DNS decisions (the flows that took each route), the
/// outcomes must fit exactly (the per-flow draws are independent); without conditioning, the
/// clustered test of the report (docs/model.md STAT-2) is asserted when every client that has a
/// DNS decision to make made at least [`MIN_CLUSTERS`] of them (its normal approximation needs
/// many clusters; with a handful it rejects true models).
/// `Ok(true)` when the clustered test applied too.
fn fits(t: &Topology, state: &State, tally: &Tally, seed: u64) -> Result<bool, String> {
    let expected = sim::expected::expected(&Walker::new(t, seed), state);
    let total: f64 = expected.categories().iter().sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(format!("expected shares sum to {total}, not 1"));
    }
    let observed = tally.outcomes();
    // Given the routes. A route the rules give probability 0 never has flows.
    let mut routes: Vec<(u64, &[f64])> = Vec::new();
    for (c, (client, model)) in tally.clients.iter().zip(&expected.clients).enumerate() {
        if client.route_flows.len() != model.routes.len() {
            return Err(format!(
                "client {c}: the tally and the model count other routes"
            ));
        }
        for (flows, route) in client.route_flows.iter().zip(&model.routes) {
            if *flows > 0 && route.probability == 0.0 {
                return Err(format!(
                    "client {c}: {flows} flows took a route of probability 0"
                ));
            }
            routes.push((*flows, &route.outcomes));
        }
    }
    let (shares, sigma) = stats::given_routes(&routes);
    check_fit("given the DNS decisions", &observed, &shares, &sigma)?;
    let clustered = tally
        .clients
        .iter()
        .zip(&expected.clients)
        .all(|(c, m)| m.routes.len() < 2 || c.queries >= MIN_CLUSTERS);
    if clustered {
        let sigma = stats::count_covariance(&expected.clients, &tally.client_counts());
        check_fit("clustered", &observed, &expected.categories(), &sigma)?;
    }
    Ok(clustered)
}

/// Clusters per client (DNS decisions) from which the unconditional clustered fit is asserted.
const MIN_CLUSTERS: u64 = 100;

fn check_fit(
    what: &str,
    observed: &[u64],
    expected: &[f64],
    sigma: &stats::Covariance,
) -> Result<(), String> {
    match stats::wald_fit(observed, expected, sigma) {
        Some(fit) if fit.p_value <= FIT_P_MIN => Err(format!(
            "the tally does not fit the expected distribution ({what}): chi2 {} on {} df, p = {:e}\n  observed {observed:?}\n  expected {expected:?}",
            fit.statistic, fit.degrees_of_freedom, fit.p_value
        )),
        _ => Ok(()),
    }
}

/// What is clearly true of any tally of `t` over `flows` flows.
fn invariants(t: &Topology, timeline: &Timeline, tally: &Tally, flows: u64) -> Result<(), String> {
    let some_state = |f: &dyn Fn(&State) -> bool| timeline.states.iter().any(f);
    let has_event = |f: &dyn Fn(&Action) -> bool| t.events.iter().any(|e| f(&e.action));
    let ensure = |ok: bool, what: String| if ok { Ok(()) } else { Err(what) };
    let failures = |r: FailReason| tally.failures[r.index()];
    let answered: u64 = tally.target_hits.iter().sum();
    let failed: u64 = tally.failures.iter().sum();
    ensure(
        tally.flows == flows,
        format!("tally.flows {} != {flows}", tally.flows),
    )?;
    ensure(
        answered + failed == flows,
        format!(
            "answered {answered} + failed {failed} != flows {flows} (failures {:?})",
            tally.failures
        ),
    )?;
    let connections = &tally.connections;
    ensure(
        match t.workload.connection {
            Some(_) => connections.total() == answered && connections.requests >= answered,
            None => connections.total() == 0,
        },
        format!(
            "connections {:?} do not match {answered} answered flows (live: {})",
            connections.ends,
            t.workload.connection.is_some()
        ),
    )?;
    ensure(
        tally.completion.values().sum::<u64>() == answered,
        format!(
            "completion times count {answered} answered flows? {:?}",
            tally.completion
        ),
    )?;
    ensure(
        tally.dns_queries() + tally.dns_cache_hits() == flows,
        format!(
            "DNS queries {} + cache hits {} != flows {flows}",
            tally.dns_queries(),
            tally.dns_cache_hits()
        ),
    )?;
    ensure(
        t.workload.dns_cache || tally.dns_cache_hits() == 0,
        format!(
            "{} cache hits with dns_cache = false",
            tally.dns_cache_hits()
        ),
    )?;
    for (c, client) in tally.clients.iter().enumerate() {
        // Clusters: one per query, of at least one flow each, covering all its flows.
        let squares_fit = client.cluster_squares >= u128::from(client.queries)
            && client.cluster_squares <= u128::from(client.flows) * u128::from(client.flows)
            && (client.queries > 0 || client.flows == 0);
        ensure(
            squares_fit,
            format!("client {c}: {client:?} cannot be clusters of its flows"),
        )?;
    }
    ensure(
        tally.cross_az_flows <= answered && tally.client_cross_az_flows <= flows,
        format!(
            "cross-AZ flows {} / client leg {} out of range",
            tally.cross_az_flows, tally.client_cross_az_flows
        ),
    )?;
    let every_group_in_zone = t.listeners.iter().all(|l| {
        l.forward.iter().all(|(g, _)| {
            !some_state(&|s| nlb::cross_zone_now(s.admin(), l.load_balancer, *g).on())
        })
    });
    ensure(
        !every_group_in_zone || (tally.cross_az_flows == 0 && tally.cross_az_bytes == 0),
        format!(
            "cross-zone is off for every target group, yet {} answered flows crossed AZs",
            tally.cross_az_flows
        ),
    )?;

    // Per target: where its hits came from.
    let nodes = t.nodes.len();
    let width = nodes + t.workload.clients.len();
    for (i, target) in t.targets.iter().enumerate() {
        let id = TargetId::from_index(i);
        let hits = tally.target_hits[i];
        let name = &t.target_instance(id).name;
        let group = &t.target_groups[target.target_group.index()].name;
        let sources = &tally.sources[i * width..(i + 1) * width];
        let (by_node, by_client) = sources.split_at(nodes);
        ensure(
            sources.iter().sum::<u64>() == hits,
            format!(
                "target {name} ({group}): sources {sources:?} do not add up to its {hits} hits"
            ),
        )?;
        // A client's own address only when its group preserves client IPs, and only for a
        // client that reaches the nodes directly (NLB-16, PL-5).
        for (c, &count) in by_client.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let client = &t.instances[t.workload.clients[c].index()];
            let tg = &t.target_groups[target.target_group.index()];
            ensure(
                tg.preserve_client_ip,
                format!(
                    "target {name} ({group}) saw client {}'s own address, but its group does not preserve client IPs",
                    client.name
                ),
            )?;
            ensure(
                (0..nodes).any(|n| {
                    some_state(&|s| {
                        nlb::reach_from(t, s.admin(), NodeId::from_index(n), id, tg.port, client.ip)
                            .is_ok()
                    })
                }),
                format!(
                    "target {name} ({group}) answered {count} flows from client {}'s address, which its security groups never admit",
                    client.name
                ),
            )?;
        }
        let over_time: u64 = tally.timeline.hits().iter().map(|b| b[i]).sum();
        ensure(
            over_time == hits,
            format!("target {name} ({group}): time series has {over_time} hits, not {hits}"),
        )?;
        if hits == 0 {
            continue;
        }
        let Some((lb, _)) = owner(t, target.target_group) else {
            return Err(format!(
                "target {name} of {group}, which no listener forwards to, got {hits} hits"
            ));
        };
        // The weights in force: the scenario's, or an event's (EV-8).
        ensure(
            some_state(&|s| {
                s.admin()
                    .forward
                    .iter()
                    .flatten()
                    .any(|&(g, w)| g == target.target_group && w > 0)
            }),
            format!("target {name} of {group}, forwarded with weight 0, got {hits} hits"),
        )?;
        let lb_info = &t.load_balancers[lb.index()];
        ensure(
            lb_info
                .nodes
                .iter()
                .any(|n| t.nodes[n.index()].zone == target.zone),
            format!(
                "target {name} ({group}) is in a zone load balancer {} does not enable, yet got {hits} hits",
                lb_info.name
            ),
        )?;
        for (n, &count) in by_node.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let node = &t.nodes[n];
            ensure(
                node.load_balancer == lb,
                format!(
                    "target {name} ({group}) saw {count} flows from node {} of another load balancer",
                    node.ip
                ),
            )?;
            ensure(
                some_state(&|s| nlb::cross_zone_now(s.admin(), lb, target.target_group).on())
                    || node.zone == target.zone,
                format!(
                    "cross-zone is off for {group}, yet target {name} saw {count} flows from node {} in another zone",
                    node.ip
                ),
            )?;
            let port = t.target_groups[target.target_group.index()].port;
            ensure(
                some_state(&|s| nlb::reach(t, s.admin(), NodeId::from_index(n), id, port).is_ok()),
                format!(
                    "target {name} ({group}) answered {count} flows from node {}, which the hop rules say it cannot answer",
                    node.ip
                ),
            )?;
        }
    }

    // A failure reason needs its cause somewhere in the topology.
    let unresolved = t
        .workload
        .clients
        .iter()
        .map(|c| dns::resolve(t, t.instance_subnet(*c).vpc, &t.workload.host))
        .collect::<Vec<_>>();
    ensure(
        failures(FailReason::NoListener) == 0
            || t.load_balancers
                .iter()
                .any(|lb| nlb::listener_on(t, lb_id(t, lb), t.workload.port).is_none()),
        "NO_LISTENER though every load balancer listens on the port".into(),
    )?;
    ensure(
        failures(FailReason::TargetStopped) == 0,
        "TARGET_STOPPED though stopped instances are never eligible".into(),
    )?;
    ensure(
        failures(FailReason::DnsNxdomain) == 0 || unresolved.iter().any(|a| a.is_err()),
        "DNS_NXDOMAIN though the host resolves from every client".into(),
    )?;
    ensure(
        failures(FailReason::NoEndpointAtAddress) == 0
            || has_event(&|a| matches!(a, Action::EndpointSubnet { active: false, .. }))
            || t.workload.clients.iter().zip(&unresolved).any(|(c, a)| {
                a.iter().flat_map(|a| &a.addresses).any(|ip| {
                    address::destination(t, t.instance_subnet(*c).vpc, *ip) == Destination::Nothing
                })
            }),
        "NO_ENDPOINT_AT_ADDRESS though every answer is an endpoint ENI and none leaves its endpoint"
            .into(),
    )?;
    // Direct clients meet the NLB's groups whatever the PrivateLink enforcement (NLB-15).
    let direct_clients = t.workload.clients.iter().zip(&unresolved).any(|(c, a)| {
        a.iter().flat_map(|a| &a.addresses).any(|ip| {
            matches!(
                address::destination(t, t.instance_subnet(*c).vpc, *ip),
                Destination::Node(_)
            )
        })
    });
    ensure(
        failures(FailReason::NlbSgDeny) == 0
            || t.load_balancers.iter().any(|lb| {
                !lb.security_groups.is_empty() && (lb.enforce_sg_on_privatelink || direct_clients)
            }),
        "NLB_SG_DENY though no load balancer enforces security groups on the clients' traffic"
            .into(),
    )?;
    ensure(
        failures(FailReason::PortUnreachable) == 0
            || t.targets.iter().any(|x| {
                let port = t.target_groups[x.target_group.index()].port;
                t.instances[x.instance.index()]
                    .udp_server
                    .as_ref()
                    .is_none_or(|w| w.port != port)
            })
            || has_event(&|a| matches!(a, Action::Crash(_))),
        "PORT_UNREACHABLE though every target has a UDP server on its group's port and none crashes"
            .into(),
    )?;
    ensure(
        failures(FailReason::HairpinTimeout) == 0
            || t.workload.clients.iter().any(|c| {
                t.targets.iter().any(|x| {
                    x.instance == *c && t.target_groups[x.target_group.index()].preserve_client_ip
                })
            }),
        "HAIRPIN_TIMEOUT though no client is a target of a group that preserves client IPs".into(),
    )?;
    let expects = |x: &sim::model::Target| {
        t.instances[x.instance.index()]
            .web_server
            .as_ref()
            .is_some_and(|w| w.proxy_protocol)
    };
    let sends = |x: &sim::model::Target| t.target_groups[x.target_group.index()].proxy_protocol_v2;
    ensure(
        failures(FailReason::ProxyProtocolUnexpected) == 0
            || t.targets.iter().any(|x| sends(x) && !expects(x)),
        "PROXY_PROTOCOL_UNEXPECTED though every group with proxy protocol has servers that expect it"
            .into(),
    )?;
    ensure(
        failures(FailReason::ProxyProtocolMissing) == 0
            || t.targets.iter().any(|x| !sends(x) && expects(x)),
        "PROXY_PROTOCOL_MISSING though every server that expects the header gets it".into(),
    )?;
    ensure(
        failures(FailReason::ClientSgDeny) == 0
            || t.workload.clients.iter().any(|c| {
                t.instances[c.index()].security_groups.iter().any(|&g| {
                    !t.security_groups[g.index()]
                        .egress
                        .iter()
                        .any(|r| r.protocol == sim::model::RuleProtocol::All)
                        || has_event(&|a| matches!(*a, Action::Revoke { group, .. } if group == g))
                })
            }),
        "CLIENT_SG_DENY though every client's groups allow all egress and no event revokes it"
            .into(),
    )?;
    ensure(
        failures(FailReason::NlbSgEgressDeny) == 0
            || t.load_balancers
                .iter()
                .any(|lb| !lb.security_groups.is_empty()),
        "NLB_SG_EGRESS_DENY though no load balancer has security groups".into(),
    )?;
    ensure(
        failures(FailReason::TargetRefused) == 0
            || t.targets.iter().any(|x| {
                let port = t.target_groups[x.target_group.index()].port;
                t.instances[x.instance.index()]
                    .web_server
                    .as_ref()
                    .is_none_or(|w| w.port != port)
            }),
        "TARGET_REFUSED though every target listens on its group's port".into(),
    )
    .or_else(|e| {
        if has_event(&|a| matches!(a, Action::Crash(_))) {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    ensure(
        failures(FailReason::ZoneImpaired) == 0
            || has_event(&|a| matches!(a, Action::ImpairZone { .. })),
        "ZONE_IMPAIRED though no zone is impaired".into(),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running many cases.

/// What a run of many cases reached.
#[derive(Debug, Default)]
struct Summary {
    cases: u64,
    variants: u64,
    flows: u64,
    /// Scenarios in which each reason was reached, and the flows that ended in it.
    scenarios: [u64; FailReason::ALL.len()],
    failed_flows: [u64; FailReason::ALL.len()],
    all_answered: u64,
    none_answered: u64,
    clustered_fits: u64,
    with_changes: u64,
    failover_thresholds: u64,
    failover_with_healthy: u64,
    ends: [u64; sim::rules::connection::End::ALL.len()],
    rule_changes: u64,
    weight_changes: u64,
}

impl Summary {
    fn add(&mut self, c: &Coverage) {
        self.cases += 1;
        self.variants += c.variants;
        self.flows += c.flows;
        for r in c.reached() {
            self.scenarios[r.index()] += 1;
        }
        for (sum, n) in self.failed_flows.iter_mut().zip(c.failures) {
            *sum += n;
        }
        if c.answered == c.flows {
            self.all_answered += 1;
        }
        if c.answered == 0 {
            self.none_answered += 1;
        }
        self.clustered_fits += c.clustered_fits;
        self.with_changes += c.with_changes;
        for (sum, n) in self.ends.iter_mut().zip(c.ends) {
            *sum += n;
        }
        self.failover_thresholds += c.failover_thresholds;
        self.failover_with_healthy += c.failover_with_healthy;
        self.rule_changes += c.rule_changes;
        self.weight_changes += c.weight_changes;
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} scenarios, {} variants, {} flows; every flow answered in {}, none in {}; {} variants changed state during the run (random event timelines and health checks: engines and invariants only); of the others, fit given the DNS decisions in every one, clustered fit too in {}",
            self.cases,
            self.variants,
            self.flows,
            self.all_answered,
            self.none_answered,
            self.with_changes,
            self.clustered_fits
        )?;
        let ends: Vec<String> = sim::rules::connection::End::ALL
            .iter()
            .map(|e| format!("{} {}", e.code(), self.ends[e.index()]))
            .collect();
        writeln!(
            f,
            "  connections that lived, by their end: {}",
            ends.join(", ")
        )?;
        writeln!(
            f,
            "  routing failover thresholds in {} variants; a node failed open with healthy targets left in {}",
            self.failover_thresholds, self.failover_with_healthy
        )?;
        writeln!(
            f,
            "  security-group rules revoked or authorized by events in {} variants; listener weights changed in {}",
            self.rule_changes, self.weight_changes
        )?;
        writeln!(
            f,
            "  {:<24} {:>9} {:>12}",
            "failure reason", "scenarios", "flows"
        )?;
        for r in FailReason::ALL {
            let note = UNREACHABLE
                .iter()
                .find(|(u, _)| *u == r)
                .map(|_| "  (unreachable: see UNREACHABLE)")
                .unwrap_or("");
            writeln!(
                f,
                "  {:<24} {:>9} {:>12}{note}",
                r.code(),
                self.scenarios[r.index()],
                self.failed_flows[r.index()]
            )?;
        }
        Ok(())
    }
}

/// Runs `cases` cases from `seed`; panics with the smallest failing case.
fn run_cases(label: &str, cases: u32, seed: u64) -> Summary {
    let mut config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    // Each shrink step runs both engines: bound the time spent, but allow the many steps a plan
    // of a few hundred numbers needs (PROPTEST_MAX_SHRINK_TIME, in milliseconds, and
    // PROPTEST_MAX_SHRINK_ITERS override these).
    if config.max_shrink_time == 0 {
        config.max_shrink_time = 120_000;
    }
    if config.max_shrink_iters == u32::MAX {
        config.max_shrink_iters = 50_000;
    }
    let summary = RefCell::new(Summary::default());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |c| {
        let coverage = check_scenario(&c.scenario.toml, c.flows, c.seed, c.threads)
            .map_err(TestCaseError::fail)?;
        summary.borrow_mut().add(&coverage);
        Ok(())
    });
    match result {
        Ok(()) => summary.into_inner(),
        Err(TestError::Fail(reason, minimal)) => {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            let path = dir.join("generated-failure.toml");
            let header = format!(
                "# {label}: smallest failing case, seed {seed}\n# flows {}, seed {}, bulk threads {}\n# {}\n",
                minimal.flows,
                minimal.seed,
                minimal.threads,
                minimal.scenario.notes.join("\n# ")
            );
            let saved = match std::fs::write(&path, format!("{header}{}", minimal.scenario.toml)) {
                Ok(()) => format!("saved to {}", path.display()),
                Err(e) => format!("could not save it to {}: {e}", path.display()),
            };
            panic!(
                "{label}: {reason}\n\nsmallest failing case ({saved}):\n{minimal:?}\n\
                 replay: PROPTEST_RNG_SEED={seed} SIM_GEN_CASES={cases} cargo test --test generated\n\
                 compare: sim run FILE --flows {} --seed {} --no-plot --engine events, and with --threads {}",
                minimal.flows, minimal.seed, minimal.threads
            );
        }
        Err(e @ TestError::Abort(_)) => panic!("{label}: {e}"),
    }
}

/// The property test's seed: `PROPTEST_RNG_SEED`, else a fresh one when `SIM_GEN_SEED=random`,
/// else a fixed one (so that `cargo test` is deterministic, in CI as anywhere).
fn property_seed() -> u64 {
    if let RngSeed::Fixed(seed) = Config::default().rng_seed {
        return seed;
    }
    if std::env::var("SIM_GEN_SEED").as_deref() != Ok("random") {
        return FIXED_SEED;
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

fn property_cases() -> u32 {
    match std::env::var("SIM_GEN_CASES") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SIM_GEN_CASES={text:?} is not a number of cases")),
        Err(_) => DEFAULT_CASES,
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// Both engines agree on generated scenarios, and the invariants hold.
#[test]
fn engines_agree_on_generated_scenarios() {
    let cases = property_cases();
    let seed = property_seed();
    eprintln!("generated: {cases} cases, seed {seed} (replay with PROPTEST_RNG_SEED={seed})");
    let started = std::time::Instant::now();
    let summary = run_cases("engines_agree_on_generated_scenarios", cases, seed);
    eprintln!(
        "generated: {cases} cases passed in {:.1} s\n{summary}",
        started.elapsed().as_secs_f64()
    );
}

/// Over a fixed-seed run, the generator reaches every failure reason a valid scenario can.
#[test]
fn generated_scenarios_reach_every_reachable_failure_reason() {
    let summary = run_cases(
        "generated_scenarios_reach_every_reachable_failure_reason",
        COVERAGE_CASES,
        COVERAGE_SEED,
    );
    eprintln!("coverage run (seed {COVERAGE_SEED}):\n{summary}");
    let missed: Vec<&str> = FailReason::ALL
        .into_iter()
        .filter(|r| !UNREACHABLE.iter().any(|(u, _)| u == r))
        .filter(|r| summary.scenarios[r.index()] == 0)
        .map(FailReason::code)
        .collect();
    assert!(
        missed.is_empty(),
        "{COVERAGE_CASES} cases from seed {COVERAGE_SEED} never reached {missed:?}\n{summary}"
    );
    for (reason, why) in UNREACHABLE {
        assert_eq!(summary.scenarios[reason.index()], 0, "{reason}: {why}");
    }
    // Routing failover thresholds (NLB-6) show up, and some make a node fail open with healthy
    // targets left.
    assert!(
        summary.failover_thresholds > 0 && summary.failover_with_healthy > 0,
        "{summary}"
    );
    // Rule changes and weights changes (EV-7, EV-8) are among the events.
    assert!(
        summary.rule_changes > 0 && summary.weight_changes > 0,
        "{summary}"
    );
}

/// The addresses the generator writes into A records as ENI addresses are the ENIs' addresses.
#[test]
fn the_generator_knows_the_endpoint_addresses() {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(7),
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let result = runner.run(&generator::scenario(), |g| {
        let s = sim::scenario::parse("gen.toml", "gen", &g.toml)
            .map_err(|e| TestCaseError::fail(format!("does not validate: {}", e[0])))?;
        for v in &s.variants {
            let got: Vec<_> = v.topology.enis.iter().map(|e| e.ip).collect();
            prop_assert_eq!(&got, &g.eni_ips);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// NO_LISTENER cannot be reached: a generated scenario whose only listener moves off the
/// workload's port is rejected when the host leads a client to the endpoint, and when it leads
/// none there, no flow reaches the load balancer to be refused.
#[test]
fn no_listener_is_rejected_by_validation() {
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(11),
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let result = runner.run(&generator::scenario(), |g| {
        let moved = g.toml.replace("[{ port = 80,", "[{ port = 81,");
        prop_assert_ne!(&moved, &g.toml);
        match sim::scenario::parse("gen.toml", "gen", &moved) {
            Err(errors) => {
                prop_assert!(
                    errors.iter().any(|e| e.message.contains("no listener")),
                    "{:?}",
                    errors
                );
            }
            Ok(s) => {
                for v in &s.variants {
                    let t = &v.topology;
                    let reaches_endpoint = t.workload.clients.iter().any(|c| {
                        let vpc = t.instance_subnet(*c).vpc;
                        dns::resolve(t, vpc, &t.workload.host).is_ok_and(|a| {
                            a.addresses.iter().any(|ip| {
                                matches!(
                                    address::destination(t, vpc, *ip),
                                    Destination::EndpointEni(_)
                                )
                            })
                        })
                    });
                    prop_assert!(!reaches_endpoint, "validated with no listener on the port");
                    let tally = engine::run(
                        t,
                        &RunOptions {
                            flows: 300,
                            seed: 1,
                            trace_flow: None,
                        },
                    );
                    prop_assert_eq!(tally.failures[FailReason::NoListener.index()], 0);
                }
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
