//! `sim sweep` and `sim merge` on a small grid of scenarios/crosszone.toml: 2 x 2 points, its two
//! variants, 2 seeds.

mod common;

use common::{CROSSZONE, scratch, sim, stderr, stdout};

/// The crosszone scenario with a 2 x 2 sweep and two seeds.
fn grid(name: &str) -> String {
    let text = format!(
        "{CROSSZONE}\n[sweep]\nseeds = [1, 2]\naxes = [\n  \
         {{ key = \"workload.dns_cache\", values = [true, false] }},\n  \
         {{ key = \"vpc_endpoints.provider-endpoint.subnet_ids\", values = [[\"consumer-1\"], [\"consumer-1\", \"consumer-2\"]] }},\n]\n"
    );
    scratch(name, &text).to_str().unwrap().to_string()
}

fn sweep(args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    sim(&all)
}

#[test]
fn rows_of_a_small_grid() {
    let file = grid("sweep-rows");
    let out = sweep(&[&file, "--flows", "3000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "point,variant,seed,workload.dns_cache,vpc_endpoints.provider-endpoint.subnet_ids,level,name,hits,share,expected_share,ci95_low,ci95_high"
    );
    let rows: Vec<&str> = lines.collect();
    // 4 points x 2 variants x (2 seeds + mean) x (3 subnets + 3 AZs + 3 targets + 3 summary).
    assert_eq!(rows.len(), 4 * 2 * 3 * 12, "{text}");
    // Cross-zone off: everything on subnet 1, for every seed and the mean.
    let off_subnet1: Vec<&&str> = rows
        .iter()
        .filter(|r| r.contains(",cross-zone off,") && r.contains(",subnet,provider-1,"))
        .collect();
    assert_eq!(off_subnet1.len(), 4 * 3);
    for r in &off_subnet1 {
        if r.contains(",mean,") {
            assert!(r.ends_with(",,1,1,1,1"), "{r}");
        } else {
            assert!(r.ends_with(",3000,1,1,,"), "{r}");
        }
    }
    // Cross-zone on spreads the flows: subnet 2 gets some.
    assert!(rows.iter().any(|r| r.contains(",cross-zone on,1,")
        && r.contains(",subnet,provider-2,")
        && !r.contains(",provider-2,0,")));
    // Point names: each axis's last segment and value as TOML, first axis slowest.
    assert!(
        rows[0].starts_with(
            "\"dns_cache=true, subnet_ids=[\"\"consumer-1\"\"]\",cross-zone off,1,true,"
        )
    );
    assert!(rows.last().unwrap().starts_with(
        "\"dns_cache=false, subnet_ids=[\"\"consumer-1\"\", \"\"consumer-2\"\"]\",cross-zone on,mean,false,"
    ));
}

#[test]
fn output_does_not_depend_on_threads_and_shards_merge_back() {
    let file = grid("sweep-shards");
    let one = sweep(&[&file, "--flows", "3000", "--threads", "1"]);
    let two = sweep(&[&file, "--flows", "3000", "--threads", "2"]);
    assert!(one.status.success(), "{}", stderr(&one));
    assert_eq!(stdout(&one), stdout(&two));

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let part = |i: usize| dir.join(format!("sweep-part-{i}")).display().to_string();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let p = part(i);
        let out = sweep(&[&file, "--flows", "3000", "--shard", &shard, "-o", &p]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let merged = sim(&["merge", &part(3), &part(1), &part(2)]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert_eq!(stdout(&merged), stdout(&one));

    let missing = sim(&["merge", &part(1), &part(3)]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("missing shard 2/3"),
        "{}",
        stderr(&missing)
    );

    let twice = sim(&["merge", &part(1), &part(2), &part(2), &part(3)]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        stderr(&twice).contains("shard 2/3 is given twice"),
        "{}",
        stderr(&twice)
    );

    // Another flow count, then another scenario: the digest differs.
    let other = dir.join("sweep-part-other").display().to_string();
    let out = sweep(&[&file, "--flows", "2000", "--shard", "2/3", "-o", &other]);
    assert!(out.status.success(), "{}", stderr(&out));
    let refused = sim(&["merge", &part(1), &other, &part(3)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("not a part of the same sweep"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("digest"), "{}", stderr(&refused));

    let changed = scratch(
        "sweep-shards-changed",
        &std::fs::read_to_string(&file)
            .unwrap()
            .replace("seed = 1\n", "seed = 7\n"),
    );
    let out = sweep(&[
        changed.to_str().unwrap(),
        "--flows",
        "3000",
        "--shard",
        "2/3",
        "-o",
        &other,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let refused = sim(&["merge", &part(1), &other, &part(3)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("not a part of the same sweep"),
        "{}",
        stderr(&refused)
    );

    // JSON lines: the same rows.
    let jsonl = sweep(&[&file, "--flows", "3000", "--format", "jsonl"]);
    assert!(jsonl.status.success(), "{}", stderr(&jsonl));
    let text = stdout(&jsonl);
    assert_eq!(text.lines().count(), stdout(&one).lines().count() - 1);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["seed"], 1);
    assert_eq!(first["axes"]["workload.dns_cache"], true);
}

#[test]
fn a_bad_axis_key_is_an_input_error_at_its_key_path() {
    let text = format!(
        "{CROSSZONE}\n[sweep]\naxes = [{{ key = \"load_balancers.no-such-nlb.enable_cross_zone_load_balancing\", values = [true] }}]\n"
    );
    let file = scratch("sweep-bad-key", &text);
    let out = sweep(&[file.to_str().unwrap(), "--flows", "100"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("sweep.axes[0].key"), "{err}");
    assert!(err.contains("no-such-nlb"), "{err}");
    assert!(stdout(&out).is_empty());

    // On the command line too.
    let out = sweep(&[
        "scenarios/crosszone.toml",
        "--set",
        "load_balancers.no-such-nlb.enable_cross_zone_load_balancing=[true]",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--set[0]"), "{}", stderr(&out));

    // `sim run` and `sim check` accept the [sweep] table.
    let file = grid("sweep-run-check");
    let out = sim(&["check", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sim(&["run", &file, "--flows", "100", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // and refuse unknown keys inside it.
    let bad = scratch(
        "sweep-unknown",
        &format!("{CROSSZONE}\n[sweep]\nseed = [1]\n"),
    );
    let out = sim(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("sweep.seed"), "{}", stderr(&out));
}

#[test]
fn heat_map_of_a_small_grid() {
    let file = grid("sweep-plot");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-plot-dir");
    let _ = std::fs::remove_dir_all(&dir);
    let out = sweep(&[
        &file,
        "--flows",
        "2000",
        "--plot",
        "cross_az_share",
        "--plot-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("crosszone-sweep.png"),
        "{}",
        stderr(&out)
    );
    let png = std::fs::read(dir.join("crosszone-sweep.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.join("crosszone-sweep.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    assert!(svg.contains("cross_az_share"), "the title names the metric");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["crosszone-sweep.png", "crosszone-sweep.svg"]);
}

#[test]
fn heat_map_metric_is_checked() {
    let file = grid("sweep-plot-bad");
    for metric in ["bogus", "subnet:nowhere", "target:", "target:nobody"] {
        let out = sweep(&[&file, "--flows", "100", "--plot", metric]);
        assert_eq!(out.status.code(), Some(2), "{metric}: {}", stderr(&out));
        assert!(stderr(&out).contains("--plot"), "{}", stderr(&out));
    }
}
