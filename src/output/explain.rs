//! Teaching output: `sim explain` traces one flow hop by hop, `sim check` summarises what a
//! scenario builds (zones by AZ ID, nodes, ENI -> node bindings, target health, DNS names).

use std::fmt::Write as _;

use crate::output::report::health_label;
use crate::scenario::Scenario;
use crate::sim::events::{self, RunOptions};

/// The assumptions a trace relies on, stated with every trace (aws-behaviour 1.2, 5.4).
const ASSUMPTIONS: &str = "\
Stated assumptions (AWS does not publish these):
  - the flow hash is NLB-like: a 64-bit hash of protocol, source IP and port, destination IP and port
    and the initial sequence number, mapped uniformly onto the eligible targets; AWS's own function
    is not public
  - the node hashes the client's connection as sent to the endpoint ENI (client IP and port, ENI IP
    and port) and its sequence number
  - target health is settled before the first flow (registration and initial checks are over)
";

/// The hop-by-hop trace of flow `flow` in every variant of `scenario`.
pub fn explain(scenario: &Scenario, flow: u64, seed: Option<u64>) -> Result<String, String> {
    let mut out = String::new();
    for variant in &scenario.variants {
        let t = &variant.topology;
        let seed = seed.unwrap_or(t.run.seed);
        let options = RunOptions {
            flows: flow.checked_add(1).ok_or("--flow is too large")?,
            seed,
            trace_flow: Some(flow),
        };
        let tally = events::run(t, &options);
        let _ = writeln!(
            out,
            "flow {flow} of scenario {} (seed {seed}), variant \"{}\"",
            scenario.name, variant.name
        );
        for line in &tally.trace {
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
    }
    out.push_str(ASSUMPTIONS);
    Ok(out)
}

/// A summary of what each variant of `scenario` builds.
pub fn summary(scenario: &Scenario) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {} ({}): valid, {} variant(s)",
        scenario.name,
        scenario.file,
        scenario.variants.len()
    );
    for variant in &scenario.variants {
        let t = &variant.topology;
        let _ = writeln!(out, "\nvariant \"{}\"", variant.name);
        for vpc in &t.vpcs {
            let _ = writeln!(
                out,
                "  VPC {} {} (account {})",
                vpc.name,
                vpc.cidr,
                t.accounts[vpc.account.index()].name
            );
        }
        for lb in &t.load_balancers {
            let _ = writeln!(
                out,
                "  load balancer {} (cross-zone {})",
                lb.name,
                if lb.cross_zone { "on" } else { "off" }
            );
            for n in &lb.nodes {
                let node = &t.nodes[n.index()];
                let (az, az_id) = t.az_label(node.subnet);
                let _ = writeln!(
                    out,
                    "    node {} in {} ({az}, {az_id})",
                    node.ip,
                    t.subnets[node.subnet.index()].name
                );
            }
        }
        for target in &t.targets {
            let instance = &t.instances[target.instance.index()];
            let (az, az_id) = t.az_label(instance.subnet);
            let _ = writeln!(
                out,
                "  target {} {} in {} ({az}, {az_id}) of {}: {}",
                instance.name,
                instance.ip,
                t.subnets[instance.subnet.index()].name,
                t.target_groups[target.target_group.index()].name,
                health_label(target.health)
            );
        }
        for endpoint in &t.endpoints {
            let _ = writeln!(out, "  endpoint {} ({})", endpoint.name, endpoint.dns_name);
            for e in &endpoint.enis {
                let eni = &t.enis[e.index()];
                let (az, az_id) = t.az_label(eni.subnet);
                let node = &t.nodes[eni.node.index()];
                let _ = writeln!(
                    out,
                    "    ENI {} in {} ({az}, {az_id}) -> node {} ({})",
                    eni.ip,
                    t.subnets[eni.subnet.index()].name,
                    node.ip,
                    t.subnets[node.subnet.index()].name
                );
            }
        }
        for zone in &t.hosted_zones {
            for record in &zone.records {
                let _ = writeln!(out, "  record {} (TTL {})", record.fqdn, record.ttl);
            }
        }
    }
    out
}
