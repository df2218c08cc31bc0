//! Hostile surroundings: planted files in the plot directory, output that cannot be written,
//! input that never ends or is not text, and control sequences in the user's names. Each test
//! is a defect found by hand (hardening issue) that failed before its fix.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{crosszone_system, scratch, sim, stderr, stdout};

fn sim_with(args: &[&str], configure: impl FnOnce(&mut Command)) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sim"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    configure(&mut command);
    command.output().expect("the sim binary runs")
}

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux")
}

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `sim run SCENARIO --flows N --quiet --plot-dir DIR`, which must succeed.
fn run_with_plots(scenario: &str, flows: u64, dir: &Path) {
    let flows = flows.to_string();
    let dir = dir.to_str().unwrap();
    let args = [
        "run",
        scenario,
        "--flows",
        &flows,
        "--quiet",
        "--plot-dir",
        dir,
    ];
    let output = sim(&args);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[cfg(unix)]
#[test]
fn plots_never_follow_or_remove_a_planted_temporary_file() {
    let root = fresh_dir("planted");
    let plots = root.join("pd");
    std::fs::create_dir(&plots).unwrap();
    let victim = root.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // The old fixed temporary names: one a link out of the directory, one a user's own file.
    std::os::unix::fs::symlink("../victim", plots.join(".crosszone.png.tmp")).unwrap();
    std::fs::write(plots.join(".crosszone.svg.tmp"), "mine").unwrap();

    run_with_plots("scenarios/crosszone.toml", 1000, &plots);

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let link = std::fs::symlink_metadata(plots.join(".crosszone.png.tmp")).unwrap();
    assert!(link.file_type().is_symlink(), "the planted link is left");
    assert_eq!(
        std::fs::read_to_string(plots.join(".crosszone.svg.tmp")).unwrap(),
        "mine"
    );
    let mut names: Vec<String> = std::fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".crosszone.png.tmp",
            ".crosszone.svg.tmp",
            "crosszone-flowmap.png",
            "crosszone-flowmap.svg",
            "crosszone-timeseries.png",
            "crosszone-timeseries.svg",
            "crosszone.png",
            "crosszone.svg"
        ],
        "the six plots and nothing else of sim's"
    );
    for plot in [
        "crosszone.png",
        "crosszone-timeseries.png",
        "crosszone-flowmap.png",
    ] {
        let bytes = std::fs::read(plots.join(plot)).unwrap();
        assert_eq!(&bytes[1..4], b"PNG", "{plot} is a PNG");
    }
}

#[cfg(unix)]
#[test]
fn a_plot_path_that_is_a_link_is_replaced_not_followed() {
    let root = fresh_dir("linked-plot");
    let victim = root.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink("../victim", root.join("crosszone.svg")).unwrap();
    run_with_plots("scenarios/crosszone.toml", 100, &root);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let svg = std::fs::symlink_metadata(root.join("crosszone.svg")).unwrap();
    assert!(
        svg.file_type().is_file(),
        "sim's own file now, not the link"
    );
}

#[test]
fn an_input_fault_exits_2_even_when_its_message_cannot_be_printed() {
    let output = sim_with(&["check", "missing.toml"], |c| {
        c.stderr(dev_full());
    });
    assert_eq!(output.status.code(), Some(2));
    let output = sim_with(&["run", "--flows", "x", "scenarios/crosszone.toml"], |c| {
        c.stderr(dev_full());
    });
    assert_eq!(
        output.status.code(),
        Some(2),
        "a bad flag is the input's fault"
    );
}

#[test]
fn a_run_whose_only_failure_is_its_notes_exits_1() {
    let output = sim_with(
        &[
            "run",
            "scenarios/crosszone.toml",
            "--no-plot",
            "--flows",
            "100",
        ],
        |c| {
            c.stderr(dev_full());
        },
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("cross-zone"),
        "the report itself was written"
    );
}

#[test]
fn output_that_cannot_be_written_exits_1() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["run", "--help"],
        &["check", "scenarios/crosszone.toml"],
        &[
            "run",
            "scenarios/crosszone.toml",
            "--no-plot",
            "--flows",
            "100",
        ],
        &["explain", "scenarios/crosszone.toml"],
    ] {
        let output = sim_with(args, |c| {
            c.stdout(dev_full());
        });
        assert_eq!(output.status.code(), Some(1), "sim {args:?} >/dev/full");
    }
}

#[test]
fn a_reader_that_went_away_fails_the_run_with_exit_1() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "scenarios/crosszone.toml", "--no-plot", "--quiet"])
        .args(["--flows", "200000", "--engine", "events"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the only reader before the report is written.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot write <stdout>"));
}

#[test]
fn input_that_never_ends_is_refused_at_64_mib() {
    let output = sim(&["check", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: cannot read /dev/zero: a scenario is at most 64 MiB; this one is longer\n"
    );
}

#[test]
fn input_that_is_not_text_names_the_first_bad_byte() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("latin1.toml");
    std::fs::write(&path, b"name = \"caf\xe9\"\n").unwrap();
    let output = sim(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).ends_with("not UTF-8 text (invalid byte at offset 11)\n"),
        "{}",
        stderr(&output)
    );
}

/// The scenario's name and description with a colour change, a screen clear and a C1 CSI.
fn hostile_names() -> String {
    crosszone_system()
        .replacen(
            "name = \"crosszone\"",
            "name = \"cross\\u001b[31mzone\\u009b2J\"",
            1,
        )
        .replacen(
            "description = \"",
            "description = \"\\u001b]0;pwned\\u0007 ",
            1,
        )
}

#[test]
fn control_sequences_in_names_reach_the_terminal_escaped() {
    let path = scratch("hostile-names", &hostile_names());
    let path = path.to_str().unwrap();
    for args in [
        vec!["run", path, "--flows", "100", "--quiet"],
        vec!["check", path],
        vec!["explain", path],
    ] {
        let output = sim(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{7}'),
            "{args:?} printed a raw control character"
        );
        assert!(
            text.contains("\\u{1b}[31m"),
            "{args:?} shows the escape: {text}"
        );
    }
    // Machine formats keep the name: JSON escapes it by its own rules.
    let output = sim(&["run", path, "--flows", "100", "--quiet", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["scenario"], "cross\u{1b}[31mzone\u{9b}2J");
}

#[test]
fn control_sequences_in_messages_are_escaped() {
    let path = scratch("hostile-message", &hostile_names());
    let output = sim(&["run", path.to_str().unwrap(), "--variant", "x\u{1b}[2J"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("--variant \"x\\u{1b}[2J\""), "{text}");
}

#[test]
fn control_sequences_in_names_leave_the_svg_well_formed_and_escaped() {
    let text = hostile_names()
        .replace("[instances.web-1]", "[instances.\"web\\u001b-1\"]")
        .replacen("\"web-1\", \"web-2\"", "\"web\\u001b-1\", \"web-2\"", 1);
    let path = scratch("hostile-plots", &text);
    let plots = fresh_dir("hostile-plots");
    run_with_plots(path.to_str().unwrap(), 1000, &plots);
    for name in [
        "cross--31mzone-2J.svg",
        "cross--31mzone-2J-timeseries.svg",
        "cross--31mzone-2J-flowmap.svg",
    ] {
        let svg = std::fs::read_to_string(plots.join(name)).unwrap();
        let document = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{name} is not well-formed XML: {e}"));
        let shown: String = document
            .descendants()
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(shown.contains("cross\\u{1b}[31mzone\\u{9b}2J"), "{name}");
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{9b}'),
            "{name}"
        );
    }
    let series = std::fs::read_to_string(plots.join("cross--31mzone-2J-timeseries.svg")).unwrap();
    assert!(
        series.contains("web\\u{1b}-1"),
        "the target's name, escaped"
    );
    let map = std::fs::read_to_string(plots.join("cross--31mzone-2J-flowmap.svg")).unwrap();
    assert!(map.contains("web\\u{1b}-1"), "the target's name, escaped");
}
