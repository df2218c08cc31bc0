//! Validation: [`RawScenario`] (as written) -> [`Topology`] (trusted), or every problem found.
//!
//! Each check names the key path of the offending value and the rule it breaks. The checks go by
//! resource family, in the order the topology is built:
//! - `network`: accounts and their AZ maps, VPCs, subnets, peerings;
//! - `security`: security groups and their rules, the lists of groups interfaces carry;
//! - `instances`: instances and their addresses;
//! - `load_balancing`: target groups, load balancers, their nodes and listeners;
//! - `privatelink`: endpoint services, interface endpoints and their ENIs;
//! - `dns`: private hosted zones and their records;
//! - `workload`: the clients, `[network]` and `[run]`;
//! - `events`: the scheduled events (`[[events]]`): their names resolve and none contradicts the
//!   state the events before it leave;
//! - `prices`: the `[prices]` that replace the table's (COST-1 to COST-3);
//! - `paths`: what needs the whole topology: what each client's name resolves to, whether a
//!   listener serves the port, targets that will never get traffic.
//!
//! Validation checks what the scenario says; the AWS rules themselves live in
//! [`crate::rules`], which the checks call where a rule decides validity (an ENI needs a node of
//! its service in its zone: PL-2; a client may only reach paths sim models: NET-3). The README
//! lists every check; `tests/validation.rs` has one case per check.

mod dns;
mod events;
pub mod expect;
mod instances;
mod load_balancing;
mod network;
mod paths;
mod prices;
mod privatelink;
mod security;
mod workload;

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::Ipv4Addr;

use super::path::KeyPath;
use super::raw::*;
use crate::model::net::Cidr;
use crate::model::*;

/// One problem found, before it is located in the file.
#[derive(Clone, Debug)]
pub struct Issue {
    /// Where.
    pub path: KeyPath,
    /// The offending value, rendered as TOML.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// TOML rendering of a string value, for messages.
pub fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// A number as messages show it: plain when that is short (`100`, `0.5`), otherwise in
/// scientific notation (`1e-300`, `2.5e20`), never hundreds of digits.
pub fn number(x: f64) -> String {
    let plain = x.to_string();
    let small = x != 0.0 && x.abs() < 1e-4;
    if x.is_finite() && (small || plain.len() > 12) {
        format!("{x:e}")
    } else {
        plain
    }
}

/// `message` with every number written between backticks (as serde and toml quote values)
/// in the form of [`number`].
pub fn compact_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('`');
        // Odd parts (0, 2, ... here) are between backticks.
        match part.parse::<f64>() {
            Ok(x) if i % 2 == 0 && part.len() > 12 => out.push_str(&number(x)),
            _ => out.push_str(part),
        }
    }
    out
}

/// Displays a list for messages.
pub fn list<T: Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many names a dangling reference's message lists (the rest are counted).
const NAMES_SHOWN: usize = 10;

struct Checker<'a> {
    raw: &'a RawScenario,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Checker<'_> {
    fn error(&mut self, path: KeyPath, value: Option<String>, message: impl Into<String>) {
        self.errors.push(Issue {
            path,
            value,
            message: message.into(),
        });
    }

    fn warn(&mut self, path: KeyPath, message: impl Into<String>) {
        self.warnings.push(Issue {
            path,
            value: None,
            message: message.into(),
        });
    }

    /// Resolves a reference by name into `map`, or records a dangling-reference error.
    fn reference<T>(
        &mut self,
        map: &NamedMap<T>,
        kind: &str,
        path: KeyPath,
        name: &str,
    ) -> Option<usize> {
        let found = map.position(name);
        if found.is_none() {
            let hint = if map.is_empty() {
                format!("the scenario defines no {kind}")
            } else {
                let shown: Vec<&str> = map.iter().take(NAMES_SHOWN).map(|(n, _)| n).collect();
                let more = map.len() - shown.len();
                if more == 0 {
                    format!("defined: {}", shown.join(", "))
                } else {
                    format!("defined: {} and {more} more", shown.join(", "))
                }
            };
            self.error(
                path,
                Some(quoted(name)),
                format!("no {kind} of that name ({hint})"),
            );
        }
        found
    }

    fn cidr(&mut self, path: KeyPath, text: &str) -> Option<Cidr> {
        match text.parse::<Cidr>() {
            Ok(cidr) => Some(cidr),
            Err(message) => {
                self.error(path, Some(quoted(text)), message);
                None
            }
        }
    }

    fn one_of(&mut self, path: KeyPath, value: Option<&str>, allowed: &[&str], what: &str) {
        if let Some(value) = value {
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
                self.error(
                    path,
                    Some(quoted(value)),
                    format!("{what}: `sim` models only {}", allowed.join(" / ")),
                );
            }
        }
    }
}

/// `Some(())` to go on building, `None` to stop (the errors say why).
type Step = Option<()>;

fn ensure<T>(value: Option<T>, ok: &mut bool) -> Option<T> {
    if value.is_none() {
        *ok = false;
    }
    value
}

/// The topology as it is built, family by family.
#[derive(Default)]
struct Built {
    zones: Vec<Zone>,
    accounts: Vec<Account>,
    vpcs: Vec<Vpc>,
    subnets: Vec<Subnet>,
    security_groups: Vec<SecurityGroup>,
    /// Addresses in use per VPC, and who uses them.
    used: Vec<BTreeMap<Ipv4Addr, String>>,
    instances: Vec<Instance>,
    target_groups: Vec<TargetGroup>,
    targets: Vec<Target>,
    /// The VPC of each target group (None when its `vpc_id` dangles).
    tg_vpcs: Vec<Option<usize>>,
    load_balancers: Vec<LoadBalancer>,
    nodes: Vec<Node>,
    listeners: Vec<Listener>,
    services: Vec<EndpointService>,
    endpoints: Vec<Endpoint>,
    enis: Vec<EndpointEni>,
    hosted_zones: Vec<HostedZone>,
    peerings: Vec<(crate::model::ids::VpcId, crate::model::ids::VpcId)>,
    /// Per subnet, the offset where the search for its lowest free address resumes.
    cursors: Vec<u64>,
}

impl Built {
    /// The lowest free address of `subnet` (NET-2), now used by `owner`. Addresses are never
    /// freed and explicit ones are all taken first, so the lowest free one only moves up: each
    /// subnet keeps the offset where its search resumes.
    fn assign(&mut self, subnet: usize, owner: String) -> Option<Ipv4Addr> {
        if self.cursors.len() < self.subnets.len() {
            self.cursors.resize(self.subnets.len(), 4);
        }
        let s = &self.subnets[subnet];
        let taken = &mut self.used[s.vpc.index()];
        let end = s.cidr.size().saturating_sub(1);
        let mut offset = self.cursors[subnet];
        while offset < end {
            let addr = s.cidr.nth(offset)?;
            offset += 1;
            if let std::collections::btree_map::Entry::Vacant(free) = taken.entry(addr) {
                self.cursors[subnet] = offset;
                free.insert(owner);
                return Some(addr);
            }
        }
        self.cursors[subnet] = offset;
        None
    }
}

/// Validates `raw`. On success returns the topology and the warnings (things that are legal in
/// AWS but probably not what the author meant, such as a target that will never get traffic).
pub fn validate(raw: &RawScenario) -> Result<(Topology, Vec<Issue>), Vec<Issue>> {
    let mut c = Checker {
        raw,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    match build(&mut c) {
        Some(topology) if c.errors.is_empty() => {
            paths::check(&topology, &mut c);
            if c.errors.is_empty() {
                Ok((topology, c.warnings))
            } else {
                Err(c.errors)
            }
        }
        _ => Err(c.errors),
    }
}

fn build(c: &mut Checker<'_>) -> Option<Topology> {
    let mut b = Built::default();
    network::accounts(c, &mut b)?;
    network::vpcs(c, &mut b)?;
    network::subnets(c, &mut b)?;
    security::groups(c, &mut b)?;
    instances::instances(c, &mut b)?;
    load_balancing::target_groups(c, &mut b);
    load_balancing::load_balancers(c, &mut b)?;
    privatelink::services(c, &mut b);
    privatelink::endpoints(c, &mut b)?;
    dns::zones(c, &mut b);
    network::peerings(c, &mut b);
    let (workload, network, run) = workload::settings(c);
    let (events, listener_weight_sets) = events::events(c, &b);
    let prices = prices::prices(c);
    if !c.errors.is_empty() {
        return None;
    }
    Some(Topology {
        region: c.raw.region.clone(),
        accounts: b.accounts,
        zones: b.zones,
        vpcs: b.vpcs,
        subnets: b.subnets,
        security_groups: b.security_groups,
        instances: b.instances,
        load_balancers: b.load_balancers,
        nodes: b.nodes,
        listeners: b.listeners,
        target_groups: b.target_groups,
        targets: b.targets,
        services: b.services,
        endpoints: b.endpoints,
        enis: b.enis,
        hosted_zones: b.hosted_zones,
        peerings: b.peerings,
        workload,
        network,
        run,
        events,
        listener_weight_sets,
        prices,
    })
}

/// Unit-test helpers: the messages of validating `scenarios/crosszone.toml` after edits.
#[cfg(test)]
pub(crate) mod testing {
    /// The seed scenario.
    pub const CROSSZONE: &str = include_str!("../../../scenarios/crosszone.toml");

    /// `CROSSZONE` with each `(from, to)` replaced once (each `from` must be there).
    pub fn edited(edits: &[(&str, &str)]) -> String {
        let mut text = CROSSZONE.to_string();
        for (from, to) in edits {
            assert!(text.contains(from), "crosszone.toml has no {from:?}");
            text = text.replacen(from, to, 1);
        }
        text
    }

    /// `key_path: message` of every error of `text` (empty when it validates), and the warnings.
    pub fn problems(text: &str) -> (Vec<String>, Vec<String>) {
        match crate::scenario::parse("t.toml", "t", text) {
            Ok(s) => (
                Vec::new(),
                s.warnings
                    .iter()
                    .map(|w| format!("{}: {}", w.key_path, w.message))
                    .collect(),
            ),
            Err(errors) => (
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.key_path, e.message))
                    .collect(),
                Vec::new(),
            ),
        }
    }

    /// Asserts that `text` fails with an error at `key_path` whose message contains `fragment`.
    pub fn assert_error(text: &str, key_path: &str, fragment: &str) {
        let (errors, _) = problems(text);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{key_path}: ")) && e.contains(fragment)),
            "no error at {key_path} containing {fragment:?}; got {errors:#?}"
        );
    }

    /// Asserts that `text` validates.
    pub fn assert_valid(text: &str) {
        let (errors, _) = problems(text);
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::catalog;

    /// The checks' code (tests aside), file by file.
    const CHECKS: [&str; 10] = [
        include_str!("mod.rs"),
        include_str!("dns.rs"),
        include_str!("events.rs"),
        include_str!("instances.rs"),
        include_str!("load_balancing.rs"),
        include_str!("network.rs"),
        include_str!("paths.rs"),
        include_str!("privatelink.rs"),
        include_str!("security.rs"),
        include_str!("workload.rs"),
    ];

    /// Every rule id a message cites is written in one form, `(docs/model.md ID[, ID...])`, so
    /// that a reader (and a `validation_error = "ID"` expectation) finds it; comments may cite
    /// ids as they like, and an id alone in a string (`"EV-1"`) is a value, not a message.
    #[test]
    fn messages_cite_rule_ids_in_one_form() {
        let mut wrong = Vec::new();
        let mut cited = 0;
        for file in CHECKS {
            let code = file.split("#[cfg(test)]").next().unwrap_or(file);
            for line in code.lines() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                let groups: Vec<(usize, usize)> = line
                    .match_indices("(docs/model.md ")
                    .map(|(at, _)| (at, line[at..].find(')').map_or(line.len(), |end| at + end)))
                    .collect();
                for (at, id) in catalog::ids_in(line) {
                    assert!(catalog::rule(id).is_some(), "{id}: {line}");
                    let alone = line[..at].ends_with('"') && line[at + id.len()..].starts_with('"');
                    if alone {
                        continue;
                    }
                    cited += 1;
                    if !groups.iter().any(|&(start, end)| start < at && at < end) {
                        wrong.push(line.trim().to_string());
                    }
                }
            }
        }
        assert!(cited > 80, "{cited}");
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
