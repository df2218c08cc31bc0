//! Golden output: every scenario's table and JSON, byte for byte, and README's sample of the
//! main command. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them after an intended
//! change (review the diff).

mod common;

use common::*;
use std::path::{Path, PathBuf};

// ---- Golden output ---------------------------------------------------------------------------

/// Every scenario in `scenarios/` runs, and its table and JSON match `tests/golden/`. Set
/// `UPDATE_GOLDEN=1` to rewrite the golden files after an intended change.
#[test]
fn every_scenario_matches_its_golden_output() {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .expect("scenarios/ exists")
            .map(|e| e.expect("readable entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let relative = format!("scenarios/{stem}.toml");
        for (format, extension) in [("table", "txt"), ("json", "json")] {
            let output = sim(&["run", &relative, "--format", format]);
            assert!(output.status.success(), "{relative}: {}", stderr(&output));
            assert!(
                stderr(&output).contains("throughput:"),
                "{relative}: no throughput line"
            );
            let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/golden/{stem}.{extension}"));
            let actual = stdout(&output);
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&golden, &actual).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
                panic!("missing {}: run with UPDATE_GOLDEN=1", golden.display())
            });
            assert!(
                expected == actual,
                "{relative} --format {format}: {}",
                first_difference(&expected, &actual)
            );
        }
    }
}

#[test]
fn readme_shows_the_real_output_of_the_main_command() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/crosszone.txt"),
    )
    .unwrap();
    assert!(
        readme.contains(golden.trim_end()),
        "README.md's output sample is stale: paste tests/golden/crosszone.txt"
    );
    assert!(readme.contains("cargo run --release -- run scenarios/crosszone.toml"));
    assert!(readme.contains("cargo test"));
}

#[test]
fn csv_has_a_row_per_variant_level_and_name() {
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--format",
        "csv",
        "--flows",
        "500",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "variant,level,name,az,az_id,present,hits,share,expected_share,ci95_low,ci95_high"
    );
    let rows: Vec<&str> = lines.collect();
    // Two variants x (3 subnets + 3 AZs + 3 targets).
    assert_eq!(rows.len(), 18, "{text}");
    assert!(
        rows.contains(&"cross-zone off,subnet,provider-1,us-east-1a,use1-az1,true,500,1,1,1,1"),
        "{text}"
    );
}
