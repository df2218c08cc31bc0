//! `sim import` through the binary: a small plan of the crosszone system in, a scenario out that
//! loads and runs like the hand-written one; exit codes, `-o` / `--force`, and the warnings on
//! stderr.

mod common;

use std::path::{Path, PathBuf};

use common::{sim, stderr, stdout};

const MINI_PLAN: &str = "tests/terraform/mini-plan.json";

fn scratch_path(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn a_plan_imports_to_a_valid_scenario_with_its_drops_on_stderr() {
    let output = sim(&["import", MINI_PLAN]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    sim::scenario::parse("imported.toml", "imported", &text)
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    let err = stderr(&output);
    assert!(
        err.contains(
            "warning: aws_s3_bucket.logs (tests/terraform/mini-plan.json): dropped (resource type not modelled)\n"
        ),
        "{err}"
    );
    assert!(text.contains("# dropped: aws_s3_bucket.logs (resource type not modelled)\n"));
    assert!(
        err.contains("warning: [workload] clients = [\"client\"] is a guess"),
        "{err}"
    );
}

#[test]
fn the_imported_scenario_reproduces_crosszone() {
    let out = scratch_path("import-crosszone.toml");
    let out_arg = out.to_str().unwrap();
    let output = sim(&[
        "import",
        MINI_PLAN,
        "--variant-cross-zone",
        "--client",
        "aws_instance.client",
        "-o",
        out_arg,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).is_empty(), "the scenario goes to the file");
    let run = sim(&[
        "run", out_arg, "--flows", "3000", "--format", "json", "--quiet",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report: serde_json::Value = serde_json::from_str(&stdout(&run)).expect("JSON");
    let share = |variant: usize, target: &str| {
        report["variants"][variant]["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .find(|t| t["name"] == target)
            .map(|t| t["share"].as_f64().expect("share"))
            .expect("the target")
    };
    assert_eq!(report["variants"][0]["name"], "cross-zone off");
    assert_eq!(share(0, "web-1"), 1.0, "only subnet 1's server answers");
    for web in ["web-1", "web-2", "web-3"] {
        let s = share(1, web);
        assert!((0.28..0.39).contains(&s), "{web}: {s}");
    }
}

#[test]
fn an_existing_output_file_is_kept_without_force() {
    let out = scratch_path("import-kept.toml");
    std::fs::write(&out, "mine\n").unwrap();
    let out_arg = out.to_str().unwrap();
    let refused = sim(&["import", MINI_PLAN, "-o", out_arg]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains(&format!(
            "error: -o {out_arg}: the file exists; give --force"
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine\n");
    let forced = sim(&["import", MINI_PLAN, "-o", out_arg, "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("[workload]")
    );
}

#[test]
fn input_that_cannot_be_read_exits_2_naming_file_and_line() {
    let bad = scratch_path("import-bad.json");
    std::fs::write(
        &bad,
        "{\n  \"planned_values\": {\n    \"root_module\": {,\n",
    )
    .unwrap();
    let output = sim(&["import", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("error: {}:3:21: not valid JSON", bad.display())),
        "{err}"
    );
    let missing = sim(&["import", "tests/terraform/no-such-plan.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read tests/terraform/no-such-plan.json"));
    let not_a_plan = scratch_path("import-not-a-plan.json");
    std::fs::write(&not_a_plan, "{\"format_version\": \"1.2\"}\n").unwrap();
    let output = sim(&["import", not_a_plan.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("neither planned_values.root_module"));
}

#[test]
fn bad_flags_exit_2_and_az_ids_replace_the_plans_map() {
    let bad = sim(&["import", MINI_PLAN, "--az-ids", "us-east-1a"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("give [PROVIDER:]NAME=ID pairs"));
    let client = sim(&["import", MINI_PLAN, "--client", "nobody"]);
    assert_eq!(client.status.code(), Some(2));
    assert!(stderr(&client).contains("--client nobody: no such instance"));
    let ids = sim(&[
        "import",
        MINI_PLAN,
        "--az-ids",
        "aws:us-east-1a=use1-az6,us-east-1b=use1-az1,us-east-1c=use1-az2",
    ]);
    assert_eq!(ids.status.code(), Some(0), "{}", stderr(&ids));
    assert!(stdout(&ids).contains(
        "az_ids = { us-east-1a = \"use1-az6\", us-east-1b = \"use1-az1\", us-east-1c = \"use1-az2\" }"
    ));
}

/// What `sim check` says of the first variant, without the scenario's names: each ENI's address,
/// AZ and AZ ID and the node it binds to, each target's address, zone and health, each record.
fn bindings(check: &str) -> Vec<String> {
    let first_variant = check
        .split("\nvariant ")
        .nth(1)
        .unwrap_or_else(|| panic!("a variant in {check}"));
    let kept = |t: &&str| {
        t.parse::<std::net::Ipv4Addr>().is_ok()
            || t.starts_with("us-east-1")
            || t.starts_with("use1-")
            || t.ends_with(".example.local")
            || ["ENI", "target", "record", "node", "healthy", "unhealthy"].contains(t)
    };
    first_variant
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("ENI ") || l.starts_with("target ") || l.starts_with("record "))
        .map(|l| {
            l.split(|c: char| c.is_whitespace() || "(),:".contains(c))
                .filter(kept)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Hits per target address in each variant of `sim run --format json` on `scenario`.
fn hits(scenario: &str) -> Vec<Vec<(String, u64)>> {
    let run = sim(&[
        "run", scenario, "--flows", "3000", "--seed", "1", "--format", "json", "--quiet",
    ]);
    assert!(run.status.success(), "{scenario}: {}", stderr(&run));
    let report: serde_json::Value = serde_json::from_str(&stdout(&run)).expect("JSON");
    report["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| {
            v["targets"]
                .as_array()
                .expect("targets")
                .iter()
                .map(|t| {
                    let ip = t["ip"].as_str().expect("ip").to_string();
                    (ip, t["hits"].as_u64().expect("hits"))
                })
                .collect()
        })
        .collect()
}

/// The fixture's plan (`crosszone`: the one at the top of examples/terraform/), imported,
/// binds, checks and runs like the hand-written scenario.
fn round_trip(fixture: &str, hand_written: &str, extra: &[&str], variants: usize) -> PathBuf {
    let plan = if fixture == "crosszone" {
        "examples/terraform/plan.json".to_string()
    } else {
        format!("examples/terraform/{fixture}/plan.json")
    };
    round_trip_input(&plan, fixture, hand_written, extra, variants)
}

/// `input` (a plan or a directory of .tf files), imported, binds, checks and runs like the
/// hand-written scenario.
fn round_trip_input(
    input: &str,
    name: &str,
    hand_written: &str,
    extra: &[&str],
    variants: usize,
) -> PathBuf {
    let stem = if input.ends_with(".json") {
        "plan"
    } else {
        "tf"
    };
    let out = scratch_path(&format!("import-round-trip-{name}-{stem}.toml"));
    let out_arg = out.to_str().unwrap();
    let mut args = vec!["import", input, "-o", out_arg];
    args.extend_from_slice(extra);
    let imported = sim(&args);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    let check = |path: &str| {
        let output = sim(&["check", path]);
        assert!(output.status.success(), "{path}: {}", stderr(&output));
        stdout(&output)
    };
    let expected = bindings(&check(hand_written));
    assert!(
        expected.iter().any(|l| l.starts_with("ENI ")),
        "{expected:?}"
    );
    assert_eq!(bindings(&check(out_arg)), expected);
    let hand = hits(hand_written);
    let ours = hits(out_arg);
    assert_eq!(ours.len(), variants);
    assert_eq!(ours[0], hand[0], "the same flows land on the same targets");
    out
}

#[test]
fn the_crosszone_plan_round_trips() {
    let imported = round_trip(
        "crosszone",
        "scenarios/crosszone.toml",
        &["--variant-cross-zone", "--client", "client"],
        2,
    );
    // Cross-zone on, too: the hand-written scenario's second variant.
    let ours = hits(imported.to_str().unwrap());
    let hand = hits("scenarios/crosszone.toml");
    assert_eq!(ours[1], hand[1]);
}

#[test]
fn the_two_account_plan_round_trips() {
    let imported = round_trip("az-id-mismatch", "scenarios/az-id-mismatch.toml", &[], 1);
    // One account per provider configuration, each with its own AZ map.
    let text = std::fs::read_to_string(imported).unwrap();
    assert!(
        text.contains(
            "[accounts.consumer]   # provider aws.consumer\naz_ids = { us-east-1a = \"use1-az2\""
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "[accounts.provider]   # provider aws.provider\naz_ids = { us-east-1a = \"use1-az1\""
        ),
        "{text}"
    );
}

/// What tests/terraform/unsupported declares that sim does not model, as the import says it.
const UNMODELLED: [&str; 4] = [
    "aws_cloudwatch_log_group.app (resource type not modelled)",
    "aws_iam_role.app (resource type not modelled)",
    "aws_lb.app (only network load balancers are modelled)",
    "aws_s3_bucket.logs (resource type not modelled)",
];

#[test]
fn a_plan_with_unmodelled_resources_lists_them() {
    let output = sim(&[
        "import",
        "tests/terraform/unsupported/plan.json",
        "--az-ids",
        "us-east-1a=use1-az1,us-east-1b=use1-az2,us-east-1c=use1-az4",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (text, err) = (stdout(&output), stderr(&output));
    for dropped in UNMODELLED {
        assert!(text.contains(&format!("# dropped: {dropped}\n")), "{text}");
        let (address, why) = dropped.split_once(' ').unwrap();
        assert!(
            err.contains(&format!(
                "warning: {address} (tests/terraform/unsupported/plan.json): dropped {why}\n"
            )),
            "{err}"
        );
    }
    // Without an AZ ID map it is refused, saying how to give one.
    let refused = sim(&["import", "tests/terraform/unsupported/plan.json"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("Give it with --az-ids"));
}

#[test]
fn the_malformed_plan_fixture_exits_2_at_its_line() {
    let output = sim(&["import", "tests/terraform/malformed-plan.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: tests/terraform/malformed-plan.json:12:"),
        "{}",
        stderr(&output)
    );
}

/// The AZ maps of the fixtures' accounts (what their plans' data sources give).
const CROSSZONE_AZ_IDS: &str = "us-east-1a=use1-az1,us-east-1b=use1-az2,us-east-1c=use1-az4";

#[test]
fn the_crosszone_tf_directory_round_trips() {
    let imported = round_trip_input(
        "examples/terraform",
        "crosszone",
        "scenarios/crosszone.toml",
        &[
            "--variant-cross-zone",
            "--client",
            "client",
            "--az-ids",
            CROSSZONE_AZ_IDS,
        ],
        2,
    );
    let ours = hits(imported.to_str().unwrap());
    let hand = hits("scenarios/crosszone.toml");
    assert_eq!(ours[1], hand[1]);
    // The .tf files hold the user data the plan only hashes: the servers' own pages.
    let text = std::fs::read_to_string(imported).unwrap();
    assert!(
        text.contains("web_server = { port = 80, body = \"Hello from Provider VPC on Subnet 2\" }"),
        "{text}"
    );
}

#[test]
fn the_two_account_tf_directory_round_trips() {
    round_trip_input(
        "examples/terraform/az-id-mismatch",
        "az-id-mismatch",
        "scenarios/az-id-mismatch.toml",
        &[
            "--az-ids",
            "aws.provider:us-east-1a=use1-az1,aws.provider:us-east-1b=use1-az2,aws.provider:us-east-1c=use1-az4,\
             aws.consumer:us-east-1a=use1-az2,aws.consumer:us-east-1b=use1-az4,aws.consumer:us-east-1c=use1-az1",
        ],
        1,
    );
}

#[test]
fn a_tf_directory_with_unmodelled_resources_lists_them() {
    let output = sim(&[
        "import",
        "tests/terraform/unsupported",
        "--az-ids",
        CROSSZONE_AZ_IDS,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (text, err) = (stdout(&output), stderr(&output));
    for dropped in UNMODELLED {
        assert!(text.contains(&format!("# dropped: {dropped}\n")), "{text}");
        let (address, _) = dropped.split_once(' ').unwrap();
        assert!(
            err.contains(&format!(
                "warning: {address} (tests/terraform/unsupported/main.tf:"
            )),
            "{err}"
        );
    }
}

#[test]
fn the_malformed_tf_fixture_exits_2_at_its_line() {
    let output = sim(&["import", "tests/terraform"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: tests/terraform/malformed.tf:7:"),
        "{}",
        stderr(&output)
    );
}
