//! One Terraform resource type at a time, its attributes as scenario keys (the keys are
//! documented in `crate::scenario`): the tables ([`table`]) and the resources that add to
//! another's table ([`child`]: listeners, target group attachments, security group rules,
//! Route 53 records). Every attribute a mapping does not read, and that is set to something
//! (not null, empty or false), is reported as dropped; [`IGNORED`] lists the bookkeeping ones
//! that never matter to a flow.

use std::collections::BTreeMap;

use super::user_data;
use super::{Cx, Entry, Family, describe, number, quote, string_array};
use crate::import::ir::{Resource, Value};

/// Attributes that never change where a flow goes: names, ids, tags, timeouts.
pub const IGNORED: [&str; 13] = [
    "id",
    "user_data_replace_on_change",
    "arn",
    "tags",
    "tags_all",
    "name",
    "name_prefix",
    "timeouts",
    "owner_id",
    "region",
    "dns_name",
    "dns_entry",
    "service_name",
];

/// Reads a resource's attributes, remembering which were read.
struct Attrs<'r> {
    r: &'r Resource,
    read: Vec<&'static str>,
}

impl<'r> Attrs<'r> {
    fn get(&mut self, key: &'static str) -> Option<&'r Value> {
        self.read.push(key);
        match self.r.values.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// The attributes set to something that no mapping read.
    fn unread(&self) -> Vec<String> {
        self.r
            .values
            .iter()
            .filter(|(k, v)| {
                !self.read.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()) && is_set(v)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// Whether a value says anything: not null, empty, false or `""`.
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::List(items) => items.iter().any(is_set),
        Value::Map(map) => map.values().any(is_set),
        _ => true,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn num(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.filter(|n: &f64| n.is_finite())
}

fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// The maps of a nested block list (`[{...}]`) or a single block object.
fn blocks(v: Option<&Value>) -> Vec<&BTreeMap<String, Value>> {
    match v {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::Map(m) => Some(m),
                _ => None,
            })
            .collect(),
        Some(Value::Map(m)) => vec![m],
        _ => Vec::new(),
    }
}

/// What a value is, for a TODO: its text when the reader could not evaluate it.
fn why_not(v: &Value, expected: &str) -> String {
    match v {
        Value::Unknown { text, at } => match at {
            Some(at) if at.line > 0 => format!("could not evaluate {text} ({at})"),
            _ => format!("could not evaluate {text}"),
        },
        other => format!("{} is not {expected}", describe(other)),
    }
}

/// The table of one resource of `family`.
pub fn table(cx: &mut Cx<'_>, r: &Resource, family: Family) -> Entry {
    let name = cx.names[&r.address].1.clone();
    let mut e = Entry {
        family,
        name,
        address: r.address.clone(),
        comments: Vec::new(),
        keys: Vec::new(),
        missing: Vec::new(),
        lists: Vec::new(),
    };
    let mut a = Attrs {
        r,
        read: Vec::new(),
    };
    let tag_name = match a.get("tags") {
        Some(Value::Map(tags)) => tags.get("Name").and_then(text),
        _ => None,
    };
    if family != Family::SecurityGroup {
        if let Some(n) = &tag_name {
            e.comments.push(format!("Name: {n}"));
        }
    }
    match family {
        Family::Vpc => vpc(cx, &mut a, &mut e),
        Family::Subnet => subnet(cx, &mut a, &mut e),
        Family::SecurityGroup => security_group(cx, &mut a, &mut e, tag_name),
        Family::Instance => instance(cx, &mut a, &mut e),
        Family::LoadBalancer => load_balancer(cx, &mut a, &mut e),
        Family::TargetGroup => target_group(cx, &mut a, &mut e),
        Family::EndpointService => endpoint_service(cx, &mut a, &mut e),
        Family::VpcEndpoint => vpc_endpoint(cx, &mut a, &mut e),
        Family::Zone => zone(cx, &mut a, &mut e),
        Family::Peering => peering(cx, &mut a, &mut e),
    }
    let unread = a.unread();
    if !unread.is_empty() {
        cx.dropped(&mut e, r, format!("{} (not modelled)", unread.join(", ")));
    }
    e
}

/// A required reference: its name, or a missing key.
fn required_ref(
    cx: &mut Cx<'_>,
    a: &mut Attrs<'_>,
    e: &mut Entry,
    tf: &'static str,
    key: &str,
    family: Family,
) {
    match a.get(tf).map(|v| cx.name(v, family)) {
        Some(Ok(name)) => e.set(key, quote(&name)),
        Some(Err(why)) => cx.missing(e, a.r, key, format!("{tf}: {why}")),
        None => cx.missing(e, a.r, key, format!("{tf} is not set")),
    }
}

/// An optional list of references.
fn ref_list(
    cx: &mut Cx<'_>,
    a: &mut Attrs<'_>,
    e: &mut Entry,
    tf: &'static str,
    key: &str,
    family: Family,
) {
    if let Some(v) = a.get(tf) {
        match cx.names_of(v, family) {
            Ok(names) => e.set(key, string_array(&names)),
            Err(why) => cx.todo(e, a.r, format!("{key}: {tf}: {why}")),
        }
    }
}

/// An optional string, number or boolean, as TOML.
fn plain(
    cx: &mut Cx<'_>,
    a: &mut Attrs<'_>,
    e: &mut Entry,
    tf: &'static str,
    key: &str,
    kind: Kind,
) {
    let Some(v) = a.get(tf) else {
        return;
    };
    let toml = match kind {
        Kind::Text => text(v).map(|s| quote(&s)),
        Kind::Bool => boolean(v).map(|b| b.to_string()),
    };
    match toml {
        Some(t) => e.set(key, t),
        None => {
            let why = why_not(v, kind.words());
            cx.todo(e, a.r, format!("{key}: {why}"));
        }
    }
}

#[derive(Copy, Clone)]
enum Kind {
    Text,
    Bool,
}

impl Kind {
    fn words(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Bool => "true or false",
        }
    }
}

fn vpc(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    // sim's VPCs resolve names (DNS-1): true is what it models, false is reported as dropped.
    for dns in ["enable_dns_support", "enable_dns_hostnames"] {
        if a.r.values.get(dns) == Some(&Value::Bool(true)) {
            a.get(dns);
        }
    }
    if cx.accounts.len() > 1 {
        if let Some(account) = cx.accounts.get(&a.r.provider) {
            e.set("account", quote(account));
        }
    }
    match a.get("cidr_block").map(|v| (text(v), v)) {
        Some((Some(c), _)) => e.set("cidr_block", quote(&c)),
        Some((None, v)) => {
            let why = why_not(v, "a CIDR block");
            cx.missing(e, a.r, "cidr_block", why)
        }
        None => cx.missing(e, a.r, "cidr_block", "cidr_block is not set".into()),
    }
}

fn subnet(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    required_ref(cx, a, e, "vpc_id", "vpc_id", Family::Vpc);
    let az = a.get("availability_zone").and_then(text);
    let az = az.or_else(|| {
        let id = a.get("availability_zone_id").and_then(text)?;
        let provider = cx.model.providers.iter().find(|p| p.key == a.r.provider)?;
        provider
            .az_ids
            .iter()
            .find(|(_, v)| **v == id)
            .map(|(name, _)| name.clone())
    });
    match az {
        Some(az) => e.set("availability_zone", quote(&az)),
        None => {
            let why = match a.r.values.get("availability_zone") {
                Some(v) => why_not(v, "an AZ name"),
                None => "availability_zone is not set".into(),
            };
            cx.missing(e, a.r, "availability_zone", why)
        }
    }
    match a.get("cidr_block").map(|v| (text(v), v)) {
        Some((Some(c), _)) => e.set("cidr_block", quote(&c)),
        Some((None, v)) => {
            let why = why_not(v, "a CIDR block");
            cx.missing(e, a.r, "cidr_block", why)
        }
        None => cx.missing(e, a.r, "cidr_block", "cidr_block is not set".into()),
    }
}

fn security_group(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry, tag_name: Option<String>) {
    required_ref(cx, a, e, "vpc_id", "vpc_id", Family::Vpc);
    let description = a
        .get("description")
        .and_then(text)
        .filter(|d| d != "Managed by Terraform");
    if let Some(d) = description.or(tag_name) {
        e.set("description", quote(&d));
    }
    for (tf, key) in [("ingress", "ingress"), ("egress", "egress")] {
        match a.get(tf) {
            Some(Value::List(items)) => {
                let own = e.name.clone();
                let mut rules = Vec::new();
                for block in blocks(Some(&Value::List(items.clone()))) {
                    match inline_rule(cx, block, &own) {
                        Ok(rule) => rules.push(rule),
                        Err(why) => cx.todo(e, a.r, format!("{key} rule left out: {why}")),
                    }
                }
                e.list(key).extend(rules);
            }
            Some(other) => {
                let why = why_not(other, "a list of rules");
                cx.todo(e, a.r, format!("{key}: {why}"));
            }
            None => {}
        }
    }
    if !e.lists.iter().any(|(k, _)| *k == "egress") {
        e.comments.push(
            "egress not in the input: AWS's allow-all is assumed (Terraform removes it from a group\nwith no egress block it creates: add egress = [] if yours has none)"
                .into(),
        );
    }
}

/// An `ingress` / `egress` block of an `aws_security_group`.
fn inline_rule(cx: &Cx<'_>, b: &BTreeMap<String, Value>, own: &str) -> Result<String, String> {
    let get = |k: &str| b.get(k).filter(|v| **v != Value::Null);
    let mut fields = Vec::new();
    let protocol = get("protocol").and_then(text).ok_or("no protocol")?;
    fields.push(format!("protocol = {}", quote(&protocol)));
    let from = get("from_port").and_then(num).unwrap_or(0.0);
    let to = get("to_port").and_then(num).unwrap_or(0.0);
    fields.push(format!("from_port = {}", number(from)));
    fields.push(format!("to_port = {}", number(to)));
    if let Some(v) = get("cidr_blocks") {
        let cidrs: Vec<String> = match v {
            Value::List(items) => items.iter().filter_map(text).collect(),
            other => return Err(why_not(other, "a list of CIDR blocks")),
        };
        if !cidrs.is_empty() {
            fields.push(format!("cidr_blocks = {}", string_array(&cidrs)));
        }
    }
    let mut groups = match get("security_groups") {
        Some(v) => cx.names_of(v, Family::SecurityGroup)?,
        None => Vec::new(),
    };
    if get("self").and_then(boolean) == Some(true) {
        groups.push(own.to_string());
    }
    if !groups.is_empty() {
        fields.push(format!("security_groups = {}", string_array(&groups)));
    }
    for unmodelled in ["ipv6_cidr_blocks", "prefix_list_ids"] {
        if get(unmodelled).is_some_and(is_set) {
            return Err(format!("{unmodelled} is not modelled"));
        }
    }
    if let Some(d) = get("description").and_then(text).filter(|d| !d.is_empty()) {
        fields.push(format!("description = {}", quote(&d)));
    }
    Ok(format!("{{ {} }}", fields.join(", ")))
}

fn instance(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    required_ref(cx, a, e, "subnet_id", "subnet_id", Family::Subnet);
    plain(cx, a, e, "private_ip", "private_ip", Kind::Text);
    ref_list(
        cx,
        a,
        e,
        "vpc_security_group_ids",
        "security_group_ids",
        Family::SecurityGroup,
    );
    if let Some(v) = a.get("instance_state") {
        if let Some(s) = text(v) {
            e.set("instance_state", quote(&s));
        }
    }
    let tag_name = match a.r.values.get("tags") {
        Some(Value::Map(tags)) => tags.get("Name").and_then(text),
        _ => None,
    };
    let unreadable = |cx: &mut Cx<'_>, e: &mut Entry, why: String| {
        cx.unread_servers.push((
            e.name.clone(),
            tag_name.clone().unwrap_or_else(|| e.name.clone()),
            why,
        ));
    };
    let script = match (a.get("user_data"), a.get("user_data_base64")) {
        (None, None) => return,
        (Some(Value::String(s)), _) if is_hash(s) => {
            unreadable(cx, e, "the plan keeps only a hash of user_data".into());
            return;
        }
        (Some(Value::String(s)), _) => s.clone(),
        (None, Some(Value::String(encoded))) => match user_data::base64_decode(encoded) {
            Some(script) => script,
            None => {
                unreadable(cx, e, "user_data_base64 is not base64 of a text".into());
                return;
            }
        },
        (Some(other), _) | (None, Some(other)) => {
            let why = why_not(other, "a script");
            unreadable(cx, e, format!("user_data: {why}"));
            return;
        }
    };
    match user_data::web_server(&script) {
        Some(server) => {
            let body = match server.body {
                Some(body) => {
                    if body.contains("${") {
                        cx.todo(
                            e,
                            a.r,
                            format!("web_server.body: the template in {body:?} was not rendered"),
                        );
                    }
                    body
                }
                None => {
                    cx.todo(
                        e,
                        a.r,
                        "web_server.body: the script writes no index.html sim recognises; the instance's name stands in".into(),
                    );
                    e.name.clone()
                }
            };
            e.set(
                "web_server",
                format!("{{ port = {}, body = {} }}", server.port, quote(&body)),
            );
        }
        None => unreadable(
            cx,
            e,
            "user_data does not start a web server sim recognises (python3 -m http.server, httpd, nginx)".into(),
        ),
    }
}

/// Whether a `user_data` value is the SHA-1 Terraform keeps instead of the script.
fn is_hash(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn load_balancer(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    a.get("load_balancer_type");
    e.set("load_balancer_type", quote("network"));
    plain(cx, a, e, "internal", "internal", Kind::Bool);
    let mut subnets = match a.get("subnets") {
        Some(v) => match cx.names_of(v, Family::Subnet) {
            Ok(names) => names,
            Err(why) => {
                cx.missing(e, a.r, "subnets", format!("subnets: {why}"));
                return;
            }
        },
        None => Vec::new(),
    };
    for block in blocks(a.get("subnet_mapping")) {
        match block.get("subnet_id").map(|v| cx.name(v, Family::Subnet)) {
            Some(Ok(name)) => subnets.push(name),
            Some(Err(why)) => cx.todo(e, a.r, format!("subnets: subnet_mapping: {why}")),
            None => {}
        }
        if block.get("private_ipv4_address").is_some_and(is_set)
            || block.get("allocation_id").is_some_and(is_set)
        {
            cx.dropped(
                e,
                a.r,
                "subnet_mapping private_ipv4_address / allocation_id (not modelled)".into(),
            );
        }
    }
    if subnets.is_empty() {
        cx.missing(
            e,
            a.r,
            "subnets",
            "neither subnets nor subnet_mapping is set".into(),
        );
    } else {
        e.set("subnets", string_array(&subnets));
    }
    plain(
        cx,
        a,
        e,
        "enable_cross_zone_load_balancing",
        "enable_cross_zone_load_balancing",
        Kind::Bool,
    );
    ref_list(
        cx,
        a,
        e,
        "security_groups",
        "security_groups",
        Family::SecurityGroup,
    );
    plain(
        cx,
        a,
        e,
        "enforce_security_group_inbound_rules_on_private_link_traffic",
        "enforce_security_group_inbound_rules_on_private_link_traffic",
        Kind::Text,
    );
    plain(
        cx,
        a,
        e,
        "dns_record_client_routing_policy",
        "dns_record_client_routing_policy",
        Kind::Text,
    );
    plain(
        cx,
        a,
        e,
        "enable_zonal_shift",
        "enable_zonal_shift",
        Kind::Bool,
    );
    if let Some(Value::String(dns)) = a.r.values.get("dns_name") {
        e.set("dns_name", quote(dns));
    }
}

fn target_group(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    plain(cx, a, e, "protocol", "protocol", Kind::Text);
    match a.get("port").and_then(num) {
        Some(p) => e.set("port", number(p)),
        None => cx.missing(e, a.r, "port", "port is not set or not a number".into()),
    }
    required_ref(cx, a, e, "vpc_id", "vpc_id", Family::Vpc);
    plain(cx, a, e, "target_type", "target_type", Kind::Text);
    e.list("targets");
    if let Some(hc) = blocks(a.get("health_check")).first() {
        let mut fields = Vec::new();
        let mut dropped = Vec::new();
        for (k, v) in hc.iter() {
            match (k.as_str(), v) {
                (_, Value::Null) => {}
                ("protocol", v) => fields.push(format!(
                    "protocol = {}",
                    quote(&text(v).unwrap_or_default())
                )),
                ("port", v) => match text(v) {
                    Some(p) if p == "traffic-port" => fields.push("port = \"traffic-port\"".into()),
                    Some(p) => match p.parse::<u16>() {
                        Ok(n) => fields.push(format!("port = {n}")),
                        Err(_) => dropped.push(format!("port {p}")),
                    },
                    None => dropped.push("port".into()),
                },
                ("interval" | "timeout", v) => match num(v) {
                    Some(s) => fields.push(format!("{k} = \"{}s\"", number(s))),
                    None => dropped.push(k.clone()),
                },
                ("healthy_threshold" | "unhealthy_threshold", v) => match num(v) {
                    Some(n) => fields.push(format!("{k} = {}", number(n))),
                    None => dropped.push(k.clone()),
                },
                ("enabled", Value::Bool(true)) => {}
                (_, v) if !is_set(v) => {}
                _ => dropped.push(k.clone()),
            }
        }
        if !fields.is_empty() {
            e.set("health_check", format!("{{ {} }}", fields.join(", ")));
        }
        if !dropped.is_empty() {
            cx.dropped(
                e,
                a.r,
                format!("health_check {} (not modelled)", dropped.join(", ")),
            );
        }
    }
    if let Some(v) = a.get("deregistration_delay") {
        match num(v) {
            Some(s) => e.set("deregistration_delay.timeout_seconds", number(s)),
            None => cx.todo(
                e,
                a.r,
                format!("deregistration_delay: {}", why_not(v, "seconds")),
            ),
        }
    }
    plain(
        cx,
        a,
        e,
        "connection_termination",
        "deregistration_delay.connection_termination.enabled",
        Kind::Bool,
    );
    plain(
        cx,
        a,
        e,
        "preserve_client_ip",
        "preserve_client_ip.enabled",
        Kind::Bool,
    );
    plain(
        cx,
        a,
        e,
        "proxy_protocol_v2",
        "proxy_protocol_v2",
        Kind::Bool,
    );
    plain(
        cx,
        a,
        e,
        "load_balancing_cross_zone_enabled",
        "load_balancing.cross_zone.enabled",
        Kind::Text,
    );
    if let Some(b) = blocks(a.get("target_health_state")).first() {
        if let Some(t) = b
            .get("enable_unhealthy_connection_termination")
            .and_then(boolean)
        {
            e.set(
                "target_health_state.unhealthy.connection_termination.enabled",
                t.to_string(),
            );
        }
        if let Some(s) = b.get("unhealthy_draining_interval").and_then(num) {
            e.set(
                "target_health_state.unhealthy.draining_interval_seconds",
                number(s),
            );
        }
    }
    if let Some(b) = blocks(a.get("target_group_health")).first() {
        for action in ["unhealthy_state_routing", "dns_failover"] {
            let Some(m) = blocks(b.get(action)).first().copied() else {
                continue;
            };
            for (tf, key) in [
                ("minimum_healthy_targets_count", "count"),
                ("minimum_healthy_targets_percentage", "percentage"),
            ] {
                let value = match m.get(tf) {
                    Some(Value::String(s)) if s == "off" => quote("off"),
                    Some(v) => match num(v) {
                        Some(n) => number(n),
                        None => continue,
                    },
                    None => continue,
                };
                e.set(
                    &format!("target_group_health.{action}.minimum_healthy_targets.{key}"),
                    value,
                );
            }
        }
    }
}

fn endpoint_service(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    match a
        .get("network_load_balancer_arns")
        .map(|v| cx.names_of(v, Family::LoadBalancer))
    {
        Some(Ok(names)) => e.set("network_load_balancers", string_array(&names)),
        Some(Err(why)) => cx.missing(e, a.r, "network_load_balancers", why),
        None => cx.missing(
            e,
            a.r,
            "network_load_balancers",
            "network_load_balancer_arns is not set".into(),
        ),
    }
    plain(
        cx,
        a,
        e,
        "acceptance_required",
        "acceptance_required",
        Kind::Bool,
    );
}

fn vpc_endpoint(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    required_ref(cx, a, e, "vpc_id", "vpc_id", Family::Vpc);
    required_ref(
        cx,
        a,
        e,
        "service_name",
        "service_name",
        Family::EndpointService,
    );
    a.get("vpc_endpoint_type");
    e.set("vpc_endpoint_type", quote("Interface"));
    match a.get("subnet_ids").map(|v| cx.names_of(v, Family::Subnet)) {
        Some(Ok(names)) => e.set("subnet_ids", string_array(&names)),
        Some(Err(why)) => cx.missing(e, a.r, "subnet_ids", why),
        None => cx.missing(e, a.r, "subnet_ids", "subnet_ids is not set".into()),
    }
    ref_list(
        cx,
        a,
        e,
        "security_group_ids",
        "security_group_ids",
        Family::SecurityGroup,
    );
    plain(
        cx,
        a,
        e,
        "private_dns_enabled",
        "private_dns_enabled",
        Kind::Bool,
    );
}

fn zone(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    let mut vpcs = Vec::new();
    for block in blocks(a.get("vpc")) {
        match block.get("vpc_id").map(|v| cx.name(v, Family::Vpc)) {
            Some(Ok(name)) => vpcs.push(name),
            Some(Err(why)) => cx.todo(e, a.r, format!("vpc_ids: {why}")),
            None => {}
        }
    }
    e.set("vpc_ids", string_array(&vpcs));
    a.get("comment");
    a.get("force_destroy");
    e.list("records");
}

fn peering(cx: &mut Cx<'_>, a: &mut Attrs<'_>, e: &mut Entry) {
    required_ref(cx, a, e, "vpc_id", "vpc_id", Family::Vpc);
    required_ref(cx, a, e, "peer_vpc_id", "peer_vpc_id", Family::Vpc);
    a.get("auto_accept");
}

/// A resource that adds to another's table. `Err` says why it could not.
pub fn child(cx: &mut Cx<'_>, r: &Resource) -> Result<(), String> {
    let mut a = Attrs {
        r,
        read: Vec::new(),
    };
    let (family, parent, item, list) = match r.address.kind.as_str() {
        "aws_lb_listener" | "aws_alb_listener" => {
            let parent = parent_name(cx, &mut a, "load_balancer_arn", Family::LoadBalancer)?;
            let (item, port) = listener(cx, &mut a)?;
            cx.listener_ports.push(port);
            (Family::LoadBalancer, parent, item, "listeners")
        }
        "aws_lb_target_group_attachment" => {
            let parent = parent_name(cx, &mut a, "target_group_arn", Family::TargetGroup)?;
            let target = match a.get("target_id") {
                Some(Value::String(ip)) if ip.parse::<std::net::Ipv4Addr>().is_ok() => ip.clone(),
                Some(v) => cx
                    .name(v, Family::Instance)
                    .map_err(|w| format!("target_id: {w}"))?,
                None => return Err("target_id is not set".into()),
            };
            a.get("port");
            (Family::TargetGroup, parent, quote(&target), "targets")
        }
        "aws_security_group_rule" => {
            let parent = parent_name(cx, &mut a, "security_group_id", Family::SecurityGroup)?;
            let side = match a.get("type").and_then(text).as_deref() {
                Some("ingress") => "ingress",
                Some("egress") => "egress",
                _ => return Err("type is neither ingress nor egress".into()),
            };
            let mut block = r.values.clone();
            if let Some(source) = block.remove("source_security_group_id") {
                block.insert("security_groups".into(), source);
            }
            for k in [
                "protocol",
                "from_port",
                "to_port",
                "cidr_blocks",
                "source_security_group_id",
                "self",
                "description",
                "ipv6_cidr_blocks",
                "prefix_list_ids",
            ] {
                a.get(k);
            }
            let rule = inline_rule(cx, &block, &parent)?;
            (Family::SecurityGroup, parent, rule, side)
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            let parent = parent_name(cx, &mut a, "security_group_id", Family::SecurityGroup)?;
            let side = if r.address.kind.ends_with("ingress_rule") {
                "ingress"
            } else {
                "egress"
            };
            let mut block = BTreeMap::new();
            for (tf, key) in [
                ("ip_protocol", "protocol"),
                ("from_port", "from_port"),
                ("to_port", "to_port"),
                ("description", "description"),
            ] {
                if let Some(v) = a.get(tf) {
                    block.insert(key.to_string(), v.clone());
                }
            }
            if block.get("protocol").and_then(text).as_deref() == Some("-1") {
                block.insert("to_port".into(), Value::Number(65535.0));
            }
            if let Some(v) = a.get("cidr_ipv4") {
                block.insert("cidr_blocks".into(), Value::List(vec![v.clone()]));
            }
            if let Some(v) = a.get("referenced_security_group_id") {
                block.insert("security_groups".into(), Value::List(vec![v.clone()]));
            }
            let rule = inline_rule(cx, &block, &parent)?;
            (Family::SecurityGroup, parent, rule, side)
        }
        "aws_route53_record" => {
            let parent = parent_name(cx, &mut a, "zone_id", Family::Zone)?;
            let (item, name) = record(cx, &mut a)?;
            let host = if name == parent || name.ends_with(&format!(".{parent}")) {
                name
            } else {
                format!("{name}.{parent}")
            };
            cx.records.push((parent.clone(), host));
            (Family::Zone, parent, item, "records")
        }
        other => return Err(format!("resource type {other} not modelled")),
    };
    let unread = a.unread();
    let entry = cx
        .entry_mut(family, &parent)
        .ok_or_else(|| format!("{parent} has no table"))?;
    entry.comments.push(format!("{list} from {}", r.address));
    entry.list(list).push(item);
    if !unread.is_empty() {
        let mut e = cx
            .entries
            .iter()
            .position(|e| e.family == family && e.name == parent);
        if let Some(i) = e.take() {
            let mut entry = cx.entries[i].clone();
            cx.dropped(
                &mut entry,
                r,
                format!("{} of {} (not modelled)", unread.join(", "), r.address),
            );
            cx.entries[i] = entry;
        }
    }
    Ok(())
}

fn parent_name(
    cx: &Cx<'_>,
    a: &mut Attrs<'_>,
    tf: &'static str,
    family: Family,
) -> Result<String, String> {
    match a.get(tf) {
        Some(v) => cx.name(v, family).map_err(|why| format!("{tf}: {why}")),
        None => Err(format!("{tf} is not set")),
    }
}

/// A listener as an inline table, and its port.
fn listener(cx: &Cx<'_>, a: &mut Attrs<'_>) -> Result<(String, u16), String> {
    let port = a
        .get("port")
        .and_then(num)
        .filter(|p| (1.0..=65535.0).contains(p) && p.fract() == 0.0)
        .ok_or("port is not set, or not a port")?;
    let mut fields = vec![format!("port = {}", number(port))];
    if let Some(p) = a.get("protocol").and_then(text) {
        fields.push(format!("protocol = {}", quote(&p)));
    }
    let actions = blocks(a.get("default_action"));
    let action = actions
        .iter()
        .find(|b| b.get("type").and_then(text).as_deref() == Some("forward"))
        .ok_or("no forward default_action (only forward is modelled)")?;
    match action
        .get("target_group_arn")
        .filter(|v| **v != Value::Null)
    {
        Some(v) => {
            let tg = cx
                .name(v, Family::TargetGroup)
                .map_err(|w| format!("target_group_arn: {w}"))?;
            fields.push(format!("target_group = {}", quote(&tg)));
        }
        None => {
            let forward = blocks(action.get("forward"));
            let groups = forward
                .first()
                .map(|f| blocks(f.get("target_group")))
                .unwrap_or_default();
            if groups.is_empty() {
                return Err("the forward action names no target group".into());
            }
            let mut items = Vec::new();
            for g in groups {
                let name = cx
                    .name(g.get("arn").unwrap_or(&Value::Null), Family::TargetGroup)
                    .map_err(|w| format!("forward target_group arn: {w}"))?;
                let weight = g.get("weight").and_then(num).unwrap_or(1.0);
                items.push(format!(
                    "{{ target_group = {}, weight = {} }}",
                    quote(&name),
                    number(weight)
                ));
            }
            fields.push(format!("forward = [{}]", items.join(", ")));
        }
    }
    if let Some(s) = a.get("tcp_idle_timeout_seconds").and_then(num) {
        fields.push(format!(
            "tcp = {{ idle_timeout = {{ seconds = {} }} }}",
            number(s)
        ));
    }
    Ok((format!("{{ {} }}", fields.join(", ")), port as u16))
}

/// A record as an inline table, and its name.
fn record(cx: &Cx<'_>, a: &mut Attrs<'_>) -> Result<(String, String), String> {
    let name = a.get("name").and_then(text).ok_or("name is not set")?;
    let kind = a.get("type").and_then(text).ok_or("type is not set")?;
    if kind != "A" && kind != "CNAME" {
        return Err(format!("type {kind} (only A and CNAME are modelled)"));
    }
    let mut fields = vec![
        format!("name = {}", quote(name.trim_end_matches('.'))),
        format!("type = {}", quote(&kind)),
    ];
    if let Some(alias) = blocks(a.get("alias")).first() {
        let target = alias.get("name").ok_or("alias without a name")?;
        let Value::Ref { to, .. } = target else {
            return Err(format!(
                "alias name: {}",
                why_not(target, "a reference to an endpoint or a load balancer")
            ));
        };
        let inner = match to.kind.as_str() {
            "aws_vpc_endpoint" => format!(
                "vpc_endpoint = {}",
                quote(&cx.name(target, Family::VpcEndpoint)?)
            ),
            "aws_lb" | "aws_alb" => format!(
                "load_balancer = {}",
                quote(&cx.name(target, Family::LoadBalancer)?)
            ),
            other => {
                return Err(format!(
                    "alias to {other} (only endpoints and load balancers are modelled)"
                ));
            }
        };
        fields.push(format!("alias = {{ {inner} }}"));
    } else {
        if let Some(ttl) = a.get("ttl").and_then(num) {
            fields.push(format!("ttl = {}", number(ttl)));
        }
        let records: Vec<String> = match a.get("records") {
            Some(Value::List(items)) => items.iter().filter_map(text).collect(),
            _ => Vec::new(),
        };
        fields.push(format!("records = {}", string_array(&records)));
    }
    a.get("allow_overwrite");
    let name = name.trim_end_matches('.').to_string();
    Ok((format!("{{ {} }}", fields.join(", ")), name))
}
