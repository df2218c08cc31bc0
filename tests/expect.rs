//! Checked answers (`[[expect]]`, `[quiz]`, `sim test`): a scenario's expectations are judged
//! from the real run, a wrong one fails `sim test` with exit 3 naming it and the observed value,
//! and expectations and quizzes are validated like any key (exit 2).

mod common;

use common::{CROSSZONE, scratch, sim, stderr, stdout};

/// The seed scenario with `extra` appended.
fn crosszone_with(extra: &str) -> String {
    format!("{CROSSZONE}\n{extra}\n")
}

#[test]
fn the_seed_scenarios_answers_hold() {
    let out = sim(&["test", "scenarios/crosszone.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("8 checks of 7 expectations in 1 file: 8 hold, 0 fail"),
        "{text}"
    );
    assert!(text.contains("holds  expect[0]"), "{text}");
}

#[test]
fn a_wrong_number_fails_with_exit_3_naming_the_expectation_and_what_was_observed() {
    // The seed says web-1 answers every flow with cross-zone off; claim 90 % instead.
    let wrong = CROSSZONE.replacen(
        "target = \"web-1\"\nshare = 1.0",
        "target = \"web-1\"\nshare = 0.9",
        1,
    );
    assert_ne!(wrong, CROSSZONE, "the edit applies");
    let path = scratch("expect-wrong-number", &wrong);
    let out = sim(&["test", path.to_str().unwrap(), "--flows", "2000"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("expect[0] (variant \"cross-zone off\"): only the Subnet 1 server answers: expected target web-1: share 90%, observed 100% (2000 of 2000 flows)"),
        "{err}"
    );
    assert!(err.contains("1 of 8 checks failed"), "{err}");
    assert!(stdout(&out).contains("FAILS  expect[0]"));
}

#[test]
fn sim_run_prints_the_verdicts_beside_the_report_and_in_its_json() {
    let out = sim(&["run", "scenarios/crosszone.toml", "--flows", "3000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Checked answers ([[expect]])"), "{text}");
    assert!(text.contains("8 hold, 0 fail"), "{text}");
    let out = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "3000",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let verdicts = report["expectations"].as_array().expect("verdicts in JSON");
    assert_eq!(verdicts.len(), 8);
    assert!(verdicts.iter().all(|v| v["outcome"] == "holds"));
    assert_eq!(verdicts[0]["proves"], "B");
    // A failed expectation does not fail `sim run`: only `sim test` judges.
    let wrong = CROSSZONE.replacen("share = 1.0", "share = 0.5", 1);
    let path = scratch("expect-run-wrong", &wrong);
    let out = sim(&["run", path.to_str().unwrap(), "--flows", "1000"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("FAILS  expect[0]"));
}

#[test]
fn unknown_subjects_and_bad_measures_are_validation_errors() {
    let cases = [
        (
            "[[expect]]\ntarget = \"web-9\"\nshare = 1",
            "expect[7].target = \"web-9\": no target group lists this instance",
        ),
        (
            "[[expect]]\nfailed = \"TARGET_ON_FIRE\"\nflows = 0",
            "expect[7].failed = \"TARGET_ON_FIRE\": not a failure reason",
        ),
        (
            "[[expect]]\nvariant = \"cross-zone sideways\"\nanswered = true\nflows = 1",
            "expect[7].variant = \"cross-zone sideways\": no variant has this name",
        ),
        (
            "[[expect]]\ntarget = \"web-1\"\nsubnet = \"provider-1\"\nshare = 1",
            "expect[7].subnet: an expectation names one subject",
        ),
        (
            "[[expect]]\nfailed = \"any\"\nconsistent_with = 0.5",
            "expect[7].consistent_with: `consistent_with` needs a share with a confidence interval",
        ),
        (
            "[[expect]]\ntarget = \"web-1\"\nshare = 1.5",
            "expect[7].share = 1.5: a share of the variant's flows, from 0 to 1",
        ),
        (
            "[[expect]]\ntarget = \"web-1\"\nshare = 1\nflows = 3",
            "expect[7]: give one test",
        ),
        (
            "[[expect]]\nhealth = \"web-1\"\nbecomes = \"sleepy\"",
            "expect[7].becomes = \"sleepy\": a target health state",
        ),
        (
            "[[expect]]\nnew_connections = \"web-1\"\nflows = 0",
            "expect[7].after: a `new_connections` expectation needs `after`",
        ),
        (
            "[[expect]]\ncost = \"lunch\"\nusd = 1",
            "expect[7].cost = \"lunch\": not a line of the cost section",
        ),
        (
            "[[expect]]\ncost = \"total\"\nshare = 1",
            "expect[7].share: `share` does not apply to a `cost` expectation",
        ),
        (
            "[[expect]]\nvalidation_error = \"PL-8\"",
            "expect[7].validation_error: name the `variant` validation should refuse",
        ),
        (
            "[[expect]]\ntarget = \"web-1\"\nshare = 1\nproves = \"E\"",
            "expect[7].proves = \"E\": an expectation proves the answer, \"B\"",
        ),
    ];
    for (i, (extra, message)) in cases.iter().enumerate() {
        let path = scratch(&format!("expect-invalid-{i}"), &crosszone_with(extra));
        for command in ["test", "check", "run"] {
            let out = sim(&[command, path.to_str().unwrap(), "--flows", "100"]
                [..if command == "check" { 2 } else { 4 }]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{command} {extra}: {}",
                stderr(&out)
            );
            assert!(stderr(&out).contains(message), "{extra}: {}", stderr(&out));
        }
    }
}

#[test]
fn a_quiz_needs_every_choice_proved_or_refuted() {
    // Drop the expectation refuting C and D: validation names C (and D) as uncovered.
    let text = CROSSZONE.replacen("proves = \"B\"\nrefutes = [\"C\", \"D\"]\n", "", 1);
    assert_ne!(text, CROSSZONE, "the edit applies");
    let path = scratch("expect-quiz-uncovered", &text);
    let out = sim(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("quiz.choices.C: a wrong choice needs an [[expect]] with refutes = [\"C\"]"),
        "{err}"
    );
    // A refuted answer is a mistake too.
    let text = CROSSZONE.replacen("refutes = [\"A\", \"D\"]", "refutes = [\"A\", \"B\"]", 1);
    let path = scratch("expect-quiz-refutes-answer", &text);
    let err = stderr(&sim(&["check", path.to_str().unwrap()]));
    assert!(err.contains("this is the quiz's answer"), "{err}");
}

#[test]
fn a_variant_refused_with_the_expected_rule_is_an_answer_not_an_error() {
    // UDP cannot cross PrivateLink (PL-8): the crosszone client resolves to the endpoint.
    let extra = "[[variants]]\nname = \"udp\"\nset.workload.protocol = \"udp\"\n\n[[expect]]\nvariant = \"udp\"\nvalidation_error = \"PL-8\"";
    let path = scratch("expect-refused", &crosszone_with(extra));
    let out = sim(&["test", path.to_str().unwrap(), "--flows", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("holds  expect[7]  \"udp\": refused by validation citing PL-8"),
        "{text}"
    );
    assert!(text.contains("UDP cannot cross PrivateLink"), "{text}");
    // sim run runs the others and shows the refusal in its header.
    let out = sim(&["run", path.to_str().unwrap(), "--flows", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("variant \"udp\": refused by validation, as [[expect]] says (not run):"),
        "{text}"
    );
    assert!(
        !text.contains("| udp"),
        "the refused variant has no column: {text}"
    );
    // sim check lists it.
    let text = stdout(&sim(&["check", path.to_str().unwrap()]));
    assert!(
        text.contains("variant \"udp\": refused by validation, as [[expect]] says:"),
        "{text}"
    );

    // Citing another rule fails the expectation (exit 3), with the message observed.
    let wrong = crosszone_with(&extra.replace("\"PL-8\"", "\"PL-9\""));
    let path = scratch("expect-refused-other-rule", &wrong);
    let out = sim(&["test", path.to_str().unwrap(), "--flows", "1000"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("refused without citing PL-9"),
        "{}",
        stderr(&out)
    );

    // A variant that validates fails a validation_error expectation.
    let fine =
        crosszone_with("[[expect]]\nvariant = \"cross-zone off\"\nvalidation_error = \"PL-8\"");
    let path = scratch("expect-refused-but-valid", &fine);
    let out = sim(&["test", path.to_str().unwrap(), "--flows", "1000"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("observed validated without error"),
        "{}",
        stderr(&out)
    );

    // Every variant refused: nothing would show what works.
    let all = format!(
        "{}\n[[expect]]\nvariant = \"cross-zone off\"\nvalidation_error = \"PL-8\"\n[[expect]]\nvariant = \"cross-zone on\"\nvalidation_error = \"PL-8\"\n",
        CROSSZONE.replace("[workload]\n", "[workload]\nprotocol = \"udp\"\n")
    );
    let path = scratch("expect-refused-all", &all);
    let out = sim(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("every variant is refused"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn time_expectations_read_health_changes_and_new_connections() {
    let base = include_str!("../scenarios/target-failure.toml");
    let extra = r#"
[[expect]]
variant = "server crash"
what = "the checks notice within three intervals"
health = "web-2"
becomes = "unhealthy"
after = "300s"
within = "90s"

[[expect]]
variant = "server crash"
what = "no new connection to web-2 from 400 s until it recovers"
new_connections = "web-2"
after = "400s"
before = "900s"
flows = 0

[[expect]]
variant = "server crash"
what = "web-2 still gets new connections, refused, right after the crash"
new_connections = "web-2"
after = "300s"
before = "360s"
flows_at_least = 1

[[expect]]
variant = "instance stop"
health = "web-2"
becomes = "unhealthy"
after = "300s"
never = true
"#;
    let path = scratch("expect-time", &format!("{base}\n{extra}"));
    let out = sim(&["test", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("observed web-2 became unhealthy at 371.774 s (71.774 s after 300s)"),
        "{text}"
    );
    assert!(
        text.contains("observed 0 new connections to web-2 from 400s to 900s"),
        "{text}"
    );
    // Detection takes more than a minute: within 60 s fails, and says when it happened.
    let tight = format!(
        "{base}\n{}",
        extra.replacen("within = \"90s\"", "within = \"60s\"", 1)
    );
    let path = scratch("expect-time-tight", &tight);
    let out = sim(&["test", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("observed web-2 became unhealthy at 371.774 s"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sim_test_takes_directories_and_reports_unreadable_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("expect-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.toml"), CROSSZONE).unwrap();
    std::fs::write(dir.join("a.toml"), CROSSZONE).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
    let out = sim(&["test", dir.to_str().unwrap(), "--flows", "500", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("16 checks of 14 expectations in 2 files: 16 hold, 0 fail"),
        "{text}"
    );
    let out = sim(&["test", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such/file.toml"));
}
