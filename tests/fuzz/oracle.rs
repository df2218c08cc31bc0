//! The fuzzing oracle, shared by the `cargo fuzz` targets under `fuzz/` (nightly, libFuzzer) and
//! by `tests/fuzz.rs`, which replays the kept corpus and every input that ever failed on stable.
//!
//! Whatever the bytes, `sim` must not panic; a scenario it accepts must run on both engines with
//! the same report, and every flow must be either answered by a target or failed for a reason.

use sim::output::render::{Format, render};
use sim::run::{Engine, run_scenario};
use sim::scenario::{self, Scenario};

/// Most flows a fuzzed run simulates per variant: enough for DNS caching, hashing and failures
/// to happen, few enough for thousands of executions per second.
pub const MAX_FLOWS: u64 = 40;

/// `sim check`: validation, then the summary, or every problem's message.
pub fn check(data: &[u8]) -> Option<Scenario> {
    let text = std::str::from_utf8(data).ok()?;
    match scenario::parse("fuzz.toml", "fuzz", text) {
        Ok(loaded) => {
            let summary = sim::output::explain::summary(&loaded, None);
            assert!(summary.contains("fuzz.toml"), "the summary names the file");
            Some(loaded)
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal names at least one problem");
            for problem in &problems {
                let line = problem.to_string();
                assert!(line.starts_with("fuzz.toml:"), "located: {line}");
            }
            None
        }
    }
}

/// The flows a fuzzed run of `loaded` simulates, or `None` when `sim run` would refuse them
/// (more simulated time than the clock holds).
fn flows(loaded: &Scenario) -> Option<u64> {
    let flows = loaded.variants[0].topology.run.flows.min(MAX_FLOWS);
    loaded
        .variants
        .iter()
        .all(|v| sim::time::arrivals_fit(flows, v.topology.workload.arrival_rate).is_ok())
        .then_some(flows)
}

/// `sim run` on both engines: the same report, and hits + failures = flows in every variant.
pub fn engines(data: &[u8]) {
    let Some(loaded) = check(data) else { return };
    let Some(flows) = flows(&loaded) else { return };
    let run = |event_loop| {
        run_scenario(
            &loaded,
            Some(flows),
            None,
            Engine {
                event_loop,
                threads: 1,
                progress: None,
            },
        )
    };
    let bulk = run(false);
    let events = run(true);
    let json = render(&bulk, Format::Json);
    assert_eq!(json, render(&events, Format::Json), "the engines agree");
    for format in [Format::Table, Format::Csv] {
        assert!(!render(&bulk, format).is_empty());
    }
    for v in &bulk.variants {
        let hits: u64 = v
            .targets
            .iter()
            .filter_map(|t| t.counts.as_ref())
            .map(|c| c.hits)
            .sum();
        let failed: u64 = v.failed.iter().map(|f| f.flows).sum();
        assert_eq!(
            hits + failed,
            flows,
            "variant {:?}: every flow ends once",
            v.name
        );
    }
}

/// `sim explain --flow N`, with N taken from the input's length: the bulk engine's trace (the
/// arrival and DNS passes, then one walk) reads exactly as the event loop's.
pub fn explain(data: &[u8]) {
    let Some(loaded) = check(data) else { return };
    let Some(flows) = flows(&loaded) else { return };
    let flow = data.len() as u64 % flows;
    let text = |event_loop| {
        let engine = Engine {
            event_loop,
            threads: 1,
            progress: None,
        };
        let traced = sim::run::trace(&loaded, flow, Some(flows), None, engine)
            .expect("a flow within the run traces");
        sim::output::explain::explain(&loaded, flow, &traced)
    };
    let bulk = text(false);
    assert!(bulk.contains("flow"), "the explanation is written");
    assert_eq!(bulk, text(true), "the engines trace the same flow");
}

/// The files an `import_hcl` input stands for, split at NUL bytes: a root module, a module it
/// may call (`source = "./modules/m"`), the root's tfvars and a template `file()` may read.
pub const IMPORT_HCL_FILES: [&str; 4] = [
    "tf/main.tf",
    "tf/modules/m/main.tf",
    "tf/terraform.tfvars",
    "tf/modules/m/user_data.tftpl",
];

/// `sim import DIR`'s reader on arbitrary bytes: no panic; a refusal is exit 2 naming one of
/// the files and a line; a model locates every unknown value and note in one of the files.
pub fn import_hcl(data: &[u8]) {
    let files: Vec<(std::path::PathBuf, String)> = data
        .split(|&b| b == 0)
        .zip(IMPORT_HCL_FILES)
        .map(|(bytes, path)| (path.into(), String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    let located = |file: &std::path::Path| {
        IMPORT_HCL_FILES
            .iter()
            .any(|f| file == std::path::Path::new(f))
    };
    match sim::import::hcl::parse_files(&files) {
        Ok(model) => {
            fn check_value(
                value: &sim::import::ir::Value,
                located: &dyn Fn(&std::path::Path) -> bool,
            ) {
                use sim::import::ir::Value;
                match value {
                    Value::Unknown { at, text } => {
                        let at = at.as_ref().expect("an unknown value is located");
                        assert!(located(&at.file) && at.line >= 1, "{text} at {at}");
                    }
                    Value::List(items) => items.iter().for_each(|v| check_value(v, located)),
                    Value::Map(map) => map.values().for_each(|v| check_value(v, located)),
                    _ => {}
                }
            }
            for resource in &model.resources {
                assert!(!resource.address.kind.is_empty() && !resource.provider.is_empty());
                resource
                    .values
                    .values()
                    .for_each(|v| check_value(v, &located));
            }
            for note in &model.notes {
                let at = note.at.as_ref().expect("a note is located");
                assert!(located(&at.file), "{}: {}", at, note.message);
            }
        }
        Err(error) => {
            assert_eq!(error.exit_code(), 2, "{error}");
            let message = error.to_string();
            assert!(
                IMPORT_HCL_FILES
                    .iter()
                    .any(|f| message.starts_with(&format!("{f}:"))),
                "located: {message}"
            );
        }
    }
}

/// `sim import` of a plan on arbitrary bytes: a refusal is an input error (exit 2) located in
/// the file; anything the reader accepts, the emitter turns into TOML (whatever the names,
/// comments and numbers in it), which validation then judges without panicking.
pub fn import_plan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut model = match sim::import::plan::parse("fuzz.json", text) {
        Ok(model) => model,
        Err(error) => {
            assert_eq!(error.exit_code(), 2, "{error}");
            assert!(error.to_string().starts_with("fuzz.json:"), "{error}");
            return;
        }
    };
    // Every provider gets a map, so that subnets are mapped rather than refused.
    sim::import::set_az_ids(
        &mut model,
        "us-east-1a=use1-az1,us-east-1b=use1-az2,us-east-1c=use1-az4",
    )
    .expect("pairs without a provider go to every provider");
    let options = sim::import::emit::Options {
        variant_cross_zone: true,
        source: "fuzz.json".into(),
        ..Default::default()
    };
    match sim::import::emit::emit(&model, &options) {
        Ok(emitted) => {
            if let Err(e) = emitted.text.parse::<toml::Table>() {
                panic!("the scenario is not TOML: {e}\n{}", emitted.text);
            }
            let _ = scenario::parse("fuzz.toml", "fuzz", &emitted.text);
        }
        Err(error) => assert_eq!(error.exit_code(), 2, "{error}"),
    }
}
