//! Install honesty: the `rust-version` Cargo.toml declares is the oldest toolchain that can
//! build and test sim, i.e. the highest `rust-version` any locked dependency declares.

use std::process::Command;

fn version(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| part.parse().expect("a numeric rust-version"))
        .collect()
}

#[test]
fn rust_version_is_the_highest_any_dependency_needs() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut needs: Vec<(Vec<u64>, String)> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "sim")
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            Some((version(v), format!("{} {}", p["name"], p["version"])))
        })
        .collect();
    needs.sort();
    let (highest, by) = needs.last().expect("dependencies declare rust-version");
    let ours = version(env!("CARGO_PKG_RUST_VERSION"));
    // Compare as major.minor: "1.85.0" and "1.85" are the same requirement.
    assert_eq!(
        ours[..2],
        highest[..2],
        "Cargo.toml says rust-version {}, but {by} needs {highest:?}",
        env!("CARGO_PKG_RUST_VERSION")
    );
}
