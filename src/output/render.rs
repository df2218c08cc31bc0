//! Renderers of a [`Report`]: a text table for people, JSON and CSV for programs. They read the
//! report and nothing else. The table wraps many variants into blocks that keep its lines near
//! [`TABLE_WIDTH`] characters, however many variants there are; JSON and CSV hold everything.

use std::fmt::Write as _;

use crate::output::report::{Counts, Report, VariantReport};

/// Output formats of `sim run`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text tables, variants side by side.
    Table,
    /// The JSON contract documented in README.md.
    Json,
    /// One row per (variant, level, name).
    Csv,
    /// CloudWatch's metrics per time bucket, as JSON.
    MetricsJson,
    /// CloudWatch's metrics per time bucket, one CSV row per (variant, bucket, metric,
    /// dimensions).
    MetricsCsv,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table(report),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(report)
                .expect("reports serialize: plain data, string keys");
            text.push('\n');
            text
        }
        Format::Csv => csv(report),
        Format::MetricsJson => {
            let variants: Vec<_> = report
                .variants
                .iter()
                .map(|v| serde_json::json!({ "name": v.name, "metrics": v.metrics }))
                .collect();
            let mut text = serde_json::to_string_pretty(&serde_json::json!({
                "scenario": report.scenario,
                "seed": report.seed,
                "flows": report.flows,
                "variants": variants,
            }))
            .expect("metrics serialize: plain data, string keys");
            text.push('\n');
            text
        }
        Format::MetricsCsv => metrics_csv(report),
    }
}

fn metrics_csv(report: &Report) -> String {
    let mut out =
        String::from("variant,bucket_start_seconds,bucket_seconds,metric,dimensions,value,state\n");
    for v in &report.variants {
        for bucket in &v.metrics.buckets {
            for d in &bucket.values {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    csv_field(&v.name),
                    bucket.start_seconds,
                    v.metrics.bucket_seconds,
                    d.metric,
                    csv_field(&d.dimensions),
                    d.value,
                    d.state.unwrap_or("")
                );
            }
        }
    }
    out
}

/// The cost section (docs/model.md COST-1 to COST-4): per line its payer, then per variant its
/// quantity, price, USD for the run and for a month; the sums each side pays; a price not from
/// an AWS page marked `*`, one the scenario set marked `+`; the notes on the estimates.
fn cost_section(out: &mut String, report: &Report) {
    let Some(first) = report.variants.first() else {
        return;
    };
    let _ = writeln!(
        out,
        "\nCost in USD (inter-AZ: $ per GB crossing, both ends pay; run: the simulated run; month: {} hours)",
        first.cost.month_hours
    );
    let mut grid = Grid { rows: Vec::new() };
    let mut header = vec!["line".to_string(), "payer".to_string()];
    for _ in &report.variants {
        header.extend(["quantity", "price", "run", "month"].map(String::from));
    }
    grid.rows.push(header);
    let mut marks: Vec<&str> = Vec::new();
    for (i, line) in first.cost.lines.iter().enumerate() {
        let mut row = vec![line.what.clone(), line.payer.to_string()];
        for v in &report.variants {
            let Some(l) = v.cost.lines.get(i) else {
                row.extend(["-", "", "", ""].map(String::from));
                continue;
            };
            let mark = match l.price_source {
                "third-party" => "*",
                "scenario" => "+",
                _ => "",
            };
            if !mark.is_empty() && !marks.contains(&mark) {
                marks.push(mark);
            }
            row.extend([
                format!("{} {}", quantity(l.quantity), l.unit),
                format!("${}/{}{mark}", l.price, l.unit.trim_end_matches('s')),
                format!("${:.6}", l.usd),
                format!("${:.4}", l.usd_per_month),
            ]);
        }
        grid.rows.push(row);
    }
    type Sum = fn(&crate::cost::Cost) -> (f64, f64);
    let sums: [(&str, Sum); 3] = [
        ("consumer pays", |c| (c.consumer_usd, c.month_consumer_usd)),
        ("provider pays", |c| (c.provider_usd, c.month_provider_usd)),
        ("total", |c| (c.total_usd, c.month_total_usd)),
    ];
    for (label, sum) in sums {
        let mut row = vec![label.to_string(), String::new()];
        for v in &report.variants {
            let (run, month) = sum(&v.cost);
            row.extend([
                String::new(),
                String::new(),
                format!("${run:.6}"),
                format!("${month:.4}"),
            ]);
        }
        grid.rows.push(row);
    }
    let names: Vec<String> = report.variants.iter().map(|v| v.name.clone()).collect();
    grid.render(out, 2, 4, &names);
    marks.sort();
    for mark in marks {
        let _ = match mark {
            "*" => writeln!(out, "  * not from an AWS page (third-party figure)"),
            _ => writeln!(out, "  + set by the scenario's [prices], not AWS's"),
        };
    }
    let mut notes: Vec<&String> = Vec::new();
    for v in &report.variants {
        for note in &v.cost.notes {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    for note in notes {
        wrapped(out, note);
    }
}

/// `text` as lines of at most [`TABLE_WIDTH`] characters (unless a word is longer), indented by
/// two spaces, the lines after the first by four.
fn wrapped(out: &mut String, text: &str) {
    let mut line = String::from("  ");
    for word in text.split(' ') {
        let indent = line.trim_start().is_empty();
        if !indent && line.chars().count() + 1 + word.chars().count() > TABLE_WIDTH {
            let _ = writeln!(out, "{line}");
            line = String::from("    ");
        } else if !line.trim_start().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    let _ = writeln!(out, "{line}");
}

/// A quantity as the cost section shows it: whole numbers plain, others to six decimals.
fn quantity(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.6}")
    }
}

/// The connections section of a variant whose connections live.
fn connections_section(out: &mut String, name: &str, c: &crate::output::connections::Connections) {
    let _ = writeln!(
        out,
        "\nConnections in variant \"{name}\" ({}): {} opened",
        c.lifetime, c.opened
    );
    for e in &c.ends {
        let _ = writeln!(
            out,
            "  {:<20} {:>9}  {:>6}  from {:.3} s to {:.3} s  [{}]",
            e.code,
            e.connections,
            pct(e.share),
            e.first_seconds,
            e.last_seconds,
            e.rule
        );
    }
    for x in &c.targets {
        let ends: Vec<String> = x
            .ends
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        let _ = writeln!(out, "  {:<20} {}", x.target, ends.join(", "));
    }
    let _ = writeln!(
        out,
        "  requests: {} sent, {} failed",
        c.requests, c.requests_failed
    );
}

/// The "what changed" section of a variant with events.
fn changes_section(out: &mut String, name: &str, c: &crate::output::changes::Changes) {
    let _ = writeln!(out, "\nWhat changed in variant \"{name}\":");
    let _ = writeln!(out, "  events:");
    for e in &c.events {
        let late = if e.after_last_flow {
            " (after the last flow)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {:>10.3} s  {}  {}{late}",
            e.at_seconds, e.key, e.label
        );
    }
    if !c.health.is_empty() {
        let _ = writeln!(out, "  target health:");
        for line in &c.health {
            for (i, step) in line.changes.iter().enumerate() {
                let who = if i == 0 { line.target.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "    {who:<10} {:>10.3} s  {}",
                    step.at_seconds, step.reason
                );
                if i > 0 {
                    let _ = writeln!(out, "    {:<10} {:>12}  by {}", "", "", step.cause);
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "  flows by state (observed share, expected share under that state):"
    );
    for st in &c.states {
        let outcomes: Vec<String> = st
            .outcomes
            .iter()
            .map(|o| format!("{} {} ({})", o.name, pct(o.share), pct(o.expected_share)))
            .collect();
        let _ = writeln!(
            out,
            "    {}: {} flows over {:.1} s in {} span{}: {}",
            st.state,
            st.flows,
            st.seconds,
            st.spans,
            if st.spans == 1 { "" } else { "s" },
            outcomes.join(", ")
        );
    }
    if !c.answers.is_empty() {
        let _ = writeln!(out, "  answers:");
        for a in &c.answers {
            let _ = writeln!(out, "    {} {}", a.question, a.answer);
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn ci_pct(ci: [f64; 2]) -> String {
    format!("[{:.2}, {:.2}]", ci[0] * 100.0, ci[1] * 100.0)
}

/// The width a table's lines keep to when it has many variants: it wraps them into blocks of
/// as many as fit (at least [`MIN_PER_BLOCK`], side by side), one block under the other.
pub const TABLE_WIDTH: usize = 120;

/// Variants a block always holds (when there are that many): a pair is compared side by side.
pub const MIN_PER_BLOCK: usize = 2;

/// A text table: left label columns, then one group of columns per variant.
struct Grid {
    rows: Vec<Vec<String>>,
}

impl Grid {
    fn render(&self, out: &mut String, labels: usize, group: usize, group_names: &[String]) {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; columns.max(labels + group * group_names.len())];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        // Widen each group so its name fits above it.
        let span = |widths: &[usize], g: usize| {
            let first = labels + g * group;
            widths[first..first + group].iter().sum::<usize>() + 2 * (group - 1)
        };
        for (g, name) in group_names.iter().enumerate() {
            let need = name.chars().count();
            let have = span(&widths, g);
            if need > have {
                widths[labels + g * group + group - 1] += need - have;
            }
        }
        let label_width: usize =
            widths[..labels].iter().sum::<usize>() + 2 * labels.saturating_sub(1);
        let spans: Vec<usize> = (0..group_names.len()).map(|g| span(&widths, g)).collect();
        for (b, block) in blocks(2 + label_width, &spans).into_iter().enumerate() {
            if b > 0 {
                out.push('\n');
            }
            let mut header = String::from("  ");
            header.push_str(&" ".repeat(label_width));
            for g in block.clone() {
                let (name, span) = (&group_names[g], spans[g]);
                let _ = write!(header, " | {name:<span$}");
            }
            out.push_str(header.trim_end());
            out.push('\n');
            let cells = (0..labels).chain(
                block
                    .clone()
                    .flat_map(|g| labels + g * group..labels + (g + 1) * group),
            );
            for row in &self.rows {
                let mut line = String::from("  ");
                for i in cells.clone() {
                    let Some(cell) = row.get(i) else { break };
                    if i >= labels && (i - labels) % group == 0 {
                        line.push_str(" | ");
                    } else if i > 0 {
                        line.push_str("  ");
                    }
                    let w = widths[i];
                    if i < labels {
                        let _ = write!(line, "{cell:<w$}");
                    } else {
                        let _ = write!(line, "{cell:>w$}");
                    }
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    }
}

/// The groups of each block: as many as fit in [`TABLE_WIDTH`] after `labels` characters, at
/// least [`MIN_PER_BLOCK`]; one empty block when there are none.
fn blocks(labels: usize, spans: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < spans.len() {
        let (mut end, mut width) = (start, labels);
        while end < spans.len() {
            let wider = width + 3 + spans[end];
            if end - start >= MIN_PER_BLOCK && wider > TABLE_WIDTH {
                break;
            }
            (width, end) = (wider, end + 1);
        }
        blocks.push(start..end);
        start = end;
    }
    if blocks.is_empty() {
        blocks.push(0..0);
    }
    blocks
}

/// A row of the per-variant table: its label and how to compute a variant's cell.
type Metric<'a> = (&'a str, &'a dyn Fn(&VariantReport) -> String);

const SHARE_HEADERS: [&str; 4] = ["hits", "share", "expected", "95% CI"];

/// The cells of a row's numbers; `-` where the variant has no such row.
fn count_cells(counts: Option<&Counts>) -> Vec<String> {
    match counts {
        Some(c) => vec![
            c.hits.to_string(),
            pct(c.share),
            pct(c.expected_share),
            ci_pct(c.ci95),
        ],
        None => vec!["-".into(), "-".into(), "-".into(), "-".into()],
    }
}

fn section(
    out: &mut String,
    title: &str,
    report: &Report,
    labels: &[&str],
    rows: impl Fn(&VariantReport) -> Vec<(Vec<String>, Vec<String>)>,
) {
    let _ = writeln!(out, "{title}");
    let names: Vec<String> = report.variants.iter().map(|v| v.name.clone()).collect();
    let per_variant: Vec<Vec<(Vec<String>, Vec<String>)>> =
        report.variants.iter().map(&rows).collect();
    let mut grid = Grid { rows: Vec::new() };
    let mut header: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
    for _ in &report.variants {
        header.extend(SHARE_HEADERS.iter().map(|s| s.to_string()));
    }
    grid.rows.push(header);
    // Every variant has the same rows (the union over variants: see the report module).
    let count = per_variant.first().map_or(0, Vec::len);
    for r in 0..count {
        // The same row in every variant; a label a variant changes (a server's answer, an
        // address) shows each of its values, in variant order.
        let mut row: Vec<String> = (0..per_variant[0][r].0.len())
            .map(|c| {
                let mut values: Vec<&str> = Vec::new();
                for v in &per_variant {
                    let value = v[r].0[c].as_str();
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
                values.join(" / ")
            })
            .collect();
        for v in &per_variant {
            row.extend(v[r].1.iter().cloned());
        }
        grid.rows.push(row);
    }
    grid.render(out, labels.len(), SHARE_HEADERS.len(), &names);
}

/// The source addresses the targets saw, per variant, when some target saw a client's own
/// address (client IP preservation, NLB-16): which rule the targets' groups need follows from it.
fn sources_section(out: &mut String, report: &Report) {
    let preserved = report.variants.iter().any(|v| {
        v.targets
            .iter()
            .flat_map(|t| t.sources.iter().flatten())
            .any(|s| s.of.starts_with("client "))
    });
    if !preserved {
        return;
    }
    let _ = writeln!(out, "Source addresses the targets saw (answered flows)");
    // Rows: (target, address, whose), in first-seen order over the variants.
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for v in &report.variants {
        for t in &v.targets {
            for s in t.sources.iter().flatten() {
                let row = (t.name.clone(), s.ip.clone(), s.of.clone());
                if !rows.contains(&row) {
                    rows.push(row);
                }
            }
        }
    }
    // By target (in report order), the nodes' addresses before the clients'.
    let order = |target: &str| {
        report.variants[0]
            .targets
            .iter()
            .position(|t| t.name == target)
    };
    rows.sort_by_key(|(target, _, of)| (order(target), of.starts_with("client "), of.clone()));
    let mut grid = Grid { rows: Vec::new() };
    let mut header = vec!["target".to_string(), "source".into(), "whose".into()];
    header.extend(report.variants.iter().map(|_| "flows".to_string()));
    grid.rows.push(header);
    for (target, ip, of) in &rows {
        let mut row = vec![target.clone(), ip.clone(), of.clone()];
        for v in &report.variants {
            let flows: u64 = v
                .targets
                .iter()
                .filter(|t| &t.name == target)
                .flat_map(|t| t.sources.iter().flatten())
                .filter(|s| &s.ip == ip && &s.of == of)
                .map(|s| s.flows)
                .sum();
            row.push(flows.to_string());
        }
        grid.rows.push(row);
    }
    let names: Vec<String> = report.variants.iter().map(|v| v.name.clone()).collect();
    grid.render(out, 3, 1, &names);
    out.push('\n');
}

fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} ({})", report.scenario, report.file);
    if let Some(d) = &report.description {
        let _ = writeln!(out, "  {}", d.trim());
    }
    if let Some(q) = &report.question {
        let _ = writeln!(out, "  Question: {}", q.trim());
    }
    let w = &report.workload;
    let _ = writeln!(
        out,
        "  seed {} | {} flows per variant | {} -> {}:{} | Poisson arrivals {}/s",
        report.seed,
        report.flows,
        w.clients.join(", "),
        w.host,
        w.port,
        w.arrival_rate
    );
    for v in &report.variants {
        let _ = writeln!(
            out,
            "  variant \"{}\": cross-zone {}",
            v.name,
            v.cross_zone.join("; ")
        );
    }
    for r in &report.refused {
        let _ = writeln!(
            out,
            "  variant \"{}\": refused by validation, as [[expect]] says (not run):",
            r.name
        );
        for e in &r.errors {
            let _ = writeln!(out, "    {e}");
        }
    }
    out.push('\n');

    section(
        &mut out,
        "Hits per subnet",
        report,
        &["subnet", "AZ", "AZ ID"],
        |v| {
            v.subnets
                .iter()
                .map(|s| {
                    (
                        vec![s.name.clone(), s.az.clone(), s.az_id.clone()],
                        count_cells(s.counts.as_ref()),
                    )
                })
                .collect()
        },
    );
    out.push('\n');
    section(&mut out, "Hits per AZ", report, &["AZ", "AZ ID"], |v| {
        v.azs
            .iter()
            .map(|s| {
                (
                    vec![s.az.clone(), s.az_id.clone()],
                    count_cells(s.counts.as_ref()),
                )
            })
            .collect()
    });
    out.push('\n');
    section(
        &mut out,
        "Hits per target",
        report,
        &["target", "IP", "answers"],
        |v| {
            let mut rows_of: std::collections::BTreeMap<&str, usize> =
                std::collections::BTreeMap::new();
            for t in &v.targets {
                *rows_of.entry(t.name.as_str()).or_insert(0) += 1;
            }
            v.targets
                .iter()
                .map(|t| {
                    // An instance in several target groups gets a row per group.
                    let shared = rows_of[t.name.as_str()] > 1;
                    let name = if shared {
                        format!("{} ({})", t.name, t.target_group)
                    } else {
                        t.name.clone()
                    };
                    (
                        vec![name, t.ip.clone(), format!("\"{}\"", t.answers)],
                        count_cells(t.counts.as_ref()),
                    )
                })
                .collect()
        },
    );
    let absent = report
        .variants
        .iter()
        .any(|v| v.subnets.iter().any(|s| !s.present) || v.targets.iter().any(|t| !t.present));
    if absent {
        let _ = writeln!(
            out,
            "  -: not in that variant (no registered target in the subnet or AZ; the target not registered)"
        );
    }
    let _ = writeln!(
        out,
        "  95% CI: share +/- 1.96 sd, with flows that share one DNS answer (a client's TTL window) as one cluster (docs/model.md STAT-2)\n"
    );

    sources_section(&mut out, report);

    // Failures: the union of reasons over variants.
    let mut reasons: Vec<String> = Vec::new();
    for v in &report.variants {
        for f in &v.failed {
            if !reasons.contains(&f.reason) {
                reasons.push(f.reason.clone());
            }
        }
    }
    let _ = writeln!(out, "Failed flows");
    if reasons.is_empty() {
        let _ = writeln!(out, "  none: every flow was answered in every variant");
    } else {
        let mut grid = Grid { rows: Vec::new() };
        let mut header = vec!["reason".to_string(), "client sees".to_string()];
        for _ in &report.variants {
            header.extend(["flows", "share", "expected"].map(String::from));
        }
        grid.rows.push(header);
        for reason in &reasons {
            let sees = report
                .variants
                .iter()
                .flat_map(|v| &v.failed)
                .find(|f| &f.reason == reason)
                .map_or(String::new(), |f| f.client_sees.clone());
            let mut row = vec![reason.clone(), sees];
            for v in &report.variants {
                match v.failed.iter().find(|f| &f.reason == reason) {
                    Some(f) => {
                        row.extend([f.flows.to_string(), pct(f.share), pct(f.expected_share)])
                    }
                    None => row.extend(["0".to_string(), pct(0.0), pct(0.0)]),
                }
            }
            grid.rows.push(row);
        }
        let names: Vec<String> = report.variants.iter().map(|v| v.name.clone()).collect();
        grid.render(&mut out, 2, 3, &names);
    }
    out.push('\n');

    let _ = writeln!(out, "Per variant");
    let mut grid = Grid { rows: Vec::new() };
    let metrics: [Metric<'_>; 9] = [
        ("fit to expected (clustered Wald test)", &|v| match &v.fit {
            None => "n/a: one outcome is certain".into(),
            Some(f) => match f.statistic {
                Some(s) => format!(
                    "chi2 {s:.2}, {} df, p = {}",
                    f.degrees_of_freedom,
                    p_value(f.p_value)
                ),
                None => "p = 0: an outcome the rules exclude happened".into(),
            },
        }),
        ("answered across AZs (NLB -> target)", &|v| {
            format!(
                "{} ({}, expected {})",
                v.cross_az.flows,
                pct(v.cross_az.share),
                pct(v.cross_az.expected_share)
            )
        }),
        ("cross-AZ payload, inter-AZ cost", &|v| {
            format!("{} B, ${:.6}", v.cross_az.bytes, v.cross_az.cost_usd)
        }),
        ("client -> endpoint ENI or NLB node across AZs", &|v| {
            format!(
                "{} ({}, expected {})",
                v.cross_az.client_leg_flows,
                pct(v.cross_az.client_leg_share),
                pct(v.cross_az.client_leg_expected_share)
            )
        }),
        ("completion mean / p50 / p99", &|v| {
            let times = |t: &crate::output::report::Times| {
                format!(
                    "{} / {} / {}",
                    trim_us(t.mean_us),
                    trim_us(t.p50_us),
                    trim_us(t.p99_us)
                )
            };
            match &v.completion.expected {
                Some(e) => format!(
                    "{} us (expected {})",
                    times(&v.completion.observed),
                    times(e)
                ),
                None => format!("{} us", times(&v.completion.observed)),
            }
        }),
        ("DNS queries (clusters) / cache hits", &|v| {
            format!("{} / {}", v.dns_queries, v.dns_cache_hits)
        }),
        ("simulated time", &|v| {
            format!("{:.3} s", v.simulated_seconds)
        }),
        ("events", &|v| v.events.to_string()),
        (
            "target pick; new connections re-picked if a target is lost",
            &|v| {
                let h = &v.hashing;
                match (h.repicked_share, h.optimum_share) {
                    (Some(moved), Some(optimum)) => format!(
                        "{} over {}: {:.1}% (optimum {:.1}%; established connections stay)",
                        h.strategy,
                        h.targets,
                        moved * 100.0,
                        optimum * 100.0
                    ),
                    _ => format!("{} over {}: n/a", h.strategy, h.targets),
                }
            },
        ),
    ];
    for (label, f) in metrics {
        let mut row = vec![label.to_string()];
        row.extend(report.variants.iter().map(f));
        grid.rows.push(row);
    }
    let names: Vec<String> = report.variants.iter().map(|v| v.name.clone()).collect();
    grid.render(&mut out, 1, 1, &names);
    cost_section(&mut out, report);
    for v in &report.variants {
        if let Some(c) = &v.connections {
            connections_section(&mut out, &v.name, c);
        }
        if let Some(c) = &v.changes {
            changes_section(&mut out, &v.name, c);
        }
    }

    if !report.expectations.is_empty() {
        let _ = writeln!(out, "\nChecked answers ([[expect]])");
        out.push_str(&super::verdicts::lines(&report.expectations));
    }
    if !report.warnings.is_empty() {
        out.push('\n');
        for warning in &report.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
    }
    out
}

fn p_value(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

fn trim_us(us: f64) -> String {
    let text = format!("{us:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(report: &Report) -> String {
    let mut out = String::from(
        "variant,level,name,az,az_id,present,hits,share,expected_share,ci95_low,ci95_high\n",
    );
    for v in &report.variants {
        let mut row = |level: &str, name: &str, az: &str, az_id: &str, counts: Option<&Counts>| {
            let numbers = match counts {
                Some(c) => format!(
                    "true,{},{},{},{},{}",
                    c.hits, c.share, c.expected_share, c.ci95[0], c.ci95[1]
                ),
                None => "false,,,,,".to_string(),
            };
            let _ = writeln!(
                out,
                "{},{level},{},{},{},{numbers}",
                csv_field(&v.name),
                csv_field(name),
                csv_field(az),
                csv_field(az_id)
            );
        };
        for (level, shares) in [("subnet", &v.subnets), ("az", &v.azs)] {
            for s in shares {
                row(level, &s.name, &s.az, &s.az_id, s.counts.as_ref());
            }
        }
        for t in &v.targets {
            row("target", &t.name, &t.az, &t.az_id, t.counts.as_ref());
        }
        for f in &v.failed {
            let _ = writeln!(
                out,
                "{},failed,{},,,true,{},{},{},,",
                csv_field(&v.name),
                csv_field(&f.reason),
                f.flows,
                f.share,
                f.expected_share
            );
        }
        // Cost (COST-1 to COST-4): `share` holds USD, for the run (`cost`) and for a month
        // (`cost_month`), per line key and for the consumer, the provider and the total.
        let c = &v.cost;
        let lines = c.lines.iter().map(|l| (l.key, l.usd, l.usd_per_month));
        let sums = [
            ("consumer", c.consumer_usd, c.month_consumer_usd),
            ("provider", c.provider_usd, c.month_provider_usd),
            ("total", c.total_usd, c.month_total_usd),
        ];
        for (key, usd, month) in lines.chain(sums) {
            for (level, value) in [("cost", usd), ("cost_month", month)] {
                let _ = writeln!(
                    out,
                    "{},{level},{key},,,true,,{value},,,",
                    csv_field(&v.name)
                );
            }
        }
    }
    out
}
