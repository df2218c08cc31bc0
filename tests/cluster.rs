//! The scale-out examples of `examples/cluster/`, run by hand: the Slurm array's tasks, the
//! Kubernetes Indexed Job's pods and GNU parallel's shard commands run as concurrent processes
//! under `xargs -P`, each with the index its scheduler would give it (`SLURM_ARRAY_TASK_ID`,
//! `JOB_COMPLETION_INDEX`, `{}`), then each example's merge step; the merged file must be byte
//! for byte the unsharded `sim sweep` of the same grid. Slurm, Kubernetes and GNU parallel
//! themselves do not run here. Everything is written under the system's temporary directory.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{first_difference, sim, stderr, stdout};
use serde::Deserialize;

/// The scenario every example sweeps: 24 points, 120 runs.
const SCENARIO: &str = "scenarios/sweep-endpoints.toml";
/// Flows per run: small, for speed.
const FLOWS: &str = "2000";
const SIM: &str = env!("CARGO_BIN_EXE_sim");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What the parts must merge back into: the unsharded sweep's output.
fn unsharded() -> String {
    let out = sim(&["sweep", SCENARIO, "--flows", FLOWS, "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// A new, empty directory of the test's own under the system's temporary directory.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-cluster-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}

/// Runs `command` in the repository's root with `input` on its stdin, and checks it succeeded.
fn run(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{command:?}: {}", stderr(&out));
    out
}

/// `xargs -P jobs -I{} ARGS...`: ARGS once per line of its input, `{}` replaced by the line,
/// up to `jobs` processes at once.
fn xargs(jobs: usize, args: &[&str]) -> Command {
    let mut c = Command::new("xargs");
    c.args(["-P", &jobs.to_string(), "-I{}"]).args(args);
    c
}

/// Lines `from` to `to`, as `seq` prints them.
fn seq(from: usize, to: usize) -> String {
    (from..=to).map(|i| format!("{i}\n")).collect()
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Checks that part file `path` is shard `shard` of `shards`.
fn assert_part(path: &Path, shard: usize, shards: usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let header = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#sim-sweep-part "))
        .unwrap_or_else(|| panic!("{} is not a part file", path.display()));
    let header: serde_json::Value = serde_json::from_str(header).unwrap();
    assert_eq!(header["shard"], shard, "{}", path.display());
    assert_eq!(header["shards"], shards, "{}", path.display());
}

/// Checks that file `path` holds exactly `expected`.
fn assert_same(path: &Path, expected: &str) {
    let merged = std::fs::read_to_string(path).unwrap();
    assert!(
        merged == expected,
        "{} is not the unsharded sweep: {}",
        path.display(),
        first_difference(expected, &merged)
    );
}

#[test]
fn slurm_array_tasks_then_the_merge_job_give_the_unsharded_sweep() {
    let dir = scratch_dir("slurm");
    let out = dir.join("parts");
    let shards = 4;
    // What `sbatch --array=1-4` starts: one task per index, 1-based, all at once.
    run(
        xargs(
            shards,
            &[
                "env",
                "SLURM_ARRAY_TASK_ID={}",
                "bash",
                "examples/cluster/slurm-array.sh",
            ],
        )
        .env("SIM", SIM)
        .env("SHARDS", shards.to_string())
        .env("OUT", &out)
        .env("FLOWS", FLOWS)
        .env_remove("SCENARIO")
        .env_remove("SLURM_CPUS_PER_TASK"),
        &seq(1, shards),
    );
    assert_eq!(
        names(&out),
        ["part-1.csv", "part-2.csv", "part-3.csv", "part-4.csv"]
    );
    for i in 1..=shards {
        assert_part(&out.join(format!("part-{i}.csv")), i, shards);
    }
    // The merge job, once every task succeeded.
    run(
        Command::new("bash")
            .arg("examples/cluster/slurm-merge.sh")
            .env("SIM", SIM)
            .env("OUT", &out),
        "",
    );
    assert_same(&out.join("sweep.csv"), &unsharded());

    // Outside an array job, a task says so instead of guessing its shard.
    let lone = Command::new("bash")
        .arg("examples/cluster/slurm-array.sh")
        .current_dir(ROOT)
        .env("SIM", SIM)
        .env("OUT", &out)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    assert!(!lone.status.success());
    assert!(
        stderr(&lone).contains("not an array task"),
        "{}",
        stderr(&lone)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn slurm_submit_queues_the_array_then_the_merge_after_it() {
    // A stand-in sbatch on PATH: it logs its arguments and prints a job ID as --parsable does.
    let dir = scratch_dir("slurm-submit");
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let sbatch = bin.join("sbatch");
    std::fs::write(
        &sbatch,
        "#!/bin/sh\necho \"SHARDS=$SHARDS $*\" >> \"$SBATCH_LOG\"\n\
         case \"$*\" in *--dependency*) echo 43 ;; *) echo '42;cluster-a' ;; esac\n",
    )
    .unwrap();
    run(Command::new("chmod").arg("755").arg(&sbatch), "");
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let log = dir.join("sbatch.log");
    let out = run(
        Command::new("bash")
            .arg("examples/cluster/slurm-submit.sh")
            .env("PATH", path)
            .env("SHARDS", "4")
            .env("SBATCH_LOG", &log),
        "",
    );
    assert_eq!(stdout(&out), "array job 42 (4 shards), merge job 43\n");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "SHARDS=4 --parsable --array=1-4 examples/cluster/slurm-array.sh\n\
         SHARDS=4 --parsable --dependency=afterok:42 examples/cluster/slurm-merge.sh\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The part of a Kubernetes Job manifest the examples use.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: JobSpec,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobSpec {
    completion_mode: Option<String>,
    completions: Option<usize>,
    parallelism: Option<usize>,
    template: PodTemplate,
}

#[derive(Debug, Deserialize)]
struct PodTemplate {
    spec: PodSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodSpec {
    restart_policy: String,
    containers: Vec<Container>,
    volumes: Vec<Volume>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Container {
    image: String,
    command: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    volume_mounts: Vec<VolumeMount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeMount {
    name: String,
    mount_path: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    name: String,
    persistent_volume_claim: Claim,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claim {
    claim_name: String,
}

/// The YAML documents of manifest `name` in examples/cluster/.
fn manifests(name: &str) -> Vec<serde_yaml_ng::Value> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("examples/cluster").join(name))
        .expect("the manifest exists");
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| serde_yaml_ng::Value::deserialize(doc).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

fn job(doc: &serde_yaml_ng::Value) -> Job {
    serde_yaml_ng::from_value(doc.clone()).unwrap_or_else(|e| panic!("not a Job: {e}"))
}

/// The Job's one container, and the shell script its `sh -c` command runs.
fn container(job: &Job) -> (&Container, &str) {
    let pod = &job.spec.template.spec;
    assert_eq!(pod.restart_policy, "Never");
    assert_eq!(pod.containers.len(), 1);
    let c = &pod.containers[0];
    assert!(c.image.ends_with("/sim:latest"), "{}", c.image);
    assert_eq!(c.command[..2], ["sh", "-c"], "{:?}", c.command);
    (c, &c.command[2])
}

/// The claim and mount path of the container's one volume.
fn volume(job: &Job, c: &Container) -> (String, String) {
    assert_eq!(c.volume_mounts.len(), 1);
    let mount = &c.volume_mounts[0];
    let volume = job
        .spec
        .template
        .spec
        .volumes
        .iter()
        .find(|v| v.name == mount.name)
        .expect("the mounted volume is declared");
    (
        volume.persistent_volume_claim.claim_name.clone(),
        mount.mount_path.clone(),
    )
}

/// `script` with its volume's mount path `mount` replaced by `dir`.
fn remount(script: &str, mount: &str, dir: &Path) -> String {
    let from = format!("{mount}/");
    assert!(script.contains(&from), "{script} writes outside {mount}");
    script.replace(&from, &format!("{}/", dir.display()))
}

/// PATH with the directory of the sim binary first, as in the image.
fn path_with_sim() -> std::ffi::OsString {
    let bin = Path::new(SIM).parent().unwrap().to_path_buf();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap()
}

#[test]
fn kubernetes_indexed_job_pods_then_the_merge_job_give_the_unsharded_sweep() {
    let docs = manifests("k8s-indexed-job.yaml");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "Job"]);
    let claim = docs[0]["metadata"]["name"].as_str().unwrap();
    assert_eq!(docs[0]["spec"]["accessModes"][0], "ReadWriteMany");
    let sweep = job(&docs[1]);
    assert_eq!(
        (sweep.api_version.as_str(), sweep.kind.as_str()),
        ("batch/v1", "Job")
    );
    assert_eq!(sweep.spec.completion_mode.as_deref(), Some("Indexed"));
    let completions = sweep.spec.completions.expect("completions");
    let parallelism = sweep.spec.parallelism.expect("parallelism");
    assert!((1..=completions).contains(&parallelism));
    let (c, script) = container(&sweep);
    // --shard $((JOB_COMPLETION_INDEX+1))/N, N the Job's completions.
    let shard = script
        .split_whitespace()
        .skip_while(|w| *w != "--shard")
        .nth(1)
        .unwrap_or_else(|| panic!("no --shard in {script}"));
    let (index, n) = shard.rsplit_once('/').unwrap();
    assert_eq!(index, "$((JOB_COMPLETION_INDEX+1))");
    assert_eq!(n.parse::<usize>().unwrap(), completions, "{script}");
    let (volume_claim, mount) = volume(&sweep, c);
    assert_eq!(volume_claim, claim);

    // The pods, as the Job starts them: JOB_COMPLETION_INDEX 0 to N - 1, `parallelism` at once,
    // the volume at a scratch directory, and fewer flows through the Job's args.
    let dir = scratch_dir("k8s");
    let script = remount(script, &mount, &dir);
    let mut args = c.args.clone();
    let flows = args
        .iter()
        .position(|a| a == "--flows")
        .expect("--flows in args")
        + 1;
    args[flows] = FLOWS.to_string();
    let mut pod: Vec<&str> = vec!["env", "JOB_COMPLETION_INDEX={}"];
    pod.extend(c.command[..2].iter().map(String::as_str));
    pod.push(&script);
    pod.extend(c.command[3..].iter().chain(&args).map(String::as_str));
    run(
        xargs(parallelism, &pod).env("PATH", path_with_sim()),
        &seq(0, completions - 1),
    );
    let parts: Vec<String> = (0..completions).map(|i| format!("part-{i}.csv")).collect();
    let mut expected = parts.clone();
    expected.sort();
    assert_eq!(names(&dir), expected);
    for (i, p) in parts.iter().enumerate() {
        assert_part(&dir.join(p), i + 1, completions);
    }

    // The merge job: the same claim at the same path; it writes sweep.csv and prints it.
    let docs = manifests("k8s-merge-job.yaml");
    assert_eq!(docs.len(), 1);
    let merge = job(&docs[0]);
    assert_eq!(merge.metadata.name, "sim-merge");
    assert_eq!(merge.spec.completion_mode, None);
    let (c, script) = container(&merge);
    assert_eq!(volume(&merge, c), (claim.to_string(), mount.clone()));
    let script = remount(script, &mount, &dir);
    let printed = run(
        Command::new(&c.command[0])
            .arg(&c.command[1])
            .arg(&script)
            .env("PATH", path_with_sim()),
        "",
    );
    let whole = unsharded();
    assert_same(&dir.join("sweep.csv"), &whole);
    assert!(stdout(&printed) == whole, "the merge job prints sweep.csv");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gnu_parallel_script_shard_commands_under_xargs_give_the_unsharded_sweep() {
    // parallel.sh hands one shard command line to GNU parallel or, with RUNNER=xargs, to
    // `xargs -P`: the same line for both.
    let text = std::fs::read_to_string(Path::new(ROOT).join("examples/cluster/parallel.sh"))
        .expect("parallel.sh exists");
    assert!(
        text.contains("\"$shard\" ::: $(seq 1 \"$SHARDS\")"),
        "{text}"
    );
    assert!(
        text.contains("xargs -P \"$JOBS\" -I{} sh -c \"$shard\""),
        "{text}"
    );

    let dir = scratch_dir("parallel");
    let out = dir.join("parts");
    run(
        Command::new("bash")
            .arg("examples/cluster/parallel.sh")
            .env("RUNNER", "xargs")
            .env("SIM", SIM)
            .env("SHARDS", "4")
            .env("JOBS", "4")
            .env("OUT", &out)
            .env("FLOWS", FLOWS)
            .env_remove("SCENARIO")
            .env_remove("SSHLOGIN"),
        "",
    );
    assert_eq!(
        names(&out),
        [
            "part-1.csv",
            "part-2.csv",
            "part-3.csv",
            "part-4.csv",
            "sweep.csv"
        ]
    );
    for i in 1..=4 {
        assert_part(&out.join(format!("part-{i}.csv")), i, 4);
    }
    assert_same(&out.join("sweep.csv"), &unsharded());
    std::fs::remove_dir_all(&dir).unwrap();
}
