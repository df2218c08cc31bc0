//! `sim explain` and `sim check`: one flow hop by hop, with the rules that decided; what a
//! scenario builds.

mod common;

use common::*;

#[test]
fn explain_traces_one_flow_hop_by_hop() {
    let output = sim(&[
        "explain",
        "scenarios/crosszone.toml",
        "--flow",
        "3",
        "--variant",
        "cross-zone on",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for hop in [
        "DNS",
        "SYN at endpoint",
        "node 10.11.0.5",
        "flow hash",
        "sees it from",
        "response \"Hello from Provider VPC on Subnet",
        "assumption",
    ] {
        assert!(
            text.to_lowercase().contains(&hop.to_lowercase()),
            "missing {hop:?} in\n{text}"
        );
    }
}

#[test]
fn check_summarises_the_bindings() {
    let output = sim(&["check", "scenarios/crosszone.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "ENI 10.11.0.5 in consumer-1 (us-east-1a, use1-az1) -> provider-nlb node 10.11.0.5 (provider-1)"
        ),
        "{text}"
    );
}
