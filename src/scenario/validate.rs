//! Validation: [`RawScenario`] (as written) -> [`Topology`] (trusted), or every problem found.
//!
//! Each check names the key path of the offending value and the rule it breaks. The rules and
//! their AWS sources are listed in README.md ("Scenario validation"); `shared/aws-behaviour.md`
//! section 5 gives the PrivateLink ones.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::Ipv4Addr;

use super::path::KeyPath;
use super::raw::*;
use crate::kp;
use crate::model::ids::*;
use crate::model::net::Cidr;
use crate::model::*;
use crate::time::Span;

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
            let known: Vec<&str> = map.iter().map(|(n, _)| n).collect();
            let hint = if known.is_empty() {
                format!("the scenario defines no {kind}")
            } else {
                format!("defined: {}", known.join(", "))
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

fn ensure<T>(value: Option<T>, ok: &mut bool) -> Option<T> {
    if value.is_none() {
        *ok = false;
    }
    value
}

/// Validates `raw`. On success returns the topology and the warnings (things that are legal in
/// AWS but probably not what the author meant, such as a target that will never get traffic).
pub fn validate(raw: &RawScenario) -> Result<(Topology, Vec<Issue>), Vec<Issue>> {
    let mut c = Checker {
        raw,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let topology = build(&mut c);
    match topology {
        Some(topology) if c.errors.is_empty() => {
            let mut warnings = c.warnings;
            check_paths(&topology, &mut c.errors, &mut warnings);
            if c.errors.is_empty() {
                Ok((topology, warnings))
            } else {
                Err(c.errors)
            }
        }
        _ => Err(c.errors),
    }
}

fn build(c: &mut Checker<'_>) -> Option<Topology> {
    let raw = c.raw;
    let mut ok = true;

    // Accounts and physical zones.
    if raw.accounts.is_empty() {
        c.error(
            kp!["accounts"],
            None,
            "define at least one account with its AZ name -> AZ ID map, e.g. [accounts.lab] az_ids = { us-east-1a = \"use1-az1\" }",
        );
        return None;
    }
    let mut zones: Vec<Zone> = Vec::new();
    let mut accounts = Vec::new();
    for (name, account) in raw.accounts.iter() {
        let mut az_names = Vec::new();
        for (az_name, az_id) in account.az_ids.iter() {
            let path = kp!["accounts", name, "az_ids", az_name];
            let zone = match zones.iter().position(|z| z.az_id == *az_id) {
                Some(i) => ZoneId::from_index(i),
                None => {
                    zones.push(Zone {
                        az_id: az_id.clone(),
                    });
                    ZoneId::from_index(zones.len() - 1)
                }
            };
            if let Some((other, _)) = az_names.iter().find(|(_, z)| *z == zone) {
                c.error(
                    path,
                    Some(quoted(az_id)),
                    format!("AZ ID is already mapped to {other} in this account: each AZ name of an account is a different physical zone"),
                );
            }
            az_names.push((az_name.to_string(), zone));
        }
        accounts.push(Account {
            name: name.to_string(),
            az_names,
        });
    }

    // VPCs, each with its implicit default security group (ids after the user's groups).
    let user_groups = raw.security_groups.len();
    let mut vpcs = Vec::new();
    for (i, (name, vpc)) in raw.vpcs.iter().enumerate() {
        let account = match &vpc.account {
            Some(account) => c.reference(
                &raw.accounts,
                "account",
                kp!["vpcs", name, "account"],
                account,
            ),
            None if raw.accounts.len() == 1 => Some(0),
            None => {
                c.error(
                    kp!["vpcs", name],
                    None,
                    "missing `account`: the scenario has several accounts",
                );
                None
            }
        };
        let cidr = c.cidr(kp!["vpcs", name, "cidr_block"], &vpc.cidr_block);
        if let Some(cidr) = cidr {
            if !(16..=28).contains(&cidr.prefix()) {
                c.error(
                    kp!["vpcs", name, "cidr_block"],
                    Some(quoted(&vpc.cidr_block)),
                    "a VPC CIDR block must be between /16 and /28",
                );
            }
        }
        if let (Some(account), Some(cidr)) = (account, cidr) {
            vpcs.push(Vpc {
                name: name.to_string(),
                account: AccountId::from_index(account),
                cidr,
                default_security_group: SecurityGroupId::from_index(user_groups + i),
            });
        } else {
            ok = false;
        }
    }
    if !ok {
        return None;
    }

    // Subnets.
    let mut subnets: Vec<Subnet> = Vec::new();
    for (name, subnet) in raw.subnets.iter() {
        let base = kp!["subnets", name];
        let Some(vpc) = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &subnet.vpc_id) else {
            ok = false;
            continue;
        };
        let account = &accounts[vpcs[vpc].account.index()];
        let zone = account.zone_of(&subnet.availability_zone);
        if zone.is_none() {
            let names: Vec<&str> = account.az_names.iter().map(|(n, _)| n.as_str()).collect();
            c.error(
                base.key("availability_zone"),
                Some(quoted(&subnet.availability_zone)),
                format!(
                    "account {} has no AZ of that name (its az_ids map: {})",
                    account.name,
                    names.join(", ")
                ),
            );
        }
        let cidr = c.cidr(base.key("cidr_block"), &subnet.cidr_block);
        if let Some(cidr) = cidr {
            let vpc_cidr = vpcs[vpc].cidr;
            if !vpc_cidr.contains_block(&cidr) {
                c.error(
                    base.key("cidr_block"),
                    Some(quoted(&subnet.cidr_block)),
                    format!(
                        "subnet CIDR is outside its VPC {} ({vpc_cidr})",
                        vpcs[vpc].name
                    ),
                );
            } else if !(16..=28).contains(&cidr.prefix()) {
                c.error(
                    base.key("cidr_block"),
                    Some(quoted(&subnet.cidr_block)),
                    "a subnet CIDR block must be between /16 and /28",
                );
            }
            if let Some(other) = subnets
                .iter()
                .find(|s| s.vpc.index() == vpc && s.cidr.overlaps(&cidr))
            {
                c.error(
                    base.key("cidr_block"),
                    Some(quoted(&subnet.cidr_block)),
                    format!(
                        "overlaps subnet {} ({}) of the same VPC",
                        other.name, other.cidr
                    ),
                );
            }
        }
        if let (Some(zone), Some(cidr)) = (ensure(zone, &mut ok), ensure(cidr, &mut ok)) {
            subnets.push(Subnet {
                name: name.to_string(),
                vpc: VpcId::from_index(vpc),
                az_name: subnet.availability_zone.clone(),
                zone,
                cidr,
            });
        }
    }
    if !ok {
        return None;
    }

    // Security groups: user groups, then one default group per VPC.
    let group_vpcs: Vec<Option<usize>> = raw
        .security_groups
        .iter()
        .map(|(name, sg)| {
            c.reference(
                &raw.vpcs,
                "VPC",
                kp!["security_groups", name, "vpc_id"],
                &sg.vpc_id,
            )
        })
        .collect();
    let mut security_groups = Vec::new();
    for ((name, sg), vpc) in raw.security_groups.iter().zip(&group_vpcs) {
        let base = kp!["security_groups", name];
        if name == "default" {
            c.error(
                base.clone(),
                None,
                "`default` names each VPC's default group, which `sim` creates: omit security_group_ids to use it",
            );
        }
        let Some(vpc) = *vpc else {
            ok = false;
            continue;
        };
        let mut ingress = Vec::new();
        for (r, rule) in sg.ingress.iter().enumerate() {
            let rpath = base.key("ingress").index(r);
            let protocol = match rule.protocol.to_ascii_lowercase().as_str() {
                "tcp" | "6" => RuleProtocol::Tcp,
                "udp" | "17" => RuleProtocol::Udp,
                "-1" | "all" => RuleProtocol::All,
                _ => {
                    c.error(
                        rpath.key("protocol"),
                        Some(quoted(&rule.protocol)),
                        "protocol must be \"tcp\", \"udp\" or \"-1\" (all)",
                    );
                    continue;
                }
            };
            if rule.from_port > rule.to_port {
                c.error(
                    rpath.key("from_port"),
                    Some(rule.from_port.to_string()),
                    format!("from_port is above to_port ({})", rule.to_port),
                );
            }
            let mut sources = Vec::new();
            for (k, block) in rule.cidr_blocks.iter().enumerate() {
                if let Some(cidr) = c.cidr(rpath.key("cidr_blocks").index(k), block) {
                    sources.push(RuleSource::Cidr(cidr));
                }
            }
            for (k, group) in rule.security_groups.iter().enumerate() {
                let gpath = rpath.key("security_groups").index(k);
                if let Some(g) = c.reference(&raw.security_groups, "security group", gpath, group) {
                    sources.push(RuleSource::Group(SecurityGroupId::from_index(g)));
                }
            }
            if sources.is_empty() {
                c.error(
                    rpath,
                    None,
                    "a rule needs at least one source in cidr_blocks or security_groups",
                );
            }
            ingress.push(IngressRule {
                protocol,
                from_port: rule.from_port,
                to_port: rule.to_port,
                sources,
            });
        }
        security_groups.push(SecurityGroup {
            name: name.to_string(),
            vpc: VpcId::from_index(vpc),
            ingress,
        });
    }
    if !ok {
        return None;
    }
    for (i, vpc) in vpcs.iter().enumerate() {
        let id = SecurityGroupId::from_index(security_groups.len());
        debug_assert_eq!(id, vpc.default_security_group);
        security_groups.push(SecurityGroup {
            name: "default".into(),
            vpc: VpcId::from_index(i),
            ingress: vec![IngressRule {
                protocol: RuleProtocol::All,
                from_port: 0,
                to_port: u16::MAX,
                sources: vec![RuleSource::Group(id)],
            }],
        });
    }
    if !ok {
        return None;
    }

    // A list of security groups, all in `vpc` (the VPC's default group when `names` is None).
    let group_list =
        |c: &mut Checker<'_>, path: KeyPath, names: Option<&Vec<String>>, vpc: VpcId| {
            let Some(names) = names else {
                return Some(vec![vpcs[vpc.index()].default_security_group]);
            };
            let mut ids = Vec::new();
            let mut good = true;
            for (k, name) in names.iter().enumerate() {
                match c.reference(&raw.security_groups, "security group", path.index(k), name) {
                    Some(g) if security_groups[g].vpc == vpc => {
                        ids.push(SecurityGroupId::from_index(g))
                    }
                    Some(g) => {
                        good = false;
                        c.error(
                            path.index(k),
                            Some(quoted(name)),
                            format!(
                                "security group belongs to VPC {}, not {}",
                                vpcs[security_groups[g].vpc.index()].name,
                                vpcs[vpc.index()].name
                            ),
                        );
                    }
                    None => good = false,
                }
            }
            good.then_some(ids)
        };

    // Addresses in use per VPC: explicit instance addresses first.
    let mut used: Vec<BTreeMap<Ipv4Addr, String>> = vec![BTreeMap::new(); vpcs.len()];
    let mut explicit_ips: Vec<Option<Ipv4Addr>> = Vec::new();
    for (name, instance) in raw.instances.iter() {
        let base = kp!["instances", name];
        let subnet = c.reference(
            &raw.subnets,
            "subnet",
            base.key("subnet_id"),
            &instance.subnet_id,
        );
        let mut ip = None;
        if let (Some(text), Some(s)) = (&instance.private_ip, subnet) {
            let subnet = &subnets[s];
            match text.parse::<Ipv4Addr>() {
                Err(_) => c.error(base.key("private_ip"), Some(quoted(text)), "not an IPv4 address"),
                Ok(addr) if !subnet.cidr.contains(addr) => c.error(
                    base.key("private_ip"),
                    Some(quoted(text)),
                    format!("address is outside its subnet {} ({})", subnet.name, subnet.cidr),
                ),
                Ok(addr) if subnet.cidr.is_aws_reserved(addr) => c.error(
                    base.key("private_ip"),
                    Some(quoted(text)),
                    format!(
                        "AWS reserves the first four addresses and the last one of every subnet ({})",
                        subnet.cidr
                    ),
                ),
                Ok(addr) => {
                    let taken = &mut used[subnet.vpc.index()];
                    if let Some(owner) = taken.get(&addr) {
                        c.error(
                            base.key("private_ip"),
                            Some(quoted(text)),
                            format!("address is already used by {owner} in the same VPC"),
                        );
                    } else {
                        taken.insert(addr, format!("instance {name}"));
                        ip = Some(addr);
                    }
                }
            }
        }
        explicit_ips.push(ip);
    }
    let mut assign = |subnet: &Subnet, owner: String| -> Option<Ipv4Addr> {
        let taken = &mut used[subnet.vpc.index()];
        let addr = subnet.cidr.assignable().find(|a| !taken.contains_key(a))?;
        taken.insert(addr, owner);
        Some(addr)
    };

    // Instances.
    let mut instances = Vec::new();
    for ((name, instance), explicit) in raw.instances.iter().zip(explicit_ips) {
        let base = kp!["instances", name];
        let Some(s) = raw.subnets.position(&instance.subnet_id) else {
            ok = false;
            continue;
        };
        let subnet = &subnets[s];
        let running = match instance.instance_state.as_deref() {
            None | Some("running") => true,
            Some("stopped") => false,
            Some(other) => {
                c.error(
                    base.key("instance_state"),
                    Some(quoted(other)),
                    "instance_state must be \"running\" or \"stopped\"",
                );
                true
            }
        };
        let groups = group_list(
            c,
            base.key("security_group_ids"),
            instance.security_group_ids.as_ref(),
            subnet.vpc,
        );
        let ip = explicit.or_else(|| assign(subnet, format!("instance {name}")));
        if ip.is_none() && instance.private_ip.is_none() {
            c.error(
                base.key("subnet_id"),
                None,
                format!("subnet {} has no free address left", subnet.name),
            );
        }
        let web_server = instance.web_server.as_ref().map(|w| WebServer {
            port: w.port.unwrap_or(80),
            body: w.body.clone(),
            response_time: w.response_time.map_or(Span::from_micros(200), |d| d.0),
        });
        if let (Some(ip), Some(groups)) = (ensure(ip, &mut ok), ensure(groups, &mut ok)) {
            instances.push(Instance {
                name: name.to_string(),
                subnet: SubnetId::from_index(s),
                ip,
                security_groups: groups,
                running,
                web_server,
            });
        }
    }
    if !ok {
        return None;
    }

    // Target groups (targets' health is settled once the load balancers are known).
    let mut target_groups = Vec::new();
    let mut targets = Vec::new();
    let mut tg_vpcs = Vec::new();
    for (name, tg) in raw.target_groups.iter() {
        let base = kp!["target_groups", name];
        c.one_of(
            base.key("protocol"),
            tg.protocol.as_deref(),
            &["TCP"],
            "protocol",
        );
        c.one_of(
            base.key("target_type"),
            tg.target_type.as_deref(),
            &["instance"],
            "target_type",
        );
        let vpc = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &tg.vpc_id);
        let hc = tg.health_check.clone().unwrap_or_default();
        let hpath = base.key("health_check");
        c.one_of(
            hpath.key("protocol"),
            hc.protocol.as_deref(),
            &["TCP"],
            "health check protocol",
        );
        let interval = hc.interval.map_or(Span::from_secs(30), |d| d.0);
        let timeout = hc.timeout.map_or(Span::from_secs(10), |d| d.0);
        let healthy_threshold = hc.healthy_threshold.unwrap_or(5);
        let unhealthy_threshold = hc.unhealthy_threshold.unwrap_or(2);
        if !(Span::from_secs(5)..=Span::from_secs(300)).contains(&interval) {
            c.error(
                hpath.key("interval"),
                Some(quoted(&interval.to_string())),
                "interval must be 5s to 300s",
            );
        }
        if !(Span::from_secs(2)..=Span::from_secs(120)).contains(&timeout) {
            c.error(
                hpath.key("timeout"),
                Some(quoted(&timeout.to_string())),
                "timeout must be 2s to 120s",
            );
        }
        for (key, value) in [
            ("healthy_threshold", healthy_threshold),
            ("unhealthy_threshold", unhealthy_threshold),
        ] {
            if !(2..=10).contains(&value) {
                c.error(
                    hpath.key(key),
                    Some(value.to_string()),
                    format!("{key} must be 2 to 10"),
                );
            }
        }
        let port = match &hc.port {
            None => tg.port,
            Some(toml::Value::String(s)) if s == "traffic-port" => tg.port,
            Some(toml::Value::Integer(p)) if (1..=65535).contains(p) => *p as u16,
            Some(other) => {
                c.error(
                    hpath.key("port"),
                    Some(other.to_string()),
                    "port must be \"traffic-port\" or 1-65535",
                );
                tg.port
            }
        };
        let cross_zone = match tg
            .load_balancing
            .as_ref()
            .and_then(|l| l.cross_zone.as_ref())
        {
            None => CrossZoneSetting::UseLoadBalancerConfiguration,
            Some(cz) => match cz.enabled {
                CrossZoneAttr::True => CrossZoneSetting::On,
                CrossZoneAttr::False => CrossZoneSetting::Off,
                CrossZoneAttr::UseLoadBalancerConfiguration => {
                    CrossZoneSetting::UseLoadBalancerConfiguration
                }
            },
        };
        let tg_id = TargetGroupId::from_index(target_groups.len());
        let mut ids = Vec::new();
        for (k, target) in tg.targets.iter().enumerate() {
            let tpath = base.key("targets").index(k);
            let Some(i) = c.reference(&raw.instances, "instance", tpath.clone(), target) else {
                continue;
            };
            if tg.targets[..k].contains(target) {
                c.error(tpath, Some(quoted(target)), "instance is registered twice");
                continue;
            }
            let instance = &instances[i];
            if Some(subnets[instance.subnet.index()].vpc.index()) != vpc && vpc.is_some() {
                c.error(
                    tpath,
                    Some(quoted(target)),
                    format!("instance is not in the target group's VPC {}", tg.vpc_id),
                );
                continue;
            }
            ids.push(TargetId::from_index(targets.len()));
            targets.push(Target {
                target_group: tg_id,
                instance: InstanceId::from_index(i),
                zone: subnets[instance.subnet.index()].zone,
                health: TargetHealth::Healthy,
            });
        }
        tg_vpcs.push(vpc);
        target_groups.push(TargetGroup {
            name: name.to_string(),
            port: tg.port,
            cross_zone,
            health_check: HealthCheck {
                interval,
                timeout,
                healthy_threshold,
                unhealthy_threshold,
                port,
            },
            targets: ids,
        });
    }

    // Load balancers, their nodes and listeners.
    let mut load_balancers = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut listeners = Vec::new();
    let mut tg_owner: Vec<Option<(usize, String)>> = vec![None; target_groups.len()];
    for (name, lb) in raw.load_balancers.iter() {
        let base = kp!["load_balancers", name];
        c.one_of(
            base.key("load_balancer_type"),
            lb.load_balancer_type.as_deref(),
            &["network"],
            "load_balancer_type",
        );
        if lb.internal == Some(false) {
            c.error(
                base.key("internal"),
                Some("false".into()),
                "only internal load balancers are modelled",
            );
        }
        let lb_id = LoadBalancerId::from_index(load_balancers.len());
        let mut lb_vpc: Option<VpcId> = None;
        let mut node_ids = Vec::new();
        if lb.subnets.is_empty() {
            c.error(
                base.key("subnets"),
                None,
                "a load balancer needs at least one subnet",
            );
        }
        for (k, subnet_name) in lb.subnets.iter().enumerate() {
            let spath = base.key("subnets").index(k);
            let Some(s) = c.reference(&raw.subnets, "subnet", spath.clone(), subnet_name) else {
                continue;
            };
            let subnet = &subnets[s];
            match lb_vpc {
                None => lb_vpc = Some(subnet.vpc),
                Some(v) if v != subnet.vpc => {
                    c.error(
                        spath,
                        Some(quoted(subnet_name)),
                        "all subnets of a load balancer must be in one VPC",
                    );
                    continue;
                }
                _ => {}
            }
            if let Some(&other) = node_ids
                .iter()
                .find(|n: &&NodeId| nodes[n.index()].zone == subnet.zone)
            {
                let other_subnet = &subnets[nodes[other.index()].subnet.index()];
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!(
                        "subnet is in {} ({}) like {}: a load balancer takes at most one subnet per AZ",
                        subnet.az_name, zones[subnet.zone.index()].az_id, other_subnet.name
                    ),
                );
                continue;
            }
            let Some(ip) = assign(subnet, format!("load balancer {name}")) else {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    "subnet has no free address for the load balancer node",
                );
                continue;
            };
            node_ids.push(NodeId::from_index(nodes.len()));
            nodes.push(Node {
                load_balancer: lb_id,
                subnet: SubnetId::from_index(s),
                zone: subnet.zone,
                ip,
            });
        }
        let Some(vpc) = lb_vpc else {
            ok = false;
            continue;
        };
        let groups = group_list(
            c,
            base.key("security_groups"),
            Some(&lb.security_groups),
            vpc,
        )
        .unwrap_or_default();
        let enforce = match lb
            .enforce_security_group_inbound_rules_on_private_link_traffic
            .as_deref()
        {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                c.error(
                    base.key("enforce_security_group_inbound_rules_on_private_link_traffic"),
                    Some(quoted(other)),
                    "must be \"on\" or \"off\"",
                );
                true
            }
        };
        let pick = match lb.hash.as_deref().map(PickStrategy::from_name) {
            None => PickStrategy::Uniform,
            Some(Some(strategy)) => strategy,
            Some(None) => {
                c.error(
                    base.key("hash"),
                    lb.hash.as_deref().map(quoted),
                    "hash must be \"uniform\" or \"maglev\"",
                );
                PickStrategy::Uniform
            }
        };
        let mut listener_ids = Vec::new();
        for (k, listener) in lb.listeners.iter().enumerate() {
            let lpath = base.key("listeners").index(k);
            c.one_of(
                lpath.key("protocol"),
                listener.protocol.as_deref(),
                &["TCP"],
                "listener protocol",
            );
            if lb.listeners[..k].iter().any(|l| l.port == listener.port) {
                c.error(
                    lpath.key("port"),
                    Some(listener.port.to_string()),
                    "another listener already uses this port",
                );
            }
            let wanted: Vec<(KeyPath, &str, u16)> = match (
                &listener.target_group,
                &listener.forward,
            ) {
                (Some(tg), None) => vec![(lpath.key("target_group"), tg.as_str(), 1)],
                (None, Some(list)) if !list.is_empty() => list
                    .iter()
                    .enumerate()
                    .map(|(f, fw)| {
                        (
                            lpath.key("forward").index(f).key("target_group"),
                            fw.target_group.as_str(),
                            fw.weight.unwrap_or(1),
                        )
                    })
                    .collect(),
                _ => {
                    c.error(lpath, None, "a listener needs exactly one of `target_group` or a non-empty `forward` list");
                    continue;
                }
            };
            let mut forward = Vec::new();
            for (f, (fpath, tg_name, weight)) in wanted.into_iter().enumerate() {
                if weight > 999 {
                    c.error(
                        lpath.key("forward").index(f).key("weight"),
                        Some(weight.to_string()),
                        "weight must be 0 to 999",
                    );
                }
                let Some(t) =
                    c.reference(&raw.target_groups, "target group", fpath.clone(), tg_name)
                else {
                    continue;
                };
                if tg_vpcs[t] != Some(vpc.index()) {
                    c.error(
                        fpath,
                        Some(quoted(tg_name)),
                        format!(
                            "target group is not in the load balancer's VPC {}",
                            vpcs[vpc.index()].name
                        ),
                    );
                    continue;
                }
                match &tg_owner[t] {
                    Some((owner, owner_name)) if *owner != lb_id.index() => c.error(
                        fpath,
                        Some(quoted(tg_name)),
                        format!("target group is already used by load balancer {owner_name}: an NLB target group serves one load balancer"),
                    ),
                    _ => tg_owner[t] = Some((lb_id.index(), name.to_string())),
                }
                forward.push((TargetGroupId::from_index(t), weight));
            }
            if !forward.is_empty() && forward.iter().all(|(_, w)| *w == 0) {
                c.error(
                    lpath.key("forward"),
                    None,
                    "at least one target group needs a weight above 0",
                );
            }
            listener_ids.push(ListenerId::from_index(listeners.len()));
            listeners.push(Listener {
                load_balancer: lb_id,
                port: listener.port,
                forward,
            });
        }
        load_balancers.push(LoadBalancer {
            name: name.to_string(),
            vpc,
            nodes: node_ids,
            cross_zone: lb.enable_cross_zone_load_balancing.unwrap_or(false),
            security_groups: groups,
            enforce_sg_on_privatelink: enforce,
            listeners: listener_ids,
            pick,
        });
    }
    if !ok {
        return None;
    }

    // Target health, settled before the run starts (ASSUMPTION: registration and the initial
    // checks are over at t = 0).
    for target in targets.iter_mut() {
        let tg = &target_groups[target.target_group.index()];
        let instance = &instances[target.instance.index()];
        let Some((owner, _)) = &tg_owner[target.target_group.index()] else {
            continue;
        };
        let lb = &load_balancers[*owner];
        let in_enabled_zone = lb
            .nodes
            .iter()
            .any(|n| nodes[n.index()].zone == target.zone);
        let node_ips: Vec<Ipv4Addr> = lb.nodes.iter().map(|n| nodes[n.index()].ip).collect();
        let admits_checks = node_ips.iter().all(|ip| {
            crate::rules::security::admits(
                &security_groups,
                &instance.security_groups,
                RuleProtocol::Tcp,
                tg.health_check.port,
                *ip,
                &[],
            )
        });
        target.health = if !in_enabled_zone {
            let subnet = &subnets[instance.subnet.index()];
            let k = raw.target_groups.0[target.target_group.index()]
                .1
                .targets
                .iter()
                .position(|n| *n == instance.name)
                .unwrap_or(0);
            c.warn(
                kp!["target_groups", tg.name, "targets"].index(k),
                format!(
                    "target {} is in {} ({}), which load balancer {} does not enable: it gets no traffic (Target.NotInUse)",
                    instance.name, subnet.az_name, zones[subnet.zone.index()].az_id, lb.name
                ),
            );
            TargetHealth::Unused
        } else if !instance.running {
            TargetHealth::Unhealthy(UnhealthyReason::InstanceStopped)
        } else if instance
            .web_server
            .as_ref()
            .is_none_or(|w| w.port != tg.health_check.port)
        {
            TargetHealth::Unhealthy(UnhealthyReason::NotListening)
        } else if !admits_checks {
            TargetHealth::Unhealthy(UnhealthyReason::SecurityGroupBlocksChecks)
        } else {
            TargetHealth::Healthy
        };
    }

    // Endpoint services.
    let mut services = Vec::new();
    for (name, svc) in raw.endpoint_services.iter() {
        let base = kp!["endpoint_services", name];
        let mut lbs = Vec::new();
        if svc.network_load_balancers.is_empty() {
            c.error(
                base.key("network_load_balancers"),
                None,
                "an endpoint service needs at least one network load balancer",
            );
        }
        for (k, lb) in svc.network_load_balancers.iter().enumerate() {
            if let Some(l) = c.reference(
                &raw.load_balancers,
                "load balancer",
                base.key("network_load_balancers").index(k),
                lb,
            ) {
                lbs.push(LoadBalancerId::from_index(l));
            }
        }
        services.push(EndpointService {
            name: name.to_string(),
            load_balancers: lbs,
        });
    }

    // Interface endpoints and their ENIs.
    let mut endpoints = Vec::new();
    let mut enis: Vec<EndpointEni> = Vec::new();
    for (name, ep) in raw.vpc_endpoints.iter() {
        let base = kp!["vpc_endpoints", name];
        c.one_of(
            base.key("vpc_endpoint_type"),
            ep.vpc_endpoint_type.as_deref(),
            &["Interface"],
            "vpc_endpoint_type",
        );
        if ep.private_dns_enabled == Some(true) {
            c.error(
                base.key("private_dns_enabled"),
                Some("true".into()),
                "private DNS names of endpoint services are not modelled: set false and add a record to a private hosted zone",
            );
        }
        let vpc = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &ep.vpc_id);
        let service = c.reference(
            &raw.endpoint_services,
            "endpoint service",
            base.key("service_name"),
            &ep.service_name,
        );
        let (Some(vpc), Some(service)) = (vpc, service) else {
            ok = false;
            continue;
        };
        let vpc = VpcId::from_index(vpc);
        let groups = group_list(
            c,
            base.key("security_group_ids"),
            ep.security_group_ids.as_ref(),
            vpc,
        );
        let endpoint_id = EndpointId::from_index(endpoints.len());
        let stem = dns_stem(name, &services[service].name);
        let mut eni_ids: Vec<EniId> = Vec::new();
        if ep.subnet_ids.is_empty() {
            c.error(
                base.key("subnet_ids"),
                None,
                "an interface endpoint needs at least one subnet",
            );
        }
        for (k, subnet_name) in ep.subnet_ids.iter().enumerate() {
            let spath = base.key("subnet_ids").index(k);
            let Some(s) = c.reference(&raw.subnets, "subnet", spath.clone(), subnet_name) else {
                continue;
            };
            let subnet = &subnets[s];
            if subnet.vpc != vpc {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!("subnet is not in the endpoint's VPC {}", ep.vpc_id),
                );
                continue;
            }
            if let Some(other) = eni_ids.iter().find(|e| enis[e.index()].zone == subnet.zone) {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!(
                        "subnet is in {} ({}) like {}: an interface endpoint takes at most one subnet per AZ",
                        subnet.az_name,
                        zones[subnet.zone.index()].az_id,
                        subnets[enis[other.index()].subnet.index()].name
                    ),
                );
                continue;
            }
            // PrivateLink matches zones by AZ ID: the ENI goes to a node of the service's NLBs in
            // the same physical zone (aws-behaviour 5.3, 5.4).
            let node = services[service]
                .load_balancers
                .iter()
                .flat_map(|lb| {
                    load_balancers
                        .get(lb.index())
                        .map(|l| l.nodes.clone())
                        .unwrap_or_default()
                })
                .find(|n| nodes[n.index()].zone == subnet.zone);
            let Some(node) = node else {
                let enabled: Vec<String> = services[service]
                    .load_balancers
                    .iter()
                    .filter_map(|lb| load_balancers.get(lb.index()))
                    .flat_map(|l| l.nodes.iter())
                    .map(|n| {
                        let node = &nodes[n.index()];
                        let s = &subnets[node.subnet.index()];
                        format!(
                            "{} ({} in the provider's account)",
                            zones[node.zone.index()].az_id,
                            s.az_name
                        )
                    })
                    .collect();
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!(
                        "subnet is in {} = {} for account {}, but service {} is only available in {}: PrivateLink matches AZs by AZ ID, not by name",
                        subnet.az_name,
                        zones[subnet.zone.index()].az_id,
                        accounts[vpcs[vpc.index()].account.index()].name,
                        ep.service_name,
                        enabled.join(", ")
                    ),
                );
                continue;
            };
            let Some(ip) = assign(subnet, format!("endpoint {name}")) else {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    "subnet has no free address for the endpoint ENI",
                );
                continue;
            };
            eni_ids.push(EniId::from_index(enis.len()));
            enis.push(EndpointEni {
                endpoint: endpoint_id,
                subnet: SubnetId::from_index(s),
                zone: subnet.zone,
                ip,
                node,
                dns_name: format!(
                    "{}-{}.{}.{}.vpce.amazonaws.com",
                    stem.0, subnet.az_name, stem.1, raw.region
                ),
            });
        }
        if let Some(groups) = ensure(groups, &mut ok) {
            endpoints.push(Endpoint {
                name: name.to_string(),
                vpc,
                service: ServiceId::from_index(service),
                enis: eni_ids,
                security_groups: groups,
                dns_name: format!("{}.{}.{}.vpce.amazonaws.com", stem.0, stem.1, raw.region),
            });
        }
    }
    if !ok {
        return None;
    }

    // Private hosted zones.
    let mut hosted_zones = Vec::new();
    for (zone_name, zone) in raw.route53_zones.iter() {
        let base = kp!["route53_zones", zone_name];
        let apex = zone_name.trim_end_matches('.').to_ascii_lowercase();
        let mut zone_vpcs = Vec::new();
        for (k, v) in zone.vpc_ids.iter().enumerate() {
            if let Some(v) = c.reference(&raw.vpcs, "VPC", base.key("vpc_ids").index(k), v) {
                zone_vpcs.push(VpcId::from_index(v));
            }
        }
        if zone.vpc_ids.is_empty() {
            c.error(
                base.key("vpc_ids"),
                None,
                "a private hosted zone needs at least one associated VPC",
            );
        }
        let mut records: Vec<Record> = Vec::new();
        for (k, record) in zone.records.iter().enumerate() {
            let rpath = base.key("records").index(k);
            let name = record.name.trim_end_matches('.').to_ascii_lowercase();
            let fqdn = if name == apex || name.ends_with(&format!(".{apex}")) {
                name
            } else {
                format!("{name}.{apex}")
            };
            if records.iter().any(|r| r.fqdn == fqdn) {
                c.error(
                    rpath.key("name"),
                    Some(quoted(&record.name)),
                    format!("{fqdn} already has a record in this zone"),
                );
                continue;
            }
            let ttl = record.ttl.map(|t| Span::from_secs(u64::from(t)));
            let target = match (record.record_type.as_str(), &record.alias) {
                ("A", Some(alias)) => {
                    if record.ttl.is_some() {
                        c.error(rpath.key("ttl"), record.ttl.map(|t| t.to_string()), "alias records take the TTL of their target (60s for endpoint names): remove `ttl`");
                    }
                    if !record.records.is_empty() {
                        c.error(
                            rpath.key("records"),
                            None,
                            "an alias record has no `records`",
                        );
                    }
                    let Some(e) = c.reference(
                        &raw.vpc_endpoints,
                        "VPC endpoint",
                        rpath.key("alias").key("vpc_endpoint"),
                        &alias.vpc_endpoint,
                    ) else {
                        continue;
                    };
                    let eni = match &alias.subnet_id {
                        None => None,
                        Some(subnet_name) => {
                            let found = endpoints[e].enis.iter().copied().find(|eni| {
                                subnets[enis[eni.index()].subnet.index()].name == *subnet_name
                            });
                            if found.is_none() {
                                c.error(
                                    rpath.key("alias").key("subnet_id"),
                                    Some(quoted(subnet_name)),
                                    format!(
                                        "endpoint {} has no ENI in that subnet",
                                        alias.vpc_endpoint
                                    ),
                                );
                                continue;
                            }
                            found
                        }
                    };
                    (
                        RecordTarget::EndpointAlias {
                            endpoint: EndpointId::from_index(e),
                            eni,
                        },
                        Span::from_secs(60),
                    )
                }
                ("A", None) => {
                    let mut addresses = Vec::new();
                    for (v, value) in record.records.iter().enumerate() {
                        match value.parse::<Ipv4Addr>() {
                            Ok(a) => addresses.push(a),
                            Err(_) => c.error(
                                rpath.key("records").index(v),
                                Some(quoted(value)),
                                "an A record value must be an IPv4 address",
                            ),
                        }
                    }
                    if record.records.is_empty() {
                        c.error(
                            rpath.key("records"),
                            None,
                            "an A record needs `records` (addresses) or an `alias`",
                        );
                    }
                    let Some(ttl) = ttl else {
                        c.error(
                            rpath,
                            None,
                            "missing `ttl` (seconds): records that are not aliases need one",
                        );
                        continue;
                    };
                    (RecordTarget::Addresses(addresses), ttl)
                }
                ("CNAME", None) => {
                    if record.records.len() != 1 {
                        c.error(
                            rpath.key("records"),
                            None,
                            "a CNAME record takes exactly one name in `records`",
                        );
                        continue;
                    }
                    let Some(ttl) = ttl else {
                        c.error(
                            rpath,
                            None,
                            "missing `ttl` (seconds): records that are not aliases need one",
                        );
                        continue;
                    };
                    (
                        RecordTarget::Cname(
                            record.records[0].trim_end_matches('.').to_ascii_lowercase(),
                        ),
                        ttl,
                    )
                }
                ("CNAME", Some(_)) => {
                    c.error(
                        rpath.key("alias"),
                        None,
                        "alias records to an endpoint are of type A",
                    );
                    continue;
                }
                (other, _) => {
                    c.error(
                        rpath.key("type"),
                        Some(quoted(other)),
                        "record type must be \"A\" or \"CNAME\"",
                    );
                    continue;
                }
            };
            records.push(Record {
                fqdn,
                target: target.0,
                ttl: target.1,
            });
        }
        hosted_zones.push(HostedZone {
            name: apex,
            vpcs: zone_vpcs,
            records,
        });
    }

    // VPC peerings.
    let mut peerings = Vec::new();
    for (name, peering) in raw.vpc_peerings.iter() {
        let base = kp!["vpc_peerings", name];
        let a = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &peering.vpc_id);
        let b = c.reference(
            &raw.vpcs,
            "VPC",
            base.key("peer_vpc_id"),
            &peering.peer_vpc_id,
        );
        let (Some(a), Some(b)) = (a, b) else { continue };
        if a == b {
            c.error(
                base.key("peer_vpc_id"),
                Some(quoted(&peering.peer_vpc_id)),
                "a VPC cannot peer with itself",
            );
        } else if vpcs[a].cidr.overlaps(&vpcs[b].cidr) {
            c.error(
                base.key("peer_vpc_id"),
                Some(quoted(&peering.peer_vpc_id)),
                format!(
                    "VPC peering cannot be created between overlapping CIDRs ({} {} and {} {}): connect them with PrivateLink (an endpoint service and an interface endpoint), which works across overlapping ranges",
                    vpcs[a].name, vpcs[a].cidr, vpcs[b].name, vpcs[b].cidr
                ),
            );
        } else {
            peerings.push((VpcId::from_index(a), VpcId::from_index(b)));
        }
    }

    // Workload.
    let w = &raw.workload;
    let mut clients = Vec::new();
    if w.clients.is_empty() {
        c.error(
            kp!["workload", "clients"],
            None,
            "the workload needs at least one client instance",
        );
    }
    for (k, client) in w.clients.iter().enumerate() {
        if let Some(i) = c.reference(
            &raw.instances,
            "instance",
            kp!["workload", "clients"].index(k),
            client,
        ) {
            clients.push(InstanceId::from_index(i));
        }
    }
    c.one_of(
        kp!["workload", "protocol"],
        w.protocol.as_deref(),
        &["tcp"],
        "protocol (endpoint services carry TCP only)",
    );
    let arrival_rate = w.arrival_rate.unwrap_or(100.0);
    if !(arrival_rate.is_finite() && arrival_rate > 0.0 && arrival_rate <= 1e9) {
        c.error(
            kp!["workload", "arrival_rate"],
            Some(arrival_rate.to_string()),
            "arrival_rate must be above 0 and at most 1e9 flows per second",
        );
    }
    let connect_timeout = w.connect_timeout.map_or(Span::from_secs(10), |d| d.0);
    if connect_timeout == Span(0) {
        c.error(
            kp!["workload", "connect_timeout"],
            Some(quoted("0s")),
            "connect_timeout must be above zero",
        );
    }
    if w.host.trim().is_empty() {
        c.error(
            kp!["workload", "host"],
            Some(quoted(&w.host)),
            "host must be a DNS name",
        );
    }
    let workload = Workload {
        clients,
        host: w.host.trim_end_matches('.').to_ascii_lowercase(),
        port: w.port.unwrap_or(80),
        path: w.path.clone().unwrap_or_else(|| "/".into()),
        arrival_rate,
        connect_timeout,
        dns_cache: w.dns_cache.unwrap_or(true),
    };

    let n = &raw.network;
    let network = Network {
        same_az: n.same_az_latency.map_or(Span::from_micros(50), |d| d.0),
        cross_az: n.cross_az_latency.map_or(Span::from_micros(500), |d| d.0),
        resolver: n.resolver_latency.map_or(Span::from_micros(200), |d| d.0),
        privatelink: n
            .privatelink_latency
            .map_or(Span::from_micros(100), |d| d.0),
    };
    let run = Run {
        seed: raw.run.seed.unwrap_or(1),
        flows: raw.run.flows.unwrap_or(30_000),
    };
    if run.flows == 0 {
        c.error(
            kp!["run", "flows"],
            Some("0".into()),
            "flows must be at least 1",
        );
    }

    if !ok || !c.errors.is_empty() {
        return None;
    }
    Some(Topology {
        region: raw.region.clone(),
        accounts,
        zones,
        vpcs,
        subnets,
        security_groups,
        instances,
        load_balancers,
        nodes,
        listeners,
        target_groups,
        targets,
        services,
        endpoints,
        enis,
        hosted_zones,
        peerings,
        workload,
        network,
        run,
    })
}

/// Deterministic stand-ins for the IDs in endpoint DNS names (`vpce-<id>-<suffix>`,
/// `vpce-svc-<id>`), derived from the scenario names so that reports are stable.
fn dns_stem(endpoint: &str, service: &str) -> (String, String) {
    let mut state = 0x5eed_u64;
    for b in endpoint.bytes() {
        state = crate::rng::splitmix64(&mut state) ^ u64::from(b);
    }
    let endpoint_id = crate::rng::splitmix64(&mut state);
    let suffix = crate::rng::splitmix64(&mut state);
    let mut state = 0x5e4c_u64;
    for b in service.bytes() {
        state = crate::rng::splitmix64(&mut state) ^ u64::from(b);
    }
    let service_id = crate::rng::splitmix64(&mut state);
    let letters: String = (0..8)
        .map(|i| char::from(b'a' + ((suffix >> (i * 5)) % 26) as u8))
        .collect();
    (
        format!("vpce-{:017x}-{letters}", endpoint_id >> 4),
        format!("vpce-svc-{:017x}", service_id >> 4),
    )
}

/// Checks that need the whole topology: the workload's name resolves from each client, and the
/// port it connects to is served by a listener at the end of that path.
fn check_paths(topology: &Topology, errors: &mut Vec<Issue>, warnings: &mut Vec<Issue>) {
    let w = &topology.workload;
    for (k, &client) in w.clients.iter().enumerate() {
        let instance = &topology.instances[client.index()];
        let vpc = topology.subnets[instance.subnet.index()].vpc;
        let answer = crate::rules::dns::resolve(topology, vpc, &w.host);
        let Ok(answer) = answer else {
            warnings.push(Issue {
                path: kp!["workload", "clients"].index(k),
                value: None,
                message: format!(
                    "{} does not resolve from client {} in VPC {} (no private hosted zone of that VPC has it): its flows fail with DNS_NXDOMAIN",
                    w.host, instance.name, topology.vpcs[vpc.index()].name
                ),
            });
            continue;
        };
        for address in &answer.addresses {
            let crate::rules::dns::Destination::EndpointEni(eni) = address.destination else {
                continue;
            };
            let node = &topology.nodes[topology.enis[eni.index()].node.index()];
            let lb = node.load_balancer;
            if topology.listener_on(lb, w.port).is_none() {
                let ports: Vec<String> = topology.load_balancers[lb.index()]
                    .listeners
                    .iter()
                    .map(|l| topology.listeners[l.index()].port.to_string())
                    .collect();
                let issue = Issue {
                    path: kp!["workload", "port"],
                    value: Some(w.port.to_string()),
                    message: format!(
                        "no listener of load balancer {} (behind {}) serves this port; its listeners: {}",
                        topology.load_balancers[lb.index()].name,
                        w.host,
                        if ports.is_empty() {
                            "none".to_string()
                        } else {
                            ports.join(", ")
                        }
                    ),
                };
                if !errors.iter().any(|e| e.message == issue.message) {
                    errors.push(issue);
                }
            }
        }
    }
}

/// Displays a list for messages.
pub fn list<T: Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
