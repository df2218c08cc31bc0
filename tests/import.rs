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
