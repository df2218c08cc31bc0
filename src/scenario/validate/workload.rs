//! The workload, the network's latencies and the run settings (docs/model.md WL-1, CLI-4,
//! TIME-1, PL-8).

use super::{Checker, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{Network, Run, Workload};
use crate::time::Span;

/// `[workload]`, `[network]` and `[run]`, with their defaults.
pub(super) fn settings(c: &mut Checker<'_>) -> (Workload, Network, Run) {
    let raw = c.raw;
    let w = &raw.workload;
    let mut clients = Vec::new();
    if w.clients.is_empty() {
        c.error(
            kp!["workload", "clients"],
            None,
            "the workload needs at least one client instance",
        );
    }
    for (k, client) in w.clients.iter().enumerate() {
        if let Some(i) = c.reference(
            &raw.instances,
            "instance",
            kp!["workload", "clients"].index(k),
            client,
        ) {
            if w.clients[..k].contains(client) {
                c.error(
                    kp!["workload", "clients"].index(k),
                    Some(quoted(client)),
                    "client is listed twice (each flow picks one client uniformly)",
                );
                continue;
            }
            clients.push(InstanceId::from_index(i));
        }
    }
    c.one_of(
        kp!["workload", "protocol"],
        w.protocol.as_deref(),
        &["tcp"],
        "protocol (endpoint services carry TCP only)",
    );
    let arrival_rate = w.arrival_rate.unwrap_or(100.0);
    if !(arrival_rate.is_finite() && arrival_rate > 0.0 && arrival_rate <= 1e9) {
        c.error(
            kp!["workload", "arrival_rate"],
            Some(arrival_rate.to_string()),
            "arrival_rate must be above 0 and at most 1e9 flows per second",
        );
    }
    let connect_timeout = w.connect_timeout.map_or(Span::from_secs(10), |d| d.0);
    if connect_timeout == Span(0) {
        c.error(
            kp!["workload", "connect_timeout"],
            Some(quoted("0s")),
            "connect_timeout must be above zero",
        );
    }
    if !is_dns_name(&w.host) {
        c.error(
            kp!["workload", "host"],
            Some(quoted(&w.host)),
            "host must be a DNS name: labels of letters, digits, hyphens and underscores, 1-63 characters each, not starting or ending with a hyphen, 253 in all",
        );
    }
    let workload = Workload {
        clients,
        host: w.host.trim_end_matches('.').to_ascii_lowercase(),
        port: w.port.unwrap_or(80),
        path: w.path.clone().unwrap_or_else(|| "/".into()),
        arrival_rate,
        connect_timeout,
        dns_cache: w.dns_cache.unwrap_or(true),
    };

    let n = &raw.network;
    let network = Network {
        same_az: n.same_az_latency.map_or(Span::from_micros(50), |d| d.0),
        cross_az: n.cross_az_latency.map_or(Span::from_micros(500), |d| d.0),
        resolver: n.resolver_latency.map_or(Span::from_micros(200), |d| d.0),
        privatelink: n
            .privatelink_latency
            .map_or(Span::from_micros(100), |d| d.0),
    };
    let run = Run {
        seed: raw.run.seed.unwrap_or(1),
        flows: raw.run.flows.unwrap_or(30_000),
    };
    if run.flows == 0 {
        c.error(
            kp!["run", "flows"],
            Some("0".into()),
            "flows must be at least 1",
        );
    } else if let (true, Err(years)) = (
        arrival_rate.is_finite() && arrival_rate > 0.0,
        crate::time::arrivals_fit(run.flows, arrival_rate),
    ) {
        c.error(
            kp!["run", "flows"],
            Some(run.flows.to_string()),
            format!(
                "{} flows at workload.arrival_rate = {arrival_rate} flows/s is about {years:.3e} years of simulated time; sim's clock holds 584 years (64-bit nanoseconds): run fewer flows or raise arrival_rate",
                run.flows
            ),
        );
    }
    (workload, network, run)
}

/// A DNS name as Route 53 takes it: dot-separated labels of letters, digits, hyphens and
/// underscores, 1-63 characters, no hyphen at either end; 253 characters in all (a trailing dot
/// allowed).
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn the_workload_names_distinct_clients_a_host_and_sane_rates() {
        let clients = "clients = [\"consumer-client\"]";
        assert_error(
            &edited(&[(clients, "clients = []")]),
            "workload.clients",
            "at least one client",
        );
        assert_error(
            &edited(&[(
                clients,
                "clients = [\"consumer-client\", \"consumer-client\"]",
            )]),
            "workload.clients[1]",
            "listed twice",
        );
        assert_error(
            &edited(&[("arrival_rate = 100", "arrival_rate = 0")]),
            "workload.arrival_rate",
            "above 0",
        );
        assert_error(
            &edited(&[("arrival_rate = 100", "arrival_rate = 2e9")]),
            "workload.arrival_rate",
            "at most 1e9",
        );
        assert_error(
            &edited(&[("connect_timeout = \"10s\"", "connect_timeout = \"0s\"")]),
            "workload.connect_timeout",
            "above zero",
        );
        assert_error(
            &edited(&[("host = \"provider-nlb.example.local\"", "host = \" \"")]),
            "workload.host",
            "DNS name",
        );
        assert_error(
            &edited(&[(
                "port = 80\narrival_rate",
                "port = 80\nprotocol = \"udp\"\narrival_rate",
            )]),
            "workload.protocol",
            "TCP only",
        );
        assert_error(
            &edited(&[("flows = 100000", "flows = 0")]),
            "run.flows",
            "at least 1",
        );
        for host in [
            "provider nlb.example.local",
            "-x.example.local",
            "a..b",
            "a.b-",
        ] {
            assert_error(
                &edited(&[(
                    "host = \"provider-nlb.example.local\"",
                    &format!("host = \"{host}\""),
                )]),
                "workload.host",
                "must be a DNS name",
            );
        }
        assert_error(
            &edited(&[
                ("flows = 100000", "flows = 100000000000"),
                ("arrival_rate = 100", "arrival_rate = 1"),
            ]),
            "run.flows",
            "sim's clock holds 584 years",
        );
    }

    #[test]
    fn defaults_follow_the_documented_values() {
        let s = crate::scenario::parse("t.toml", "t", CROSSZONE).unwrap();
        let t = &s.variants[0].topology;
        assert_eq!(t.network.same_az.to_string(), "50us");
        assert_eq!(t.network.cross_az.to_string(), "500us");
        assert_eq!(t.network.resolver.to_string(), "200us");
        assert_eq!(t.network.privatelink.to_string(), "100us");
        assert_eq!(t.workload.path, "/");
    }
}
