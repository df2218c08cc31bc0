//! Plots: `sim run` writes the distribution, the time series and the flow map as PNG and SVG
//! into the plot directory, nothing with `--no-plot`, and fails after the table when the directory cannot be
//! written.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// ---- Plots -----------------------------------------------------------------------------------

/// An empty directory of its own for one test.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("plots-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory is writable");
    dir
}

const PLOT_FILES: [&str; 6] = [
    "crosszone.png",
    "crosszone.svg",
    "crosszone-timeseries.png",
    "crosszone-timeseries.svg",
    "crosszone-flowmap.png",
    "crosszone-flowmap.svg",
];

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let document = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    document
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn run_writes_the_distribution_and_the_time_series_into_the_plot_dir() {
    let dir = fresh_dir("written");
    std::fs::write(dir.join("keep.txt"), "not sim's").unwrap();
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "3000",
        "--plot-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Hits per subnet"));
    let err = stderr(&output);
    for name in PLOT_FILES {
        assert!(err.contains(&dir.join(name).display().to_string()), "{err}");
    }
    let mut listed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "crosszone-flowmap.png",
            "crosszone-flowmap.svg",
            "crosszone-timeseries.png",
            "crosszone-timeseries.svg",
            "crosszone.png",
            "crosszone.svg",
            "keep.txt"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "not sim's"
    );
    assert_eq!(
        png_size(&std::fs::read(dir.join("crosszone.png")).unwrap()),
        (1200, 700)
    );
    assert_eq!(
        png_size(&std::fs::read(dir.join("crosszone-timeseries.png")).unwrap()),
        (1200, 700)
    );
    let texts = svg_texts(&dir.join("crosszone.svg"));
    for label in [
        "provider-1",
        "provider-2",
        "provider-3",
        "us-east-1a (use1-az1)",
        "us-east-1b (use1-az2)",
        "us-east-1c (use1-az4)",
        "cross-zone off",
        "cross-zone on",
        "crosszone: hits per subnet (3000 flows per variant, seed 1)",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
    let texts = svg_texts(&dir.join("crosszone-timeseries.svg"));
    for label in ["web-1", "web-2", "web-3"] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
}

/// Runs `sim run` on crosszone.toml from `dir` as the current directory.
fn sim_in(dir: &Path, extra: &[&str]) -> Output {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/crosszone.toml");
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(scenario)
        .args(["--flows", "2000"])
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("the sim binary runs")
}

#[test]
fn plots_go_to_plots_by_default_and_nowhere_with_no_plot() {
    let dir = fresh_dir("default");
    let output = sim_in(&dir, &["--no-plot"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("plots:"));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "--no-plot wrote"
    );
    let output = sim_in(&dir, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("plots: plots/crosszone.png, plots/crosszone.svg"));
    for name in PLOT_FILES {
        assert!(dir.join("plots").join(name).is_file(), "no plots/{name}");
    }
}

#[test]
fn an_unwritable_plot_dir_is_an_error_after_the_table() {
    let dir = fresh_dir("unwritable");
    let file = dir.join("file");
    std::fs::write(&file, "a regular file").unwrap();
    let target = file.join("sub");
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--flows",
        "2000",
        "--plot-dir",
        target.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("Hits per subnet"), "no table");
    let err = stderr(&output);
    assert!(
        err.contains(&format!("error: cannot write {}", target.display())),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "a regular file",
        "the file in the way was touched"
    );
}

#[test]
fn no_plot_and_plot_dir_conflict() {
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--no-plot",
        "--plot-dir",
        "elsewhere",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );
}

/// crosszone.toml with `count` more variants, cross-zone alternately off and on.
fn crosszone_with_variants(count: usize) -> String {
    let mut text = CROSSZONE.to_string();
    for i in 0..count {
        text.push_str(&format!(
            "\n[[variants]]\nname = \"extra {i:02}\"\nset.load_balancers.provider-nlb.enable_cross_zone_load_balancing = {}\n",
            i % 2 == 1
        ));
    }
    text
}

#[test]
fn forty_variants_draw_twelve_panels_on_a_canvas_of_bounded_size() {
    let dir = fresh_dir("forty");
    let path = scratch("forty-variants", &crosszone_with_variants(38));
    let output = sim(&[
        "run",
        path.to_str().unwrap(),
        "--flows",
        "2000",
        "--plot-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let series = std::fs::read(dir.join("crosszone-timeseries.png")).unwrap();
    assert_eq!(png_size(&series), (2400, 1300));
    assert_eq!(
        png_size(&std::fs::read(dir.join("crosszone.png")).unwrap()),
        (1200, 700)
    );
    let texts = svg_texts(&dir.join("crosszone-timeseries.svg"));
    let panels = texts.iter().filter(|t| t.starts_with("variant \"")).count();
    assert_eq!(panels, 12, "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("+28 variants not shown") && t.contains("extra ")),
        "{texts:?}"
    );
    // The flow map too: twelve panels, the same note, a canvas that does not grow beyond them.
    let map = png_size(&std::fs::read(dir.join("crosszone-flowmap.png")).unwrap());
    assert!(map.0 <= 2600 && map.1 <= 2700, "{map:?}");
    let texts = svg_texts(&dir.join("crosszone-flowmap.svg"));
    let panels = texts
        .iter()
        .filter(|t| t.starts_with("extra ") || *t == "cross-zone off" || *t == "cross-zone on")
        .count();
    assert_eq!(panels, 12, "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("+28 variants not shown")),
        "{texts:?}"
    );
}
