//! The report: plain data built from each variant's tally, state and expected distribution.
//! Renderers ([`crate::output::render`], [`crate::output::plot`]) only read it. Its JSON form is
//! a documented contract (README, "JSON").
//!
//! Rows are the union over variants, in the scenario's file order (subnets, AZs by their first
//! subnet, targets by target group then instance): a resource a variant does not have (a subnet
//! holding no target there, a target not registered there) is a row with `present = false`, so
//! no variant's rows are ever dropped or misaligned.
//!
//! Intervals and the fit are clustered (docs/model.md STAT-2): flows that share one DNS answer
//! share its address choice, so they count as one cluster in the variance ([`crate::stats`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::changes::{self, Changes};
use super::metrics::{self, Metrics};
use crate::expected::Expected;
use crate::model::Topology;
use crate::model::ids::TargetId;
use crate::rules::connection::End;
use crate::rules::nlb::{self, CrossZone};
use crate::rules::outcome::FailReason;
use crate::scenario::Scenario;
use crate::sim::tally::Tally;
use crate::state::State;
use crate::stats::{self, Covariance};
use crate::timeline::Timeline;

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
    /// Variants validation refused, as `[[expect]]` said it would: name and errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedVariant>,
    /// The verdicts of the scenario's `[[expect]]` blocks (none when it has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<crate::expect::Verdict>,
}

/// A variant validation refused (what goes wrong), with its errors as `sim check` prints them.
#[derive(Clone, Debug, Serialize)]
pub struct RefusedVariant {
    /// The variant.
    pub name: String,
    /// Its errors.
    pub errors: Vec<String>,
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
    /// False when the variant has no registered target there (the numbers are then absent in
    /// JSON).
    pub present: bool,
    /// Flows answered there.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// The numbers of a row that exists in its variant.
#[derive(Clone, Debug, Serialize)]
pub struct Counts {
    /// Flows answered there.
    pub hits: u64,
    /// hits / flows.
    pub share: f64,
    /// Expected share, from the rules.
    pub expected_share: f64,
    /// 95 % interval of the share (clustered: STAT-2).
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
    /// False when the instance is not registered in the group in this variant.
    pub present: bool,
    /// Health at the start of the run (`healthy`, `unhealthy (...)`, `unused (...)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// What the web server answers.
    pub answers: String,
    /// Source addresses the target saw (NLB node private IPs through PrivateLink), with flows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<SourceSeen>>,
    /// Its numbers, when present.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

/// A source address a target saw, and how many answered flows came from it.
#[derive(Clone, Debug, Serialize)]
pub struct SourceSeen {
    /// The address: an NLB node's private IP, or a direct client's own when its target group
    /// preserves client IPs (NLB-16).
    pub ip: String,
    /// Whose address it is: `node use1-az1` or `client NAME`.
    pub of: String,
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

/// Goodness of fit of all outcomes (targets and failure reasons): a Wald test with the clustered
/// covariance (STAT-2).
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
    /// Their inter-AZ data transfer cost, USD: the `inter_az_node_target` line of the variant's
    /// [`crate::cost::Cost`] (COST-1).
    pub cost_usd: f64,
    /// Flows whose client -> endpoint ENI leg (or client -> NLB node, for a direct client)
    /// crossed AZs.
    pub client_leg_flows: u64,
    /// client_leg_flows / all flows.
    pub client_leg_share: f64,
    /// Its expected share.
    pub client_leg_expected_share: f64,
}

/// Completion time of answered flows (curl start to response received), microseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Times {
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
}

/// Completion times, observed and expected.
#[derive(Clone, Debug, Serialize)]
pub struct Completion {
    /// Answered flows.
    pub answered: u64,
    /// Observed.
    #[serde(flatten)]
    pub observed: Times,
    /// From the walk's times of every answered path, each client's paths weighted by its
    /// observed share of DNS queries (`null` when no flow is expected to be answered).
    pub expected: Option<Times>,
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
    /// Flows picked for a target that failed (refused, timed out, reset...):
    /// `picked_failed[bucket][target]`. With `hits`, the new connections each target was given.
    pub picked_failed: Vec<Vec<u64>>,
    /// Failed flows per bucket, every reason together, and, when connections live, the
    /// connections that a reset or a loss ended in the bucket.
    pub failed: Vec<u64>,
    /// When connections live (CONN-1): per bucket, per target, the connections open at the
    /// bucket's end (`null` otherwise).
    pub open: Option<Vec<Vec<u64>>>,
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
    /// Per subnet holding targets in any variant.
    pub subnets: Vec<Share>,
    /// Per AZ holding targets in any variant.
    pub azs: Vec<Share>,
    /// Per target of any variant.
    pub targets: Vec<TargetShare>,
    /// Failed flows by reason (reasons with flows or a positive expected share); in JSON an
    /// object keyed by reason code, in report order.
    #[serde(serialize_with = "serialize_failed")]
    pub failed: Vec<FailShare>,
    /// Goodness of fit (`null` when a single outcome is certain).
    pub fit: Option<Fit>,
    /// Cross-AZ traffic.
    pub cross_az: CrossAz,
    /// What the run costs, line by line, and who pays (docs/model.md COST-1 to COST-4).
    pub cost: crate::cost::Cost,
    /// Completion times.
    pub completion: Completion,
    /// DNS queries sent to the resolver: each answer is one cluster of flows (STAT-2).
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
    /// How the connections ended (only for workloads whose connections live).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<super::connections::Connections>,
    /// What changed during the run and what it did (only for scenarios with events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// The flow map: clients, endpoint ENIs, NLB nodes and targets by AZ, the flows on each
    /// leg between them and where failed flows ended.
    pub flow_map: super::flowmap::FlowMap,
    /// CloudWatch's metrics per time bucket (rendered by `--format metrics-json` and
    /// `metrics-csv`, not part of the report's JSON).
    #[serde(skip)]
    pub metrics: Metrics,
}

/// The target pick of a variant's largest eligible set (over every node and target group), and
/// the share of new connections that pick another target when one of its targets is lost (mean
/// over which one): established connections stay where they are (NLB-9).
#[derive(Clone, Debug, Serialize)]
pub struct Hashing {
    /// `uniform` or `maglev`.
    pub strategy: String,
    /// Targets in the largest eligible set.
    pub targets: usize,
    /// Share of new connections that would pick another target if one were lost (`null`
    /// below two targets).
    pub repicked_share: Option<f64>,
    /// The optimum: only the lost target's connections pick anew, 1 / targets.
    pub optimum_share: Option<f64>,
}

/// One variant's run, as the report needs it.
pub struct VariantRun<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its description.
    pub description: Option<&'a str>,
    /// Its topology.
    pub topology: &'a Topology,
    /// The state its flows started in (the first of the timeline).
    pub state: &'a State,
    /// The states of its run.
    pub timeline: &'a Timeline,
    /// The expected distribution of each state of `timeline`.
    pub per_state: &'a [Expected],
    /// What the engine counted.
    pub tally: &'a Tally,
    /// What the rules expect.
    pub expected: &'a Expected,
}

/// Builds the report of `scenario`'s variants, run with `flows` flows under `seed`.
pub fn report(scenario: &Scenario, runs: &[VariantRun<'_>], flows: u64, seed: u64) -> Report {
    let rows = Rows::union(runs);
    let first = runs
        .first()
        .map(|r| r.topology)
        .expect("a scenario has a variant");
    let mut report = Report {
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
        variants: runs
            .iter()
            .map(|run| variant_report(run, &rows, seed))
            .collect(),
        warnings: scenario
            .warnings
            .iter()
            .map(|w| w.to_string())
            .chain(late_events(scenario, runs))
            .chain(busy_targets(scenario, runs))
            .collect(),
        refused: scenario
            .refused
            .iter()
            .map(|r| RefusedVariant {
                name: r.name.clone(),
                errors: r.errors.iter().map(|e| e.to_string()).collect(),
            })
            .collect(),
        expectations: Vec::new(),
    };
    report.expectations = crate::expect::evaluate(scenario, Some(&report));
    report
}

/// New connections per minute per target an endpoint service takes before port allocation
/// errors, about (docs/model.md CONN-6).
pub const CONNECTIONS_PER_MINUTE_PER_TARGET: f64 = 55_000.0;

/// A warning per target that received new connections faster than an endpoint service lets
/// through (CONN-6), with its peak rate: sim does not model the port allocation errors AWS would
/// give, it says where they would be.
fn busy_targets(scenario: &Scenario, runs: &[VariantRun<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs {
        let (t, series) = (run.topology, &run.tally.timeline);
        let minutes = series.bucket.as_secs_f64() / 60.0;
        // Only full buckets: the last one may hold every later flow.
        let full = series
            .rows
            .len()
            .saturating_sub(1)
            .max(1)
            .min(series.rows.len());
        // Per target over the limit: its peak rate and the bucket it was in.
        let mut over: Vec<(u64, usize, usize)> = Vec::new();
        for x in 0..t.targets.len() {
            let c = series.columns;
            let peak = series.rows[..full]
                .iter()
                .enumerate()
                .map(|(b, row)| (row[c.answered(x)] + row[c.failed_at(x)], b))
                .max();
            if let Some((count, bucket)) = peak {
                if count as f64 / minutes > CONNECTIONS_PER_MINUTE_PER_TARGET {
                    over.push((count, bucket, x));
                }
            }
        }
        let Some(&(count, bucket, x)) = over.iter().max() else {
            continue;
        };
        out.push(format!(
            "{}: variant \"{}\": {} target(s) received more new connections per minute than the about 55,000 per target an endpoint service takes (docs/model.md CONN-6), {} the most: {} per minute in the bucket from {:.3} s; AWS would fail some with port allocation errors, which sim does not model",
            scenario.file,
            run.name,
            over.len(),
            t.instances[t.targets[x].instance.index()].name,
            crate::scenario::validate::number((count as f64 / minutes).round()),
            bucket as f64 * series.bucket.as_secs_f64()
        ));
    }
    out
}

/// A warning per event that comes after a variant's last flow (EV-6): it changes nothing the
/// run counted.
fn late_events(scenario: &Scenario, runs: &[VariantRun<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs {
        let end = run.tally.end;
        for event in run.topology.events.iter().filter(|e| e.at > end) {
            out.push(format!(
                "{}: events[{}] ({}) at {}s comes after the last flow of variant \"{}\" (its last event at {:.3} s): it changes nothing this run counts",
                scenario.file,
                event.index,
                event.label,
                event.at.0 as f64 / 1e9,
                run.name,
                end.0 as f64 / 1e9
            ));
        }
    }
    out
}

/// The rows of every table: the union over variants, in file order.
struct Rows {
    /// Subnet names.
    subnets: Vec<String>,
    /// AZ IDs.
    azs: Vec<String>,
    /// (target group, instance) names.
    targets: Vec<(String, String)>,
}

impl Rows {
    fn union(runs: &[VariantRun<'_>]) -> Rows {
        // File-order keys: variants cannot add resources, so indices agree across variants.
        let mut subnets: Vec<(usize, String)> = Vec::new();
        // AZ ID -> its first subnet (file order).
        let mut azs: BTreeMap<String, usize> = BTreeMap::new();
        let mut targets: Vec<((usize, usize), (String, String))> = Vec::new();
        // Names already taken, so that each target is looked up once, not against every row.
        let mut seen_targets: BTreeSet<(String, String)> = BTreeSet::new();
        let mut seen_subnets: BTreeSet<String> = BTreeSet::new();
        for run in runs {
            let t = run.topology;
            for target in &t.targets {
                let instance = &t.instances[target.instance.index()];
                let s = instance.subnet.index();
                let subnet = &t.subnets[s];
                let az_id = &t.zones[subnet.zone.index()].az_id;
                let key = (target.target_group.index(), target.instance.index());
                let names = (
                    t.target_groups[target.target_group.index()].name.clone(),
                    instance.name.clone(),
                );
                if !seen_targets.contains(&names) {
                    seen_targets.insert(names.clone());
                    targets.push((key, names));
                }
                if !seen_subnets.contains(&subnet.name) {
                    seen_subnets.insert(subnet.name.clone());
                    subnets.push((s, subnet.name.clone()));
                }
                azs.entry(az_id.clone())
                    .and_modify(|first| *first = (*first).min(s))
                    .or_insert(s);
            }
        }
        subnets.sort();
        let mut azs: Vec<(usize, String)> = azs.into_iter().map(|(id, s)| (s, id)).collect();
        azs.sort();
        targets.sort();
        Rows {
            subnets: subnets.into_iter().map(|(_, n)| n).collect(),
            azs: azs.into_iter().map(|(_, n)| n).collect(),
            targets: targets.into_iter().map(|(_, n)| n).collect(),
        }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
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

/// Shares, expected shares and clustered intervals of sets of targets, for one variant.
struct Measure<'a> {
    tally: &'a Tally,
    expected: &'a Expected,
    covariance: Covariance,
}

impl Measure<'_> {
    fn share(&self, hits: u64) -> f64 {
        if self.tally.flows == 0 {
            0.0
        } else {
            round6(hits as f64 / self.tally.flows as f64)
        }
    }

    /// The counts of the targets `targets` together.
    fn counts(&self, targets: &[usize]) -> Counts {
        let hits: u64 = targets.iter().map(|&i| self.tally.target_hits[i]).sum();
        let expected: f64 = targets.iter().map(|&i| self.expected.targets[i]).sum();
        let [lo, hi] =
            stats::share_interval(hits, self.tally.flows, self.covariance.variance_of(targets));
        Counts {
            hits,
            share: self.share(hits),
            expected_share: round6(expected),
            ci95: [round6(lo), round6(hi)],
        }
    }
}

fn variant_report(run: &VariantRun<'_>, rows: &Rows, seed: u64) -> VariantReport {
    let (t, tally, expected) = (run.topology, run.tally, run.expected);
    let m = Measure {
        tally,
        expected,
        covariance: stats::count_covariance(&expected.clients, &tally.client_counts()),
    };
    // Lookups by name, built once (a scan per row would be quadratic in the targets).
    let target_index: BTreeMap<(&str, &str), usize> = t
        .targets
        .iter()
        .enumerate()
        .rev() // the first of duplicates wins, as a scan would find it
        .map(|(i, x)| {
            let tg = t.target_groups[x.target_group.index()].name.as_str();
            ((tg, t.instances[x.instance.index()].name.as_str()), i)
        })
        .collect();
    let instance_index: BTreeMap<&str, usize> = t
        .instances
        .iter()
        .enumerate()
        .rev()
        .map(|(i, instance)| (instance.name.as_str(), i))
        .collect();
    let target_of = |tg: &str, instance: &str| -> Option<TargetId> {
        target_index
            .get(&(tg, instance))
            .map(|&i| TargetId::from_index(i))
    };
    let targets = rows
        .targets
        .iter()
        .map(|(tg, name)| {
            let instance_index = *instance_index
                .get(name.as_str())
                .expect("variants share their instances");
            let instance = &t.instances[instance_index];
            let subnet = &t.subnets[instance.subnet.index()];
            let target = target_of(tg, name);
            TargetShare {
                name: name.clone(),
                target_group: tg.clone(),
                ip: instance.ip.to_string(),
                subnet: subnet.name.clone(),
                az: subnet.az_name.clone(),
                az_id: t.zones[subnet.zone.index()].az_id.clone(),
                present: target.is_some(),
                health: target.map(|x| run.state.health(x).label()),
                answers: match t.workload.protocol {
                    crate::model::Transport::Tcp => instance.web_server.as_ref(),
                    crate::model::Transport::Udp => instance.udp_server.as_ref(),
                }
                .map_or_else(String::new, |w| w.body.clone()),
                sources: target.map(|x| {
                    let width = t.nodes.len() + t.workload.clients.len();
                    let ips = t
                        .nodes
                        .iter()
                        .map(|n| (n.ip, format!("node {}", t.zones[n.zone.index()].az_id)))
                        .chain(t.workload.clients.iter().map(|c| {
                            let i = &t.instances[c.index()];
                            (i.ip, format!("client {}", i.name))
                        }));
                    ips.enumerate()
                        .filter_map(|(k, (ip, of))| {
                            let flows = tally.sources[x.index() * width + k];
                            (flows > 0).then(|| SourceSeen {
                                ip: ip.to_string(),
                                of,
                                flows,
                            })
                        })
                        .collect()
                }),
                counts: target.map(|x| m.counts(&[x.index()])),
            }
        })
        .collect();

    // Each target's subnet and AZ, in one pass (members ascending), and each subnet by name:
    // a scan of the targets per row would be quadratic.
    let mut in_subnet: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut in_az: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, target) in t.targets.iter().enumerate() {
        let subnet = &t.subnets[t.target_instance(TargetId::from_index(i)).subnet.index()];
        in_subnet.entry(subnet.name.as_str()).or_default().push(i);
        in_az
            .entry(t.zones[target.zone.index()].az_id.as_str())
            .or_default()
            .push(i);
    }
    let subnet_index: BTreeMap<&str, usize> = t
        .subnets
        .iter()
        .enumerate()
        .rev()
        .map(|(i, subnet)| (subnet.name.as_str(), i))
        .collect();
    let subnet_named = |name: &str| subnet_index.get(name).map(|&i| &t.subnets[i]);
    let none: Vec<usize> = Vec::new();
    let subnets = rows
        .subnets
        .iter()
        .map(|name| {
            let subnet = subnet_named(name).expect("variants share their subnets");
            let members = in_subnet.get(name.as_str()).unwrap_or(&none);
            Share {
                name: name.clone(),
                az: subnet.az_name.clone(),
                az_id: t.zones[subnet.zone.index()].az_id.clone(),
                present: !members.is_empty(),
                counts: (!members.is_empty()).then(|| m.counts(members)),
            }
        })
        .collect();
    // The AZ's name as the account owning its first subnet row calls it.
    let mut az_names: BTreeMap<&str, &str> = BTreeMap::new();
    for subnet in rows.subnets.iter().filter_map(|name| subnet_named(name)) {
        az_names
            .entry(t.zones[subnet.zone.index()].az_id.as_str())
            .or_insert(subnet.az_name.as_str());
    }
    let azs = rows
        .azs
        .iter()
        .map(|az_id| {
            let members = in_az.get(az_id.as_str()).unwrap_or(&none);
            let az_name = az_names
                .get(az_id.as_str())
                .map_or_else(|| az_id.clone(), |name| name.to_string());
            Share {
                name: az_name.clone(),
                az: az_name,
                az_id: az_id.clone(),
                present: !members.is_empty(),
                counts: (!members.is_empty()).then(|| m.counts(members)),
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
            share: m.share(tally.failures[r.index()]),
            expected_share: round6(expected.failures[r.index()]),
        })
        .collect();

    let observed = tally.outcomes();
    let fit = stats::wald_fit(&observed, &expected.categories(), &m.covariance).map(|f| Fit {
        statistic: f.statistic.is_finite().then(|| round6(f.statistic)),
        degrees_of_freedom: f.degrees_of_freedom,
        p_value: if f.p_value < 1e-6 {
            f.p_value
        } else {
            round6(f.p_value)
        },
    });

    let mut cross_zone = Vec::new();
    for listener in &t.listeners {
        for (tg, _) in &listener.forward {
            cross_zone.push(format!(
                "{}: {}",
                t.target_groups[tg.index()].name,
                cross_zone_words(t, listener.load_balancer, *tg)
            ));
        }
    }

    let cost = crate::cost::cost(t, tally);
    let node_target_usd = cost
        .lines
        .iter()
        .find(|l| l.key == "inter_az_node_target")
        .map_or(0.0, |l| l.usd);
    VariantReport {
        name: run.name.to_string(),
        description: run.description.map(str::to_string),
        cross_zone,
        subnets,
        azs,
        targets,
        failed,
        fit,
        cross_az: CrossAz {
            flows: tally.cross_az_flows,
            share: m.share(tally.cross_az_flows),
            expected_share: round6(expected.cross_az),
            bytes: tally.cross_az_bytes,
            cost_usd: node_target_usd,
            client_leg_flows: tally.client_cross_az_flows,
            client_leg_share: m.share(tally.client_cross_az_flows),
            client_leg_expected_share: round6(expected.client_cross_az),
        },
        cost,
        completion: completion(tally, expected),
        dns_queries: tally.dns_queries(),
        dns_cache_hits: tally.dns_cache_hits(),
        simulated_seconds: round6(tally.end.0 as f64 / 1e9),
        events: tally.events,
        hashing: hashing(t, run.state),
        time_series: TimeSeries {
            bucket_seconds: tally.timeline.bucket.as_secs_f64(),
            targets: t
                .targets
                .iter()
                .map(|x| t.instances[x.instance.index()].name.clone())
                .collect(),
            hits: tally.timeline.hits(),
            picked_failed: tally.timeline.picked_failed(),
            failed: tally
                .timeline
                .rows
                .iter()
                .map(|row| {
                    let c = tally.timeline.columns;
                    let flows: u64 = FailReason::ALL.iter().map(|&r| row[c.failure(r)]).sum();
                    let broken: u64 = End::ALL
                        .iter()
                        .filter(|&&e| e != End::Closed)
                        .map(|&e| row[c.ended(e)])
                        .sum();
                    flows + broken
                })
                .collect(),
            open: t
                .workload
                .connection
                .map(|_| open_connections(&tally.timeline)),
        },
        connections: super::connections::connections(t, tally),
        changes: (!t.events.is_empty())
            .then(|| changes::changes(t, run.timeline, tally, run.per_state, seed)),
        flow_map: super::flowmap::flow_map(t, tally),
        metrics: metrics::metrics(t, run.timeline, tally),
    }
}

/// The effective cross-zone setting of `tg` behind `lb`, and where it comes from, in words.
pub fn cross_zone_words(
    t: &Topology,
    lb: crate::model::ids::LoadBalancerId,
    tg: crate::model::ids::TargetGroupId,
) -> String {
    cross_zone_setting_words(t, tg, nlb::cross_zone(t, lb, tg))
}

/// `setting`, the effective cross-zone setting of `tg`, and where it comes from, in words.
pub fn cross_zone_setting_words(
    t: &Topology,
    tg: crate::model::ids::TargetGroupId,
    setting: CrossZone,
) -> String {
    let group = &t.target_groups[tg.index()].name;
    let on = if setting.on() { "on" } else { "off" };
    match setting {
        CrossZone::FromLoadBalancer(v) => format!(
            "{on} (target group {group} uses the load balancer's enable_cross_zone_load_balancing = {v})"
        ),
        CrossZone::FromTargetGroup(v) => format!(
            "{on} (target group {group} sets load_balancing.cross_zone.enabled = {v}, which wins over the load balancer)"
        ),
    }
}

/// Observed completion times, and the expected ones: every answered path's time from the cache
/// and after a query, each client weighted 1/C and its paths by their probabilities, its queried
/// share taken from the run.
fn completion(tally: &Tally, expected: &Expected) -> Completion {
    let answered: u64 = tally.completion.values().sum();
    let observed: Vec<(f64, f64)> = tally
        .completion
        .iter()
        .map(|(&ns, &count)| (ns as f64, count as f64))
        .collect();
    let clients = expected.completion.len() as f64;
    let mut paths: Vec<(f64, f64)> = Vec::new();
    for (client, branches) in tally.clients.iter().zip(&expected.completion) {
        let queried = if client.flows == 0 {
            0.0
        } else {
            client.queries as f64 / client.flows as f64
        };
        for &(cached, query, p) in branches {
            paths.push((cached as f64, p / clients * (1.0 - queried)));
            paths.push((query as f64, p / clients * queried));
        }
    }
    paths.retain(|(_, w)| *w > 0.0);
    paths.sort_by(|a, b| a.0.total_cmp(&b.0));
    Completion {
        answered,
        observed: times(&observed).unwrap_or(Times {
            mean_us: 0.0,
            p50_us: 0.0,
            p99_us: 0.0,
        }),
        expected: times(&paths),
    }
}

/// Mean, median and 99th percentile (the smallest time whose cumulative weight reaches the
/// quantile) of times weighted by their counts, in ascending order.
fn times(weighted: &[(f64, f64)]) -> Option<Times> {
    let total: f64 = weighted.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return None;
    }
    let mean = weighted.iter().map(|(ns, w)| ns * w).sum::<f64>() / total;
    let quantile = |q: f64| {
        let mut seen = 0.0;
        for &(ns, w) in weighted {
            seen += w;
            if seen >= q * total * (1.0 - 1e-12) {
                return ns / 1e3;
            }
        }
        weighted.last().map_or(0.0, |(ns, _)| ns / 1e3)
    };
    Some(Times {
        mean_us: round6(mean / 1e3),
        p50_us: quantile(0.50),
        p99_us: quantile(0.99),
    })
}

/// [`Hashing`] of a topology under `state`.
pub fn hashing(t: &Topology, state: &State) -> Hashing {
    let largest = state
        .all_eligible()
        .map(|(node, _, eligible)| {
            let strategy = t.load_balancers[t.nodes[node.index()].load_balancer.index()].pick;
            (&eligible.targets, strategy)
        })
        .max_by_key(|(targets, _)| targets.len());
    let Some((targets, strategy)) = largest else {
        return Hashing {
            strategy: crate::model::PickStrategy::Uniform.name().to_string(),
            targets: 0,
            repicked_share: None,
            optimum_share: None,
        };
    };
    let identities: Vec<u64> = targets
        .iter()
        .map(|x| nlb::target_identity(t, *x))
        .collect();
    let n = identities.len();
    let (repicked, optimum) = if n >= 2 {
        (
            Some(round6(nlb::pick::mean_remapped_share(
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
        repicked_share: repicked,
        optimum_share: optimum,
    }
}

impl TimeSeries {
    /// What the time series draws per target: the connections open at each bucket's end when
    /// connections live, the answered flows of each bucket otherwise.
    pub fn lines(&self) -> &[Vec<u64>] {
        self.open.as_deref().unwrap_or(&self.hits)
    }
}

/// Per bucket, per target, the connections open at the bucket's end: every one opened up to it
/// (by start) less every one ended up to it (by end).
fn open_connections(series: &crate::sim::tally::Timeline) -> Vec<Vec<u64>> {
    let c = series.columns;
    let mut open = vec![0u64; c.targets];
    series
        .rows
        .iter()
        .map(|row| {
            for (x, n) in open.iter_mut().enumerate() {
                *n = (*n + row[c.answered(x)]).saturating_sub(row[c.target_closed(x)]);
            }
            open.clone()
        })
        .collect()
}
