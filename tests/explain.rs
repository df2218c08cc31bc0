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
    // Every hop (the lines under the flow's heading, up to the blank line) cites the rules of
    // docs/model.md that decided it.
    let hops: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("flow 3 of scenario"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(hops.len() >= 8, "{text}");
    for hop in hops {
        assert!(
            hop.trim_end().ends_with(']'),
            "a hop without its rules: {hop}"
        );
    }
    for id in ["[WL-1]", "DNS-7", "PL-6", "NLB-7", "NLB-10", "CLI-3"] {
        assert!(text.contains(id), "missing {id} in\n{text}");
    }
    // The source port is even (docs/model.md CLI-1: connect() tries the even ports first).
    let port: u16 = text
        .split("connect 10.11.0.4:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no source port in\n{text}"));
    assert!(port % 2 == 0 && (32768..=60998).contains(&port), "{port}");
}

/// A flow whose SYN the endpoint drops is traced to its timeout, with the group that dropped it.
#[test]
fn explain_traces_a_failure_to_its_reason() {
    let text = crosszone_with(
        "cidr_blocks = [\"10.11.0.0/26\", \"10.11.0.64/26\", \"10.11.0.128/26\"]",
        "cidr_blocks = [\"10.11.0.64/26\"]",
    );
    let path = scratch("explain-sg-deny", &text);
    let output = sim(&[
        "explain",
        path.to_str().unwrap(),
        "--flow",
        "0",
        "--variant",
        "cross-zone on",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("no rule of its security groups (endpoint-sg) admits tcp/80 from 10.11.0.4: dropped [PL-6, SG-1]"), "{text}");
    assert!(
        text.contains("failed: SG_DENY (curl: (28) Connection timed out)"),
        "{text}"
    );
    // curl started at 602.021us and gives up at its 10 s connect timeout.
    assert!(text.contains("10.000602021s  failed"), "{text}");
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
