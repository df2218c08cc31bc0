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
    // Two variants x (3 subnets + 3 AZs + 3 targets + (6 cost lines + 3 sums) x run and month).
    assert_eq!(rows.len(), 2 * (9 + 18), "{text}");
    assert!(
        rows.contains(&"cross-zone off,subnet,provider-1,us-east-1a,use1-az1,true,500,1,1,1,1"),
        "{text}"
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

fn widest_line(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn a_table_of_forty_variants_wraps_into_blocks_no_wider_than_two_variants() {
    let two = sim(&["run", "scenarios/crosszone.toml", "--flows", "1000"]);
    let path = scratch("forty-variants-table", &crosszone_with_variants(38));
    let forty = sim(&["run", path.to_str().unwrap(), "--flows", "1000"]);
    assert!(forty.status.success(), "{}", stderr(&forty));
    let (two, table) = (stdout(&two), stdout(&forty));
    assert!(
        widest_line(&table) <= widest_line(&two),
        "{} > {}",
        widest_line(&table),
        widest_line(&two)
    );
    // Each section names every variant, in its blocks' headers, in file order.
    let titles = [
        "Hits per subnet\n",
        "Hits per AZ\n",
        "Hits per target\n",
        "Failed flows\n",
        "Per variant\n",
    ];
    let starts: Vec<usize> = titles.iter().map(|t| table.find(t).expect(t)).collect();
    for (k, title) in titles.iter().enumerate() {
        if title.starts_with("Failed") {
            continue; // none failed: no variant columns
        }
        let end = starts.get(k + 1).copied().unwrap_or(table.len());
        let section = &table[starts[k]..end];
        assert!(
            section.matches("\n\n").count() >= 10,
            "{title}: not wrapped"
        );
        let mut at = 0;
        for i in 0..38 {
            let name = format!("| extra {i:02}");
            let found = section[at..]
                .find(&name)
                .unwrap_or_else(|| panic!("{title}: no {name} after byte {at}"));
            at += found + name.len();
        }
    }
    // JSON and CSV keep every variant.
    let json = sim(&[
        "run",
        path.to_str().unwrap(),
        "--flows",
        "1000",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(json["variants"].as_array().unwrap().len(), 40);
    let csv = sim(&[
        "run",
        path.to_str().unwrap(),
        "--flows",
        "1000",
        "--format",
        "csv",
    ]);
    assert!(stdout(&csv).contains("extra 37,target,web-3,"));
}
