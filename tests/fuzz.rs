//! Replays, on stable, what the fuzzers under `fuzz/` keep: the minimised corpus of each target
//! (`tests/fuzz/corpus/TARGET/`) and every input that ever failed (`tests/fuzz/failures/TARGET/`,
//! each fixed since), through the same oracle (`tests/fuzz/oracle.rs`).

#[allow(dead_code)]
#[path = "fuzz/oracle.rs"]
mod oracle;

use std::path::Path;

/// Runs `oracle` on every file kept for `target`; returns how many there were.
fn replay(target: &str, oracle: fn(&[u8])) -> usize {
    let mut count = 0;
    for kind in ["corpus", "failures"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz")
            .join(kind)
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| oracle(&data));
            assert!(outcome.is_ok(), "{} fails the oracle", path.display());
            count += 1;
        }
    }
    count
}

#[test]
fn the_check_corpus_replays() {
    let n = replay("check", |data| {
        let _ = oracle::check(data);
    });
    assert!(n > 0, "the check corpus is kept");
}

#[test]
fn the_engines_corpus_replays() {
    assert!(
        replay("engines", oracle::engines) > 0,
        "the engines corpus is kept"
    );
}

#[test]
fn the_explain_corpus_replays() {
    assert!(
        replay("explain", oracle::explain) > 0,
        "the explain corpus is kept"
    );
}

#[test]
fn the_import_hcl_corpus_replays() {
    assert!(
        replay("import_hcl", oracle::import_hcl) > 0,
        "the import_hcl corpus is kept"
    );
}

#[test]
fn the_import_plan_corpus_replays() {
    assert!(
        replay("import_plan", oracle::import_plan) > 0,
        "the import_plan corpus is kept"
    );
}
