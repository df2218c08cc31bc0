//! Bad input: one case per validation rule README lists (exit status 2, the file, line and
//! column, the key path and what is wrong), bad flags, malformed TOML, and no panic on any
//! mutation of the seed scenario.

mod common;

use common::*;
use sim::scenario;

#[test]
fn no_mutilation_of_the_scenario_makes_sim_panic() {
    // Delete each line in turn, and replace each value in turn with values of other types;
    // every result must either be rejected with located errors or simulate cleanly.
    let lines: Vec<&str> = CROSSZONE.lines().collect();
    let replacements = [
        "0",
        "-1",
        "\"\"",
        "\"x\"",
        "[]",
        "{}",
        "true",
        "99999999999",
        "\"10.11.0.0/33\"",
        "1.5",
    ];
    let mut variants_tried = 0;
    for i in 0..lines.len() {
        let mut candidates = vec![
            lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n"),
        ];
        if let Some((key, _)) = lines[i].split_once(" = ") {
            for r in replacements {
                let mut changed = lines.clone();
                let line = format!("{key} = {r}");
                changed[i] = &line;
                candidates.push(changed.join("\n"));
            }
        }
        for text in candidates {
            variants_tried += 1;
            match scenario::parse("m.toml", "m", &text) {
                Ok(s) => {
                    for v in &s.variants {
                        let tally = simulate(&v.topology, 50, 1);
                        let total: u64 =
                            tally.target_hits.iter().chain(tally.failures.iter()).sum();
                        assert_eq!(total, 50);
                        let t = &v.topology;
                        let _ = sim::expected::expected(
                            &sim::walk::Walker::new(t, 1),
                            &sim::state::State::initial(t, 1),
                        );
                    }
                }
                Err(errors) => {
                    assert!(!errors.is_empty());
                    for e in errors {
                        assert!(e.line >= 1 && e.column >= 1, "{e}");
                    }
                }
            }
        }
    }
    assert!(variants_tried > 500);
}

// ---- Bad input: one case per validation rule -------------------------------------------------

/// Runs `sim run` on `text` and checks exit status 2 and that stderr names `key_path` and says
/// `fragment`, with a file:line:column location.
fn rejects(name: &str, text: &str, key_path: &str, fragment: &str) -> String {
    let path = scratch(name, text);
    let output = sim(&["run", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{name}: expected exit 2, stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(
        err.contains(key_path),
        "{name}: stderr does not name {key_path:?}:\n{err}"
    );
    assert!(
        err.contains(fragment),
        "{name}: stderr does not say {fragment:?}:\n{err}"
    );
    let location = format!("{}:", path.display());
    assert!(
        err.contains(&location),
        "{name}: no file:line:column in\n{err}"
    );
    assert!(
        stdout(&output).is_empty(),
        "{name}: printed a report anyway"
    );
    err
}

#[test]
fn rejects_unknown_keys() {
    let text = crosszone_with("[vpcs.provider]\n", "[vpcs.provider]\ncolour = \"blue\"\n");
    let err = rejects("unknown-key", &text, "vpcs.provider.colour", "unknown key");
    // The line where the key is written.
    let line = text.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    assert!(err.contains(&format!("unknown-key.toml:{line}:")), "{err}");
}

#[test]
fn rejects_dangling_references() {
    let text = crosszone_with("subnet_id = \"provider-1\"", "subnet_id = \"provider-9\"");
    rejects(
        "dangling",
        &text,
        "instances.web-1.subnet_id = \"provider-9\"",
        "no subnet of that name",
    );
}

#[test]
fn rejects_a_subnet_outside_its_vpc() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.128/26\"",
        "cidr_block = \"10.12.0.128/26\"",
    );
    rejects(
        "outside-vpc",
        &text,
        "subnets.provider-3.cidr_block = \"10.12.0.128/26\"",
        "outside its VPC provider (10.11.0.0/24)",
    );
}

#[test]
fn rejects_overlapping_subnets() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.64/26\"",
        "cidr_block = \"10.11.0.32/27\"",
    );
    rejects(
        "overlap",
        &text,
        "subnets.provider-2.cidr_block",
        "overlaps subnet provider-1 (10.11.0.0/26)",
    );
}

#[test]
fn rejects_an_ip_outside_its_subnet() {
    let text = crosszone_with(
        "subnet_id = \"provider-1\"\n",
        "subnet_id = \"provider-1\"\nprivate_ip = \"10.11.0.100\"\n",
    );
    rejects(
        "ip-outside",
        &text,
        "instances.web-1.private_ip = \"10.11.0.100\"",
        "outside its subnet provider-1",
    );
}

#[test]
fn rejects_two_load_balancer_subnets_in_one_az() {
    let text = CROSSZONE.replacen(
        "availability_zone = \"us-east-1b\"\ncidr_block = \"10.11.0.64/26\"",
        "availability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.64/26\"",
        1,
    );
    assert_ne!(text, CROSSZONE);
    rejects(
        "nlb-same-az",
        &text,
        "load_balancers.provider-nlb.subnets[1]",
        "at most one subnet per AZ",
    );
}

#[test]
fn rejects_two_endpoint_subnets_in_one_az() {
    let text = crosszone_with(
        "vpc_id = \"consumer\"\navailability_zone = \"us-east-1b\"",
        "vpc_id = \"consumer\"\navailability_zone = \"us-east-1a\"",
    )
    .replacen(
        "subnet_ids = [\"consumer-1\"]",
        "subnet_ids = [\"consumer-1\", \"consumer-2\"]",
        1,
    );
    rejects(
        "endpoint-same-az",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[1]",
        "at most one subnet per AZ",
    );
}

#[test]
fn rejects_an_endpoint_subnet_in_an_az_the_nlb_does_not_enable() {
    let text = crosszone_with(
        "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
        "subnets = [\"provider-2\", \"provider-3\"]",
    );
    rejects(
        "endpoint-az",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[0]",
        "PrivateLink matches AZs by AZ ID",
    );
}

#[test]
fn maps_az_names_through_each_account_before_matching() {
    // Same AZ name, different accounts: the consumer's us-east-1a is use1-az3 for it, a zone the
    // provider's NLB does not enable, so the endpoint subnet is rejected although the names match.
    let text = crosszone_with(
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }",
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }\n\n[accounts.other]\naz_ids = { us-east-1a = \"use1-az3\", us-east-1b = \"use1-az1\", us-east-1c = \"use1-az2\" }",
    )
    .replacen("[vpcs.consumer]\n", "[vpcs.consumer]\naccount = \"other\"\n", 1)
    .replacen("[vpcs.provider]\n", "[vpcs.provider]\naccount = \"lab\"\n", 1);
    let err = rejects(
        "account-maps",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[0]",
        "us-east-1a = use1-az3 for account other",
    );
    assert!(
        err.contains("use1-az1 (us-east-1a in the provider's account)"),
        "{err}"
    );
}

#[test]
fn rejects_peering_overlapping_vpcs_and_points_to_privatelink() {
    // Before [workload]: after [[variants]] the table would belong to the last variant.
    let text = crosszone_with(
        "[workload]",
        "[vpc_peerings.direct]\nvpc_id = \"consumer\"\npeer_vpc_id = \"provider\"\n\n[workload]",
    );
    rejects(
        "peering",
        &text,
        "vpc_peerings.direct.peer_vpc_id",
        "PrivateLink",
    );
}

#[test]
fn rejects_a_port_no_listener_serves() {
    let text = crosszone_with("port = 80\narrival_rate", "port = 8080\narrival_rate");
    rejects(
        "no-listener",
        &text,
        "workload.port = 8080",
        "no listener of load balancer provider-nlb",
    );
}

#[test]
fn warns_about_a_target_in_an_az_the_nlb_does_not_enable() {
    let text = crosszone_with(
        "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
        "subnets = [\"provider-1\", \"provider-2\"]",
    );
    let report = run_json("unused-target", &text, 600);
    let warning = report["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("target_groups.web.targets[2]") && warning.contains("Target.NotInUse"),
        "{warning}"
    );
    let on = &report["variants"][1];
    assert_eq!(on["targets"][2]["hits"], 0);
    assert_eq!(on["targets"][2]["expected_share"], 0.0);
}

#[test]
fn rejects_malformed_toml_with_its_position() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.0/24\"",
        "cidr_block = \"10.11.0.0/24",
    );
    let path = scratch("syntax", &text);
    let output = sim(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("not valid TOML") && err.contains("syntax.toml:16:"),
        "{err}"
    );
}

#[test]
fn rejects_a_misspelt_resource_in_a_variant() {
    let text = crosszone_with(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nbl.enable_cross_zone_load_balancing = true",
    );
    rejects(
        "variant-typo",
        &text,
        "variants[1].set.load_balancers.provider-nbl",
        "a variant can change resources, not add them",
    );
}

#[test]
fn reports_a_bad_value_set_by_a_variant_where_the_variant_sets_it() {
    let text = crosszone_with(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = \"yes\"",
    );
    let err = rejects(
        "variant-type",
        &text,
        "variants[1].set.load_balancers.provider-nlb.enable_cross_zone_load_balancing",
        "invalid type",
    );
    assert!(err.contains("in variant \"cross-zone on\""), "{err}");
}

#[test]
fn rejects_a_bad_duration() {
    let text = crosszone_with("interval = \"30s\"", "interval = \"30 parsecs\"");
    rejects(
        "duration",
        &text,
        "target_groups.web.health_check.interval",
        "not a unit of time",
    );
}

#[test]
fn rejects_bad_flags_and_missing_files() {
    let output = sim(&["run", "scenarios/crosszone.toml", "--flows", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--flows must be at least 1"));
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--variant",
        "cross-zone sideways",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--variant \"cross-zone sideways\""));
    let output = sim(&["run", "scenarios/crosszone.toml", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sim(&["run", "scenarios/no-such-file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read scenarios/no-such-file.toml"));
}

#[test]
fn rejects_an_unknown_hash() {
    let text = crosszone_with(
        "enable_cross_zone_load_balancing = false\n",
        "enable_cross_zone_load_balancing = false\nhash = \"ring\"\n",
    );
    rejects(
        "bad-hash",
        &text,
        "load_balancers.provider-nlb.hash = \"ring\"",
        "\"uniform\" or \"maglev\"",
    );
}
