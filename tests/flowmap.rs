//! The flow map: `sim run` draws `NAME-flowmap.png` and `.svg`; its legs carry the run's own
//! counts (widths proportional to them, cross-AZ legs marked), its failures are marked where the
//! flows ended, and its labels stay readable (no two text boxes overlap, no text under 9 px)
//! with 3, 9 and 30 targets. The report's JSON carries the same data (`flow_map`).

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// crosszone.toml with `per_az` targets in each of its three provider subnets (`web-a1`, ...,
/// `web-c10`), a client and an endpoint ENI in each consumer subnet, and an endpoint security
/// group that admits only the first two consumer subnets: the third client's flows end at its
/// ENI (`SG_DENY`).
fn scenario_with_targets(per_az: usize) -> String {
    let mut text = String::new();
    let mut skipping = false;
    for line in crosszone_system().lines() {
        if line.starts_with("[instances.web-") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with('[') {
            skipping = false;
        }
        if !skipping {
            text.push_str(line);
            text.push('\n');
        }
    }
    let mut names = Vec::new();
    for (az, subnet) in ["a", "b", "c"].iter().zip(1..=3) {
        for i in 1..=per_az {
            let name = format!("web-{az}{i}");
            text.push_str(&format!(
                "\n[instances.{name}]\nsubnet_id = \"provider-{subnet}\"\nsecurity_group_ids = [\"web-sg\"]\nweb_server = {{ port = 80, body = \"{name}\" }}\n"
            ));
            names.push(format!("\"{name}\""));
        }
    }
    let text = text
        .replacen(
            "targets = [\"web-1\", \"web-2\", \"web-3\"]",
            &format!("targets = [{}]", names.join(", ")),
            1,
        )
        .replacen(
            "subnet_ids = [\"consumer-1\"]",
            "subnet_ids = [\"consumer-1\", \"consumer-2\", \"consumer-3\"]",
            1,
        )
        .replacen(
            "cidr_blocks = [\"10.11.0.0/26\", \"10.11.0.64/26\", \"10.11.0.128/26\"]",
            "cidr_blocks = [\"10.11.0.0/26\", \"10.11.0.64/26\"]",
            1,
        )
        .replacen(
            "[instances.consumer-client]\nsubnet_id = \"consumer-1\"\n",
            "[instances.consumer-client]\nsubnet_id = \"consumer-1\"\n\n[instances.client-2]\nsubnet_id = \"consumer-2\"\n\n[instances.client-3]\nsubnet_id = \"consumer-3\"\n",
            1,
        )
        .replacen(
            "clients = [\"consumer-client\"]",
            "clients = [\"consumer-client\", \"client-2\", \"client-3\"]",
            1,
        )
        .replacen("name = \"crosszone\"", &format!("name = \"targets-{}\"", 3 * per_az), 1);
    assert!(text.contains("client-3") && text.contains("\"consumer-3\"]"));
    text
}

/// Runs `sim run` on `text` into a fresh plot directory; returns the flow map SVG's path and
/// the JSON report.
fn run_with_plots(name: &str, text: &str, flows: u64) -> (PathBuf, serde_json::Value) {
    let path = scratch(name, text);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("flowmap-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let flows = flows.to_string();
    let output = sim(&[
        "run",
        path.to_str().unwrap(),
        "--flows",
        &flows,
        "--format",
        "json",
        "--plot-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let stem = report["scenario"].as_str().unwrap().to_string();
    let svg = dir.join(format!("{stem}-flowmap.svg"));
    assert!(
        stderr(&output).contains(&svg.display().to_string()),
        "the plots line names the flow map: {}",
        stderr(&output)
    );
    assert!(dir.join(format!("{stem}-flowmap.png")).exists());
    (svg, report)
}

/// A text of the SVG and the box it covers, estimated from its font size, length and anchor.
#[derive(Debug)]
struct Label {
    text: String,
    size: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

/// Width of a character of DejaVu Sans, in ems, roughly (its advance widths: narrow
/// punctuation, lowercase, digits and capitals, wide `%`, `m`, `w` and `M`, `W`).
fn em_width(c: char) -> f64 {
    match c {
        ' ' | '.' | ',' | ':' | 'i' | 'l' | 'j' | '\'' | '|' => 0.32,
        '(' | ')' | 'f' | 't' | 'r' | '-' => 0.4,
        'm' | 'w' | '%' | 'M' | 'W' => 0.95,
        c if c.is_ascii_uppercase() || c == '_' => 0.7,
        _ => 0.62,
    }
}

fn labels(svg: &Path) -> Vec<Label> {
    let text = std::fs::read_to_string(svg).unwrap();
    let document = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    document
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let number = |key: &str| -> f64 {
                n.attribute(key)
                    .unwrap_or_else(|| panic!("text without {key}"))
                    .parse()
                    .unwrap()
            };
            assert!(
                n.attribute("transform").is_none(),
                "the flow map draws no rotated text"
            );
            let content = n.text().unwrap_or("").trim().to_string();
            let size = number("font-size");
            let (x, y) = (number("x"), number("y"));
            let width: f64 = content.chars().map(em_width).sum::<f64>() * size;
            let (left, right) = match n.attribute("text-anchor").unwrap_or("start") {
                "middle" => (x - width / 2.0, x + width / 2.0),
                "end" => (x - width, x),
                _ => (x, x + width),
            };
            // plotters' vertical anchors: dy 0.76em (top), 0.5ex (centre), -0.5ex (bottom).
            let (top, bottom) = match n.attribute("dy").unwrap_or("0") {
                "0.76em" => (y, y + size),
                "-0.5ex" => (y - size, y),
                _ => (y - size / 2.0, y + size / 2.0),
            };
            Label {
                text: content,
                size,
                left,
                right,
                top,
                bottom,
            }
        })
        .collect()
}

fn assert_readable(svg: &Path) -> Vec<Label> {
    let labels = labels(svg);
    for l in &labels {
        assert!(l.size >= 9.0, "{:?} is {} px", l.text, l.size);
    }
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            let overlap =
                a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            assert!(!overlap, "{} overlaps:\n{a:?}\n{b:?}", svg.display());
        }
    }
    labels
}

#[test]
fn the_flow_map_stays_readable_with_3_9_and_30_targets() {
    let cases = [
        ("crosszone-map", CROSSZONE.to_string(), 3),
        ("targets-9", scenario_with_targets(3), 9),
        ("targets-30", scenario_with_targets(10), 30),
    ];
    for (name, text, targets) in cases {
        let (svg, report) = run_with_plots(name, &text, 3000);
        let labels = assert_readable(&svg);
        let texts: Vec<&str> = labels.iter().map(|l| l.text.as_str()).collect();
        // Every AZ header, every variant's panel.
        for header in [
            "us-east-1a (use1-az1)",
            "us-east-1b (use1-az2)",
            "us-east-1c (use1-az4)",
        ] {
            assert_eq!(
                texts.iter().filter(|t| **t == header).count(),
                2,
                "{name}: {header} once per panel in {texts:?}"
            );
        }
        assert!(texts.contains(&"cross-zone off") && texts.contains(&"cross-zone on"));
        let map = &report["variants"][0]["flow_map"];
        let drawn_targets = map["elements"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "target")
            .count();
        assert_eq!(drawn_targets, targets, "{name}");
        // Every failure is marked with its reason, in every panel.
        for v in report["variants"].as_array().unwrap() {
            for mark in v["flow_map"]["failures"].as_array().unwrap() {
                let reason = mark["reason"].as_str().unwrap();
                assert!(
                    texts.iter().any(|t| t.starts_with(reason)),
                    "{name}: no {reason} mark in {texts:?}"
                );
            }
        }
        if targets > 3 {
            let denied: Vec<&serde_json::Value> = map["failures"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["reason"] == "SG_DENY")
                .collect();
            assert_eq!(denied.len(), 1, "{name}: {map}");
            assert_eq!(denied[0]["at"], "eni:provider-endpoint:consumer-3");
        }
    }
}

#[test]
fn leg_widths_are_proportional_to_the_flows_they_carried() {
    let (svg, report) = run_with_plots("crosszone-widths", CROSSZONE, 30000);
    let legs = |v: usize| -> Vec<(String, String, u64, f64, bool)> {
        report["variants"][v]["flow_map"]["legs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["from"].as_str().unwrap().to_string(),
                    l["to"].as_str().unwrap().to_string(),
                    l["flows"].as_u64().unwrap(),
                    l["share"].as_f64().unwrap(),
                    l["cross_az"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    // Cross-zone off: every flow on client -> ENI -> node in use1-az1 -> web-1, nothing else.
    let off = legs(0);
    assert_eq!(
        off.iter()
            .map(|l| (l.0.as_str(), l.1.as_str(), l.2, l.4))
            .collect::<Vec<_>>(),
        [
            (
                "client:consumer-client",
                "eni:provider-endpoint:consumer-1",
                30000,
                false
            ),
            (
                "eni:provider-endpoint:consumer-1",
                "node:provider-nlb:use1-az1",
                30000,
                false
            ),
            (
                "node:provider-nlb:use1-az1",
                "target:web:web-1",
                30000,
                false
            ),
        ]
    );
    // Cross-zone on: three node -> target legs of about a third each, two across AZs.
    let on = legs(1);
    let to_targets: Vec<&(String, String, u64, f64, bool)> =
        on.iter().filter(|l| l.1.starts_with("target:")).collect();
    assert_eq!(to_targets.len(), 3);
    assert_eq!(to_targets.iter().filter(|l| l.4).count(), 2);
    for l in &to_targets {
        assert!((l.3 - 1.0 / 3.0).abs() < 0.02, "{l:?}");
        assert_eq!(l.4, l.1 != "target:web:web-1", "{l:?}");
    }
    assert_eq!(to_targets.iter().map(|l| l.2).sum::<u64>(), 30000);

    // The SVG draws the legs as lines as wide as their shares: 24 px for every flow, 8 px for a
    // third; the cross-AZ ones dashed (in many short segments), in their own colour.
    let text = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&text).unwrap();
    let lines: Vec<(u32, String)> = document
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            (
                n.attribute("stroke-width").unwrap().parse().unwrap(),
                n.attribute("stroke").unwrap().to_string(),
            )
        })
        .collect();
    let count = |width: u32, colour: &str| {
        lines
            .iter()
            .filter(|(w, c)| *w == width && c == colour)
            .count()
    };
    // Off: three full legs; on: two full legs (client -> ENI -> node) and one same-AZ third.
    assert_eq!(count(24, "#1B3A6B"), 5, "{lines:?}");
    assert_eq!(count(8, "#1B3A6B"), 1, "{lines:?}");
    assert!(count(8, "#D95F02") > 2, "dashed cross-AZ thirds: {lines:?}");
    assert!(lines.iter().all(|(w, _)| *w <= 24));
}
