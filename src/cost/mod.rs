//! What a variant's run costs, line by line, and who pays each line (docs/model.md COST-1 to
//! COST-4): inter-AZ data transfer on the client leg and on the NLB node -> target leg, the
//! interface endpoint's AZ-hours and data processed, the NLB's hours and NLCU-hours. Each line is
//! priced for the simulated run and projected to a 730-hour month at the workload's arrival rate.
//!
//! Computed from the tally both engines fill alike (its payload bytes per leg, the endpoint's
//! bytes, the NLB nodes' new flows and bytes per time bucket) and from the topology (the ENIs and
//! when events add or remove them, the load balancers and their listeners). The prices are
//! [`prices`]'s table, or the scenario's `[prices]`.
//!
//! Not modelled: TCP/IP header bytes (payload only, as the rest of the report), the keep-alive
//! requests of connections that live (one request and response per flow), the region's other
//! endpoints (the data tiers start from zero for this endpoint's GB alone), free tiers, savings
//! plans and LCU reservations. The NLCU-hours are an estimate (COST-3), said so in every output.

pub mod prices;

use serde::Serialize;

use crate::model::events::Action;
use crate::model::ids::LoadBalancerId;
use crate::model::{LbProtocol, Topology, Transport};
use crate::sim::tally::Tally;
use prices::{NlcuDimensions, Price};

/// Hours in the month the report projects to (365 x 24 / 12).
pub const MONTH_HOURS: f64 = 730.0;

const HOUR_NS: u64 = 3_600_000_000_000;
const HOUR_S: f64 = 3_600.0;
const GB: f64 = 1e9;

/// Who pays a line.
pub const CONSUMER: &str = "consumer";
/// See [`CONSUMER`].
pub const PROVIDER: &str = "provider";

/// The keys of the cost lines, in report order.
pub const LINE_KEYS: [&str; 6] = [
    "inter_az_client_leg",
    "inter_az_node_target",
    "endpoint_hours",
    "endpoint_data",
    "nlb_hours",
    "nlcu",
];

impl Cost {
    /// USD of line `key` (or of the sums `total`, `consumer`, `provider`), over the run or, with
    /// `month`, over a month; `None` for an unknown key.
    pub fn usd(&self, key: &str, month: bool) -> Option<f64> {
        let pick = |run: f64, per_month: f64| if month { per_month } else { run };
        match key {
            "total" => Some(pick(self.total_usd, self.month_total_usd)),
            CONSUMER => Some(pick(self.consumer_usd, self.month_consumer_usd)),
            PROVIDER => Some(pick(self.provider_usd, self.month_provider_usd)),
            _ => self
                .lines
                .iter()
                .find(|l| l.key == key)
                .map(|l| pick(l.usd, l.usd_per_month)),
        }
    }
}

/// The cost of one variant's run, and of a month like it (`Default`: no line, nothing paid).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Cost {
    /// One line per charge, in a fixed order (their keys are stable).
    pub lines: Vec<CostLine>,
    /// The consumer's lines, USD.
    pub consumer_usd: f64,
    /// The provider's lines, USD.
    pub provider_usd: f64,
    /// Every line, USD.
    pub total_usd: f64,
    /// The consumer's lines over a month, USD.
    pub month_consumer_usd: f64,
    /// The provider's lines over a month, USD.
    pub month_provider_usd: f64,
    /// Every line over a month, USD.
    pub month_total_usd: f64,
    /// Hours in that month.
    pub month_hours: f64,
    /// Flows in that month: the workload's arrival rate over [`MONTH_HOURS`].
    pub month_flows: f64,
    /// How the estimates and the projection were made, in words.
    pub notes: Vec<String>,
}

/// One charge.
#[derive(Clone, Debug, Serialize)]
pub struct CostLine {
    /// Stable key: `inter_az_client_leg`, `inter_az_node_target`, `endpoint_hours`,
    /// `endpoint_data`, `nlb_hours`, `nlcu`.
    pub key: &'static str,
    /// What is charged, in words.
    pub what: String,
    /// `consumer` or `provider`.
    pub payer: &'static str,
    /// Units charged in the run.
    pub quantity: f64,
    /// Units charged in a month.
    pub quantity_per_month: f64,
    /// The unit.
    pub unit: &'static str,
    /// USD for the run.
    pub usd: f64,
    /// USD for a month.
    pub usd_per_month: f64,
    /// USD per unit (for the data tiers, the tier the run's last GB falls in).
    pub price: f64,
    /// The price's source: an AWS page's URL, `third-party` (not from an AWS page) or `scenario`
    /// (the scenario's `[prices]`).
    pub price_source: &'static str,
}

/// The cost of the run `tally` counted on `t`.
pub fn cost(t: &Topology, tally: &Tally) -> Cost {
    let p = &t.prices;
    let span_ns = tally.end.0.max(1);
    let run_hours = span_ns.div_ceil(HOUR_NS);
    let rate = t.workload.arrival_rate;
    let month_flows = rate * MONTH_HOURS * HOUR_S;
    // Per-flow quantities scale to the month by this.
    let per_month = month_flows / tally.flows.max(1) as f64;

    let crossing = |key, what: &str, payer, bytes: u64| {
        let gb = bytes as f64 / GB;
        let each = p.inter_az_per_gb_each_direction;
        CostLine {
            key,
            what: what.to_string(),
            payer,
            quantity: gb,
            quantity_per_month: gb * per_month,
            unit: "GB",
            usd: gb * each.usd * 2.0,
            usd_per_month: gb * per_month * each.usd * 2.0,
            price: each.usd * 2.0,
            price_source: each.source.label(),
        }
    };
    let client_leg = crossing(
        "inter_az_client_leg",
        "inter-AZ, client -> endpoint ENI or NLB node",
        CONSUMER,
        tally.client_cross_az_bytes,
    );
    let node_target = crossing(
        "inter_az_node_target",
        "inter-AZ, NLB node -> target",
        PROVIDER,
        tally.cross_az_bytes,
    );

    let (az_hours, eni_seconds) = eni_hours(t, span_ns);
    let endpoint_hours = hourly(
        "endpoint_hours",
        "endpoint, per ENI (AZ) and hour begun",
        CONSUMER,
        "AZ-hours",
        az_hours as f64,
        eni_seconds / (span_ns as f64 / 1e9) * MONTH_HOURS,
        p.endpoint_per_az_hour,
    );

    let endpoint_gb = tally.endpoint_bytes as f64 / GB;
    let endpoint_gb_month = endpoint_gb * per_month;
    let tier = tier_of(endpoint_gb);
    let endpoint_data = CostLine {
        key: "endpoint_data",
        what: "endpoint, data processed (tiered)".into(),
        payer: CONSUMER,
        quantity: endpoint_gb,
        quantity_per_month: endpoint_gb_month,
        unit: "GB",
        usd: tiered_usd(endpoint_gb, &p.endpoint_per_gb),
        usd_per_month: tiered_usd(endpoint_gb_month, &p.endpoint_per_gb),
        price: p.endpoint_per_gb[tier].usd,
        price_source: p.endpoint_per_gb[tier].source.label(),
    };

    let nlbs = t.load_balancers.len() as f64;
    let nlb_hours = hourly(
        "nlb_hours",
        "NLB, per hour begun",
        PROVIDER,
        "NLB-hours",
        nlbs * run_hours as f64,
        nlbs * MONTH_HOURS,
        p.nlb_per_hour,
    );

    let lifetime = mean_lifetime_seconds(t, tally);
    let mut nlcu_hours = 0.0;
    let mut nlcu_hours_month = 0.0;
    let mut traffic: Vec<&str> = Vec::new();
    for lb in 0..t.load_balancers.len() {
        let lb = LoadBalancerId::from_index(lb);
        let dims = dimensions(t, lb);
        if !traffic.contains(&dims.traffic) {
            traffic.push(dims.traffic);
        }
        let (run, month) = nlcus(t, tally, lb, &dims, lifetime, span_ns);
        nlcu_hours += run;
        nlcu_hours_month += month;
    }
    let nlcu = hourly(
        "nlcu",
        "NLB capacity units (an estimate)",
        PROVIDER,
        "NLCU-hours",
        nlcu_hours,
        nlcu_hours_month,
        p.nlcu_per_hour,
    );

    let lines = vec![
        client_leg,
        node_target,
        endpoint_hours,
        endpoint_data,
        nlb_hours,
        nlcu,
    ];
    let sum = |payer: Option<&str>, month: bool| {
        lines
            .iter()
            .filter(|l| payer.is_none_or(|p| l.payer == p))
            .map(|l| if month { l.usd_per_month } else { l.usd })
            .sum::<f64>()
    };
    let notes = notes(t, &traffic, month_flows);
    Cost {
        consumer_usd: sum(Some(CONSUMER), false),
        provider_usd: sum(Some(PROVIDER), false),
        total_usd: sum(None, false),
        month_consumer_usd: sum(Some(CONSUMER), true),
        month_provider_usd: sum(Some(PROVIDER), true),
        month_total_usd: sum(None, true),
        month_hours: MONTH_HOURS,
        month_flows,
        notes,
        lines,
    }
}

/// A line charged per unit-hour.
fn hourly(
    key: &'static str,
    what: &str,
    payer: &'static str,
    unit: &'static str,
    quantity: f64,
    quantity_per_month: f64,
    price: Price,
) -> CostLine {
    CostLine {
        key,
        what: what.to_string(),
        payer,
        quantity,
        quantity_per_month,
        unit,
        usd: quantity * price.usd,
        usd_per_month: quantity_per_month * price.usd,
        price: price.usd,
        price_source: price.source.label(),
    }
}

/// The endpoint data tier `gb` (GB of the month) ends in: 0, 1 or 2.
pub fn tier_of(gb: f64) -> usize {
    prices::ENDPOINT_TIER_ENDS_GB
        .iter()
        .filter(|&&end| gb > end)
        .count()
}

/// USD for `gb` GB processed in a month at the tiered prices `tiers` (COST-2): the first PB at
/// the first, the next 4 PB at the second, the rest at the third.
pub fn tiered_usd(gb: f64, tiers: &[Price; 3]) -> f64 {
    let [first, second] = prices::ENDPOINT_TIER_ENDS_GB;
    let in_first = gb.min(first);
    let in_second = (gb.min(second) - first).max(0.0);
    let above = (gb - second).max(0.0);
    in_first * tiers[0].usd + in_second * tiers[1].usd + above * tiers[2].usd
}

/// The clock hours of a run `span_ns` long (from its start, the last one partial) that a thing
/// existing over `stretches` (`[from, to)` nanoseconds, in order, not overlapping) was in, at
/// least for a moment: each is billed whole (COST-2, COST-3).
pub fn hours_begun(stretches: &[(u64, u64)], span_ns: u64) -> u64 {
    let mut hours = 0;
    // The first hour not yet counted.
    let mut next = 0;
    for &(from, to) in stretches {
        let to = to.min(span_ns);
        if to <= from {
            continue;
        }
        let first = (from / HOUR_NS).max(next);
        let last = to.div_ceil(HOUR_NS); // exclusive
        if last > first {
            hours += last - first;
            next = last;
        }
    }
    hours
}

/// Each ENI's stretches of existence over the run: from the start when it is in the endpoint
/// from the start, from an `add_endpoint_subnet` event to a `remove_endpoint_subnet` (EV-10).
pub fn eni_stretches(t: &Topology, span_ns: u64) -> Vec<Vec<(u64, u64)>> {
    let mut events: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e.action {
            Action::EndpointSubnet { eni, active } => Some((e.at.0, e.index, eni.index(), active)),
            _ => None,
        })
        .collect();
    events.sort();
    let mut since: Vec<Option<u64>> = t
        .enis
        .iter()
        .map(|e| e.initially_active.then_some(0))
        .collect();
    let mut stretches = vec![Vec::new(); t.enis.len()];
    for (at, _, eni, active) in events {
        match (since[eni], active) {
            (None, true) => since[eni] = Some(at),
            (Some(from), false) => {
                stretches[eni].push((from, at));
                since[eni] = None;
            }
            _ => {}
        }
    }
    for (eni, from) in since.iter().enumerate() {
        if let Some(from) = from {
            stretches[eni].push((*from, span_ns.max(*from)));
        }
    }
    stretches
}

/// The endpoints' AZ-hours over a run `span_ns` long (each ENI's hours begun), and the seconds
/// its ENIs existed, summed.
fn eni_hours(t: &Topology, span_ns: u64) -> (u64, f64) {
    let mut hours = 0;
    let mut seconds = 0.0;
    for stretches in eni_stretches(t, span_ns) {
        hours += hours_begun(&stretches, span_ns);
        seconds += stretches
            .iter()
            .map(|&(from, to)| to.min(span_ns).saturating_sub(from) as f64 / 1e9)
            .sum::<f64>();
    }
    (hours, seconds)
}

/// The NLCU of one load balancer's listener that takes the workload: UDP flows count as UDP,
/// a TLS listener as TLS, anything else as TCP (COST-3).
pub fn dimensions(t: &Topology, lb: LoadBalancerId) -> NlcuDimensions {
    if t.workload.protocol == Transport::Udp {
        return prices::NLCU_UDP;
    }
    let tls = t.load_balancers[lb.index()].listeners.iter().any(|l| {
        let l = &t.listeners[l.index()];
        l.port == t.workload.port && l.protocol == LbProtocol::Tls
    });
    if tls {
        prices::NLCU_TLS
    } else {
        prices::NLCU_TCP
    }
}

/// NLCUs of one hour: the largest of its new connections per second, its active connections and
/// its GB processed, each over what one NLCU holds (COST-3).
pub fn nlcus_of_hour(new_per_second: f64, active: f64, gb: f64, dims: &NlcuDimensions) -> f64 {
    (new_per_second / dims.new_per_second)
        .max(active / dims.active)
        .max(gb / dims.gb_per_hour)
}

/// How long a connection stays open, on average, seconds: the workload's connection duration
/// (its mean when exponential) when connections live, the mean completion time of the answered
/// flows otherwise. Times the new connections per second, the active connections (Little's law).
fn mean_lifetime_seconds(t: &Topology, tally: &Tally) -> f64 {
    match t.workload.connection {
        Some(c) => c.duration.as_secs_f64(),
        None => {
            let (sum, count) = tally
                .completion
                .iter()
                .fold((0.0, 0u64), |(s, n), (&ns, &k)| {
                    (s + ns as f64 * k as f64, n + k)
                });
            if count == 0 {
                0.0
            } else {
                sum / count as f64 / 1e9
            }
        }
    }
}

/// The NLCU-hours of load balancer `lb` over the run, and over a month at the arrival rate.
///
/// The run: per clock hour of the run, its nodes' new flows and payload bytes (CloudWatch's
/// `NewFlowCount` and `ProcessedBytes`, from the tally's time buckets); new flows per second over
/// the run's seconds in that hour; active connections by Little's law; the hour's NLCUs the
/// largest of the three dimensions. A bucket wider than an hour (runs of days) is spread evenly
/// over its hours. The month: 730 hours like a steady one at the arrival rate.
fn nlcus(
    t: &Topology,
    tally: &Tally,
    lb: LoadBalancerId,
    dims: &NlcuDimensions,
    lifetime: f64,
    span_ns: u64,
) -> (f64, f64) {
    let series = &tally.timeline;
    let c = series.columns;
    let nodes = &t.load_balancers[lb.index()].nodes;
    let width = series.bucket.0.max(1);
    // Per stretch of uniform traffic: its start and end (ns), new flows and bytes.
    let mut stretches: Vec<(u64, u64, f64, f64)> = Vec::new();
    let (mut total_flows, mut total_bytes) = (0.0, 0.0);
    for (b, row) in series.rows.iter().enumerate() {
        let flows: u64 = nodes.iter().map(|n| row[c.node_flows(n.index())]).sum();
        let bytes: u64 = nodes.iter().map(|n| row[c.node_bytes(n.index())]).sum();
        if flows == 0 && bytes == 0 {
            continue;
        }
        let (flows, bytes) = (flows as f64, bytes as f64);
        total_flows += flows;
        total_bytes += bytes;
        let start = (b as u64).saturating_mul(width).min(span_ns - 1);
        if width <= HOUR_NS {
            // Buckets divide the hour: gather them into their hour.
            let hour = start / HOUR_NS;
            let (from, to) = (hour * HOUR_NS, ((hour + 1) * HOUR_NS).min(span_ns));
            match stretches.last_mut() {
                Some(last) if last.0 == from => {
                    last.2 += flows;
                    last.3 += bytes;
                }
                _ => stretches.push((from, to, flows, bytes)),
            }
        } else {
            let to = start.saturating_add(width).min(span_ns);
            stretches.push((start, to, flows, bytes));
        }
    }
    let mut run = 0.0;
    for (from, to, flows, bytes) in stretches {
        let seconds = ((to - from) as f64 / 1e9).max(1e-9);
        let (per_second, bytes_per_second) = (flows / seconds, bytes / seconds);
        let hour_of = |s: f64| {
            nlcus_of_hour(
                per_second,
                per_second * lifetime,
                bytes_per_second * s / GB,
                dims,
            )
        };
        let whole = (seconds / HOUR_S).floor();
        let rest = seconds - whole * HOUR_S;
        run += whole * hour_of(HOUR_S);
        if rest > 0.0 {
            run += hour_of(rest);
        }
    }
    let flows = tally.flows.max(1) as f64;
    let rate = t.workload.arrival_rate;
    let per_second = rate * total_flows / flows;
    let month = MONTH_HOURS
        * nlcus_of_hour(
            per_second,
            per_second * lifetime,
            rate * total_bytes / flows * HOUR_S / GB,
            dims,
        );
    (run, month)
}

/// The notes every output carries: how the NLCUs were estimated, how the month was projected.
fn notes(t: &Topology, traffic: &[&str], month_flows: f64) -> Vec<String> {
    let dims: Vec<String> = traffic
        .iter()
        .map(|name| {
            let d = [prices::NLCU_TCP, prices::NLCU_UDP, prices::NLCU_TLS]
                .into_iter()
                .find(|d| d.traffic == *name)
                .expect("a known traffic");
            format!(
                "{}: {} new/s, {} active, {} GB",
                d.traffic,
                crate::scenario::validate::number(d.new_per_second),
                crate::scenario::validate::number(d.active),
                crate::scenario::validate::number(d.gb_per_hour)
            )
        })
        .collect();
    let active = match t.workload.connection {
        Some(_) => "new connections/s x the connections' mean duration",
        None => "new flows/s x their mean completion time",
    };
    vec![
        format!(
            "NLCU-hours are an estimate (docs/model.md COST-3): per load balancer and hour of the run (one begun counts whole), the largest of its new flows per second, its active connections ({active}) and its GB processed, over one NLCU's ({})",
            dims.join("; ")
        ),
        format!(
            "month: {} hours at the workload's {} flows/s ({} flows): bytes per flow times those flows, the ENIs' and NLBs' mean count over the run times {} hours, NLCUs of a steady hour times {}",
            MONTH_HOURS,
            crate::scenario::validate::number(t.workload.arrival_rate),
            crate::scenario::validate::number(month_flows),
            MONTH_HOURS,
            MONTH_HOURS
        ),
    ]
}

#[cfg(test)]
mod tests;
