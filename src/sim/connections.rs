//! What both engines do with an answered flow when the workload's connections live
//! (docs/model.md CONN-1): its connection, open from its establishment for its drawn duration,
//! and how it ends ([`crate::rules::connection::fate`]). One function, so that the event loop
//! (which keeps the connection in flight until its end) and the bulk engine (which counts it at
//! once) count the same.

use crate::model::Topology;
use crate::rules::connection::{self, Fate, Open};
use crate::time::SimTime;
use crate::timeline::Timeline;
use crate::walk::{Ended, Hop, HopKind};

/// The end of flow `flow`'s connection, which started at `start` and whose walk ended as `ended`,
/// its duration keyed `key` ([`connection::duration_key`] of the seed): `None` when the
/// workload's connections do not live or the flow was not answered.
pub fn fate_of(
    t: &Topology,
    timeline: &Timeline,
    key: u64,
    flow: u64,
    start: SimTime,
    ended: &Ended,
) -> Option<Fate> {
    let spec = t.workload.connection.as_ref()?;
    let (Ok(()), Some(node), Some(target)) = (ended.outcome, ended.node, ended.target) else {
        return None;
    };
    let established = start.after(ended.established);
    let answered = start.after(ended.at);
    let close = established
        .after(connection::duration(key, flow, spec))
        .max(answered);
    Some(connection::fate(
        t,
        timeline,
        spec,
        &Open {
            established,
            answered,
            close,
            eni: ended.eni,
            hash: ended.hash,
            node,
            target,
        },
    ))
}

/// The hop `sim explain` shows for the end of a connection of a flow that started at `start`.
pub fn ended_hop(start: SimTime, fate: Fate, ended: &Ended) -> Hop {
    Hop {
        at: fate.at.since(start),
        rules: fate.end.rules(),
        kind: HopKind::ConnectionEnded {
            fate,
            target: ended.target.expect("an open connection has a target"),
        },
    }
}
