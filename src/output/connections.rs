//! How the connections of a workload whose connections live ended (docs/model.md CONN-1 to
//! CONN-5): per way of ending, the connections, their share and when the first and last ended;
//! the same per target; the requests they carried. Plain data for the report, read from the
//! tally.

use serde::Serialize;

use crate::model::Topology;
use crate::rules::connection::End;
use crate::sim::tally::Tally;

/// The connections of one variant's run.
#[derive(Clone, Debug, Serialize)]
pub struct Connections {
    /// How long they stay open, in words.
    pub lifetime: String,
    /// Connections opened (answered flows).
    pub opened: u64,
    /// Per way of ending that happened, in report order.
    pub ends: Vec<EndLine>,
    /// Per target with connections, how they ended.
    pub targets: Vec<TargetEnds>,
    /// Requests sent over all connections, the first of each included.
    pub requests: u64,
    /// Requests that timed out or were reset.
    pub requests_failed: u64,
}

/// One way of ending.
#[derive(Clone, Debug, Serialize)]
pub struct EndLine {
    /// Its code (`CLOSED`, `RESET_UNHEALTHY`, ...).
    pub code: &'static str,
    /// The rule that gives it.
    pub rule: &'static str,
    /// Connections that ended so.
    pub connections: u64,
    /// Their share of the connections opened.
    pub share: f64,
    /// When the first and the last ended, seconds.
    pub first_seconds: f64,
    /// See `first_seconds`.
    pub last_seconds: f64,
}

/// How one target's connections ended.
#[derive(Clone, Debug, Serialize)]
pub struct TargetEnds {
    /// Instance name.
    pub target: String,
    /// Connections per way of ending that happened (code, connections).
    pub ends: Vec<(&'static str, u64)>,
}

fn secs(ns: u64) -> f64 {
    (ns as f64 / 1e6).round() / 1e3
}

/// The connections of `t`'s run counted in `tally` (`None` when its connections do not live).
pub fn connections(t: &Topology, tally: &Tally) -> Option<Connections> {
    let spec = t.workload.connection.as_ref()?;
    let c = &tally.connections;
    let opened = c.total();
    let ends = End::ALL
        .iter()
        .filter(|e| c.ends[e.index()] > 0)
        .map(|&e| EndLine {
            code: e.code(),
            rule: e.rule(),
            connections: c.ends[e.index()],
            share: ((c.ends[e.index()] as f64 / opened.max(1) as f64) * 1e6).round() / 1e6,
            first_seconds: secs(c.first[e.index()]),
            last_seconds: secs(c.last[e.index()]),
        })
        .collect();
    let targets = t
        .targets
        .iter()
        .zip(&c.target_ends)
        .filter(|(_, ends)| ends.iter().any(|&n| n > 0))
        .map(|(x, ends)| TargetEnds {
            target: t.instances[x.instance.index()].name.clone(),
            ends: End::ALL
                .iter()
                .filter(|e| ends[e.index()] > 0)
                .map(|e| (e.code(), ends[e.index()]))
                .collect(),
        })
        .collect();
    let lifetime = format!(
        "{} {}{}",
        if spec.exponential {
            "exponential, mean"
        } else {
            "fixed"
        },
        spec.duration,
        spec.request_interval
            .map_or(", idle after the first response".to_string(), |p| {
                format!(", a request every {p}")
            })
    );
    Some(Connections {
        lifetime,
        opened,
        ends,
        targets,
        requests: c.requests,
        requests_failed: c.requests_failed,
    })
}
