//! Tests of the plots on a hand-built report.

use super::distribution::*;
use super::style::*;

use super::*;
use crate::output::report::{
    Completion, Counts, CrossAz, Hashing, Share, TimeSeries, Times, VariantReport, WorkloadSummary,
};

fn share(name: &str, az: &str, az_id: &str, hits: u64, expected: f64) -> Share {
    let s = hits as f64 / 1000.0;
    Share {
        name: name.into(),
        az: az.into(),
        az_id: az_id.into(),
        present: true,
        counts: Some(Counts {
            hits,
            share: s,
            expected_share: expected,
            ci95: [(s - 0.03).max(0.0), (s + 0.03).min(1.0)],
        }),
    }
}

fn variant(name: &str, hits: [u64; 3], expected: [f64; 3]) -> VariantReport {
    VariantReport {
        name: name.into(),
        description: None,
        cross_zone: Vec::new(),
        subnets: vec![
            share("app-a", "eu-west-1a", "euw1-az3", hits[0], expected[0]),
            share("app-b", "eu-west-1b", "euw1-az1", hits[1], expected[1]),
            share("app-c", "eu-west-1a", "euw1-az3", hits[2], expected[2]),
        ],
        azs: Vec::new(),
        targets: Vec::new(),
        failed: Vec::new(),
        fit: None,
        cross_az: CrossAz {
            flows: 0,
            share: 0.0,
            expected_share: 0.0,
            bytes: 0,
            cost_usd: 0.0,
            client_leg_flows: 0,
            client_leg_share: 0.0,
            client_leg_expected_share: 0.0,
        },
        completion: Completion {
            answered: 1000,
            observed: Times {
                mean_us: 0.0,
                p50_us: 0.0,
                p99_us: 0.0,
            },
            expected: None,
        },
        dns_queries: 0,
        dns_cache_hits: 0,
        simulated_seconds: 10.0,
        events: 0,
        hashing: Hashing {
            strategy: "uniform".into(),
            targets: 3,
            repicked_share: None,
            optimum_share: None,
        },
        time_series: TimeSeries {
            bucket_seconds: 0.5,
            targets: vec!["srv-one".into(), "srv-two".into(), "srv-three".into()],
            hits: (0..20)
                .map(|b| hits.iter().map(|h| h / 20 + b % 3).collect())
                .collect(),
            picked_failed: vec![vec![0; 3]; 20],
            failed: vec![0; 20],
            open: None,
        },
        cost: crate::cost::Cost::default(),
        connections: None,
        changes: None,
        flow_map: Default::default(),
        metrics: crate::output::metrics::Metrics {
            bucket_seconds: 0.5,
            buckets: Vec::new(),
        },
    }
}

/// A hand-built report: three subnets over two AZs (one AZ holds two, listed apart), two
/// variants.
fn report() -> Report {
    Report {
        scenario: "hand/built & <odd>".into(),
        file: "hand.toml".into(),
        description: None,
        question: None,
        seed: 7,
        flows: 1000,
        workload: WorkloadSummary {
            clients: vec!["client".into()],
            host: "svc.example".into(),
            port: 80,
            arrival_rate: 100.0,
        },
        variants: vec![
            variant("spread off", [1000, 0, 0], [1.0, 0.0, 0.0]),
            variant("spread on", [340, 330, 330], [1.0 / 3.0; 3]),
        ],
        warnings: Vec::new(),
        refused: Vec::new(),
        expectations: Vec::new(),
    }
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR comes first");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn texts(svg: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    document
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn the_distribution_png_has_the_png_header_and_size() {
    let bytes = distribution_png(&report()).unwrap();
    assert_eq!(png_size(&bytes), DISTRIBUTION_SIZE);
}

#[test]
fn the_distribution_svg_parses_and_names_every_subnet_az_and_variant() {
    let texts = texts(&distribution_svg(&report()).unwrap());
    for wanted in [
        "app-a",
        "app-b",
        "app-c",
        "eu-west-1a (euw1-az3)",
        "eu-west-1b (euw1-az1)",
        "spread off",
        "spread on",
        "share of flows (%)",
        "expected share",
        "95 % interval (clustered)",
        "hand/built & <odd>: hits per subnet (1000 flows per variant, seed 7)",
    ] {
        assert!(
            texts.iter().any(|t| t == wanted),
            "no {wanted:?} in {texts:?}"
        );
    }
}

#[test]
fn subnets_are_grouped_by_az_and_each_az_is_labelled_once() {
    let report = report();
    let slots = subnet_slots(&report);
    let names: Vec<&str> = slots.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["app-a", "app-c", "app-b"]);
    assert_eq!(az_groups(&slots), [(0, 2), (2, 1)]);
    let texts = texts(&distribution_svg(&report).unwrap());
    let count = texts
        .iter()
        .filter(|t| *t == "eu-west-1a (euw1-az3)")
        .count();
    assert_eq!(count, 1);
}

#[test]
fn the_time_series_names_every_target_and_has_a_panel_per_variant() {
    let report = report();
    let bytes = time_series_png(&report).unwrap();
    assert_eq!(png_size(&bytes), time_series_size(&report));
    let texts = texts(&time_series_svg(&report).unwrap());
    for wanted in [
        "srv-one",
        "srv-two",
        "srv-three",
        "variant \"spread off\"",
        "variant \"spread on\"",
        "simulated time (s), by flow start",
        "flows per 500 ms bucket",
    ] {
        assert!(
            texts.iter().any(|t| t == wanted),
            "no {wanted:?} in {texts:?}"
        );
    }
}

#[test]
fn the_same_report_gives_byte_identical_files() {
    let first = render_all(&report()).unwrap();
    let second = render_all(&report()).unwrap();
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.name, b.name);
        assert!(a.bytes == b.bytes, "{} differs between two renders", a.name);
    }
}

#[test]
fn an_empty_report_still_draws() {
    let mut empty = report();
    empty.variants.clear();
    let files = render_all(&empty).unwrap();
    assert_eq!(files.len(), 6);
    let mut silent = report();
    for v in &mut silent.variants {
        v.time_series.hits.clear();
        v.subnets.clear();
    }
    assert_eq!(render_all(&silent).unwrap().len(), 6);
}

#[test]
fn file_names_come_from_the_scenario_name_made_safe() {
    assert_eq!(
        file_names("crosszone"),
        [
            "crosszone.png",
            "crosszone.svg",
            "crosszone-timeseries.png",
            "crosszone-timeseries.svg",
            "crosszone-flowmap.png",
            "crosszone-flowmap.svg"
        ]
    );
    assert_eq!(file_stem("hand/built & <odd>"), "hand-built----odd-");
    assert_eq!(file_stem("../up"), "-up");
    assert_eq!(file_stem(".."), "scenario");
    assert_eq!(file_stem(""), "scenario");
}

#[test]
fn hatching_and_dashes_stay_inside_their_shapes() {
    for ((x0, y0), (x1, y1)) in hatch_segments((10, 20), (40, 90), 8) {
        for (x, y) in [(x0, y0), (x1, y1)] {
            assert!((10..=40).contains(&x) && (20..=90).contains(&y));
        }
    }
    let dashes = dash_segments(&[(0, 0), (100, 0)], 10.0, 5.0);
    assert_eq!(dashes.len(), 7);
    assert_eq!(dashes[0], ((0, 0), (10, 0)));
    assert_eq!(dashes[6], ((90, 0), (100, 0)));
}

#[test]
fn a_subnet_a_variant_lacks_is_marked_not_drawn() {
    let mut report = report();
    let absent = &mut report.variants[1].subnets[2];
    absent.present = false;
    absent.counts = None;
    let texts = texts(&distribution_svg(&report).unwrap());
    assert_eq!(texts.iter().filter(|t| *t == "n/a").count(), 1, "{texts:?}");
    // Its name still labels the slot: the other variant has a bar there.
    assert!(texts.iter().any(|t| t == "app-c"));
}

/// The hand-built report with `count` variants (`v-0`, `v-1`, ...): variant `i` answers
/// `1000 - i` flows, so the first twelve answer most.
fn with_variants(count: usize) -> Report {
    let mut report = report();
    report.variants = (0..count)
        .map(|i| {
            let mut v = variant(&format!("v-{i}"), [340, 330, 330], [1.0 / 3.0; 3]);
            v.completion.answered = 1000 - i as u64;
            v
        })
        .collect();
    report
}

fn count_of(texts: &[String], wanted: impl Fn(&str) -> bool) -> usize {
    texts.iter().filter(|t| wanted(t)).count()
}

#[test]
fn many_variants_draw_twelve_panels_on_a_canvas_of_one_size() {
    let (few, many) = (with_variants(13), with_variants(300));
    assert_eq!(time_series_size(&few), time_series_size(&many));
    assert_eq!(time_series_size(&many), (2400, 1300));
    assert_eq!(
        png_size(&time_series_png(&many).unwrap()),
        time_series_size(&many)
    );
    assert_eq!(
        png_size(&distribution_png(&many).unwrap()),
        DISTRIBUTION_SIZE
    );
    let texts = texts(&time_series_svg(&many).unwrap());
    assert_eq!(count_of(&texts, |t| t.starts_with("variant \"v-")), 12);
    assert!(texts.iter().any(|t| t == "variant \"v-11\""));
    let note = texts
        .iter()
        .find(|t| t.starts_with("+288 variants not shown"))
        .unwrap_or_else(|| panic!("no note in {texts:?}"));
    assert!(note.contains(": v-12, v-13, "), "{note}");
    assert!(note.ends_with('…'), "{note}");
    let texts = self::texts(&distribution_svg(&many).unwrap());
    assert_eq!(count_of(&texts, |t| t.starts_with("v-")), 12, "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("+288 variants not shown"))
    );
}

#[test]
fn the_variants_drawn_are_those_that_answered_most_in_file_order() {
    let mut report = with_variants(14);
    report.variants[13].completion.answered = 5000;
    let texts = texts(&time_series_svg(&report).unwrap());
    assert!(texts.iter().any(|t| t == "variant \"v-13\""));
    let note = texts.iter().find(|t| t.starts_with("+2 variants")).unwrap();
    assert!(note.ends_with(": v-11, v-12"), "{note}");
}

#[test]
fn many_targets_draw_twelve_lines_and_the_others_mean() {
    let mut report = report();
    for v in &mut report.variants {
        let series = &mut v.time_series;
        series.targets = (0..40).map(|k| format!("t-{k}")).collect();
        // Target k gets k + 1 hits per bucket: the last twelve are the largest.
        series.hits = (0..20).map(|_| (0..40).map(|k| k + 1).collect()).collect();
    }
    let texts = texts(&time_series_svg(&report).unwrap());
    assert_eq!(count_of(&texts, |t| t.starts_with("t-")), 12, "{texts:?}");
    assert!(texts.iter().any(|t| t == "t-39") && texts.iter().any(|t| t == "t-28"));
    assert!(texts.iter().any(|t| t == "others (mean of 28 targets)"));
    let note = texts
        .iter()
        .find(|t| t.starts_with("+28 targets with fewer hits drawn as their mean"))
        .unwrap_or_else(|| panic!("no note in {texts:?}"));
    assert!(note.contains("t-0, t-1, t-2"), "{note}");
}

#[test]
fn many_subnets_draw_the_twelve_with_most_hits() {
    let mut report = report();
    for v in &mut report.variants {
        v.subnets = (0..30)
            .map(|i| share(&format!("s-{i}"), "eu-west-1a", "euw1-az3", 10 + i, 0.01))
            .collect();
    }
    let slots = subnet_slots(&report);
    assert_eq!(slots.len(), 30);
    let texts = texts(&distribution_svg(&report).unwrap());
    assert_eq!(count_of(&texts, |t| t.starts_with("s-")), 12, "{texts:?}");
    assert!(texts.iter().any(|t| t == "s-29") && texts.iter().any(|t| t == "s-18"));
    let note = texts
        .iter()
        .find(|t| t.starts_with("+18 subnets not shown (fewer hits): s-0, s-1"))
        .unwrap_or_else(|| panic!("no note in {texts:?}"));
    assert!(note.len() < 300, "{note}");
}

#[test]
fn a_span_of_centuries_is_labelled_in_years() {
    let mut report = report();
    let five_years = 5.0 * crate::sim::tally::YEAR_NS as f64 / 1e9;
    for v in &mut report.variants {
        v.time_series.bucket_seconds = five_years;
        v.simulated_seconds = 20.0 * five_years;
    }
    let texts = texts(&time_series_svg(&report).unwrap());
    assert!(
        texts.iter().any(|t| t == "flows per 5 yr bucket"),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("simulated time (years of 365.25 days)"))
    );
    assert!(
        texts.iter().any(|t| t == "100"),
        "a tick at 100 years: {texts:?}"
    );
    assert_eq!(super::time_series::bucket_words(86_400.0 * 5.0), "5 d");
    assert_eq!(super::time_series::bucket_words(7_200.0), "2 h");
    assert_eq!(super::time_series::bucket_words(0.005), "5 ms");
}
