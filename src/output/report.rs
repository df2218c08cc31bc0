//! The report: plain data built from a run's tallies and the expected distribution. Renderers
//! ([`crate::output::render`]) only read it. Its JSON form is a documented contract (README, "JSON").

use serde::Serialize;

use crate::expected::Expected;
use crate::model::ids::ZoneId;
use crate::model::{TargetHealth, Topology, UnhealthyReason};
use crate::rules::client::FailReason;
use crate::scenario::Scenario;
use crate::sim::events::Tally;
use crate::stats;

/// Price of inter-AZ data transfer, per GB, charged on each side (aws-behaviour 2.5).
pub const INTER_AZ_USD_PER_GB_EACH_SIDE: f64 = 0.01;

/// A whole run of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    pub file: String,
    /// Description.
    pub description: Option<String>,
    /// Exam-style question.
    pub question: Option<String>,
    /// Master seed.
    pub seed: u64,
    /// Flows per variant.
    pub flows: u64,
    /// What the clients did.
    pub workload: WorkloadSummary,
    /// One entry per variant, in file order.
    pub variants: Vec<VariantReport>,
    /// Validation warnings.
    pub warnings: Vec<String>,
}

/// The workload, for the report header.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadSummary {
    /// Client instance names.
    pub clients: Vec<String>,
    /// Name curl connects to.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Flows per second (Poisson).
    pub arrival_rate: f64,
}

/// Hits of one subnet or AZ.
#[derive(Clone, Debug, Serialize)]
pub struct Share {
    /// Subnet name, or AZ name for an AZ row.
    pub name: String,
    /// AZ name (in the owning account).
    pub az: String,
    /// AZ ID.
    pub az_id: String,
    /// Flows answered there.
    pub hits: u64,
    /// hits / flows.
    pub share: f64,
    /// Expected share, from the rules.
    pub expected_share: f64,
    /// 95 % Wilson interval of the share.
    pub ci95: [f64; 2],
}

/// Hits of one target.
#[derive(Clone, Debug, Serialize)]
pub struct TargetShare {
    /// Instance name.
    pub name: String,
    /// Target group.
    pub target_group: String,
    /// Private IP.
    pub ip: String,
    /// Subnet name.
    pub subnet: String,
    /// AZ name.
    pub az: String,
    /// AZ ID.
    pub az_id: String,
    /// Health at the start of the run (`healthy`, `unhealthy: ...`, `unused`).
    pub health: String,
    /// What the web server answers.
    pub answers: String,
    /// Source addresses the target saw (NLB node private IPs through PrivateLink), with flows.
    pub sources: Vec<SourceSeen>,
    /// Flows it answered.
    pub hits: u64,
    /// hits / flows.
    pub share: f64,
    /// Expected share.
    pub expected_share: f64,
    /// 95 % Wilson interval.
    pub ci95: [f64; 2],
}

/// A source address a target saw, and how many answered flows came from it.
#[derive(Clone, Debug, Serialize)]
pub struct SourceSeen {
    /// The address (an NLB node's private IP).
    pub ip: String,
    /// Answered flows from it.
    pub flows: u64,
}

/// Flows that failed for one reason.
#[derive(Clone, Debug, Serialize)]
pub struct FailShare {
    /// Reason code (`SG_DENY`, ...): the key of this entry in JSON.
    #[serde(skip)]
    pub reason: String,
    /// What curl prints.
    pub client_sees: String,
    /// Flows.
    pub flows: u64,
    /// flows / all flows.
    pub share: f64,
    /// Expected share.
    pub expected_share: f64,
}

/// Chi-squared goodness of fit of all outcomes (targets and failure reasons).
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    /// Statistic (`null` in JSON when an impossible outcome occurred).
    pub statistic: Option<f64>,
    /// Degrees of freedom.
    pub degrees_of_freedom: u32,
    /// p-value.
    pub p_value: f64,
}

/// Traffic that crossed AZs.
#[derive(Clone, Debug, Serialize)]
pub struct CrossAz {
    /// Answered flows whose NLB node -> target leg crossed AZs.
    pub flows: u64,
    /// flows / all flows.
    pub share: f64,
    /// Expected share.
    pub expected_share: f64,
    /// HTTP payload bytes of those flows (request + response; headers of TCP/IP not counted).
    pub bytes: u64,
    /// Their inter-AZ data transfer cost, USD ($0.01/GB charged on each side).
    pub cost_usd: f64,
    /// Flows whose client -> endpoint ENI leg crossed AZs (consumer side).
    pub client_leg_flows: u64,
}

/// Completion time of answered flows (curl start to response received).
#[derive(Clone, Debug, Serialize)]
pub struct Completion {
    /// Answered flows.
    pub answered: u64,
    /// Mean, microseconds.
    pub mean_us: f64,
    /// Median, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
}

/// Hits per target per bucket of simulated time (by flow start).
#[derive(Clone, Debug, Serialize)]
pub struct TimeSeries {
    /// Bucket width, seconds.
    pub bucket_seconds: f64,
    /// Target names (columns of `hits`).
    pub targets: Vec<String>,
    /// `hits[bucket][target]`.
    pub hits: Vec<Vec<u64>>,
}

/// One variant's results.
#[derive(Clone, Debug, Serialize)]
pub struct VariantReport {
    /// Variant name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Effective cross-zone setting per target group, in words.
    pub cross_zone: Vec<String>,
    /// Per subnet holding targets.
    pub subnets: Vec<Share>,
    /// Per AZ holding targets.
    pub azs: Vec<Share>,
    /// Per target.
    pub targets: Vec<TargetShare>,
    /// Failed flows by reason (reasons with flows or a positive expected share); in JSON an
    /// object keyed by reason code, in report order.
    #[serde(serialize_with = "serialize_failed")]
    pub failed: Vec<FailShare>,
    /// Goodness of fit (`null` when a single outcome is certain).
    pub fit: Option<Fit>,
    /// Cross-AZ traffic.
    pub cross_az: CrossAz,
    /// Completion times.
    pub completion: Completion,
    /// DNS queries sent to the resolver.
    pub dns_queries: u64,
    /// DNS lookups answered from the clients' caches.
    pub dns_cache_hits: u64,
    /// Simulated time at the last event, seconds.
    pub simulated_seconds: f64,
    /// Events of the run: those the event loop processes for these flows (the bulk engine
    /// counts them per path).
    pub events: u64,
    /// The target pick and how it behaves when a target leaves.
    pub hashing: Hashing,
    /// Hits over time.
    pub time_series: TimeSeries,
}

/// The target pick of a variant's largest eligible set (over every node and target group), and
/// the share of flows that change target when one of its targets is lost (mean over which one).
#[derive(Clone, Debug, Serialize)]
pub struct Hashing {
    /// `uniform` or `maglev`.
    pub strategy: String,
    /// Targets in the largest eligible set.
    pub targets: usize,
    /// Share of flows remapped when one of them is lost (`null` below two targets).
    pub remapped_share: Option<f64>,
    /// The optimum: only the lost target's flows move, 1 / targets.
    pub optimum_share: Option<f64>,
}

/// [`Hashing`] of a topology, from its settled health.
pub fn hashing(t: &Topology) -> Hashing {
    let health: Vec<TargetHealth> = t.targets.iter().map(|x| x.health).collect();
    let largest = (0..t.nodes.len())
        .flat_map(|n| (0..t.target_groups.len()).map(move |g| (n, g)))
        .map(|(n, g)| {
            let node = crate::model::ids::NodeId::from_index(n);
            let strategy = t.load_balancers[t.nodes[n].load_balancer.index()].pick;
            let eligible = crate::rules::nlb::eligible(
                t,
                &health,
                node,
                crate::model::ids::TargetGroupId::from_index(g),
            );
            (eligible.targets, strategy)
        })
        .max_by_key(|(targets, _)| targets.len());
    let Some((targets, strategy)) = largest else {
        return Hashing {
            strategy: crate::rules::nlb::pick::PickStrategy::Uniform
                .name()
                .to_string(),
            targets: 0,
            remapped_share: None,
            optimum_share: None,
        };
    };
    let identities: Vec<u64> = targets
        .iter()
        .map(|x| crate::rules::nlb::target_identity(t, *x))
        .collect();
    let n = identities.len();
    let (remapped, optimum) = if n >= 2 {
        (
            Some(round6(crate::rules::nlb::pick::mean_remapped_share(
                strategy,
                &identities,
            ))),
            Some(round6(1.0 / n as f64)),
        )
    } else {
        (None, None)
    };
    Hashing {
        strategy: strategy.name().to_string(),
        targets: n,
        remapped_share: remapped,
        optimum_share: optimum,
    }
}

fn serialize_failed<S: serde::Serializer>(
    failed: &[FailShare],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(failed.len()))?;
    for f in failed {
        map.serialize_entry(&f.reason, f)?;
    }
    map.end()
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn ci(hits: u64, n: u64) -> [f64; 2] {
    let (lo, hi) = stats::wilson95(hits, n);
    [round6(lo), round6(hi)]
}

/// Words for a target's health.
pub fn health_label(health: TargetHealth) -> String {
    match health {
        TargetHealth::Healthy => "healthy".into(),
        TargetHealth::Unused => "unused (Target.NotInUse)".into(),
        TargetHealth::Unhealthy(reason) => format!(
            "unhealthy ({})",
            match reason {
                UnhealthyReason::InstanceStopped => "instance stopped",
                UnhealthyReason::NotListening => "nothing listens on the health check port",
                UnhealthyReason::SecurityGroupBlocksChecks =>
                    "security group blocks checks from NLB nodes",
            }
        ),
    }
}

/// Builds the report of one variant.
pub fn variant_report(
    name: &str,
    description: Option<&str>,
    t: &Topology,
    tally: &Tally,
    expected: &Expected,
) -> VariantReport {
    let n = tally.flows;
    let share = |hits: u64| {
        if n == 0 {
            0.0
        } else {
            round6(hits as f64 / n as f64)
        }
    };

    let targets: Vec<TargetShare> = t
        .targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let instance = &t.instances[target.instance.index()];
            let subnet = &t.subnets[instance.subnet.index()];
            let hits = tally.target_hits[i];
            TargetShare {
                name: instance.name.clone(),
                target_group: t.target_groups[target.target_group.index()].name.clone(),
                ip: instance.ip.to_string(),
                subnet: subnet.name.clone(),
                az: subnet.az_name.clone(),
                az_id: t.zones[subnet.zone.index()].az_id.clone(),
                health: health_label(target.health),
                answers: instance
                    .web_server
                    .as_ref()
                    .map_or_else(String::new, |w| w.body.clone()),
                sources: t
                    .nodes
                    .iter()
                    .enumerate()
                    .filter_map(|(n, node)| {
                        let flows = tally.sources[i * t.nodes.len() + n];
                        (flows > 0).then(|| SourceSeen {
                            ip: node.ip.to_string(),
                            flows,
                        })
                    })
                    .collect(),
                hits,
                share: share(hits),
                expected_share: round6(expected.targets[i]),
                ci95: ci(hits, n),
            }
        })
        .collect();

    // Subnets and AZs holding targets, in file order; sums of their targets.
    let mut subnet_ids = Vec::new();
    let mut zone_ids: Vec<(ZoneId, String)> = Vec::new();
    for target in &t.targets {
        let subnet = t.instances[target.instance.index()].subnet;
        if !subnet_ids.contains(&subnet) {
            subnet_ids.push(subnet);
        }
        let s = &t.subnets[subnet.index()];
        if !zone_ids.iter().any(|(z, _)| *z == s.zone) {
            zone_ids.push((s.zone, s.az_name.clone()));
        }
    }
    let sum_where = |keep: &dyn Fn(usize) -> bool| {
        let hits: u64 = (0..t.targets.len())
            .filter(|&i| keep(i))
            .map(|i| tally.target_hits[i])
            .sum();
        let expected: f64 = (0..t.targets.len())
            .filter(|&i| keep(i))
            .map(|i| expected.targets[i])
            .sum();
        (hits, expected)
    };
    let subnets = subnet_ids
        .iter()
        .map(|&s| {
            let subnet = &t.subnets[s.index()];
            let (hits, exp) =
                sum_where(&|i| t.instances[t.targets[i].instance.index()].subnet == s);
            Share {
                name: subnet.name.clone(),
                az: subnet.az_name.clone(),
                az_id: t.zones[subnet.zone.index()].az_id.clone(),
                hits,
                share: share(hits),
                expected_share: round6(exp),
                ci95: ci(hits, n),
            }
        })
        .collect();
    let azs = zone_ids
        .iter()
        .map(|(z, az_name)| {
            let (hits, exp) = sum_where(&|i| t.targets[i].zone == *z);
            Share {
                name: az_name.clone(),
                az: az_name.clone(),
                az_id: t.zones[z.index()].az_id.clone(),
                hits,
                share: share(hits),
                expected_share: round6(exp),
                ci95: ci(hits, n),
            }
        })
        .collect();

    let failed = FailReason::ALL
        .iter()
        .filter(|r| tally.failures[r.index()] > 0 || expected.failures[r.index()] > 0.0)
        .map(|r| FailShare {
            reason: r.code().into(),
            client_sees: r.client_sees().into(),
            flows: tally.failures[r.index()],
            share: share(tally.failures[r.index()]),
            expected_share: round6(expected.failures[r.index()]),
        })
        .collect();

    let observed: Vec<u64> = tally
        .target_hits
        .iter()
        .chain(tally.failures.iter())
        .copied()
        .collect();
    let probabilities: Vec<f64> = expected
        .targets
        .iter()
        .chain(expected.failures.iter())
        .copied()
        .collect();
    let fit = stats::chi_squared(&observed, &probabilities).map(|c| Fit {
        statistic: c.statistic.is_finite().then(|| round6(c.statistic)),
        degrees_of_freedom: c.degrees_of_freedom,
        p_value: if c.p_value < 1e-6 {
            c.p_value
        } else {
            round6(c.p_value)
        },
    });

    let answered: u64 = tally.completion.values().sum();
    let total_ns: f64 = tally
        .completion
        .iter()
        .map(|(ns, c)| *ns as f64 * *c as f64)
        .sum();
    let percentile = |q: f64| -> f64 {
        if answered == 0 {
            return 0.0;
        }
        let rank = ((q * answered as f64).ceil() as u64).clamp(1, answered);
        let mut seen = 0;
        for (ns, c) in &tally.completion {
            seen += c;
            if seen >= rank {
                return *ns as f64 / 1e3;
            }
        }
        unreachable!("rank is at most the number of answered flows")
    };

    let mut cross_zone = Vec::new();
    for listener in &t.listeners {
        for (tg, _) in &listener.forward {
            let on = t.cross_zone_enabled(listener.load_balancer, *tg);
            cross_zone.push(format!(
                "{}: {} ({})",
                t.target_groups[tg.index()].name,
                if on { "on" } else { "off" },
                crate::sim::events::cross_zone_source(t, listener.load_balancer, *tg)
            ));
        }
    }

    VariantReport {
        name: name.to_string(),
        description: description.map(str::to_string),
        cross_zone,
        subnets,
        azs,
        targets,
        failed,
        fit,
        cross_az: CrossAz {
            flows: tally.cross_az_flows,
            share: share(tally.cross_az_flows),
            expected_share: round6(expected.cross_az),
            bytes: tally.cross_az_bytes,
            cost_usd: tally.cross_az_bytes as f64 / 1e9 * INTER_AZ_USD_PER_GB_EACH_SIDE * 2.0,
            client_leg_flows: tally.client_cross_az_flows,
        },
        completion: Completion {
            answered,
            mean_us: if answered == 0 {
                0.0
            } else {
                round6(total_ns / answered as f64 / 1e3)
            },
            p50_us: percentile(0.50),
            p99_us: percentile(0.99),
        },
        dns_queries: tally.dns_queries,
        dns_cache_hits: tally.dns_cache_hits,
        simulated_seconds: round6(tally.end.0 as f64 / 1e9),
        events: tally.events,
        hashing: hashing(t),
        time_series: TimeSeries {
            bucket_seconds: tally.timeline.bucket.as_secs_f64(),
            targets: t
                .targets
                .iter()
                .map(|x| t.instances[x.instance.index()].name.clone())
                .collect(),
            hits: tally.timeline.hits.clone(),
        },
    }
}

/// Which engine runs the flows, and how.
#[derive(Copy, Clone)]
pub struct Engine<'a> {
    /// `true`: the discrete-event loop ([`crate::sim::events`]), one event at a time, on one thread;
    /// `false`: the bulk engine ([`crate::sim::bulk`]), the same tally on `threads` threads.
    pub event_loop: bool,
    /// Worker threads of the bulk engine.
    pub threads: usize,
    /// Told the flows done so far, over all variants, now and then (bulk engine only).
    pub progress: Option<crate::sim::bulk::Progress<'a>>,
}

impl Default for Engine<'_> {
    /// The bulk engine on every core, without progress reports.
    fn default() -> Self {
        Engine {
            event_loop: false,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: None,
        }
    }
}

/// Runs every variant of `scenario` with `flows` flows and `seed` on `engine`, and builds the
/// report. The report does not depend on the engine or the thread count.
pub fn run_scenario(
    scenario: &Scenario,
    flows: Option<u64>,
    seed: Option<u64>,
    engine: Engine<'_>,
) -> Report {
    let first = &scenario.variants[0].topology;
    let flows = flows.unwrap_or(first.run.flows);
    let seed = seed.unwrap_or(first.run.seed);
    let variants = scenario
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let tally = if engine.event_loop {
                let options = crate::sim::events::RunOptions {
                    flows,
                    seed,
                    trace_flow: None,
                };
                crate::sim::events::run(&v.topology, &options)
            } else {
                let options = crate::sim::bulk::BulkOptions {
                    flows,
                    seed,
                    threads: engine.threads,
                };
                let before = flows.saturating_mul(i as u64);
                let progress = engine
                    .progress
                    .map(|report| move |done: u64| report(before.saturating_add(done)));
                let progress = progress
                    .as_ref()
                    .map(|p| p as crate::sim::bulk::Progress<'_>);
                crate::sim::bulk::run(&v.topology, &options, progress)
            };
            let expected = crate::expected::expected(&v.topology);
            variant_report(
                &v.name,
                v.description.as_deref(),
                &v.topology,
                &tally,
                &expected,
            )
        })
        .collect();
    Report {
        scenario: scenario.name.clone(),
        file: scenario.file.clone(),
        description: scenario.description.clone(),
        question: scenario.question.clone(),
        seed,
        flows,
        workload: WorkloadSummary {
            clients: first
                .workload
                .clients
                .iter()
                .map(|c| first.instances[c.index()].name.clone())
                .collect(),
            host: first.workload.host.clone(),
            port: first.workload.port,
            arrival_rate: first.workload.arrival_rate,
        },
        variants,
        warnings: scenario.warnings.iter().map(|w| w.to_string()).collect(),
    }
}
