//! Scenario files: the TOML format, its variants, and validation into [`Topology`].
//!
//! # Format
//!
//! A scenario describes one AWS system in the words of its Terraform / AWS attributes, with
//! resources referred to by their names in the file. Every table below is keyed by the
//! resource's name (`[subnets.provider-1]`); file order is report order.
//!
//! ```toml
//! name = "crosszone"                    # optional, defaults to the file stem
//! description = "..."                   # optional
//! question = "..."                      # optional: the exam-style question it answers
//! region = "us-east-1"
//!
//! [accounts.lab]                        # AZ name -> AZ ID, as this account sees them
//! az_ids = { us-east-1a = "use1-az1", us-east-1b = "use1-az2", us-east-1c = "use1-az4" }
//!
//! [vpcs.provider]
//! account = "lab"                       # optional when there is one account
//! cidr_block = "10.11.0.0/24"
//!
//! [subnets.provider-1]
//! vpc_id = "provider"
//! availability_zone = "us-east-1a"      # an AZ name of the VPC's account
//! cidr_block = "10.11.0.0/26"
//!
//! [security_groups.endpoint-sg]
//! vpc_id = "consumer"
//! ingress = [{ protocol = "tcp", from_port = 80, to_port = 80, cidr_blocks = ["10.11.0.0/24"] }]
//! # a rule may also name peer groups: security_groups = ["client-sg"]; with active = false it
//! # exists but is out of its group until an authorize event (EV-7)
//! # egress = [...] has the same shape (destinations); omitted, all outbound traffic is allowed
//! # (as AWS creates groups); egress = [] allows none
//!
//! [instances.web-1]
//! subnet_id = "provider-1"
//! private_ip = "10.11.0.10"             # optional; assigned from the subnet otherwise
//! security_group_ids = ["web-sg"]       # optional; the VPC's default group when omitted or []
//! instance_state = "running"            # or "stopped"
//! web_server = { port = 80, body = "Hello from Provider VPC on Subnet 1", response_time = "200us" }
//! # web_server.proxy_protocol = true: the server expects a proxy protocol v2 header (NLB-14)
//! # udp_server = { port = 5000, body = "...", response_time = "200us" }   # answers UDP (NLB-17)
//!
//! [load_balancers.provider-nlb]
//! load_balancer_type = "network"
//! internal = true
//! subnets = ["provider-1", "provider-2", "provider-3"]   # one node per subnet, one subnet per AZ
//! enable_cross_zone_load_balancing = false               # the NLB default
//! security_groups = []                                   # optional
//! enforce_security_group_inbound_rules_on_private_link_traffic = "on"
//! hash = "uniform"                                       # the NLB-like pick function
//! dns_name = "provider-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com"   # optional (NLB-11)
//! dns_record_client_routing_policy = "any_availability_zone"   # or partial_/availability_zone_affinity
//! enable_zonal_shift = false                             # true: zonal shift events may act (EV-11)
//! listeners = [{ port = 80, protocol = "TCP", target_group = "web", tcp.idle_timeout.seconds = 350 }]
//! # or: forward = [{ target_group = "blue", weight = 3 }, { target_group = "green", weight = 1 }]
//! # tcp.idle_timeout.seconds: 60-6000, default 350; a connection with no packet for this long is
//! # forgotten by the node, which resets the client's next packet (CONN-5)
//! # protocol: "TCP" (default), "UDP", "TCP_UDP" (TCP and UDP on one port) or "TLS" (NLB-17,
//! # NLB-18); UDP and TLS listeners take no tcp.idle_timeout (120 s / 350 s, fixed)
//!
//! [target_groups.web]
//! protocol = "TCP"       # or "UDP", "TCP_UDP", "TLS": a TCP listener forwards to TCP / TCP_UDP
//!                        # groups, UDP to UDP / TCP_UDP, TCP_UDP to TCP_UDP, TLS to TCP / TLS
//! port = 80
//! vpc_id = "provider"
//! target_type = "instance"   # or "ip": then targets are addresses of instances (NLB-16)
//! targets = ["web-1", "web-2", "web-3"]
//! preserve_client_ip.enabled = true   # default: on for instance targets and UDP, off for ip over TCP
//! proxy_protocol_v2 = false           # true: the node prepends the v2 header (NLB-14)
//! load_balancing.cross_zone.enabled = "use_load_balancer_configuration"   # or "true" / "false"
//! health_check = { protocol = "TCP", interval = "30s", timeout = "10s", healthy_threshold = 3, unhealthy_threshold = 3 }
//! deregistration_delay.timeout_seconds = 300   # 0-3600, default 300 (HC-3 / EV-3)
//! # connections still open when the deregistration delay ends: reset, or left open (CONN-3)
//! deregistration_delay.connection_termination.enabled = false   # default false
//! # connections to a target that turns unhealthy: reset at once, or, without termination, after
//! # the draining interval unless the target is healthy again by then (CONN-2)
//! target_health_state.unhealthy.connection_termination.enabled = true   # default true
//! target_health_state.unhealthy.draining_interval_seconds = 0           # 0-360000, default 0
//! # routing failover (NLB-6): a node whose healthy targets in scope fall below either threshold
//! # sends to all its in-service targets, unhealthy ones included
//! target_group_health.unhealthy_state_routing.minimum_healthy_targets.count = 1   # 1 or more, default 1
//! target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage = "off"   # or 1-100
//! # DNS failover: a zone below it leaves the NLB's own DNS name (direct clients: NLB-12)
//! target_group_health.dns_failover.minimum_healthy_targets.count = 1   # "off" or 1 or more, default 1
//! target_group_health.dns_failover.minimum_healthy_targets.percentage = "off"   # or 1-100
//!
//! [endpoint_services.provider-svc]
//! network_load_balancers = ["provider-nlb"]   # several: each ENI binds to one, drawn per seed
//!
//! [vpc_endpoints.provider-endpoint]
//! vpc_id = "consumer"
//! service_name = "provider-svc"
//! vpc_endpoint_type = "Interface"
//! subnet_ids = ["consumer-1"]             # one ENI per subnet, one subnet per AZ
//! security_group_ids = ["endpoint-sg"]    # optional; the VPC's default group when omitted or []
//! private_dns_enabled = false
//!
//! [route53_zones."example.local"]         # a private hosted zone
//! vpc_ids = ["consumer"]
//! records = [
//!   { name = "provider-nlb", type = "A", alias = { vpc_endpoint = "provider-endpoint" } },
//!   { name = "web", type = "CNAME", ttl = 300, records = ["provider-nlb.example.local"] },
//! ]
//! # alias = { vpc_endpoint = "...", subnet_id = "consumer-1" } aliases the zonal name of one ENI
//! # alias = { load_balancer = "provider-nlb" } aliases the NLB's own regional name (NLB-11)
//!
//! [vpc_peerings.p]                        # optional; overlapping CIDRs are rejected
//! vpc_id = "a"
//! peer_vpc_id = "b"
//!
//! [workload]
//! clients = ["consumer-client"]           # instances; each flow picks one uniformly
//! host = "provider-nlb.example.local"
//! port = 80
//! protocol = "tcp"                        # or "udp": one datagram each way, directly to the NLB
//!                                         # (UDP cannot cross PrivateLink: PL-8)
//! path = "/"
//! arrival_rate = 100                      # new flows per second (Poisson)
//! connect_timeout = "10s"
//! dns_cache = true                        # cache answers for their TTL
//!
//! # optional: connections that stay open (CONN-1); omitted, flows are curl-like (closed at once)
//! # [workload.connection]
//! # duration = "60s"                      # open this long after establishment (above 0)
//! # distribution = "fixed"                # or "exponential" (duration is then the mean)
//! # request_interval = "30s"              # optional: a keep-alive request this often (for UDP, a
//! #                                       # datagram; over 120 s apart, a new flow: NLB-17)
//! # about arrival_rate / clients x duration connections are then open per client at once: at
//! # most 28,232, the source ports a client has for one destination (CONN-6)
//!
//! [network]                               # one-way latencies (all optional)
//! same_az_latency = "50us"
//! cross_az_latency = "500us"
//! resolver_latency = "200us"
//! privatelink_latency = "100us"
//!
//! [run]
//! seed = 1
//! flows = 30000
//!
//! [prices]                                # optional: USD that replace the price table's
//!                                         # (crate::cost::prices; docs/model.md COST-1 to COST-3);
//!                                         # each a finite number, 0 or more; a variant may set them
//! inter_az_usd_per_gb_each_direction = 0.01   # both ends pay: a crossing costs twice this
//! endpoint_usd_per_az_hour = 0.01         # per ENI and hour begun
//! endpoint_usd_per_gb = [0.01, 0.006, 0.004]   # first PB, next 4 PB, above 5 PB; or one number
//! nlb_usd_per_hour = 0.0225               # per load balancer and hour begun
//! nlcu_usd_per_hour = 0.006               # per NLCU-hour
//! # the report marks an overridden price "scenario" (`+` in the table), a third-party one `*`
//!
//! [[events]]                              # optional: what happens to the system during the run
//! at = "300s"                             # from the start of the run (a duration, below 100 years)
//! crash = "web-2"                         # the instance's web server stops answering
//! description = "web-2's server dies"     # optional; "crash web-2" when omitted
//! # exactly one action per event:
//! #   crash / recover = "INSTANCE"                 its web_server stops / answers again
//! #   stop_instance / start_instance = "INSTANCE"
//! #   deregister / register = "INSTANCE"           from / in every target group listing it,
//! #   target_group = "web"                         or in this one only
//! #   impair_zone / restore_zone = "use1-az2"      an AZ ID (AZ names differ per account)
//! #   targets_only = true                          with impair_zone: only the zone's targets fail
//! #   load_balancer_cross_zone = { load_balancer = "provider-nlb", enabled = true }
//! #   target_group_cross_zone = { target_group = "web", enabled = "false" }   # as cross_zone.enabled
//! #   revoke / authorize = { security_group = "web-sg", ingress = 0 }   # or egress = N: the rule's
//! #                                                position in that list (EV-7)
//! #   listener_weights = { load_balancer = "provider-nlb", port = 80, forward = [{ target_group = "blue", weight = 1 }, { target_group = "green", weight = 3 }] }
//! #                                                a weight for each group the listener forwards to
//! #   slow = { instance = "web-2", response_time = "2s" }   the server answers in that time (EV-9)
//! #   add_endpoint_subnet / remove_endpoint_subnet = { vpc_endpoint = "provider-endpoint", subnet_id = "consumer-2" }
//! #   start_zonal_shift / end_zonal_shift = { load_balancer = "provider-nlb", away_from = "use1-az2" }
//! #                                                the endpoint gains / loses that subnet's ENI (EV-10)
//!
//! [sweep]                                 # optional: the grid `sim sweep` runs (crate::sweep);
//! seeds = [1, 2, 3]                       # validated and otherwise ignored by run and check
//! axes = [{ key = "load_balancers.provider-nlb.enable_cross_zone_load_balancing", values = [false, true] }]
//!
//! [[variants]]                            # each variant is simulated and reported side by side
//! name = "cross-zone on"
//! set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true
//!
//! [[expect]]                              # what should happen: `sim test` judges it (exit 3 if not),
//! variant = "cross-zone on"               # `sim run` prints the verdict; omitted: every variant
//! what = "web-2 answers a third"          # optional words for the verdict
//! target = "web-2"                        # the subject, exactly one of:
//! #   target / subnet / az = "NAME"        flows that target, subnet or AZ (name or ID) answered
//! #   failed = "TARGET_REFUSED"            flows failing with a reason ("any": every reason)
//! #   answered = true                      every answered flow
//! #   seen_from = "consumer-client"        flows whose target saw that client's own address
//! #                                        ("load_balancer": a node's), at_target = "web-1" optional
//! #   cross_az = "node_to_target"          flows crossing AZs on a leg (or "client_to_entry")
//! #   ended = "RESET_DEREGISTERED"         connections that ended so (with [workload.connection])
//! #   cost = "inter_az_node_target"        a cost line (or "total", "consumer", "provider"), USD
//! #                                        over the run (per_month = true: a month), tested with
//! #                                        usd = x (tolerance = t), usd_at_least / usd_at_most
//! #   health = "web-2"                     with becomes = "unhealthy", after = "300s", and
//! #                                        within = "120s" or never = true
//! #   new_connections = "web-2"            with after = "400s" (before = "900s" optional) and a
//! #                                        flows test: flows = 0 (answered or failed, by start)
//! #   validation_error = "PL-9"            the variant is refused with an error citing the rule
//! consistent_with = 0.3333                # the test, one of: share = x (tolerance = t, 0 when
//! significance = 0.01                     # omitted); share_at_least / share_at_most; consistent_with
//! # (significance 0.01 when omitted; target, subnet and az only); flows = n; flows_at_least /
//! # flows_at_most. proves = "B" / refutes = ["A", "C"]: the quiz choices it proves or refutes
//!
//! [quiz]                                  # the top-level `question` as an exam question
//! topics = ["cross-zone"]                 # `sim quiz --topic` selects by them
//! choices = { A = "...", B = "...", C = "...", D = "..." }
//! answer = "B"                            # proved by an [[expect]], each other choice refuted
//! explanation = "..."                     # why, in words, citing rules
//! rules = ["NLB-3", "PL-3"]               # docs/model.md rules it rests on
//! sources = ["https://docs.aws.amazon.com/elasticloadbalancing/latest/network/..."]
//! trace = { variant = "cross-zone on", flow = 3 }   # the flow `sim quiz` explains (optional)
//! ```
//!
//! A variant's `set` table has the shape of the scenario: its values replace the scenario's at
//! the same key path (tables merge key by key, any other value is replaced whole). The resource
//! it names must exist, so a misspelt name is an error rather than a new resource. Without
//! `[[variants]]` the scenario runs as one variant named `base`. A variant's `set.events = [...]`
//! replaces the scenario's events whole. `run`, `sweep`, `expect` and `quiz` belong to the whole
//! scenario: a variant cannot set them.
//!
//! A variant named by a `validation_error` expectation may fail validation: its errors are the
//! answer to "what goes wrong?", reported, and the variant is not run. At least one variant
//! must validate.
//!
//! Events are validated against the state the ones before them leave (in time order, file order
//! among events at the same instant): a crash of a server already down, a register of a target
//! already registered, a revoke of a rule out of its group and the like are refused. A
//! `deregister` or `register` without `target_group` applies to every target of the instance.

pub mod path;
pub mod raw;
pub mod validate;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use toml::de::DeTable;

use crate::error::{Error, ScenarioError};
use crate::model::Topology;
use path::{KeyPath, Seg};
use raw::RawScenario;
use validate::Issue;

/// Tables of named resources: a variant may change them but not add to them.
const NAMED_TABLES: [&str; 11] = [
    "accounts",
    "vpcs",
    "subnets",
    "security_groups",
    "instances",
    "load_balancers",
    "target_groups",
    "endpoint_services",
    "vpc_endpoints",
    "route53_zones",
    "vpc_peerings",
];

/// A loaded scenario: every variant validated.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file, as the user named it.
    pub file: String,
    /// Scenario name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Exam-style question.
    pub question: Option<String>,
    /// Variants, in file order (those validation refused, as `[[expect]]` said it would, left
    /// out: see `refused`).
    pub variants: Vec<Variant>,
    /// Warnings, located like errors.
    pub warnings: Vec<ScenarioError>,
    /// What should happen (`[[expect]]`), validated.
    pub expectations: Vec<crate::expect::Expectation>,
    /// The scenario as an exam question (`[quiz]`).
    pub quiz: Option<crate::expect::Quiz>,
    /// Variants validation refused, each named by a `validation_error` expectation, with their
    /// errors: the answers to "what goes wrong?".
    pub refused: Vec<Refused>,
}

/// A variant validation refused, as an `[[expect]]` block said it would.
#[derive(Clone, Debug)]
pub struct Refused {
    /// The variant.
    pub name: String,
    /// Its errors, located.
    pub errors: Vec<ScenarioError>,
}

/// One variant of a scenario.
#[derive(Clone, Debug)]
pub struct Variant {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The validated system.
    pub topology: Topology,
}

/// A problem at `key_path` of scenario source `text`, located by line and column.
pub fn locate_in(file: &str, text: &str, key_path: &KeyPath, message: String) -> ScenarioError {
    let (line, column) = DeTable::parse(text)
        .ok()
        .and_then(|doc| path::locate(doc.get_ref(), key_path))
        .map_or((1, 1), |offset| path::line_column(text, offset));
    ScenarioError {
        file: file.to_string(),
        line,
        column,
        key_path: key_path.to_string(),
        value: None,
        message,
        variant: None,
    }
}

/// The scenario files `paths` name: a file as given, a directory as its `*.toml` files in name
/// order (none is an error naming it).
pub fn files(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, Error> {
    let mut files = Vec::new();
    for p in paths {
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        let entries = std::fs::read_dir(p).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        let mut found: Vec<std::path::PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|x| x == "toml") && f.is_file())
            .collect();
        found.sort();
        if found.is_empty() {
            return Err(Error::Usage(format!(
                "{}: a directory without scenario files (*.toml)",
                p.display()
            )));
        }
        files.extend(found);
    }
    Ok(files)
}

/// Reads the scenario file at `path` as text (the checks of [`load`]).
pub fn read_text(path: &Path) -> Result<String, Error> {
    read_capped(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, Error> {
    let text = read_capped(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let stem = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    parse(&path.display().to_string(), &stem, &text).map_err(Error::Scenario)
}

/// Largest scenario file `sim` reads: 64 MiB. Far beyond any hand-written or generated topology
/// (a target takes about 100 bytes), and it bounds memory when `sim` is pointed at a device or a
/// pipe that never ends (`/dev/zero`).
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;

/// The file's text, refusing more than [`MAX_SCENARIO_BYTES`] (reading one byte beyond, never
/// the rest) and text that is not UTF-8.
fn read_capped(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(std::io::Error::other(format!(
            "a scenario is at most {} MiB; this one is longer",
            MAX_SCENARIO_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Validates scenario source `text`; `file` labels messages, `stem` is the default name.
pub fn parse(file: &str, stem: &str, text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    parse_with(file, stem, text, &[])
}

/// A value set into the scenario before its variants are applied: one axis of a sweep point
/// ([`crate::sweep`]). It merges like a variant's `set`, so it may change resources but not add
/// them.
#[derive(Clone, Debug)]
pub struct Override {
    /// The nested table to merge (the key path down to the value).
    pub set: toml::Table,
    /// Where problems with it are reported (`sweep.axes[0].key`, or `--set[0]`).
    pub at: KeyPath,
}

/// [`parse`], with `overrides` merged into the scenario table (in order) before the variants'
/// `set` tables. A problem with an override, or with a value it set, is reported at its `at`.
pub fn parse_with(
    file: &str,
    stem: &str,
    text: &str,
    overrides: &[Override],
) -> Result<Scenario, Vec<ScenarioError>> {
    let lines = path::LineIndex::new(text);
    let located = |offset: Option<usize>, key_path: String, value, message, variant| {
        let (line, column) = lines.line_column(offset.unwrap_or(0));
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            key_path,
            value,
            message,
            variant,
        }
    };
    let doc = DeTable::parse(text).map_err(|e| {
        let message = e.message().trim().to_string();
        vec![located(
            e.span().map(|s| s.start),
            String::new(),
            None,
            format!("not valid TOML: {message}"),
            None,
        )]
    })?;
    let doc = doc.get_ref();
    let locate_issue = |issue: Issue, variant: Option<(usize, &str, &toml::Table)>| {
        // A value a variant set is reported where the variant sets it.
        let mut at = issue.path.clone();
        let by_variant = variant.filter(|(_, _, set)| overridden(set, &issue.path));
        if let Some((i, _, _)) = by_variant {
            at = KeyPath::root()
                .key("variants")
                .index(i)
                .key("set")
                .join(&issue.path);
        } else if let Some(o) = overrides
            .iter()
            .rev()
            .find(|o| overridden(&o.set, &issue.path))
        {
            at = o.at.clone();
        }
        located(
            path::locate(doc, &at),
            at.to_string(),
            issue.value,
            issue.message,
            variant.map(|(_, name, _)| name.to_string()),
        )
    };

    let mut base: toml::Table = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start);
        let mut message = validate::compact_numbers(e.message().trim());
        if message == "u64 value was too large" || message.contains(" as i128,") {
            message = format!(
                "integer is too large: TOML integers are at most {} (64-bit signed)",
                i64::MAX
            );
        }
        let key_path = offset.map_or_else(KeyPath::root, |o| path::path_at(doc, o));
        vec![located(offset, key_path.to_string(), None, message, None)]
    })?;
    let raw = deserialize(toml::Value::Table(base.clone()))
        .map_err(|issue| vec![locate_issue(issue, None)])?;
    let name = raw.name.clone().unwrap_or_else(|| stem.to_string());
    for o in overrides {
        for key in UNSHARED {
            if o.set.contains_key(key) {
                return Err(vec![locate_issue(
                    Issue {
                        path: o.at.clone(),
                        value: None,
                        message: format!("`{key}` cannot be swept"),
                    },
                    None,
                )]);
            }
        }
        merge(&mut base, &o.set, &KeyPath::root()).map_err(|issue| {
            let message = format!("{} (at `{}`)", issue.message, issue.path);
            vec![locate_issue(
                Issue {
                    path: o.at.clone(),
                    value: None,
                    message,
                },
                None,
            )]
        })?;
    }
    // Of the whole scenario only these are needed from here on: the rest is validated per
    // variant, from `base` (memory: a 50 MB scenario is not kept in one more copy).
    let (description, question, raw_variants) = (raw.description, raw.question, raw.variants);
    let (raw_expects, raw_quiz) = (raw.expect, raw.quiz);
    // Variants an expectation says validation refuses: their errors are the answer, not a fault.
    let expected_refused: HashSet<&str> = raw_expects
        .iter()
        .filter(|e| e.validation_error.is_some())
        .filter_map(|e| e.variant.as_deref())
        .collect();
    let mut refused: Vec<Refused> = Vec::new();

    let mut errors: Vec<ScenarioError> = Vec::new();
    // What identifies a mistake, of the errors up to `errors_seen`.
    let same_mistake =
        |e: &ScenarioError| (e.line, e.column, e.key_path.clone(), e.message.clone());
    let mut seen = HashSet::new();
    let mut errors_seen = 0;
    let mut warnings: Vec<(ScenarioError, usize)> = Vec::new();
    let mut warning_at: HashMap<String, usize> = HashMap::new();
    let mut variants = Vec::new();
    let specs: Vec<(String, Option<String>, toml::Table)> = if raw_variants.is_empty() {
        vec![("base".to_string(), None, toml::Table::new())]
    } else {
        raw_variants
            .iter()
            .map(|v| (v.name.clone(), v.description.clone(), v.set.clone()))
            .collect()
    };
    // Each variant starts from the base without the `[[variants]]` array (removed once here, not
    // once per variant: a thousand variants would copy a thousand-entry array a thousand times);
    // the last variant takes the base itself instead of a copy.
    base.remove("variants");
    let mut shared = Some(base);
    let mut names_seen: HashSet<&str> = HashSet::new();
    for (i, (variant_name, description, set)) in specs.iter().enumerate() {
        if !names_seen.insert(variant_name) {
            errors.push(locate_issue(
                Issue {
                    path: KeyPath::root().key("variants").index(i).key("name"),
                    value: Some(validate::quoted(variant_name)),
                    message: "another variant has this name".into(),
                },
                None,
            ));
            continue;
        }
        let context = (!raw_variants.is_empty()).then_some((i, variant_name.as_str(), set));
        if let Some(key) = UNSHARED.into_iter().find(|k| set.contains_key(*k)) {
            errors.push(locate_issue(
                Issue {
                    path: KeyPath::root().key("variants").index(i).key("set").key(key),
                    value: None,
                    message: format!(
                        "`{key}` is shared by all variants and cannot be set per variant"
                    ),
                },
                None,
            ));
            continue;
        }
        let mut merged = if i + 1 == specs.len() {
            shared
                .take()
                .expect("the base is taken by the last variant only")
        } else {
            shared
                .clone()
                .expect("the base is kept until the last variant")
        };
        if let Err(issue) = merge(&mut merged, set, &KeyPath::root()) {
            let mut issue = issue;
            issue.path = KeyPath::root()
                .key("variants")
                .index(i)
                .key("set")
                .join(&issue.path);
            errors.push(locate_issue(issue, None));
            continue;
        }
        let raw_variant = match deserialize(toml::Value::Table(merged)) {
            Ok(r) => r,
            Err(issue) => {
                errors.push(locate_issue(issue, context));
                continue;
            }
        };
        match validate::validate(&raw_variant) {
            Ok((topology, found)) => {
                for w in found {
                    let w = locate_issue(w, context);
                    match warning_at.get(&w.message) {
                        Some(&at) => warnings[at].1 += 1,
                        None => {
                            warning_at.insert(w.message.clone(), warnings.len());
                            warnings.push((w, 1));
                        }
                    }
                }
                variants.push(Variant {
                    name: variant_name.clone(),
                    description: description.clone(),
                    topology,
                });
            }
            Err(found) if expected_refused.contains(variant_name.as_str()) => {
                refused.push(Refused {
                    name: variant_name.clone(),
                    errors: found
                        .into_iter()
                        .map(|e| locate_issue(e, context))
                        .collect(),
                });
            }
            Err(found) => {
                for e in found {
                    let mut e = locate_issue(e, context);
                    // The same mistake in the base shows once, not once per variant.
                    for x in &errors[errors_seen..] {
                        seen.insert(same_mistake(x));
                    }
                    errors_seen = errors.len();
                    if !seen.insert(same_mistake(&e)) {
                        continue;
                    }
                    if !e.key_path.starts_with("variants") && raw_variants.len() > 1 {
                        e.variant = None;
                    }
                    errors.push(e);
                }
            }
        }
    }
    if errors.is_empty() && variants.is_empty() && !refused.is_empty() {
        let i = raw_expects
            .iter()
            .position(|e| e.validation_error.is_some())
            .expect("a variant is refused only when an expectation says so");
        errors.push(locate_issue(
            Issue {
                path: KeyPath::root()
                    .key("expect")
                    .index(i)
                    .key("validation_error"),
                value: None,
                message: "every variant is refused: keep one that validates, to show what works"
                    .into(),
            },
            None,
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let all_names: Vec<String> = specs.iter().map(|(n, _, _)| n.clone()).collect();
    let (expectations, quiz) = validate::expect::check(
        &raw_expects,
        raw_quiz.as_ref(),
        question.as_deref(),
        &all_names,
        &variants[0].topology,
    )
    .map_err(|issues| {
        issues
            .into_iter()
            .map(|issue| locate_issue(issue, None))
            .collect::<Vec<_>>()
    })?;
    // A warning every variant gives is the scenario's, not one variant's.
    let all = variants.len();
    let warnings = warnings
        .into_iter()
        .map(|(mut w, seen)| {
            if seen == all && !w.key_path.starts_with("variants") {
                w.variant = None;
            }
            w
        })
        .collect();
    Ok(Scenario {
        file: file.to_string(),
        name,
        description,
        question,
        variants,
        warnings,
        expectations,
        quiz,
        refused,
    })
}

/// Top-level keys every variant shares: a variant's `set` and a sweep's axes cannot change them.
const UNSHARED: [&str; 5] = ["run", "variants", "sweep", "expect", "quiz"];

/// Deserializes the raw scenario, turning serde's error into an issue with its key path.
fn deserialize(value: toml::Value) -> Result<RawScenario, Issue> {
    serde_path_to_error::deserialize::<_, RawScenario>(value).map_err(|e| {
        let mut path = KeyPath::root();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => path = path.index(*index),
                serde_path_to_error::Segment::Map { key } => path = path.key(key),
                serde_path_to_error::Segment::Enum { variant } => path = path.key(variant),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        // The first line: toml adds an "in `table`" line that the key path already says.
        let full = e.inner().to_string();
        let mut message = validate::compact_numbers(full.lines().next().unwrap_or_default().trim());
        // serde names an unknown key in its message; point at the key itself.
        if let Some(rest) = message.strip_prefix("unknown field `") {
            if let Some((key, expected)) = rest.split_once('`') {
                if path.0.last() != Some(&Seg::Key(key.to_string())) {
                    path = path.key(key);
                }
                message = format!("unknown key{expected}");
            }
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            if let Some((key, _)) = rest.split_once('`') {
                message = format!("missing key `{key}`");
            }
        }
        Issue {
            path,
            value: None,
            message,
        }
    })
}

/// Merges a variant's `set` table into the scenario table `into`.
fn merge(into: &mut toml::Table, set: &toml::Table, at: &KeyPath) -> Result<(), Issue> {
    for (key, value) in set {
        let here = at.key(key);
        let parent_is_named =
            matches!(at.0.as_slice(), [Seg::Key(k)] if NAMED_TABLES.contains(&k.as_str()));
        match (into.get_mut(key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(over)) => {
                merge(existing, over, &here)?
            }
            (None, _) if parent_is_named => {
                return Err(Issue {
                    path: here,
                    value: None,
                    message: format!(
                        "the scenario has no `{key}` in `{at}`: a variant can change resources, not add them"
                    ),
                });
            }
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

/// True if the variant's `set` table provides the value at `path`, or a value (not a table) above
/// it that replaced it whole.
fn overridden(set: &toml::Table, path: &KeyPath) -> bool {
    let mut table = set;
    for seg in &path.0 {
        let Seg::Key(key) = seg else { return true };
        match table.get(key) {
            None => return false,
            Some(toml::Value::Table(t)) => table = t,
            Some(_) => return true,
        }
    }
    false
}
