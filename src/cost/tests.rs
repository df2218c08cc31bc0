//! The cost arithmetic: data tiers, hours begun, the NLCU's largest dimension and its protocol,
//! the ENIs' stretches of existence; and the lines of a real run.

use super::prices::{self, NLCU_TCP, NLCU_TLS, NLCU_UDP, Price, Prices};
use super::*;
use crate::sim::bulk::{self, BulkOptions};

const CROSSZONE: &str = include_str!("../../scenarios/crosszone.toml");
const H: u64 = HOUR_NS;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn the_data_tiers_change_price_at_1_pb_and_5_pb() {
    let tiers = Prices::default().endpoint_per_gb;
    assert_eq!(tiered_usd(0.0, &tiers), 0.0);
    assert!(close(tiered_usd(1.0, &tiers), 0.01));
    assert!(close(tiered_usd(1e6, &tiers), 10_000.0));
    assert!(close(tiered_usd(1e6 + 1.0, &tiers), 10_000.006));
    assert!(close(tiered_usd(5e6, &tiers), 10_000.0 + 4e6 * 0.006));
    assert!(close(tiered_usd(6e6, &tiers), 34_000.0 + 1e6 * 0.004));
    assert_eq!(
        [0.0, 1e6, 1e6 + 1.0, 5e6, 5e6 + 1.0, 1e9].map(tier_of),
        [0, 0, 1, 1, 2, 2]
    );
    // The scenario's flat price applies to every tier.
    let flat = [Price::scenario(0.5); 3];
    assert!(close(tiered_usd(7e6, &flat), 3.5e6));
}

#[test]
fn a_partial_hour_counts_whole_and_an_hour_counts_once() {
    // One nanosecond, a whole hour, a hour and a nanosecond.
    assert_eq!(hours_begun(&[(0, 1)], 1), 1);
    assert_eq!(hours_begun(&[(0, H)], H), 1);
    assert_eq!(hours_begun(&[(0, H + 1)], H + 1), 2);
    // Two stretches in one hour: once; across the hour's end: both hours.
    assert_eq!(hours_begun(&[(0, 10), (20, 30)], 5 * H), 1);
    assert_eq!(hours_begun(&[(H - 1, H + 1)], 5 * H), 2);
    assert_eq!(hours_begun(&[(10, 20), (H - 5, 2 * H + 3)], 5 * H), 3);
    // Clipped to the run; a stretch that starts at its end counts nothing.
    assert_eq!(hours_begun(&[(0, 10 * H)], 2 * H + 1), 3);
    assert_eq!(hours_begun(&[(3 * H, 4 * H)], 3 * H), 0);
    assert_eq!(hours_begun(&[], 3 * H), 0);
}

#[test]
fn an_hours_nlcus_are_its_largest_dimension() {
    assert!(close(nlcus_of_hour(800.0, 0.0, 0.0, &NLCU_TCP), 1.0));
    assert!(close(nlcus_of_hour(0.0, 200_000.0, 0.0, &NLCU_TCP), 2.0));
    assert!(close(nlcus_of_hour(0.0, 0.0, 3.0, &NLCU_TCP), 3.0));
    assert!(close(nlcus_of_hour(400.0, 150_000.0, 0.25, &NLCU_TCP), 1.5));
    assert!(close(
        nlcus_of_hour(1600.0, 150_000.0, 0.25, &NLCU_TCP),
        2.0
    ));
}

#[test]
fn udp_and_tls_hold_fewer_connections_per_nlcu_than_tcp() {
    // 400 new flows a second: half a TCP NLCU, a whole UDP one, 8 TLS ones.
    assert!(close(nlcus_of_hour(400.0, 0.0, 0.0, &NLCU_TCP), 0.5));
    assert!(close(nlcus_of_hour(400.0, 0.0, 0.0, &NLCU_UDP), 1.0));
    assert!(close(nlcus_of_hour(400.0, 0.0, 0.0, &NLCU_TLS), 8.0));
    assert!(close(nlcus_of_hour(0.0, 50_000.0, 0.0, &NLCU_UDP), 1.0));
    assert!(close(nlcus_of_hour(0.0, 3_000.0, 0.0, &NLCU_TLS), 1.0));
    // GB: one per NLCU-hour whatever the protocol.
    for dims in [NLCU_TCP, NLCU_UDP, NLCU_TLS] {
        assert!(close(nlcus_of_hour(0.0, 0.0, 2.0, &dims), 2.0));
    }
    // Which a load balancer's listener uses.
    let dims_of = |text: &str| {
        let s = crate::scenario::parse("t.toml", "t", text).expect("valid");
        let t = &s.variants[0].topology;
        dimensions(t, crate::model::ids::LoadBalancerId::from_index(0)).traffic
    };
    assert_eq!(dims_of(CROSSZONE), "TCP");
    let tls = CROSSZONE.replacen(
        "{ port = 80, protocol = \"TCP\", target_group = \"web\" }",
        "{ port = 80, protocol = \"TLS\", target_group = \"web\" }",
        1,
    );
    assert_eq!(dims_of(&tls), "TLS");
    assert_eq!(
        dims_of(include_str!("../../scenarios/udp.toml")),
        "UDP",
        "a UDP workload"
    );
}

/// The cost of crosszone's variant `variant` after `edits`, run on the bulk engine.
fn crosszone_cost(edits: &[(&str, &str)], variant: usize, flows: u64) -> Cost {
    let mut text = CROSSZONE.to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "crosszone.toml has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    let s = crate::scenario::parse("t.toml", "t", &text).expect("valid");
    let t = &s.variants[variant].topology;
    let tally = bulk::run(
        t,
        &BulkOptions {
            flows,
            seed: 3,
            threads: 1,
        },
        None,
    );
    cost(t, &tally)
}

fn line<'a>(c: &'a Cost, key: &str) -> &'a CostLine {
    c.lines.iter().find(|l| l.key == key).expect("a line")
}

#[test]
fn an_eni_counts_the_hours_it_existed() {
    // 30,000 flows at 5/s: about 6,000 s, two hours begun. consumer-2 joins at 4,000 s (hour 2
    // only) and consumer-3 from 100 s to 200 s (hour 1 only).
    let events = "[[events]]\nat = \"4000s\"\nadd_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" }\n\n[[events]]\nat = \"100s\"\nadd_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-3\" }\n\n[[events]]\nat = \"200s\"\nremove_endpoint_subnet = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-3\" }\n\n[[variants]]";
    let c = crosszone_cost(
        &[
            ("arrival_rate = 100", "arrival_rate = 5"),
            ("[[variants]]", events),
        ],
        0,
        30_000,
    );
    let hours = line(&c, "endpoint_hours");
    assert_eq!(hours.quantity, 2.0 + 1.0 + 1.0, "{hours:?}");
    assert!(close(hours.usd, 4.0 * 0.01));
    assert_eq!(line(&c, "nlb_hours").quantity, 2.0);
    // The month: the mean count of ENIs over the run, 730 hours.
    let span = 30_000.0 / 5.0;
    let mean_enis = 1.0 + (span - 4_000.0) / span + 100.0 / span;
    assert!(
        (hours.quantity_per_month - mean_enis * MONTH_HOURS).abs() < 0.05 * MONTH_HOURS,
        "{hours:?}"
    );
}

#[test]
fn the_lines_add_up_and_each_side_pays_its_own() {
    let c = crosszone_cost(&[], 1, 20_000);
    let keys: Vec<&str> = c.lines.iter().map(|l| l.key).collect();
    assert_eq!(
        keys,
        [
            "inter_az_client_leg",
            "inter_az_node_target",
            "endpoint_hours",
            "endpoint_data",
            "nlb_hours",
            "nlcu"
        ]
    );
    let paid = |payer: &str| -> f64 {
        c.lines
            .iter()
            .filter(|l| l.payer == payer)
            .map(|l| l.usd)
            .sum()
    };
    assert_eq!(c.consumer_usd, paid(CONSUMER));
    assert_eq!(c.provider_usd, paid(PROVIDER));
    assert!(close(c.total_usd, c.consumer_usd + c.provider_usd));
    for (key, payer) in [
        ("inter_az_client_leg", CONSUMER),
        ("endpoint_hours", CONSUMER),
        ("endpoint_data", CONSUMER),
        ("inter_az_node_target", PROVIDER),
        ("nlb_hours", PROVIDER),
        ("nlcu", PROVIDER),
    ] {
        assert_eq!(line(&c, key).payer, payer, "{key}");
    }
    // 100 flows/s for ~200 s: the new flows dominate, 100/800 of an NLCU for the hour begun.
    let nlcu = line(&c, "nlcu");
    assert!((nlcu.quantity - 0.125).abs() < 0.005, "{nlcu:?}");
    assert!(close(nlcu.quantity_per_month, 0.125 * MONTH_HOURS));
    assert_eq!(nlcu.price_source, "third-party");
    assert_eq!(
        line(&c, "endpoint_data").price_source,
        prices::PRIVATELINK_PRICING
    );
    // A month: the run's bytes per flow times the month's flows.
    let data = line(&c, "endpoint_data");
    assert!(close(
        data.quantity_per_month,
        data.quantity / 20_000.0 * 100.0 * 730.0 * 3600.0
    ));
}

#[test]
fn connections_that_live_are_active_for_their_duration() {
    // 100 new connections a second open 250 s each: 25,000 active, a quarter of a TCP NLCU an
    // hour in a steady month, above the new connections' eighth. The run: 20,000 connections
    // over 200 s, the last closing at 450 s: 20,000 x 250 / 450 active on average.
    let c = crosszone_cost(
        &[(
            "dns_cache = true",
            "dns_cache = true\n\n[workload.connection]\nduration = \"250s\"\ndistribution = \"fixed\"",
        )],
        0,
        20_000,
    );
    let nlcu = line(&c, "nlcu");
    assert!(
        (nlcu.quantity - 20_000.0 * 250.0 / 450.0 / 100_000.0).abs() < 0.002,
        "{nlcu:?}"
    );
    assert!((nlcu.quantity_per_month - 0.25 * MONTH_HOURS).abs() < 0.005 * MONTH_HOURS);
}
