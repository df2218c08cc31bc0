//! The report's cost section through the binary (docs/model.md COST-1 to COST-4): what crosses
//! AZs costs, ENIs cost per AZ-hour, a `[prices]` override changes its line alone, and the table
//! marks figures not from an AWS page.

mod common;

use common::{CROSSZONE, run_json, scratch, sim, stdout};
use serde_json::Value;

fn edited(edits: &[(&str, &str)]) -> String {
    let mut text = CROSSZONE.to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "crosszone.toml has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

fn line<'a>(variant: &'a Value, key: &str) -> &'a Value {
    variant["cost"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("no line {key}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

#[test]
fn crosszone_off_pays_no_inter_az_and_on_pays_for_two_thirds_of_the_bytes() {
    let report = run_json("cost-crosszone", CROSSZONE, 30_000);
    let (off, on) = (&report["variants"][0], &report["variants"][1]);
    for key in ["inter_az_client_leg", "inter_az_node_target"] {
        assert_eq!(f(&line(off, key)["usd"]), 0.0, "{key}");
        assert_eq!(f(&line(off, key)["quantity"]), 0.0, "{key}");
    }
    // The endpoint processes every answered flow's bytes; on, two thirds of them cross.
    let crossing = f(&line(on, "inter_az_node_target")["quantity"]);
    let all = f(&line(on, "endpoint_data")["quantity"]);
    assert!(
        (crossing / all - 2.0 / 3.0).abs() < 0.02,
        "{crossing} of {all} GB"
    );
    let node_target = line(on, "inter_az_node_target");
    assert_eq!(node_target["payer"], "provider");
    assert_eq!(f(&node_target["price"]), 0.02, "$0.01 each way, both ends");
    assert!((f(&node_target["usd"]) - crossing * 0.02).abs() < 1e-12);
    // The old field is that line.
    assert_eq!(on["cross_az"]["cost_usd"], node_target["usd"]);
    // The client is in the ENI's zone: its leg never crosses.
    assert_eq!(f(&line(on, "inter_az_client_leg")["quantity"]), 0.0);
    let cost = &on["cost"];
    assert!(
        (f(&cost["total_usd"]) - f(&cost["consumer_usd"]) - f(&cost["provider_usd"])).abs() < 1e-12
    );
}

#[test]
fn a_client_in_another_zone_pays_for_its_leg() {
    let text = edited(&[(
        "[instances.consumer-client]\nsubnet_id = \"consumer-1\"",
        "[instances.consumer-client]\nsubnet_id = \"consumer-2\"",
    )]);
    let report = run_json("cost-client-leg", &text, 10_000);
    let off = &report["variants"][0];
    let leg = line(off, "inter_az_client_leg");
    assert_eq!(leg["payer"], "consumer");
    assert!(f(&leg["quantity"]) > 0.0);
    assert_eq!(
        leg["quantity"],
        line(off, "endpoint_data")["quantity"],
        "every byte crosses to the ENI in consumer-1"
    );
}

#[test]
fn an_endpoint_with_three_enis_costs_three_times_the_az_hours() {
    let one = run_json("cost-one-eni", CROSSZONE, 10_000);
    let three = run_json(
        "cost-three-enis",
        &edited(&[(
            "subnet_ids = [\"consumer-1\"]",
            "subnet_ids = [\"consumer-1\", \"consumer-2\", \"consumer-3\"]",
        )]),
        10_000,
    );
    for v in 0..2 {
        let (a, b) = (
            line(&one["variants"][v], "endpoint_hours"),
            line(&three["variants"][v], "endpoint_hours"),
        );
        assert_eq!(f(&a["quantity"]), 1.0);
        assert_eq!(f(&b["quantity"]), 3.0);
        assert!((f(&b["usd"]) - 3.0 * f(&a["usd"])).abs() < 1e-12);
        assert!((f(&b["usd_per_month"]) - 3.0 * f(&a["usd_per_month"])).abs() < 1e-9);
        assert_eq!(f(&a["quantity_per_month"]), 730.0);
        assert_eq!(b["payer"], "consumer");
        assert_eq!(b["price_source"], "third-party");
    }
}

#[test]
fn a_price_override_changes_its_line_alone() {
    let base = run_json("cost-table-prices", CROSSZONE, 10_000);
    let priced = run_json(
        "cost-scenario-prices",
        &edited(&[("[run]", "[prices]\nnlb_usd_per_hour = 1\n\n[run]")]),
        10_000,
    );
    for v in 0..2 {
        let (a, b) = (&base["variants"][v]["cost"], &priced["variants"][v]["cost"]);
        for (x, y) in a["lines"]
            .as_array()
            .unwrap()
            .iter()
            .zip(b["lines"].as_array().unwrap())
        {
            if x["key"] == "nlb_hours" {
                assert_eq!(y["price"], 1.0);
                assert_eq!(y["price_source"], "scenario");
                assert_eq!(f(&y["usd"]), f(&y["quantity"]));
                assert_eq!(f(&y["usd_per_month"]), 730.0);
                assert_ne!(x["usd"], y["usd"]);
            } else {
                assert_eq!(x, y, "only the NLB's hours change");
            }
        }
        assert_eq!(a["consumer_usd"], b["consumer_usd"]);
    }
    // A variant may set its own prices.
    let text = edited(&[(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true\nset.prices.endpoint_usd_per_gb = [1, 1, 1]",
    )]);
    let report = run_json("cost-variant-prices", &text, 10_000);
    let (off, on) = (&report["variants"][0], &report["variants"][1]);
    assert_eq!(line(off, "endpoint_data")["price"], 0.01);
    assert_eq!(line(on, "endpoint_data")["price"], 1.0);
    assert_eq!(line(on, "endpoint_data")["price_source"], "scenario");
}

#[test]
fn the_table_marks_third_party_and_scenario_prices() {
    let table = stdout(&sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "1000",
    ]));
    assert!(table.contains("\nCost in USD"), "{table}");
    assert!(table.contains("$0.0225/NLB-hour*"), "{table}");
    assert!(
        table.contains("$0.02/GB "),
        "an AWS figure, unmarked: {table}"
    );
    assert!(table.contains("  * not from an AWS page (third-party figure)\n"));
    assert!(table.contains("NLCU-hours are an estimate"));
    assert!(!table.contains("set by the scenario's [prices]"));
    let path = scratch(
        "cost-marked",
        &edited(&[("[run]", "[prices]\nnlcu_usd_per_hour = 0.01\n\n[run]")]),
    );
    let table = stdout(&sim(&["run", path.to_str().unwrap(), "--flows", "1000"]));
    assert!(table.contains("$0.01/NLCU-hour+"), "{table}");
    assert!(table.contains("  + set by the scenario's [prices], not AWS's\n"));
    // CSV: the run's USD and the month's per line and per payer.
    let csv = stdout(&sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "1000",
        "--format",
        "csv",
    ]));
    assert!(csv.contains("\ncross-zone on,cost,inter_az_node_target,,,true,,"));
    assert!(csv.contains("\ncross-zone off,cost_month,nlb_hours,,,true,,16.425,,,\n"));
    assert!(csv.contains("\ncross-zone off,cost,total,,,true,,"));
}

#[test]
fn bad_prices_are_refused_at_their_key() {
    let path = scratch(
        "cost-bad-prices",
        &edited(&[(
            "[run]",
            "[prices]\nnlb_usd_per_hour = -1\nendpoint_usd_per_gb = [0.01, 0.006]\n\n[run]",
        )]),
    );
    let out = sim(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains(
            "prices.nlb_usd_per_hour = -1: a price must be a finite number of USD, 0 or more"
        ),
        "{err}"
    );
    assert!(err.contains("prices.endpoint_usd_per_gb"), "{err}");
}
