//! The workload, the network's latencies and the run settings (docs/model.md WL-1, CLI-4,
//! TIME-1, PL-8).

use std::collections::HashMap;

use super::{Checker, number, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{Network, Run, Transport, Workload};
use crate::time::Span;

/// A server's response time when its `web_server` gives none (TIME-1).
pub(super) const DEFAULT_RESPONSE: Span = Span::from_micros(200);

/// Source ports a client has for one destination: the even half of 32768-60999 that
/// `connect()` tries first, and the odd half after it (CLI-1): 28,232 in all.
const SOURCE_PORTS: u32 = 28_232;

/// `[workload]`, `[network]` and `[run]`, with their defaults.
pub(super) fn settings(c: &mut Checker<'_>) -> (Workload, Network, Run) {
    let raw = c.raw;
    let w = &raw.workload;
    let mut clients = Vec::new();
    if w.clients.is_empty() {
        c.error(
            kp!["workload", "clients"],
            None,
            "the workload needs at least one client instance (docs/model.md WL-1)",
        );
    }
    let mut first_at: HashMap<&str, usize> = HashMap::new();
    for (k, client) in w.clients.iter().enumerate() {
        if let Some(i) = c.reference(
            &raw.instances,
            "instance",
            kp!["workload", "clients"].index(k),
            client,
        ) {
            if let Some(&first) = first_at.get(client.as_str()) {
                c.error(
                    kp!["workload", "clients"].index(k),
                    Some(quoted(client)),
                    format!(
                        "client is listed twice, at workload.clients[{first}] and [{k}] (each flow picks one client uniformly: list it once) (docs/model.md WL-1)"
                    ),
                );
                continue;
            }
            first_at.insert(client.as_str(), k);
            clients.push(InstanceId::from_index(i));
        }
    }
    let protocol = match w.protocol.as_deref() {
        None => Transport::Tcp,
        Some(p) if p.eq_ignore_ascii_case("tcp") => Transport::Tcp,
        Some(p) if p.eq_ignore_ascii_case("udp") => Transport::Udp,
        Some(p) => {
            c.error(
                kp!["workload", "protocol"],
                Some(quoted(p)),
                "protocol must be \"tcp\" or \"udp\" (docs/model.md NLB-17)",
            );
            Transport::Tcp
        }
    };
    let arrival_rate = w.arrival_rate.unwrap_or(100.0);
    let mut rate_ok = arrival_rate.is_finite() && arrival_rate > 0.0 && arrival_rate <= 1e9;
    if !rate_ok {
        c.error(
            kp!["workload", "arrival_rate"],
            Some(number(arrival_rate)),
            "arrival_rate must be above 0 and at most 1e9 flows per second (docs/model.md WL-1)",
        );
    } else if crate::time::arrivals_fit(1, arrival_rate).is_err() {
        rate_ok = false;
        c.error(
            kp!["workload", "arrival_rate"],
            Some(number(arrival_rate)),
            "arrival_rate is so low that a single flow's arrival could outlast sim's clock (584 years of 64-bit nanoseconds)",
        );
    }
    if w.port == Some(0) {
        c.error(
            kp!["workload", "port"],
            Some("0".into()),
            "port must be 1 to 65535",
        );
    }
    let connect_timeout = w.connect_timeout.map_or(Span::from_secs(10), |d| d.0);
    if connect_timeout == Span(0) {
        c.error(
            kp!["workload", "connect_timeout"],
            Some(quoted("0s")),
            "connect_timeout must be above zero (docs/model.md CLI-4)",
        );
    }
    if !is_dns_name(&w.host) {
        c.error(
            kp!["workload", "host"],
            Some(quoted(&w.host)),
            "host must be a DNS name: labels of letters, digits, hyphens and underscores, 1-63 characters each, not starting or ending with a hyphen, 253 in all",
        );
    }
    let connection = w.connection.as_ref().map(|conn| {
        let path = kp!["workload", "connection"];
        // Spelt exactly, as `hash` is: a case-insensitive match would accept "Exponential" and
        // leave the model to read it as fixed.
        let exponential = match conn.distribution.as_deref() {
            None | Some("fixed") => false,
            Some("exponential") => true,
            Some(other) => {
                c.error(
                    path.key("distribution"),
                    Some(quoted(other)),
                    "distribution must be \"fixed\" or \"exponential\" (docs/model.md CONN-1)",
                );
                false
            }
        };
        if conn.duration.0 == Span(0) {
            c.error(
                path.key("duration"),
                Some(quoted("0s")),
                "duration must be above zero (docs/model.md CONN-1); omit [workload.connection] for curl-like flows, closed after their first response",
            );
        }
        if conn.request_interval.is_some_and(|i| i.0 == Span(0)) {
            c.error(
                path.key("request_interval"),
                Some(quoted("0s")),
                "request_interval must be above zero (docs/model.md CONN-1); omit it for connections idle after their first response",
            );
        }
        crate::model::Connection {
            duration: conn.duration.0,
            exponential,
            request_interval: conn.request_interval.map(|i| i.0),
        }
    });
    // Source ports (CONN-6): a client has 28,232 for one destination; refuse a workload that
    // keeps more connections open per client than that.
    if let (Some(conn), true, false) = (&connection, rate_ok, clients.is_empty()) {
        let per_client = arrival_rate / clients.len() as f64 * conn.duration.as_secs_f64();
        if per_client > SOURCE_PORTS as f64 {
            c.error(
                kp!["workload", "connection", "duration"],
                Some(quoted(&conn.duration.to_string())),
                format!(
                    "about {} connections would be open at once per client ({} flows/s over {} client{}, each open {}{}): more than the {SOURCE_PORTS} source ports a client has for one destination (docs/model.md CONN-6); lower arrival_rate or duration, or add clients",
                    number(per_client.round()),
                    number(arrival_rate),
                    clients.len(),
                    if clients.len() == 1 { "" } else { "s" },
                    conn.duration,
                    if conn.exponential { " on average" } else { "" },
                ),
            );
        }
    }
    let workload = Workload {
        clients,
        host: w.host.trim_end_matches('.').to_ascii_lowercase(),
        port: w.port.unwrap_or(80),
        protocol,
        path: w.path.clone().unwrap_or_else(|| "/".into()),
        arrival_rate,
        connect_timeout,
        dns_cache: w.dns_cache.unwrap_or(true),
        connection,
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
    } else if let (true, Err(years)) = (rate_ok, crate::time::arrivals_fit(run.flows, arrival_rate))
    {
        c.error(
            kp!["run", "flows"],
            Some(run.flows.to_string()),
            format!(
                "{} flows at workload.arrival_rate = {} flows/s is about {years:.3e} years of simulated time; sim's clock holds 584 years (64-bit nanoseconds): run fewer flows or raise arrival_rate",
                run.flows,
                number(arrival_rate)
            ),
        );
    }
    longest_path(c, &workload, &network);
    (workload, network, run)
}

/// TIME-1, CLI-4: the longest time a flow's path can take (a resolver round trip, four one-way
/// trips of client -> ENI, PrivateLink and node -> target at the larger of the two zone
/// latencies, the slowest server, and curl's connect timeout on top, a bound on every path)
/// must fit in what the clock leaves after the arrivals ([`crate::time::PATH_ROOM`]), so that
/// no flow's time saturates the 64-bit clock. Refused, at the largest term's key.
fn longest_path(c: &mut Checker<'_>, w: &Workload, n: &Network) {
    let raw = c.raw;
    let ns = |s: Span| u128::from(s.as_nanos());
    let (leg_key, leg) = if n.cross_az >= n.same_az {
        ("cross_az_latency", n.cross_az)
    } else {
        ("same_az_latency", n.same_az)
    };
    let mut terms = vec![
        (kp!["network", "resolver_latency"], n.resolver, 2),
        (kp!["network", leg_key], leg, 8),
        (kp!["network", "privatelink_latency"], n.privatelink, 4),
        (kp!["workload", "connect_timeout"], w.connect_timeout, 1),
    ];
    let slowest = raw
        .instances
        .iter()
        .filter_map(|(name, i)| {
            let server = i.web_server.as_ref()?;
            Some((name, server.response_time.map_or(DEFAULT_RESPONSE, |d| d.0)))
        })
        .max_by_key(|(_, time)| *time);
    if let Some((name, time)) = slowest {
        terms.push((
            kp!["instances", name, "web_server", "response_time"],
            time,
            1,
        ));
    }
    let total: u128 = terms.iter().map(|(_, x, k)| k * ns(*x)).sum();
    let room = ns(crate::time::PATH_ROOM);
    if total <= room {
        return;
    }
    let (path, value, _) = terms
        .iter()
        .max_by_key(|(_, x, k)| k * ns(*x))
        .expect("there are terms");
    c.error(
        path.clone(),
        Some(quoted(&value.to_string())),
        format!(
            "the longest flow path these settings allow (2 x resolver_latency + 4 x (2 x {leg_key} + privatelink_latency) + the slowest response_time + connect_timeout) is about {} years; sim's clock leaves {} years for a flow after its arrival (64-bit nanoseconds): use realistic latencies and timeouts",
            number_years(total),
            number_years(room)
        ),
    );
}

/// Nanoseconds as years, for messages.
fn number_years(ns: u128) -> String {
    format!("{:.3e}", ns as f64 / 1e9 / (365.25 * 86_400.0))
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
            "carries TCP only, so UDP cannot cross PrivateLink (docs/model.md PL-8)",
        );
        assert_error(
            &edited(&[(
                "port = 80\narrival_rate",
                "port = 80\nprotocol = \"quic\"\narrival_rate",
            )]),
            "workload.protocol",
            "\"tcp\" or \"udp\"",
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

    /// The seed scenario with `[workload.connection]` holding `lines`.
    fn with_connection(lines: &str) -> String {
        edited(&[(
            "dns_cache = true\n",
            &format!("dns_cache = true\n\n[workload.connection]\n{lines}\n"),
        )])
    }

    /// The workload's connection settings once `text` validates.
    fn connection(text: &str) -> Option<crate::model::Connection> {
        let s = crate::scenario::parse("t.toml", "t", text).unwrap_or_else(|e| panic!("{e:#?}"));
        s.variants[0].topology.workload.connection
    }

    #[test]
    fn connections_take_a_duration_a_distribution_and_a_request_interval() {
        use crate::model::Connection;
        use crate::time::Span;
        // Omitted: curl-like flows.
        assert_eq!(connection(CROSSZONE), None);
        // Only the duration: fixed, no keep-alive requests. (The seed's 100 flows/s keep up to
        // 28,232 open on its one client: durations up to 282 s.)
        assert_eq!(
            connection(&with_connection("duration = \"240s\"")),
            Some(Connection {
                duration: Span::from_secs(240),
                exponential: false,
                request_interval: None,
            })
        );
        assert_eq!(
            connection(&with_connection(
                "duration = 90\ndistribution = \"fixed\"\nrequest_interval = \"1.5s\""
            )),
            Some(Connection {
                duration: Span::from_secs(90),
                exponential: false,
                request_interval: Some(Span::from_millis(1500)),
            })
        );
        assert_eq!(
            connection(&with_connection(
                "duration = \"4m\"\ndistribution = \"exponential\"\nrequest_interval = \"60s\""
            )),
            Some(Connection {
                duration: Span::from_secs(240),
                exponential: true,
                request_interval: Some(Span::from_secs(60)),
            })
        );
        // An inline table in [workload] works as well.
        assert_eq!(
            connection(&edited(&[(
                "dns_cache = true\n",
                "dns_cache = true\nconnection = { duration = \"1s\", distribution = \"exponential\" }\n",
            )]))
            .map(|c| (c.duration, c.exponential)),
            Some((Span::from_secs(1), true))
        );
    }

    #[test]
    fn connections_need_a_duration_and_interval_above_zero_and_a_known_distribution() {
        assert_error(
            &with_connection("duration = \"0s\""),
            "workload.connection.duration",
            "duration must be above zero (docs/model.md CONN-1); omit [workload.connection] for curl-like flows",
        );
        assert_error(
            &with_connection("duration = 0\ndistribution = \"exponential\""),
            "workload.connection.duration",
            "duration must be above zero (docs/model.md CONN-1)",
        );
        assert_error(
            &with_connection("duration = \"60s\"\nrequest_interval = \"0ms\""),
            "workload.connection.request_interval",
            "request_interval must be above zero (docs/model.md CONN-1); omit it for connections idle after their first response",
        );
        for distribution in ["pareto", "Exponential", ""] {
            assert_error(
                &with_connection(&format!(
                    "duration = \"60s\"\ndistribution = \"{distribution}\""
                )),
                "workload.connection.distribution",
                "distribution must be \"fixed\" or \"exponential\" (docs/model.md CONN-1)",
            );
        }
        assert_error(
            &with_connection("request_interval = \"60s\""),
            "workload.connection",
            "missing key `duration`",
        );
        assert_error(
            &with_connection("duration = \"60s\"\nmean = \"60s\""),
            "workload.connection.mean",
            "unknown key",
        );
    }

    /// The seed scenario at `rate` flows/s with connections open `duration` (TOML), over its one
    /// client or, with `three`, over three clients (one per consumer subnet).
    fn with_open_connections(rate: &str, duration: &str, three: bool) -> String {
        let rate = format!("arrival_rate = {rate}");
        let connection =
            format!("dns_cache = true\n\n[workload.connection]\nduration = {duration}\n");
        let mut edits = vec![
            ("arrival_rate = 100", rate.as_str()),
            ("dns_cache = true\n", connection.as_str()),
        ];
        if three {
            edits.push((
                "clients = [\"consumer-client\"]",
                "clients = [\"consumer-client\", \"client-2\", \"client-3\"]",
            ));
            edits.push((
                "[instances.consumer-client]\n",
                "[instances.client-2]\nsubnet_id = \"consumer-2\"\n\n[instances.client-3]\nsubnet_id = \"consumer-3\"\n\n[instances.consumer-client]\n",
            ));
        }
        edited(&edits)
    }

    #[test]
    fn a_client_keeps_at_most_28232_connections_open_for_one_destination() {
        // 1000 flows/s, each open 60 s, on one client: about 60,000 open at once.
        assert_error(
            &with_open_connections("1000", "\"60s\"", false),
            "workload.connection.duration",
            "about 60000 connections would be open at once per client (1000 flows/s over 1 client, each open 60s): more than the 28232 source ports a client has for one destination (docs/model.md CONN-6); lower arrival_rate or duration, or add clients",
        );
        // The mean of an exponential duration counts the same.
        assert_error(
            &with_open_connections("1000", "\"60s\"\ndistribution = \"exponential\"", false),
            "workload.connection.duration",
            "(1000 flows/s over 1 client, each open 60s on average)",
        );
        // Over three clients: 20,000 each.
        assert_valid(&with_open_connections("1000", "\"60s\"", true));
        assert_error(
            &with_open_connections("1500", "\"60s\"", true),
            "workload.connection.duration",
            "about 30000 connections would be open at once per client (1500 flows/s over 3 clients, each open 60s)",
        );
        // The edge: 28,232 open at once is the limit, one more is refused.
        assert_valid(&with_open_connections("28232", "\"1s\"", false));
        assert_error(
            &with_open_connections("28233", "\"1s\"", false),
            "workload.connection.duration",
            "about 28233 connections would be open at once per client",
        );
        // Curl-like flows hold no port open: any rate goes.
        assert_valid(&edited(&[("arrival_rate = 100", "arrival_rate = 1000000")]));
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
