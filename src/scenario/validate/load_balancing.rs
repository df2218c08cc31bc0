//! Target groups, load balancers, their nodes and listeners (docs/model.md NLB-1 to NLB-3,
//! HC-4, and the deregistration delay of EV-3).

use std::collections::HashMap;

use super::security::{Missing, group_list};
use super::{Built, Checker, Step, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{
    CrossZoneSetting, FailoverThreshold, HealthCheck, LbProtocol, Listener, LoadBalancer, Node,
    PickStrategy, RoutingPolicy, Target, TargetGroup, TargetType,
};
use crate::scenario::path::KeyPath;
use crate::scenario::raw::{
    CrossZoneAttr, RawTargetGroupHealth, RawUnhealthyStateAction, ThresholdAttr,
};
use crate::time::Span;

/// Target groups and their registered targets.
pub(super) fn target_groups(c: &mut Checker<'_>, b: &mut Built) {
    let raw = c.raw;
    for (name, tg) in raw.target_groups.iter() {
        let base = kp!["target_groups", name];
        let protocol = lb_protocol(c, base.key("protocol"), tg.protocol.as_deref());
        c.one_of(
            base.key("target_type"),
            tg.target_type.as_deref(),
            &["instance", "ip"],
            "target_type",
        );
        let target_type = if tg.target_type.as_deref() == Some("ip") {
            TargetType::Ip
        } else {
            TargetType::Instance
        };
        // AWS's default: on for instance targets, off for IP targets over TCP and TLS; always on
        // for UDP and TCP_UDP groups, which cannot turn it off (NLB-16, NLB-17).
        let datagrams = matches!(protocol, LbProtocol::Udp | LbProtocol::TcpUdp);
        let preserve_client_ip = match tg.preserve_client_ip.as_ref() {
            Some(p) if datagrams && !p.enabled => {
                c.error(
                    base.key("preserve_client_ip").key("enabled"),
                    Some("false".into()),
                    format!(
                        "client IP preservation is always on for {} target groups: AWS refuses to turn it off (docs/model.md NLB-16, NLB-17)",
                        protocol.name()
                    ),
                );
                true
            }
            Some(p) => p.enabled,
            None => datagrams || target_type == TargetType::Instance,
        };
        if tg.port == 0 {
            c.error(
                base.key("port"),
                Some("0".into()),
                "port must be 1 to 65535",
            );
        }
        let vpc = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &tg.vpc_id);
        let health_check = health_check(
            c,
            &base,
            tg.port,
            tg.health_check.clone().unwrap_or_default(),
        );
        let cross_zone = tg
            .load_balancing
            .as_ref()
            .and_then(|l| l.cross_zone.as_ref())
            .map_or(CrossZoneSetting::UseLoadBalancerConfiguration, |cz| {
                cross_zone_setting(cz.enabled)
            });
        let deregistration_delay = match tg
            .deregistration_delay
            .as_ref()
            .and_then(|d| d.timeout_seconds)
        {
            None => DEFAULT_DEREGISTRATION_DELAY,
            Some(d) if (0..=3600).contains(&d) => Span::from_secs(d as u64),
            Some(d) => {
                c.error(
                    base.key("deregistration_delay").key("timeout_seconds"),
                    Some(d.to_string()),
                    "timeout_seconds must be 0 to 3600 (seconds) (docs/model.md EV-3)",
                );
                DEFAULT_DEREGISTRATION_DELAY
            }
        };
        let terminations = connection_termination(c, &base, tg, protocol);
        let (routing_failover, dns_failover) =
            failover_thresholds(c, &base, tg.target_group_health.as_ref());
        let tg_id = TargetGroupId::from_index(b.target_groups.len());
        let mut ids = Vec::new();
        let mut first_at: HashMap<&str, usize> = HashMap::new();
        for (k, target) in tg.targets.iter().enumerate() {
            let tpath = base.key("targets").index(k);
            let i = match target_type {
                TargetType::Instance => {
                    c.reference(&raw.instances, "instance", tpath.clone(), target)
                }
                TargetType::Ip => ip_target(c, b, &tpath, target, &tg.vpc_id),
            };
            let Some(i) = i else {
                continue;
            };
            let what = match target_type {
                TargetType::Instance => "instance",
                TargetType::Ip => "address",
            };
            if let Some(first) = first_at.insert(target.as_str(), k) {
                first_at.insert(target.as_str(), first);
                c.error(
                    tpath,
                    Some(quoted(target)),
                    format!("{what} is registered twice (also at targets[{first}])"),
                );
                continue;
            }
            let instance = &b.instances[i];
            if target_type == TargetType::Instance
                && vpc.is_some()
                && Some(b.subnets[instance.subnet.index()].vpc.index()) != vpc
            {
                c.error(
                    tpath,
                    Some(quoted(target)),
                    format!(
                        "instance is not in the target group's VPC {} (docs/model.md NLB-16)",
                        tg.vpc_id
                    ),
                );
                continue;
            }
            ids.push(TargetId::from_index(b.targets.len()));
            b.targets.push(Target {
                target_group: tg_id,
                instance: InstanceId::from_index(i),
                zone: b.subnets[instance.subnet.index()].zone,
            });
        }
        b.tg_vpcs.push(vpc);
        b.target_groups.push(TargetGroup {
            name: name.to_string(),
            protocol,
            port: tg.port,
            target_type,
            preserve_client_ip,
            proxy_protocol_v2: tg.proxy_protocol_v2.unwrap_or(false),
            cross_zone,
            health_check,
            targets: ids,
            load_balancer: None,
            deregistration_delay,
            deregistration_termination: terminations.0,
            unhealthy_termination: terminations.1,
            unhealthy_draining: terminations.2,
            routing_failover,
            dns_failover,
        });
    }
}

/// The instance behind an IP target `address` of a group in VPC `tg_vpc` (NLB-16): an
/// instance's private IP in that VPC or in one peered with it; `sim` needs the server behind the
/// address to simulate it.
fn ip_target(
    c: &mut Checker<'_>,
    b: &Built,
    path: &KeyPath,
    address: &str,
    tg_vpc: &str,
) -> Option<usize> {
    let raw = c.raw;
    let Ok(ip) = address.parse::<std::net::Ipv4Addr>() else {
        c.error(
            path.clone(),
            Some(quoted(address)),
            "an IP target is an IPv4 address (target_type = \"ip\") (docs/model.md NLB-16)",
        );
        return None;
    };
    let peered = |a: &str| {
        a == tg_vpc
            || raw.vpc_peerings.iter().any(|(_, p)| {
                (p.vpc_id == tg_vpc && p.peer_vpc_id == a)
                    || (p.peer_vpc_id == tg_vpc && p.vpc_id == a)
            })
    };
    let found = b
        .instances
        .iter()
        .position(|i| i.ip == ip && peered(&b.vpcs[b.subnets[i.subnet.index()].vpc.index()].name));
    if found.is_none() {
        c.error(
            path.clone(),
            Some(quoted(address)),
            format!(
                "no instance has this address in VPC {tg_vpc} or a VPC peered with it: sim simulates the server behind an IP target (docs/model.md NLB-16)"
            ),
        );
    }
    found
}

/// A listener's or target group's `protocol`: `TCP` when omitted (NLB-2, NLB-17, NLB-18).
fn lb_protocol(c: &mut Checker<'_>, path: KeyPath, value: Option<&str>) -> LbProtocol {
    let Some(value) = value else {
        return LbProtocol::Tcp;
    };
    LbProtocol::parse(value).unwrap_or_else(|| {
        c.error(
            path,
            Some(quoted(value)),
            "protocol must be \"TCP\", \"UDP\", \"TCP_UDP\" or \"TLS\" (docs/model.md NLB-17)",
        );
        LbProtocol::Tcp
    })
}

/// The routing and DNS failover thresholds of a target group (NLB-6): counts of 1 or more
/// (`"off"` for DNS failover only), percentages `"off"` or 1-100, AWS's default (count 1,
/// percentage off) for what is omitted; and, where the file sets both actions' counts (or both
/// percentages), DNS failover's at least routing failover's, as AWS requires.
fn failover_thresholds(
    c: &mut Checker<'_>,
    base: &KeyPath,
    health: Option<&RawTargetGroupHealth>,
) -> (FailoverThreshold, FailoverThreshold) {
    let hpath = base.key("target_group_health");
    let routing_path = hpath
        .key("unhealthy_state_routing")
        .key("minimum_healthy_targets");
    let dns_path = hpath.key("dns_failover").key("minimum_healthy_targets");
    let (routing, routing_given) = failover_threshold(
        c,
        &routing_path,
        health.and_then(|h| h.unhealthy_state_routing.as_ref()),
        false,
    );
    let (dns, dns_given) = failover_threshold(
        c,
        &dns_path,
        health.and_then(|h| h.dns_failover.as_ref()),
        true,
    );
    for (key, routing, dns) in [
        ("count", routing_given.count, dns_given.count),
        (
            "percentage",
            routing_given.percentage.map(u64::from),
            dns_given.percentage.map(u64::from),
        ),
    ] {
        if let (Some(routing), Some(dns)) = (routing, dns) {
            if dns < routing {
                c.error(
                    dns_path.key(key),
                    Some(dns.to_string()),
                    format!(
                        "DNS failover's {key} must be at least routing failover's ({routing}), so that DNS failover happens with or before routing failover (docs/model.md NLB-6)"
                    ),
                );
            }
        }
    }
    (routing, dns)
}

/// One action's threshold, and the valid values the file sets for it (`None` where it sets
/// none, or `"off"`).
fn failover_threshold(
    c: &mut Checker<'_>,
    path: &KeyPath,
    action: Option<&RawUnhealthyStateAction>,
    off_count: bool,
) -> (FailoverThreshold, FailoverThreshold) {
    let mut threshold = FailoverThreshold::DEFAULT;
    let mut given = FailoverThreshold {
        count: None,
        percentage: None,
    };
    let Some(minimum) = action.map(|a| &a.minimum_healthy_targets) else {
        return (threshold, given);
    };
    match minimum.count {
        None => {}
        Some(ThresholdAttr::Off) if off_count => threshold.count = None,
        Some(ThresholdAttr::Value(n)) if n >= 1 => {
            threshold.count = Some(n as u64);
            given.count = Some(n as u64);
        }
        Some(other) => c.error(
            path.key("count"),
            Some(threshold_text(other)),
            if off_count {
                "count must be \"off\" or an integer of 1 or more (docs/model.md NLB-6)"
            } else {
                "count must be an integer of 1 or more (routing failover has no \"off\") (docs/model.md NLB-6)"
            },
        ),
    }
    match minimum.percentage {
        None | Some(ThresholdAttr::Off) => {}
        Some(ThresholdAttr::Value(p)) if (1..=100).contains(&p) => {
            threshold.percentage = Some(p as u8);
            given.percentage = Some(p as u8);
        }
        Some(other) => c.error(
            path.key("percentage"),
            Some(threshold_text(other)),
            "percentage must be \"off\" or 1 to 100 (docs/model.md NLB-6)",
        ),
    }
    (threshold, given)
}

/// A threshold as messages show it.
fn threshold_text(value: ThresholdAttr) -> String {
    match value {
        ThresholdAttr::Off => quoted("off"),
        ThresholdAttr::Value(n) => n.to_string(),
    }
}

/// A target group's deregistration delay when it gives none: AWS's default (EV-3).
const DEFAULT_DEREGISTRATION_DELAY: Span = Span::from_secs(300);

/// The model's cross-zone setting for the attribute as written.
pub(super) fn cross_zone_setting(attr: CrossZoneAttr) -> CrossZoneSetting {
    match attr {
        CrossZoneAttr::True => CrossZoneSetting::On,
        CrossZoneAttr::False => CrossZoneSetting::Off,
        CrossZoneAttr::UseLoadBalancerConfiguration => {
            CrossZoneSetting::UseLoadBalancerConfiguration
        }
    }
}

/// Health check settings within AWS's ranges (HC-4: validated, not simulated over time yet).
fn health_check(
    c: &mut Checker<'_>,
    base: &KeyPath,
    traffic_port: u16,
    hc: crate::scenario::raw::RawHealthCheck,
) -> HealthCheck {
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
            "interval must be 5s to 300s (docs/model.md HC-4)",
        );
    }
    if !(Span::from_secs(2)..=Span::from_secs(120)).contains(&timeout) {
        c.error(
            hpath.key("timeout"),
            Some(quoted(&timeout.to_string())),
            "timeout must be 2s to 120s (docs/model.md HC-4)",
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
                format!("{key} must be 2 to 10 (docs/model.md HC-4)"),
            );
        }
    }
    let port = match &hc.port {
        None => traffic_port,
        Some(toml::Value::String(s)) if s == "traffic-port" => traffic_port,
        Some(toml::Value::Integer(p)) if (1..=65535).contains(p) => *p as u16,
        Some(other) => {
            let shown = match other {
                toml::Value::Float(x) => super::number(*x),
                _ => other.to_string(),
            };
            c.error(
                hpath.key("port"),
                Some(shown),
                "port must be \"traffic-port\" or 1-65535 (docs/model.md HC-1)",
            );
            traffic_port
        }
    };
    HealthCheck {
        interval,
        timeout,
        healthy_threshold,
        unhealthy_threshold,
        port,
    }
}

/// Load balancers: one node per subnet, at most one subnet per AZ (NLB-1), listeners with
/// distinct ports forwarding to target groups of the same VPC by weight (NLB-2).
pub(super) fn load_balancers(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
    let mut ok = true;
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
        let lb_id = LoadBalancerId::from_index(b.load_balancers.len());
        let Some((vpc, node_ids)) = nodes(c, b, name, lb_id, &lb.subnets) else {
            ok = false;
            continue;
        };
        let groups = group_list(
            c,
            b,
            base.key("security_groups"),
            Some(&lb.security_groups),
            vpc,
            Missing::NoGroup,
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
                    "must be \"on\" or \"off\" (docs/model.md PL-7)",
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
                    "hash must be \"uniform\" or \"maglev\" (docs/model.md NLB-8)",
                );
                PickStrategy::Uniform
            }
        };
        let routing_policy = match lb.dns_record_client_routing_policy.as_deref() {
            None => RoutingPolicy::AnyZone,
            Some(given) => match RoutingPolicy::ALL.into_iter().find(|p| p.name() == given) {
                Some(policy) => policy,
                None => {
                    c.error(
                        base.key("dns_record_client_routing_policy"),
                        Some(quoted(given)),
                        "must be \"any_availability_zone\", \"partial_availability_zone_affinity\" or \"availability_zone_affinity\" (docs/model.md NLB-13)",
                    );
                    RoutingPolicy::AnyZone
                }
            },
        };
        let dns_name = match &lb.dns_name {
            None => crate::rules::nlb::dns::regional_name(name, &raw.region),
            Some(given) => {
                let given = given.trim_end_matches('.').to_ascii_lowercase();
                let suffix = format!(".elb.{}.amazonaws.com", raw.region);
                let label = given.strip_suffix(&suffix).unwrap_or("");
                let taken = b.load_balancers.iter().any(|other| other.dns_name == given);
                if label.is_empty()
                    || label.contains('.')
                    || !label
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    c.error(
                        base.key("dns_name"),
                        lb.dns_name.as_deref().map(quoted),
                        format!("must be NAME-ID{suffix}, as AWS names a load balancer of region {} (docs/model.md NLB-11)", raw.region),
                    );
                } else if taken {
                    c.error(
                        base.key("dns_name"),
                        lb.dns_name.as_deref().map(quoted),
                        "another load balancer has this DNS name (docs/model.md NLB-11)",
                    );
                }
                given
            }
        };
        for &n in &node_ids {
            let az_name = &b.subnets[b.nodes[n.index()].subnet.index()].az_name;
            b.nodes[n.index()].dns_name = format!("{az_name}.{dns_name}");
        }
        let listener_ids = listeners(c, b, name, lb_id, vpc);
        b.load_balancers.push(LoadBalancer {
            name: name.to_string(),
            vpc,
            nodes: node_ids,
            cross_zone: lb.enable_cross_zone_load_balancing.unwrap_or(false),
            security_groups: groups,
            enforce_sg_on_privatelink: enforce,
            listeners: listener_ids,
            pick,
            dns_name,
            routing_policy,
            zonal_shift: lb.enable_zonal_shift.unwrap_or(false),
        });
    }
    ok.then_some(())
}

/// The nodes of load balancer `name`: its VPC and their ids, or `None` when it has none.
fn nodes(
    c: &mut Checker<'_>,
    b: &mut Built,
    name: &str,
    lb_id: LoadBalancerId,
    subnet_names: &[String],
) -> Option<(VpcId, Vec<NodeId>)> {
    let raw = c.raw;
    let base = kp!["load_balancers", name];
    if subnet_names.is_empty() {
        c.error(
            base.key("subnets"),
            None,
            "a load balancer needs at least one subnet (docs/model.md NLB-1)",
        );
    }
    let mut lb_vpc: Option<VpcId> = None;
    let mut node_ids: Vec<NodeId> = Vec::new();
    for (k, subnet_name) in subnet_names.iter().enumerate() {
        let spath = base.key("subnets").index(k);
        let Some(s) = c.reference(&raw.subnets, "subnet", spath.clone(), subnet_name) else {
            continue;
        };
        let subnet = &b.subnets[s];
        match lb_vpc {
            None => lb_vpc = Some(subnet.vpc),
            Some(v) if v != subnet.vpc => {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    "all subnets of a load balancer must be in one VPC (docs/model.md NLB-1)",
                );
                continue;
            }
            _ => {}
        }
        if let Some(&other) = node_ids
            .iter()
            .find(|n| b.nodes[n.index()].zone == subnet.zone)
        {
            let other_subnet = &b.subnets[b.nodes[other.index()].subnet.index()];
            c.error(
                spath,
                Some(quoted(subnet_name)),
                format!(
                    "subnet is in {} ({}) like {}: a load balancer takes at most one subnet per AZ (docs/model.md NLB-1)",
                    subnet.az_name,
                    b.zones[subnet.zone.index()].az_id,
                    other_subnet.name
                ),
            );
            continue;
        }
        let zone = subnet.zone;
        let Some(ip) = b.assign(s, format!("load balancer {name}")) else {
            c.error(
                spath,
                Some(quoted(subnet_name)),
                "subnet has no free address for the load balancer node (docs/model.md NLB-1, NET-2)",
            );
            continue;
        };
        node_ids.push(NodeId::from_index(b.nodes.len()));
        b.nodes.push(Node {
            load_balancer: lb_id,
            subnet: SubnetId::from_index(s),
            zone,
            ip,
            // Named once the load balancer's name is made.
            dns_name: String::new(),
        });
    }
    lb_vpc.map(|vpc| (vpc, node_ids))
}

/// The listeners of load balancer `name` in `vpc`.
fn listeners(
    c: &mut Checker<'_>,
    b: &mut Built,
    name: &str,
    lb_id: LoadBalancerId,
    vpc: VpcId,
) -> Vec<ListenerId> {
    let raw = c.raw;
    let base = kp!["load_balancers", name];
    let lb = raw.load_balancers.entry(lb_id.index()).1;
    let mut listener_ids = Vec::new();
    for (k, listener) in lb.listeners.iter().enumerate() {
        let lpath = base.key("listeners").index(k);
        let protocol = lb_protocol(c, lpath.key("protocol"), listener.protocol.as_deref());
        if listener.port == 0 {
            c.error(
                lpath.key("port"),
                Some("0".into()),
                "port must be 1 to 65535",
            );
        } else if let Some(other) = lb.listeners[..k]
            .iter()
            .position(|l| l.port == listener.port)
        {
            let other_protocol = lb.listeners[other]
                .protocol
                .as_deref()
                .and_then(LbProtocol::parse)
                .unwrap_or(LbProtocol::Tcp);
            let pair = [protocol, other_protocol];
            let tcp_and_udp = pair.contains(&LbProtocol::Udp)
                && (pair.contains(&LbProtocol::Tcp) || pair.contains(&LbProtocol::Tls));
            c.error(
                lpath.key("port"),
                Some(listener.port.to_string()),
                if tcp_and_udp {
                    format!(
                        "listeners[{other}] already uses this port: AWS refuses two listeners on one port; for TCP and UDP on one port use one listener with protocol = \"TCP_UDP\" (docs/model.md NLB-17)"
                    )
                } else {
                    format!("another listener already uses this port (listeners[{other}]) (docs/model.md NLB-2)")
                },
            );
        }
        let wanted: Vec<(KeyPath, &str, u16)> = match (&listener.target_group, &listener.forward) {
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
                c.error(
                    lpath,
                    None,
                    "a listener needs exactly one of `target_group` or a non-empty `forward` list (docs/model.md NLB-2)",
                );
                continue;
            }
        };
        let mut forward = Vec::new();
        for (f, (fpath, tg_name, weight)) in wanted.into_iter().enumerate() {
            if weight > 999 {
                c.error(
                    lpath.key("forward").index(f).key("weight"),
                    Some(weight.to_string()),
                    "weight must be 0 to 999 (docs/model.md NLB-2)",
                );
            }
            let Some(t) = c.reference(&raw.target_groups, "target group", fpath.clone(), tg_name)
            else {
                continue;
            };
            let tg_protocol = b.target_groups[t].protocol;
            if !protocol.forwards_to().contains(&tg_protocol) {
                let allowed: Vec<&str> = protocol.forwards_to().iter().map(|p| p.name()).collect();
                c.error(
                    fpath.clone(),
                    Some(quoted(tg_name)),
                    format!(
                        "a {} listener forwards to {} target groups only; target group {tg_name} is {} (docs/model.md NLB-17, NLB-18)",
                        protocol.name(),
                        allowed.join(" or "),
                        tg_protocol.name()
                    ),
                );
            }
            if b.tg_vpcs[t] != Some(vpc.index()) {
                c.error(
                    fpath,
                    Some(quoted(tg_name)),
                    format!(
                        "target group is not in the load balancer's VPC {} (docs/model.md NLB-2)",
                        b.vpcs[vpc.index()].name
                    ),
                );
                continue;
            }
            match b.target_groups[t].load_balancer {
                Some(owner) if owner != lb_id => c.error(
                    fpath,
                    Some(quoted(tg_name)),
                    format!(
                        "target group is already used by load balancer {}: an NLB target group serves one load balancer (docs/model.md NLB-2)",
                        raw.load_balancers.entry(owner.index()).0
                    ),
                ),
                _ => b.target_groups[t].load_balancer = Some(lb_id),
            }
            forward.push((TargetGroupId::from_index(t), weight));
        }
        if !forward.is_empty() && forward.iter().all(|(_, w)| *w == 0) {
            c.error(
                lpath.key("forward"),
                None,
                "at least one target group needs a weight above 0 (docs/model.md NLB-2)",
            );
        }
        listener_ids.push(ListenerId::from_index(b.listeners.len()));
        let given = listener
            .tcp
            .as_ref()
            .and_then(|tcp| tcp.idle_timeout.as_ref())
            .map(|i| i.seconds);
        let idle = match protocol {
            LbProtocol::Udp | LbProtocol::Tls if given.is_some() => {
                c.error(
                    lpath.key("tcp").key("idle_timeout").key("seconds"),
                    given.map(|s| s.to_string()),
                    format!(
                        "a {} listener's idle timeout is fixed ({}): tcp.idle_timeout.seconds applies to TCP and TCP_UDP listeners only (docs/model.md CONN-5, NLB-17, NLB-18)",
                        protocol.name(),
                        if protocol == LbProtocol::Udp {
                            "120 s for UDP flows"
                        } else {
                            "350 s"
                        }
                    ),
                );
                350
            }
            LbProtocol::Udp => 120,
            _ => given.unwrap_or(350),
        };
        if protocol != LbProtocol::Udp && !(60..=6000).contains(&idle) {
            c.error(
                lpath.key("tcp").key("idle_timeout").key("seconds"),
                Some(idle.to_string()),
                "tcp.idle_timeout.seconds must be 60 to 6000 (docs/model.md CONN-5)",
            );
        }
        b.listeners.push(Listener {
            load_balancer: lb_id,
            port: listener.port,
            protocol,
            forward,
            idle_timeout: Span::from_secs(idle.clamp(60, 6000) as u64),
        });
    }
    listener_ids
}

/// A target group's connection termination attributes (CONN-2, CONN-3):
/// `deregistration_delay.connection_termination.enabled` (false for TCP and TLS groups, true for
/// UDP and TCP_UDP groups, as AWS creates them),
/// `target_health_state.unhealthy.connection_termination.enabled` (true) and
/// `target_health_state.unhealthy.draining_interval_seconds` (0-360000, 0).
fn connection_termination(
    c: &mut Checker<'_>,
    base: &KeyPath,
    tg: &crate::scenario::raw::RawTargetGroup,
    protocol: LbProtocol,
) -> (bool, bool, Span) {
    let deregistration = tg
        .deregistration_delay
        .as_ref()
        .and_then(|d| d.connection_termination.as_ref())
        .map_or(
            matches!(protocol, LbProtocol::Udp | LbProtocol::TcpUdp),
            |e| e.enabled,
        );
    let unhealthy = tg
        .target_health_state
        .as_ref()
        .and_then(|s| s.unhealthy.as_ref());
    let termination = unhealthy
        .and_then(|u| u.connection_termination.as_ref())
        .is_none_or(|e| e.enabled);
    let draining = match unhealthy.and_then(|u| u.draining_interval_seconds) {
        None => Span(0),
        Some(s) if (0..=360_000).contains(&s) => Span::from_secs(s as u64),
        Some(s) => {
            c.error(
                base.key("target_health_state")
                    .key("unhealthy")
                    .key("draining_interval_seconds"),
                Some(s.to_string()),
                "draining_interval_seconds must be 0 to 360000 (docs/model.md CONN-2)",
            );
            Span(0)
        }
    };
    (deregistration, termination, draining)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::time::Span;

    const LISTENERS: &str =
        "listeners = [{ port = 80, protocol = \"TCP\", target_group = \"web\" }]";
    const HC: &str = "health_check = { protocol = \"TCP\", interval = \"30s\", healthy_threshold = 3, unhealthy_threshold = 3 }";

    #[test]
    fn one_subnet_per_az_and_one_vpc_per_load_balancer() {
        assert_error(
            &edited(&[
                (
                    "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
                    "subnets = [\"provider-1\", \"provider-2\", \"provider-3\", \"extra-1\"]",
                ),
                (
                    "[subnets.provider-2]",
                    "[subnets.extra-1]\nvpc_id = \"provider\"\navailability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.192/26\"\n\n[subnets.provider-2]",
                ),
            ]),
            "load_balancers.provider-nlb.subnets[3]",
            "at most one subnet per AZ",
        );
        assert_error(
            &edited(&[(
                "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
                "subnets = [\"provider-1\", \"consumer-2\"]",
            )]),
            "load_balancers.provider-nlb.subnets[1]",
            "must be in one VPC",
        );
        assert_error(
            &edited(&[(
                "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
                "subnets = []",
            )]),
            "load_balancers.provider-nlb.subnets",
            "at least one subnet",
        );
        assert_error(
            &edited(&[("internal = true", "internal = false")]),
            "load_balancers.provider-nlb.internal",
            "only internal",
        );
    }

    #[test]
    fn listeners_have_distinct_ports_a_target_and_weights_of_0_to_999() {
        let two = "listeners = [{ port = 80, protocol = \"TCP\", target_group = \"web\" }, { port = 80, target_group = \"web\" }]";
        assert_error(
            &edited(&[(LISTENERS, two)]),
            "load_balancers.provider-nlb.listeners[1].port",
            "already uses this port",
        );
        assert_error(
            &edited(&[(LISTENERS, "listeners = [{ port = 80 }]")]),
            "load_balancers.provider-nlb.listeners[0]",
            "exactly one of `target_group`",
        );
        assert_error(
            &edited(&[(
                LISTENERS,
                "listeners = [{ port = 80, forward = [{ target_group = \"web\", weight = 1000 }] }]",
            )]),
            "load_balancers.provider-nlb.listeners[0].forward[0].weight",
            "0 to 999",
        );
        assert_error(
            &edited(&[(
                LISTENERS,
                "listeners = [{ port = 80, forward = [{ target_group = \"web\", weight = 0 }] }]",
            )]),
            "load_balancers.provider-nlb.listeners[0].forward",
            "weight above 0",
        );
        assert_error(
            &edited(&[(
                LISTENERS,
                "listeners = [{ port = 80, protocol = \"SCTP\", target_group = \"web\" }]",
            )]),
            "load_balancers.provider-nlb.listeners[0].protocol",
            "\"TCP\", \"UDP\", \"TCP_UDP\" or \"TLS\"",
        );
    }

    const WEB_TG: &str = "[target_groups.web]\nprotocol = \"TCP\"";

    #[test]
    fn listeners_forward_only_to_target_groups_of_a_compatible_protocol() {
        let listener = |p: &str| {
            format!("listeners = [{{ port = 80, protocol = \"{p}\", target_group = \"web\" }}]")
        };
        let group = |p: &str| format!("[target_groups.web]\nprotocol = \"{p}\"");
        let ok = [
            ("TCP", "TCP"),
            ("TCP", "TCP_UDP"),
            ("UDP", "UDP"),
            ("UDP", "TCP_UDP"),
            ("TCP_UDP", "TCP_UDP"),
            ("TLS", "TCP"),
            ("TLS", "TLS"),
        ];
        for l in ["TCP", "UDP", "TCP_UDP", "TLS"] {
            for g in ["TCP", "UDP", "TCP_UDP", "TLS"] {
                let text = edited(&[(LISTENERS, &listener(l)), (WEB_TG, &group(g))]);
                if ok.contains(&(l, g)) {
                    // A UDP-only listener leaves the TCP workload without a listener: that is
                    // the only error left.
                    let (errors, _) = problems(&text);
                    assert!(
                        errors.iter().all(|e| e.starts_with("workload.port: ")),
                        "{l} -> {g}: {errors:#?}"
                    );
                } else {
                    assert_error(
                        &text,
                        "load_balancers.provider-nlb.listeners[0].target_group",
                        &format!("a {l} listener forwards to"),
                    );
                }
            }
        }
    }

    #[test]
    fn tcp_and_udp_on_one_port_take_one_tcp_udp_listener() {
        let two = "listeners = [{ port = 80, target_group = \"web\" }, { port = 80, protocol = \"UDP\", target_group = \"web\" }]";
        assert_error(
            &edited(&[
                (LISTENERS, two),
                (WEB_TG, "[target_groups.web]\nprotocol = \"TCP_UDP\""),
            ]),
            "load_balancers.provider-nlb.listeners[1].port",
            "use one listener with protocol = \"TCP_UDP\"",
        );
        let one = "listeners = [{ port = 80, protocol = \"TCP_UDP\", target_group = \"web\" }]";
        assert_valid(&edited(&[
            (LISTENERS, one),
            (WEB_TG, "[target_groups.web]\nprotocol = \"TCP_UDP\""),
        ]));
    }

    #[test]
    fn udp_and_tls_listeners_have_a_fixed_idle_timeout_and_udp_groups_terminate_on_deregistration()
    {
        for p in ["UDP", "TLS"] {
            let l = format!(
                "listeners = [{{ port = 80, protocol = \"{p}\", target_group = \"web\", tcp = {{ idle_timeout = {{ seconds = 100 }} }} }}]"
            );
            assert_error(
                &edited(&[
                    (LISTENERS, &l),
                    (WEB_TG, "[target_groups.web]\nprotocol = \"TCP_UDP\""),
                ]),
                "load_balancers.provider-nlb.listeners[0].tcp.idle_timeout.seconds",
                "idle timeout is fixed",
            );
        }
        let udp = crate::scenario::parse(
            "t.toml",
            "t",
            &edited(&[(WEB_TG, "[target_groups.web]\nprotocol = \"TCP_UDP\"")]),
        )
        .expect("valid");
        let t = &udp.variants[0].topology;
        assert!(t.target_groups[0].deregistration_termination);
        assert_eq!(
            t.target_groups[0].protocol,
            crate::model::LbProtocol::TcpUdp
        );
        let tcp = crate::scenario::parse("t.toml", "t", CROSSZONE).expect("valid");
        assert!(!tcp.variants[0].topology.target_groups[0].deregistration_termination);
    }

    #[test]
    fn health_checks_stay_within_aws_ranges() {
        for (from, to, key, message) in [
            (
                "interval = \"30s\"",
                "interval = \"4s\"",
                "interval",
                "interval must be 5s to 300s (docs/model.md HC-4)",
            ),
            (
                "interval = \"30s\"",
                "interval = \"301s\"",
                "interval",
                "interval must be 5s to 300s (docs/model.md HC-4)",
            ),
            (
                "interval = \"30s\"",
                "interval = \"30s\", timeout = \"1s\"",
                "timeout",
                "timeout must be 2s to 120s (docs/model.md HC-4)",
            ),
            (
                "interval = \"30s\"",
                "interval = \"30s\", timeout = \"121s\"",
                "timeout",
                "timeout must be 2s to 120s (docs/model.md HC-4)",
            ),
            (
                "healthy_threshold = 3",
                "healthy_threshold = 11",
                "healthy_threshold",
                "healthy_threshold must be 2 to 10",
            ),
            (
                "unhealthy_threshold = 3",
                "unhealthy_threshold = 1",
                "unhealthy_threshold",
                "unhealthy_threshold must be 2 to 10",
            ),
            (
                "interval = \"30s\"",
                "interval = \"30s\", port = 0",
                "port",
                "port must be \"traffic-port\" or 1-65535 (docs/model.md HC-1)",
            ),
            (
                "interval = \"30s\"",
                "interval = \"30s\", port = \"service-port\"",
                "port",
                "port must be \"traffic-port\" or 1-65535 (docs/model.md HC-1)",
            ),
        ] {
            let text = edited(&[(HC, &HC.replace(from, to))]);
            assert_error(
                &text,
                &format!("target_groups.web.health_check.{key}"),
                message,
            );
        }
        // The accepted forms of the port.
        for port in ["port = \"traffic-port\"", "port = 8080"] {
            assert_valid(&edited(&[(
                HC,
                &HC.replace("interval = \"30s\"", &format!("interval = \"30s\", {port}")),
            )]));
        }
    }

    #[test]
    fn the_deregistration_delay_is_0_to_3600_seconds_and_300_by_default() {
        let delay = |text: &str| {
            let s = crate::scenario::parse("t.toml", "t", text).unwrap();
            s.variants[0].topology.target_groups[0].deregistration_delay
        };
        assert_eq!(delay(CROSSZONE), Span::from_secs(300));
        for seconds in [0, 45, 3600] {
            let text = edited(&[(
                HC,
                &format!("{HC}\nderegistration_delay.timeout_seconds = {seconds}"),
            )]);
            assert_eq!(delay(&text), Span::from_secs(seconds));
        }
        for seconds in ["-1", "3601"] {
            assert_error(
                &edited(&[(
                    HC,
                    &format!("{HC}\nderegistration_delay.timeout_seconds = {seconds}"),
                )]),
                "target_groups.web.deregistration_delay.timeout_seconds",
                "timeout_seconds must be 0 to 3600 (seconds) (docs/model.md EV-3)",
            );
        }
        assert_error(
            &edited(&[(HC, &format!("{HC}\nderegistration_delay.seconds = 30"))]),
            "target_groups.web.deregistration_delay.seconds",
            "unknown key",
        );
    }

    #[test]
    fn the_listener_idle_timeout_is_60_to_6000_seconds_and_350_by_default() {
        let idle = |text: &str| {
            let s = crate::scenario::parse("t.toml", "t", text).unwrap();
            s.variants[0].topology.listeners[0].idle_timeout
        };
        let with_idle = |seconds: &str| {
            edited(&[(
                LISTENERS,
                &LISTENERS.replace(
                    " }]",
                    &format!(", tcp.idle_timeout.seconds = {seconds} }}]"),
                ),
            )])
        };
        assert_eq!(idle(CROSSZONE), Span::from_secs(350));
        for seconds in [60, 600, 6000] {
            assert_eq!(
                idle(&with_idle(&seconds.to_string())),
                Span::from_secs(seconds)
            );
        }
        // The nested inline form is the same key.
        assert_eq!(
            idle(&edited(&[(
                LISTENERS,
                &LISTENERS.replace(" }]", ", tcp = { idle_timeout = { seconds = 120 } } }]"),
            )])),
            Span::from_secs(120)
        );
        for seconds in ["59", "6001", "0", "-1"] {
            assert_error(
                &with_idle(seconds),
                "load_balancers.provider-nlb.listeners[0].tcp.idle_timeout.seconds",
                "tcp.idle_timeout.seconds must be 60 to 6000 (docs/model.md CONN-5)",
            );
        }
        assert_error(
            &edited(&[(
                LISTENERS,
                &LISTENERS.replace(" }]", ", tcp.idle_timeout.minutes = 5 }]"),
            )]),
            "load_balancers.provider-nlb.listeners[0].tcp.idle_timeout.minutes",
            "unknown key",
        );
    }

    #[test]
    fn connection_termination_attributes_default_to_aws_and_take_the_values_set() {
        let attrs = |text: &str| {
            let s = crate::scenario::parse("t.toml", "t", text).unwrap();
            let tg = &s.variants[0].topology.target_groups[0];
            (
                tg.deregistration_delay,
                tg.deregistration_termination,
                tg.unhealthy_termination,
                tg.unhealthy_draining,
            )
        };
        // AWS's defaults: no termination after deregistration, termination of an unhealthy
        // target's connections, no draining interval.
        let defaults = (Span::from_secs(300), false, true, Span(0));
        assert_eq!(attrs(CROSSZONE), defaults);
        // Written as the defaults are the defaults.
        assert_eq!(
            attrs(&with_health(&[
                "deregistration_delay.connection_termination.enabled = false",
                "target_health_state.unhealthy.connection_termination.enabled = true",
                "target_health_state.unhealthy.draining_interval_seconds = 0",
            ])),
            defaults
        );
        // deregistration_delay.connection_termination without timeout_seconds keeps its 300 s.
        assert_eq!(
            attrs(&with_health(&[
                "deregistration_delay.connection_termination.enabled = true"
            ])),
            (Span::from_secs(300), true, true, Span(0))
        );
        assert_eq!(
            attrs(&with_health(&[
                "deregistration_delay = { timeout_seconds = 0, connection_termination = { enabled = true } }",
                "target_health_state.unhealthy.connection_termination.enabled = false",
                "target_health_state.unhealthy.draining_interval_seconds = 120",
            ])),
            (Span(0), true, false, Span::from_secs(120))
        );
        // The range's edges.
        for seconds in [0, 360_000] {
            let text = with_health(&[
                "target_health_state.unhealthy.connection_termination.enabled = false",
                &format!("target_health_state.unhealthy.draining_interval_seconds = {seconds}"),
            ]);
            assert_eq!(attrs(&text).3, Span::from_secs(seconds));
        }
    }

    #[test]
    fn the_unhealthy_draining_interval_is_0_to_360000_seconds() {
        for seconds in ["-1", "360001"] {
            assert_error(
                &with_health(&[&format!(
                    "target_health_state.unhealthy.draining_interval_seconds = {seconds}"
                )]),
                "target_groups.web.target_health_state.unhealthy.draining_interval_seconds",
                "draining_interval_seconds must be 0 to 360000 (docs/model.md CONN-2)",
            );
        }
        assert_error(
            &with_health(&["target_health_state.unhealthy.connection_termination = true"]),
            "target_groups.web.target_health_state.unhealthy.connection_termination",
            "invalid type",
        );
        assert_error(
            &with_health(&["target_health_state.healthy.connection_termination.enabled = true"]),
            "target_groups.web.target_health_state.healthy",
            "unknown key",
        );
    }

    /// The seed scenario with `lines` (dotted `target_group_health` keys) in `[target_groups.web]`.
    fn with_health(lines: &[&str]) -> String {
        edited(&[(HC, &format!("{HC}\n{}", lines.join("\n")))])
    }

    const ROUTING: &str = "target_group_health.unhealthy_state_routing.minimum_healthy_targets";
    const DNS: &str = "target_group_health.dns_failover.minimum_healthy_targets";

    #[test]
    fn failover_thresholds_default_to_a_count_of_1_and_take_the_values_set() {
        use crate::model::FailoverThreshold;
        let thresholds = |text: &str| {
            let s = crate::scenario::parse("t.toml", "t", text).unwrap();
            let tg = &s.variants[0].topology.target_groups[0];
            (tg.routing_failover, tg.dns_failover)
        };
        let defaults = (FailoverThreshold::DEFAULT, FailoverThreshold::DEFAULT);
        assert_eq!(thresholds(CROSSZONE), defaults);
        // Explicit "off" percentages are the defaults too.
        let off = with_health(&[
            &format!("{ROUTING}.percentage = \"off\""),
            &format!("{DNS}.percentage = \"off\""),
        ]);
        assert_eq!(thresholds(&off), defaults);
        let set = with_health(&[
            &format!("{ROUTING}.count = 2"),
            &format!("{ROUTING}.percentage = 50"),
            &format!("{DNS}.count = \"off\""),
            &format!("{DNS}.percentage = 100"),
        ]);
        assert_eq!(
            thresholds(&set),
            (
                FailoverThreshold {
                    count: Some(2),
                    percentage: Some(50),
                },
                FailoverThreshold {
                    count: None,
                    percentage: Some(100),
                }
            )
        );
        // A count above the targets registered is AWS's to bound (a quota); sim takes it.
        let many = with_health(&[&format!("{ROUTING}.count = 5000")]);
        assert_eq!(thresholds(&many).0.count, Some(5000));
        // A table per action works as well as dotted keys.
        let table = with_health(&[
            "target_group_health = { unhealthy_state_routing = { minimum_healthy_targets = { count = 3 } } }",
        ]);
        assert_eq!(thresholds(&table).0.count, Some(3));
    }

    #[test]
    fn failover_counts_are_1_or_more_and_percentages_off_or_1_to_100() {
        for (line, key, message) in [
            (
                format!("{ROUTING}.count = 0"),
                format!("target_groups.web.{ROUTING}.count"),
                "count must be an integer of 1 or more (routing failover has no \"off\") (docs/model.md NLB-6)",
            ),
            (
                format!("{ROUTING}.count = \"off\""),
                format!("target_groups.web.{ROUTING}.count"),
                "routing failover has no \"off\"",
            ),
            (
                format!("{DNS}.count = -1"),
                format!("target_groups.web.{DNS}.count"),
                "count must be \"off\" or an integer of 1 or more (docs/model.md NLB-6)",
            ),
            (
                format!("{ROUTING}.percentage = 0"),
                format!("target_groups.web.{ROUTING}.percentage"),
                "percentage must be \"off\" or 1 to 100 (docs/model.md NLB-6)",
            ),
            (
                format!("{DNS}.percentage = 101"),
                format!("target_groups.web.{DNS}.percentage"),
                "percentage must be \"off\" or 1 to 100 (docs/model.md NLB-6)",
            ),
            (
                format!("{DNS}.percentage = \"half\""),
                format!("target_groups.web.{DNS}.percentage"),
                "`half` is not \"off\" or an integer",
            ),
            (
                format!("{ROUTING}.minimum = 2"),
                format!("target_groups.web.{ROUTING}.minimum"),
                "unknown key",
            ),
        ] {
            assert_error(&with_health(&[&line]), &key, message);
        }
        // The accepted edges.
        assert_valid(&with_health(&[
            &format!("{ROUTING}.count = 1"),
            &format!("{ROUTING}.percentage = 1"),
            &format!("{DNS}.percentage = 100"),
        ]));
    }

    #[test]
    fn dns_failover_thresholds_are_at_least_routing_failovers_where_both_are_set() {
        assert_error(
            &with_health(&[&format!("{ROUTING}.count = 3"), &format!("{DNS}.count = 2")]),
            &format!("target_groups.web.{DNS}.count"),
            "DNS failover's count must be at least routing failover's (3)",
        );
        assert_error(
            &with_health(&[
                &format!("{ROUTING}.percentage = 60"),
                &format!("{DNS}.percentage = 50"),
            ]),
            &format!("target_groups.web.{DNS}.percentage"),
            "DNS failover's percentage must be at least routing failover's (60)",
        );
        // Equal, larger, off, unset, or thresholds of different kinds compare nothing.
        for lines in [
            [format!("{ROUTING}.count = 3"), format!("{DNS}.count = 3")],
            [
                format!("{ROUTING}.percentage = 50"),
                format!("{DNS}.percentage = 75"),
            ],
            [
                format!("{ROUTING}.count = 3"),
                format!("{DNS}.count = \"off\""),
            ],
            [
                format!("{ROUTING}.count = 3"),
                format!("{DNS}.percentage = 10"),
            ],
            [
                format!("{ROUTING}.count = 3"),
                format!("{ROUTING}.percentage = 20"),
            ],
        ] {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            assert_valid(&with_health(&lines));
        }
    }

    #[test]
    fn targets_are_registered_once_in_the_groups_vpc_and_groups_serve_one_load_balancer() {
        assert_error(
            &edited(&[(
                "targets = [\"web-1\", \"web-2\", \"web-3\"]",
                "targets = [\"web-1\", \"web-1\"]",
            )]),
            "target_groups.web.targets[1]",
            "registered twice",
        );
        assert_error(
            &edited(&[(
                "targets = [\"web-1\", \"web-2\", \"web-3\"]",
                "targets = [\"web-1\", \"consumer-client\"]",
            )]),
            "target_groups.web.targets[1]",
            "not in the target group's VPC",
        );
        let second = "[load_balancers.second]\nsubnets = [\"provider-1\"]\nlisteners = [{ port = 80, target_group = \"web\" }]\n\n[target_groups.web]";
        assert_error(
            &edited(&[("[target_groups.web]", second)]),
            "load_balancers.second.listeners[0].target_group",
            "already used by load balancer provider-nlb",
        );
    }
}
