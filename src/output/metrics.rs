//! The run as CloudWatch would have graphed it: per time bucket, an NLB's metrics under their
//! CloudWatch names and dimensions, and sim's own per-target extension (CloudWatch has no
//! per-target dimension).
//!
//! Counted by flow start: `NewFlowCount`, `ProcessedBytes` (payload only: no headers),
//! `TCP_Target_Reset_Count` (resets a target sent back through the node: a refused
//! connection) and `TCP_ELB_Reset_Count` (resets the node sent itself: no listener), each per
//! load balancer and AvailabilityZone (the node's AZ name in its account). From the timeline:
//! `HealthyHostCount` (its Minimum over the bucket) and `UnHealthyHostCount` (its Maximum) per
//! TargetGroup and AvailabilityZone of the targets; `initial`, `draining` and `unused` targets
//! count in neither, as in CloudWatch. Per target: its health at the bucket's start, its answered
//! flows and the flows picked for it that failed.
//! With connections that live (`[workload.connection]`, CONN-1): `ActiveFlowCount` per load
//! balancer and AvailabilityZone, the connections open at the bucket's start (curl-like flows live
//! a millisecond: not reported for them), and the resets of connections in flight in the two reset
//! counts, by the time they happened.
//! Not reported: `TCP_Client_Reset_Count` (the modelled clients never reset).
//! Source: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-cloudwatch-metrics.html>

use serde::Serialize;

use crate::model::Topology;
use crate::rules::health::TargetHealth;
use crate::sim::tally::Tally;
use crate::time::SimTime;
use crate::timeline::Timeline;

/// The metrics of one variant's run.
#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    /// Width of a bucket, seconds.
    pub bucket_seconds: f64,
    /// One entry per bucket from the first to the last with a flow.
    pub buckets: Vec<Bucket>,
}

/// One bucket's metrics.
#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    /// Start of the bucket, seconds.
    pub start_seconds: f64,
    /// Per (metric, dimensions): its value.
    pub values: Vec<Datapoint>,
}

/// One metric value.
#[derive(Clone, Debug, Serialize)]
pub struct Datapoint {
    /// CloudWatch's metric name, or sim's (`Target.*`).
    pub metric: &'static str,
    /// Its dimensions, `Name=value` joined by commas.
    pub dimensions: String,
    /// The value (a count, or bytes).
    pub value: u64,
    /// The state's name, for `Target.Health` (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
}

/// The metrics of `t`'s run counted in `tally`, whose states are `timeline`.
pub fn metrics(t: &Topology, timeline: &Timeline, tally: &Tally) -> Metrics {
    let series = &tally.timeline;
    let width = series.bucket;
    let columns = series.columns;
    // Per distinct state: (healthy, unhealthy) per (target group, zone) present.
    let groups: Vec<(usize, usize)> = {
        let mut g: Vec<(usize, usize)> = t
            .targets
            .iter()
            .map(|x| (x.target_group.index(), x.zone.index()))
            .collect();
        g.sort_unstable();
        g.dedup();
        g
    };
    let counts: Vec<Vec<(u64, u64)>> = timeline
        .states
        .iter()
        .map(|s| {
            let mut c = vec![(0u64, 0u64); groups.len()];
            for (i, x) in t.targets.iter().enumerate() {
                let g = groups
                    .binary_search(&(x.target_group.index(), x.zone.index()))
                    .expect("every target's group and zone is listed");
                match s.all_health()[i] {
                    TargetHealth::Healthy => c[g].0 += 1,
                    TargetHealth::Unhealthy(_) | TargetHealth::UnhealthyDraining(_) => c[g].1 += 1,
                    _ => {}
                }
            }
            c
        })
        .collect();
    let az = |zone: usize, account_of: crate::model::ids::VpcId| {
        let account = &t.accounts[t.vpcs[account_of.index()].account.index()];
        account
            .az_names
            .iter()
            .find(|(_, z)| z.index() == zone)
            .map_or_else(|| t.zones[zone].az_id.clone(), |(name, _)| name.clone())
    };
    let live = t.workload.connection.is_some();
    let mut active = vec![0u64; t.nodes.len()];
    let mut span = 0;
    let buckets = series
        .rows
        .iter()
        .enumerate()
        .map(|(b, row)| {
            let from = SimTime((b as u64).saturating_mul(width.0));
            let to = SimTime(from.0.saturating_add(width.0));
            let mut values = Vec::new();
            for (n, node) in t.nodes.iter().enumerate() {
                let lb = &t.load_balancers[node.load_balancer.index()];
                let dims = format!(
                    "LoadBalancer={},AvailabilityZone={}",
                    lb.name,
                    az(node.zone.index(), lb.vpc)
                );
                if live {
                    values.push(Datapoint {
                        metric: "ActiveFlowCount",
                        dimensions: dims.clone(),
                        value: active[n],
                        state: None,
                    });
                    active[n] = (active[n] + row[columns.node_opened(n)])
                        .saturating_sub(row[columns.node_closed(n)]);
                }
                for (metric, column) in [
                    ("NewFlowCount", columns.node_flows(n)),
                    ("ProcessedBytes", columns.node_bytes(n)),
                    ("TCP_Target_Reset_Count", columns.target_resets(n)),
                    ("TCP_ELB_Reset_Count", columns.node_resets(n)),
                ] {
                    values.push(Datapoint {
                        metric,
                        dimensions: dims.clone(),
                        value: row[column],
                        state: None,
                    });
                }
            }
            // The states that held during the bucket.
            while span + 1 < timeline.spans.len() && timeline.spans[span + 1].0 <= from {
                span += 1;
            }
            let mut held: Vec<usize> = Vec::new();
            let mut s = span;
            while s < timeline.spans.len() && (s == span || timeline.spans[s].0 < to) {
                let k = timeline.spans[s].1 as usize;
                if !held.contains(&k) {
                    held.push(k);
                }
                s += 1;
            }
            for (g, &(group, zone)) in groups.iter().enumerate() {
                let tg = &t.target_groups[group];
                let Some(lb) = tg.load_balancer else { continue };
                let vpc = t.load_balancers[lb.index()].vpc;
                let dims = format!("TargetGroup={},AvailabilityZone={}", tg.name, az(zone, vpc));
                let healthy = held.iter().map(|&k| counts[k][g].0).min().unwrap_or(0);
                let unhealthy = held.iter().map(|&k| counts[k][g].1).max().unwrap_or(0);
                values.push(Datapoint {
                    metric: "HealthyHostCount",
                    dimensions: dims.clone(),
                    value: healthy,
                    state: None,
                });
                values.push(Datapoint {
                    metric: "UnHealthyHostCount",
                    dimensions: dims,
                    value: unhealthy,
                    state: None,
                });
            }
            let start = &timeline.states[timeline.spans[span].1 as usize];
            for (i, x) in t.targets.iter().enumerate() {
                let dims = format!(
                    "TargetGroup={},Target={}",
                    t.target_groups[x.target_group.index()].name,
                    t.instances[x.instance.index()].name
                );
                values.push(Datapoint {
                    metric: "Target.Answered",
                    dimensions: dims.clone(),
                    value: row[columns.answered(i)],
                    state: None,
                });
                values.push(Datapoint {
                    metric: "Target.Failed",
                    dimensions: dims.clone(),
                    value: row[columns.failed_at(i)],
                    state: None,
                });
                values.push(Datapoint {
                    metric: "Target.Health",
                    dimensions: dims,
                    value: u64::from(start.all_health()[i] == TargetHealth::Healthy),
                    state: Some(start.all_health()[i].state_name()),
                });
            }
            Bucket {
                start_seconds: from.0 as f64 / 1e9,
                values,
            }
        })
        .collect();
    Metrics {
        bucket_seconds: width.as_secs_f64(),
        buckets,
    }
}
