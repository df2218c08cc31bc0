//! Instances and their addresses (docs/model.md NET-1, NET-2, SG-4).

use std::net::Ipv4Addr;

use super::security::{Missing, group_list};
use super::{Built, Checker, Step, ensure, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{Instance, WebServer};

/// Explicit addresses first (in their subnet, not reserved, not taken), then every instance,
/// taking the lowest free address when it names none.
pub(super) fn instances(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
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
            let subnet = &b.subnets[s];
            match text.parse::<Ipv4Addr>() {
                Err(_) => c.error(base.key("private_ip"), Some(quoted(text)), "not an IPv4 address"),
                Ok(addr) if !subnet.cidr.contains(addr) => c.error(
                    base.key("private_ip"),
                    Some(quoted(text)),
                    format!("address is outside its subnet {} ({}) (docs/model.md NET-2)", subnet.name, subnet.cidr),
                ),
                Ok(addr) if subnet.cidr.is_aws_reserved(addr) => c.error(
                    base.key("private_ip"),
                    Some(quoted(text)),
                    format!(
                        "AWS reserves the first four addresses and the last one of every subnet ({}) (docs/model.md NET-1)",
                        subnet.cidr
                    ),
                ),
                Ok(addr) => {
                    let taken = &mut b.used[subnet.vpc.index()];
                    if let Some(owner) = taken.get(&addr) {
                        c.error(
                            base.key("private_ip"),
                            Some(quoted(text)),
                            format!("address is already used by {owner} in the same VPC (docs/model.md NET-2)"),
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

    let mut ok = true;
    for ((name, instance), explicit) in raw.instances.iter().zip(explicit_ips) {
        let base = kp!["instances", name];
        let Some(s) = raw.subnets.position(&instance.subnet_id) else {
            ok = false;
            continue;
        };
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
        let vpc = b.subnets[s].vpc;
        let groups = group_list(
            c,
            b,
            base.key("security_group_ids"),
            instance.security_group_ids.as_ref(),
            vpc,
            Missing::DefaultGroup,
        );
        let ip = explicit.or_else(|| b.assign(s, format!("instance {name}")));
        if ip.is_none() && instance.private_ip.is_none() {
            c.error(
                base.key("subnet_id"),
                None,
                format!(
                    "subnet {} has no free address left (docs/model.md NET-1, NET-2)",
                    b.subnets[s].name
                ),
            );
        }
        if instance.web_server.as_ref().and_then(|w| w.port) == Some(0) {
            c.error(
                base.key("web_server").key("port"),
                Some("0".into()),
                "port must be 1 to 65535",
            );
        }
        if instance.udp_server.as_ref().and_then(|w| w.port) == Some(0) {
            c.error(
                base.key("udp_server").key("port"),
                Some("0".into()),
                "port must be 1 to 65535",
            );
        }
        let server = |w: &crate::scenario::raw::RawWebServer| WebServer {
            port: w.port.unwrap_or(80),
            body: w.body.clone(),
            response_time: w
                .response_time
                .map_or(super::workload::DEFAULT_RESPONSE, |d| d.0),
            proxy_protocol: w.proxy_protocol.unwrap_or(false),
        };
        let web_server = instance.web_server.as_ref().map(server);
        let udp_server = instance.udp_server.as_ref().map(server);
        if let (Some(ip), Some(groups)) = (ensure(ip, &mut ok), ensure(groups, &mut ok)) {
            b.instances.push(Instance {
                name: name.to_string(),
                subnet: SubnetId::from_index(s),
                ip,
                security_groups: groups,
                running,
                web_server,
                udp_server,
            });
        }
    }
    ok.then_some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const WEB1: &str = "[instances.web-1]\nsubnet_id = \"provider-1\"";

    fn with_ip(ip: &str) -> String {
        edited(&[(WEB1, &format!("{WEB1}\nprivate_ip = \"{ip}\""))])
    }

    #[test]
    fn explicit_addresses_are_in_their_subnet_not_reserved_and_unique() {
        assert_error(
            &with_ip("10.11.0.70"),
            "instances.web-1.private_ip",
            "outside its subnet provider-1",
        );
        assert_error(
            &with_ip("10.11.0.2"),
            "instances.web-1.private_ip",
            "AWS reserves",
        );
        assert_error(
            &with_ip("10.11.0.63"),
            "instances.web-1.private_ip",
            "AWS reserves",
        );
        assert_error(
            &with_ip("10.11.0"),
            "instances.web-1.private_ip",
            "not an IPv4 address",
        );
        let twice = edited(&[
            (WEB1, &format!("{WEB1}\nprivate_ip = \"10.11.0.10\"")),
            (
                "[instances.web-2]\nsubnet_id = \"provider-2\"",
                "[instances.web-2]\nsubnet_id = \"provider-1\"\nprivate_ip = \"10.11.0.10\"",
            ),
        ]);
        assert_error(
            &twice,
            "instances.web-2.private_ip",
            "already used by instance web-1",
        );
    }

    #[test]
    fn addresses_are_assigned_lowest_first_after_explicit_ones() {
        let s = crate::scenario::parse("t.toml", "t", &with_ip("10.11.0.4")).unwrap();
        let t = &s.variants[0].topology;
        // web-1 took .4 explicitly; the NLB node in provider-1 takes the next free one, .5.
        assert_eq!(t.instances[0].ip.to_string(), "10.11.0.4");
        assert_eq!(t.nodes[0].ip.to_string(), "10.11.0.5");
    }

    #[test]
    fn instance_state_is_running_or_stopped_and_subnets_can_fill_up() {
        assert_error(
            &edited(&[(WEB1, &format!("{WEB1}\ninstance_state = \"paused\""))]),
            "instances.web-1.instance_state",
            "must be \"running\" or \"stopped\"",
        );
        let mut extra = String::new();
        for i in 0..60 {
            extra.push_str(&format!("[instances.x{i}]\nsubnet_id = \"provider-1\"\n\n"));
        }
        let full = format!("{CROSSZONE}\n{extra}");
        assert_error(&full, "instances.x58.subnet_id", "no free address left");
    }
}
