//! The import model ([`super::ir::Model`]) as scenario TOML text, the scenario a person would have
//! written: accounts (one per provider configuration, with its AZ map), then the resources in
//! the model's order under a header per module, each resource family mapped by [`map`], then a
//! `[workload]`, `[run]` and, on request, the cross-zone variants.
//!
//! Names: a resource's scenario name is its module path, its name and its index joined by `-`:
//! `module.provider_vpc.aws_subnet.private[0]` -> `provider_vpc-private-1` (a count index counts
//! from 1, a `for_each` key is kept as is; a resource named `this` or `main` inside a module
//! takes the module's name alone); a second resource of a family with the same name gets `-2`.
//! Hosted zones are keyed by their zone name. `tags.Name` becomes a security group's
//! `description` (when Terraform's own is the default) and a `# Name:` comment elsewhere.
//!
//! What it cannot map is never silent: an unsupported resource type, an attribute sim does not
//! model and a value the reader could not evaluate each give a warning and a `# dropped:` or
//! `# TODO:` comment where the resource is. A required value it cannot give (a subnet's AZ, the
//! workload's clients) is written as a commented `# key = ...` line: the text is still produced
//! (exit 0) and the warning says what to fill in. Without an AZ ID map for a provider that has
//! subnets it refuses (the placement of every ENI and node depends on it, AZ-1). A plan keeps
//! only a hash of `user_data`: an instance registered in a target group whose script cannot be
//! read is assumed to serve on the group's port, answering its `tags.Name` (a TODO says so), so
//! that the scenario runs as the system does.

pub mod map;
pub mod user_data;

use std::collections::{BTreeMap, HashMap};

use super::ir::{Address, Index, Mode, Model, ModuleStep, Resource, Value};
use crate::error::Error;

/// What the caller asks for beyond the model.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The workload's client instance (a scenario name or a Terraform address).
    pub client: Option<String>,
    /// The workload's host name.
    pub host: Option<String>,
    /// Two variants, every NLB's cross-zone load balancing off and on.
    pub variant_cross_zone: bool,
    /// What was imported (for the header comment).
    pub source: String,
}

/// The scenario text and the warnings to print.
#[derive(Clone, Debug, PartialEq)]
pub struct Emitted {
    /// The scenario TOML.
    pub text: String,
    /// One line each: what was dropped or left to fill in.
    pub warnings: Vec<String>,
}

/// A scenario table family.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `[vpcs.*]`
    Vpc,
    /// `[subnets.*]`
    Subnet,
    /// `[security_groups.*]`
    SecurityGroup,
    /// `[instances.*]`
    Instance,
    /// `[load_balancers.*]`
    LoadBalancer,
    /// `[target_groups.*]`
    TargetGroup,
    /// `[endpoint_services.*]`
    EndpointService,
    /// `[vpc_endpoints.*]`
    VpcEndpoint,
    /// `[route53_zones.*]`
    Zone,
    /// `[vpc_peerings.*]`
    Peering,
}

impl Family {
    /// The scenario table.
    pub fn table(self) -> &'static str {
        match self {
            Family::Vpc => "vpcs",
            Family::Subnet => "subnets",
            Family::SecurityGroup => "security_groups",
            Family::Instance => "instances",
            Family::LoadBalancer => "load_balancers",
            Family::TargetGroup => "target_groups",
            Family::EndpointService => "endpoint_services",
            Family::VpcEndpoint => "vpc_endpoints",
            Family::Zone => "route53_zones",
            Family::Peering => "vpc_peerings",
        }
    }

    /// The family a Terraform resource type maps to, if it is a table of its own.
    pub fn of(kind: &str) -> Option<Family> {
        Some(match kind {
            "aws_vpc" => Family::Vpc,
            "aws_subnet" => Family::Subnet,
            "aws_security_group" => Family::SecurityGroup,
            "aws_instance" => Family::Instance,
            "aws_lb" | "aws_alb" => Family::LoadBalancer,
            "aws_lb_target_group" | "aws_alb_target_group" => Family::TargetGroup,
            "aws_vpc_endpoint_service" => Family::EndpointService,
            "aws_vpc_endpoint" => Family::VpcEndpoint,
            "aws_route53_zone" => Family::Zone,
            "aws_vpc_peering_connection" => Family::Peering,
            _ => return None,
        })
    }
}

/// Resource types that add to another resource's table.
pub const CHILD_KINDS: [&str; 7] = [
    "aws_lb_listener",
    "aws_lb_target_group_attachment",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_route53_record",
    "aws_alb_listener",
];

/// One scenario table being built.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its family.
    pub family: Family,
    /// Its scenario name.
    pub name: String,
    /// The resource it comes from.
    pub address: Address,
    /// Comment lines above the table (without `# `).
    pub comments: Vec<String>,
    /// `key = value` lines, the value already TOML.
    pub keys: Vec<(String, String)>,
    /// Required keys that could not be given: written commented out.
    pub missing: Vec<(String, String)>,
    /// Inline-table lists (`ingress`, `listeners`, `targets`, `records`), items already TOML.
    pub lists: Vec<(&'static str, Vec<String>)>,
}

impl Entry {
    /// Sets a key.
    pub fn set(&mut self, key: &str, toml: String) {
        self.keys.push((key.to_string(), toml));
    }

    /// The items of a list, created empty if it is not there yet.
    pub fn list(&mut self, key: &'static str) -> &mut Vec<String> {
        let at = match self.lists.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.lists.push((key, Vec::new()));
                self.lists.len() - 1
            }
        };
        &mut self.lists[at].1
    }
}

/// The mapping's state: the model, the names, the entries built so far and the warnings.
pub struct Cx<'m> {
    /// The model.
    pub model: &'m Model,
    /// Address -> (family, scenario name).
    pub names: HashMap<Address, (Family, String)>,
    /// Provider key -> account name.
    pub accounts: BTreeMap<String, String>,
    /// The tables, in model order.
    pub entries: Vec<Entry>,
    /// What is printed on stderr.
    pub warnings: Vec<String>,
    /// Each hosted zone record: (zone name, fully qualified record name), in model order.
    pub records: Vec<(String, String)>,
    /// Each listener's port, in model order.
    pub listener_ports: Vec<u16>,
    /// Instances whose `user_data` could not be read as a server: (scenario name, what its
    /// body stands in as, why).
    pub unread_servers: Vec<(String, String, String)>,
}

impl<'m> Cx<'m> {
    /// Where a resource is, for messages: `aws_subnet.a (plan.json)` or `(main.tf:12)`.
    pub fn place(r: &Resource) -> String {
        match &r.at {
            Some(at) if at.line > 0 => format!("{} ({at})", r.address),
            Some(at) => format!("{} ({})", r.address, at.file.display()),
            None => r.address.to_string(),
        }
    }

    /// Something about `r` left to fill in: a `# TODO` comment on `entry` and a warning.
    pub fn todo(&mut self, entry: &mut Entry, r: &Resource, what: String) {
        entry.comments.push(format!("TODO: {what}"));
        self.warnings.push(format!("{}: {what}", Cx::place(r)));
    }

    /// Something of `r` not carried over: a `# dropped:` comment on `entry` and a warning.
    pub fn dropped(&mut self, entry: &mut Entry, r: &Resource, what: String) {
        entry.comments.push(format!("dropped: {what}"));
        self.warnings
            .push(format!("{}: dropped {what}", Cx::place(r)));
    }

    /// A required key that could not be given.
    pub fn missing(&mut self, entry: &mut Entry, r: &Resource, key: &str, why: String) {
        entry.missing.push((key.to_string(), why.clone()));
        self.warnings.push(format!(
            "{}: {key} = ? ({why}): fill it in before running the scenario",
            Cx::place(r)
        ));
    }

    /// The scenario name of what `value` refers to, which must be of `family`.
    pub fn name(&self, value: &Value, family: Family) -> Result<String, String> {
        match value {
            Value::Ref { to, .. } => match self.names.get(to) {
                Some((f, name)) if *f == family => Ok(name.clone()),
                Some((f, _)) => Err(format!(
                    "{to} is a {} table, not one of {}",
                    f.table(),
                    family.table()
                )),
                None => Err(format!("{to} is not in the scenario")),
            },
            Value::Unknown { text, at } => Err(match at {
                Some(at) if at.line > 0 => format!("could not evaluate {text} ({at})"),
                _ => format!("could not evaluate {text}"),
            }),
            Value::String(s) => Err(format!(
                "\"{s}\" is no resource of this configuration (give a reference)"
            )),
            other => Err(format!("{} is not a reference", describe(other))),
        }
    }

    /// The scenario names of a list of references (a single one counts as a list of one).
    pub fn names_of(&self, value: &Value, family: Family) -> Result<Vec<String>, String> {
        match value {
            Value::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::List(_) => out.extend(self.names_of(item, family)?),
                        _ => out.push(self.name(item, family)?),
                    }
                }
                Ok(out)
            }
            Value::Null => Ok(Vec::new()),
            single => Ok(vec![self.name(single, family)?]),
        }
    }

    /// The entry of a scenario table.
    pub fn entry_mut(&mut self, family: Family, name: &str) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .find(|e| e.family == family && e.name == name)
    }
}

/// `v` in words, for messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(*n),
        Value::String(s) => format!("\"{s}\""),
        Value::List(_) => "a list".into(),
        Value::Map(_) => "an object".into(),
        Value::Ref { to, attribute } => format!("{to}.{attribute}"),
        Value::Unknown { text, .. } => text.clone(),
    }
}

/// A number as TOML: an integer when it is one.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else if n.abs() >= 9.0e15 {
        // Beyond an i64 TOML has only floats, with an exponent.
        format!("{n:e}")
    } else {
        format!("{n}")
    }
}

/// Text for a TOML comment: TOML allows no control character there, a line break included.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A TOML string literal.
pub fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare when it can be.
pub fn key(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { s.to_string() } else { quote(s) }
}

/// An inline TOML array of strings.
pub fn string_array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The scenario name of a resource, before uniqueness (see the module documentation).
pub fn base_name(address: &Address) -> String {
    let mut parts: Vec<String> = address.module.iter().map(step_name).collect();
    let generic = matches!(address.name.as_str(), "this" | "main");
    if !generic || address.module.is_empty() {
        parts.push(address.name.clone());
    }
    match &address.index {
        Some(Index::Count(i)) => parts.push((i + 1).to_string()),
        Some(Index::Key(k)) => parts.push(k.clone()),
        None => {}
    }
    parts.join("-")
}

fn step_name(step: &ModuleStep) -> String {
    match &step.index {
        None => step.name.clone(),
        Some(Index::Count(i)) => format!("{}-{}", step.name, i + 1),
        Some(Index::Key(k)) => format!("{}-{k}", step.name),
    }
}

/// Whether a resource is modelled as a table of its own: its family, or `None`.
fn family_of(r: &Resource) -> Option<Family> {
    if r.address.mode != Mode::Managed {
        return None;
    }
    let family = Family::of(&r.address.kind)?;
    let text = |k: &str| match r.values.get(k) {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let kept = match family {
        Family::LoadBalancer => text("load_balancer_type") == Some("network"),
        Family::VpcEndpoint => text("vpc_endpoint_type") == Some("Interface"),
        Family::Zone => matches!(r.values.get("vpc"), Some(Value::List(v)) if !v.is_empty()),
        _ => true,
    };
    kept.then_some(family)
}

/// Maps `model` to scenario text. Refuses (exit 2) when subnets need an AZ ID map their
/// provider does not have, or `--client` names no instance.
pub fn emit(model: &Model, options: &Options) -> Result<Emitted, Error> {
    // An address given twice (a hand-edited plan) is one resource: the first is kept.
    let mut distinct = model.clone();
    let mut seen = std::collections::HashSet::new();
    let mut twice = Vec::new();
    distinct.resources.retain(|r| {
        let first = seen.insert(r.address.clone());
        if !first {
            twice.push(format!(
                "{}: dropped (the address is given twice; the first is kept)",
                Cx::place(r)
            ));
        }
        first
    });
    let model = &distinct;
    let mut cx = Cx {
        model,
        names: HashMap::new(),
        accounts: BTreeMap::new(),
        entries: Vec::new(),
        warnings: twice,
        records: Vec::new(),
        listener_ports: Vec::new(),
        unread_servers: Vec::new(),
    };
    name_everything(&mut cx);
    check_az_maps(&cx)?;
    // What the reader met and did not keep: warnings, and comments under the header.
    let mut reader_notes = String::new();
    for note in &model.notes {
        let place = match &note.at {
            Some(at) if at.line > 0 => at.to_string(),
            Some(at) => at.file.display().to_string(),
            None => String::new(),
        };
        if place.is_empty() {
            cx.warnings.push(note.message.clone());
            reader_notes.push_str(&format!("# TODO: {}\n", one_line(&note.message)));
        } else {
            cx.warnings.push(format!("{place}: {}", note.message));
            reader_notes.push_str(&format!(
                "# TODO: {} ({})\n",
                one_line(&note.message),
                one_line(&place)
            ));
        }
    }
    // Tables first, then what adds to them.
    let mut body: Vec<Item> = Vec::new();
    for r in &model.resources {
        if let Some(family) = family_of(r) {
            let entry = map::table(&mut cx, r, family);
            cx.entries.push(entry);
            body.push(Item::Table(r.address.module.clone(), cx.entries.len() - 1));
        } else if r.address.mode == Mode::Managed && !CHILD_KINDS.contains(&r.address.kind.as_str())
        {
            let why = match Family::of(&r.address.kind) {
                Some(Family::LoadBalancer) => "only network load balancers are modelled",
                Some(Family::VpcEndpoint) => "only Interface endpoints are modelled",
                Some(Family::Zone) => "only private hosted zones (with a vpc block) are modelled",
                _ => "resource type not modelled",
            };
            let line = format!("{} ({why})", r.address);
            cx.warnings
                .push(format!("{}: dropped ({why})", Cx::place(r)));
            body.push(Item::Comment(
                r.address.module.clone(),
                format!("dropped: {line}"),
            ));
        } else if r.address.mode == Mode::Data && r.address.kind != "aws_availability_zones" {
            cx.warnings.push(format!(
                "{}: dropped (data sources other than aws_availability_zones are not read)",
                Cx::place(r)
            ));
        }
    }
    for r in &model.resources {
        if r.address.mode == Mode::Managed && CHILD_KINDS.contains(&r.address.kind.as_str()) {
            if let Err(why) = map::child(&mut cx, r) {
                cx.warnings
                    .push(format!("{}: dropped ({why})", Cx::place(r)));
                body.push(Item::Comment(
                    r.address.module.clone(),
                    format!("dropped: {} ({why})", r.address),
                ));
            }
        }
    }
    assumed_servers(&mut cx);
    let mut text = String::new();
    header(&mut cx, options, &mut text);
    if !reader_notes.is_empty() {
        text.push_str(&section("What the reader could not evaluate or keep"));
        text.push_str(&reader_notes);
    }
    render_body(&cx, &body, &mut text);
    workload(&mut cx, options, &mut text)?;
    text.push_str("\n[run]\nseed = 1\nflows = 30000\n");
    variants(&mut cx, options, &mut text);
    Ok(Emitted {
        text,
        warnings: cx.warnings,
    })
}

/// An instance registered in a target group whose `user_data` could not be read (a plan keeps
/// only its hash) is assumed to serve on the group's port, answering its `tags.Name` or its
/// name: it was registered to answer there. A TODO says so. Any other unreadable script is a
/// TODO alone.
fn assumed_servers(cx: &mut Cx<'_>) {
    let unread = std::mem::take(&mut cx.unread_servers);
    for (name, body, why) in unread {
        let port = cx
            .entries
            .iter()
            .filter(|e| e.family == Family::TargetGroup)
            .filter(|e| {
                e.lists
                    .iter()
                    .any(|(k, items)| *k == "targets" && items.contains(&quote(&name)))
            })
            .find_map(|e| {
                e.keys
                    .iter()
                    .find(|(k, _)| k == "port")
                    .and_then(|(_, v)| v.parse::<u16>().ok())
            });
        let Some(i) = cx
            .entries
            .iter()
            .position(|e| e.family == Family::Instance && e.name == name)
        else {
            continue;
        };
        let mut entry = cx.entries[i].clone();
        let r = cx
            .model
            .resources
            .iter()
            .find(|r| r.address == entry.address)
            .expect("an entry's resource is in the model");
        match port {
            Some(port) => {
                entry.set(
                    "web_server",
                    format!("{{ port = {port}, body = {} }}", quote(&body)),
                );
                cx.todo(
                    &mut entry,
                    r,
                    format!("web_server: {why}; as a target it is assumed to answer on its target group's port {port} with {body:?}: check it"),
                );
            }
            None => cx.todo(
                &mut entry,
                r,
                format!("web_server: {why}; give web_server = {{ port, body }} if it serves"),
            ),
        }
        cx.entries[i] = entry;
    }
}

/// What the body lists, in model order.
enum Item {
    Table(Vec<ModuleStep>, usize),
    Comment(Vec<ModuleStep>, String),
}

fn name_everything(cx: &mut Cx<'_>) {
    let mut taken: HashMap<Family, Vec<String>> = HashMap::new();
    let mut accounts_taken: Vec<String> = Vec::new();
    for r in &cx.model.resources {
        let Some(family) = family_of(r) else {
            continue;
        };
        let base = match (family, r.values.get("name")) {
            (Family::Zone, Some(Value::String(zone))) => zone.trim_end_matches('.').to_string(),
            _ => base_name(&r.address),
        };
        let used = taken.entry(family).or_default();
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        used.push(name.clone());
        cx.names.insert(r.address.clone(), (family, name));
        if family == Family::Vpc && !cx.accounts.contains_key(&r.provider) {
            let base = match r.provider.split_once('.') {
                Some((_, alias)) => alias.to_string(),
                None => "default".to_string(),
            };
            let mut account = base.clone();
            let mut n = 2;
            while accounts_taken.contains(&account) {
                account = format!("{base}-{n}");
                n += 1;
            }
            accounts_taken.push(account.clone());
            cx.accounts.insert(r.provider.clone(), account);
        }
    }
}

/// Every provider with subnets needs its AZ name -> AZ ID map (AZ-1).
fn check_az_maps(cx: &Cx<'_>) -> Result<(), Error> {
    let mut without: Vec<String> = Vec::new();
    for r in &cx.model.resources {
        if family_of(r) != Some(Family::Subnet) {
            continue;
        }
        let has_map = cx
            .model
            .providers
            .iter()
            .any(|p| p.key == r.provider && !p.az_ids.is_empty());
        if !has_map && !without.contains(&r.provider) {
            without.push(r.provider.clone());
        }
    }
    if without.is_empty() {
        return Ok(());
    }
    let example = if cx.model.providers.len() > 1 || without.iter().any(|p| p.contains('.')) {
        format!("{}:us-east-1a=use1-az1,...", without[0])
    } else {
        "us-east-1a=use1-az1,us-east-1b=use1-az2,...".to_string()
    };
    Err(Error::Usage(format!(
        "no AZ name -> AZ ID map for provider {}: sim places subnets by AZ ID, and AZ names differ \
         between accounts (docs/model.md AZ-1). Give it with --az-ids {example} (`aws ec2 \
         describe-availability-zones --query 'AvailabilityZones[].[ZoneName,ZoneId]'` prints it), \
         or import a plan whose configuration reads data \"aws_availability_zones\" (names and \
         zone_ids)",
        without.join(", ")
    )))
}

fn header(cx: &mut Cx<'_>, options: &Options, text: &mut String) {
    text.push_str(&format!(
        "# Imported from Terraform by `sim import {}`.\n\
         # Review every `# TODO` (a value to fill in) and `# dropped:` (what sim does not model)\n\
         # below, then `sim check` and `sim run` it.\n\n",
        one_line(&options.source)
    ));
    text.push_str(&format!(
        "description = {}\n",
        quote(&format!("Imported from {}", options.source))
    ));
    let used: Vec<&super::ir::Provider> = cx
        .model
        .providers
        .iter()
        .filter(|p| cx.accounts.contains_key(&p.key))
        .collect();
    let regions: Vec<&str> = used.iter().filter_map(|p| p.region.as_deref()).collect();
    match regions.first() {
        Some(region) => {
            if regions.iter().any(|r| r != region) {
                text.push_str("# TODO: the providers are in several regions; sim models one\n");
            }
            text.push_str(&format!("region = {}\n", quote(region)));
        }
        None => {
            text.push_str("# TODO: the providers' region is not in the input\n# region = ?\n");
            cx.warnings
                .push("region = ? (no provider region in the input): fill it in".into());
        }
    }
    for p in used {
        let account = &cx.accounts[&p.key];
        text.push_str(&format!(
            "\n[accounts.{}]   # provider {}\n",
            key(account),
            one_line(&p.key)
        ));
        let pairs: Vec<String> = p
            .az_ids
            .iter()
            .map(|(name, id)| format!("{} = {}", key(name), quote(id)))
            .collect();
        text.push_str(&format!("az_ids = {{ {} }}\n", pairs.join(", ")));
    }
}

fn section(title: &str) -> String {
    let head = format!("# ---- {} ", one_line(title));
    let width = 100usize.saturating_sub(head.chars().count()).max(4);
    format!("\n{head}{}\n", "-".repeat(width))
}

fn module_title(module: &[ModuleStep]) -> String {
    if module.is_empty() {
        return "Root module".to_string();
    }
    module
        .iter()
        .map(|s| match &s.index {
            Some(i) => format!("module.{}{i}", s.name),
            None => format!("module.{}", s.name),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn render_body(cx: &Cx<'_>, body: &[Item], text: &mut String) {
    let mut current: Option<&[ModuleStep]> = None;
    for item in body {
        let module = match item {
            Item::Table(m, _) | Item::Comment(m, _) => m.as_slice(),
        };
        if current != Some(module) {
            text.push_str(&section(&module_title(module)));
            current = Some(module);
        }
        match item {
            Item::Comment(_, line) => {
                text.push_str(&format!("# {}\n", one_line(line)));
            }
            Item::Table(_, i) => render_entry(&cx.entries[*i], text),
        }
    }
}

fn render_entry(e: &Entry, text: &mut String) {
    text.push('\n');
    text.push_str(&format!("# {}\n", one_line(&e.address.to_string())));
    for c in &e.comments {
        for line in c.lines() {
            text.push_str(&format!("# {}\n", one_line(line)));
        }
    }
    text.push_str(&format!("[{}.{}]\n", e.family.table(), key(&e.name)));
    for (k, v) in &e.keys {
        text.push_str(&format!("{k} = {v}\n"));
    }
    for (k, why) in &e.missing {
        text.push_str(&format!("# {k} = ?   # TODO: {}\n", one_line(why)));
    }
    for (k, items) in &e.lists {
        let single = format!("{k} = [{}]", items.join(", "));
        if single.len() <= 100 || items.len() < 2 {
            text.push_str(&single);
            text.push('\n');
        } else {
            text.push_str(&format!("{k} = [\n"));
            for item in items {
                text.push_str(&format!("  {item},\n"));
            }
            text.push_str("]\n");
        }
    }
}

fn workload(cx: &mut Cx<'_>, options: &Options, text: &mut String) -> Result<(), Error> {
    text.push_str(&section("What the client does"));
    let instances: Vec<&Entry> = cx
        .entries
        .iter()
        .filter(|e| e.family == Family::Instance)
        .collect();
    let targets: Vec<String> = cx
        .entries
        .iter()
        .filter(|e| e.family == Family::TargetGroup)
        .flat_map(|e| e.lists.iter().filter(|(k, _)| *k == "targets"))
        .flat_map(|(_, items)| items.iter().cloned())
        .collect();
    let mut notes: Vec<String> = Vec::new();
    let client = match &options.client {
        Some(wanted) => {
            let found = instances
                .iter()
                .find(|e| &e.name == wanted || &e.address.to_string() == wanted);
            match found {
                Some(e) => Some(e.name.clone()),
                None => {
                    let known: Vec<String> = instances.iter().map(|e| e.name.clone()).collect();
                    return Err(Error::Usage(format!(
                        "--client {wanted}: no such instance; the scenario's instances are: {}",
                        if known.is_empty() {
                            "(none)".to_string()
                        } else {
                            known.join(", ")
                        }
                    )));
                }
            }
        }
        None => {
            let guess = instances
                .iter()
                .find(|e| {
                    !targets.contains(&quote(&e.name))
                        && !e.keys.iter().any(|(k, _)| k == "web_server")
                })
                .map(|e| e.name.clone());
            match &guess {
                Some(name) => notes.push(format!(
                    "TODO: the client was guessed ({name}: the first instance that is no target and runs no server); give --client to choose"
                )),
                None => notes.push("TODO: no instance can be the client: add one (or give --client)".into()),
            }
            guess
        }
    };
    let host = match &options.host {
        Some(host) => Some(host.clone()),
        None => {
            // The first record of the first zone (in model order) that has one.
            let zones: Vec<&str> = cx
                .entries
                .iter()
                .filter(|e| e.family == Family::Zone)
                .map(|e| e.name.as_str())
                .collect();
            let first_record = zones.iter().find_map(|zone| {
                cx.records
                    .iter()
                    .find(|(z, _)| z == zone)
                    .map(|(_, host)| host.clone())
            });
            if let Some(host) = &first_record {
                notes.push(format!(
                    "TODO: the host is the first private hosted zone record ({host}); give --host to choose"
                ));
            }
            first_record
        }
    };
    let port = cx.listener_ports.first().copied();
    for n in &notes {
        text.push_str(&format!("# {}\n", one_line(n)));
    }
    text.push_str("[workload]\n");
    match &client {
        Some(c) => text.push_str(&format!(
            "clients = {}\n",
            string_array(std::slice::from_ref(c))
        )),
        None => {
            text.push_str("# clients = [\"?\"]   # TODO: the instances the flows start from\n");
            cx.warnings.push(
                "[workload] clients: no instance could be the client; add one to the scenario and name it in clients"
                    .into(),
            );
        }
    }
    match &host {
        Some(h) => text.push_str(&format!("host = {}\n", quote(h))),
        None => {
            text.push_str("# host = \"?\"   # TODO: the DNS name the clients connect to\n");
            cx.warnings.push(
                "[workload] host: no private hosted zone record to connect to; fill in host (or give --host)".into(),
            );
        }
    }
    if let Some(port) = port {
        text.push_str(&format!("port = {port}\n"));
    }
    if options.client.is_none() && client.is_some() {
        cx.warnings.push(format!(
            "[workload] clients = [\"{}\"] is a guess; check it (or give --client)",
            client.as_deref().unwrap_or_default()
        ));
    }
    Ok(())
}

fn variants(cx: &mut Cx<'_>, options: &Options, text: &mut String) {
    if !options.variant_cross_zone {
        return;
    }
    let nlbs: Vec<String> = cx
        .entries
        .iter()
        .filter(|e| e.family == Family::LoadBalancer)
        .map(|e| e.name.clone())
        .collect();
    if nlbs.is_empty() {
        cx.warnings
            .push("--variant-cross-zone: no network load balancer to vary".into());
        return;
    }
    for (name, on) in [("cross-zone off", false), ("cross-zone on", true)] {
        text.push_str(&format!("\n[[variants]]\nname = {}\n", quote(name)));
        for nlb in &nlbs {
            text.push_str(&format!(
                "set.load_balancers.{}.enable_cross_zone_load_balancing = {on}\n",
                key(nlb)
            ));
        }
    }
}

#[cfg(test)]
mod tests;
