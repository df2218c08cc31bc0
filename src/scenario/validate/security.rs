//! Security groups, their ingress and egress rules, and the lists of groups interfaces carry
//! (docs/model.md SG-1 to SG-4).

use super::{Built, Checker, Step, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{Peer, RuleProtocol, SecurityGroup, SgRule};
use crate::scenario::path::KeyPath;
use crate::scenario::raw::RawRule;

/// The user's groups, then one default group per VPC (SG-4).
pub(super) fn groups(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
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
    let mut ok = true;
    for ((name, sg), vpc) in raw.security_groups.iter().zip(&group_vpcs) {
        let base = kp!["security_groups", name];
        if name == "default" {
            c.error(
                base.clone(),
                None,
                "`default` names each VPC's default group, which `sim` creates: omit security_group_ids to use it (docs/model.md SG-4)",
            );
        }
        let Some(vpc) = *vpc else {
            ok = false;
            continue;
        };
        let ingress = rules(c, &base.key("ingress"), &sg.ingress);
        let egress = match &sg.egress {
            None => vec![SgRule::allow_all()],
            Some(list) => rules(c, &base.key("egress"), list),
        };
        b.security_groups.push(SecurityGroup {
            name: name.to_string(),
            vpc: VpcId::from_index(vpc),
            ingress,
            egress,
        });
    }
    if !ok {
        return None;
    }
    for i in 0..b.vpcs.len() {
        let id = SecurityGroupId::from_index(b.security_groups.len());
        debug_assert_eq!(id, b.vpcs[i].default_security_group);
        b.security_groups.push(SecurityGroup {
            name: "default".into(),
            vpc: VpcId::from_index(i),
            ingress: vec![SgRule {
                protocol: RuleProtocol::All,
                from_port: 0,
                to_port: u16::MAX,
                peers: vec![Peer::Group(id)],
                active: true,
            }],
            egress: vec![SgRule::allow_all()],
        });
    }
    Some(())
}

fn rules(c: &mut Checker<'_>, path: &KeyPath, raw_rules: &[RawRule]) -> Vec<SgRule> {
    let raw = c.raw;
    let mut out = Vec::new();
    for (r, rule) in raw_rules.iter().enumerate() {
        let rpath = path.index(r);
        let protocol = match rule.protocol.to_ascii_lowercase().as_str() {
            "tcp" | "6" => RuleProtocol::Tcp,
            "udp" | "17" => RuleProtocol::Udp,
            "-1" | "all" => RuleProtocol::All,
            _ => {
                c.error(
                    rpath.key("protocol"),
                    Some(quoted(&rule.protocol)),
                    "protocol must be \"tcp\", \"udp\" or \"-1\" (all) (docs/model.md SG-1)",
                );
                continue;
            }
        };
        if rule.from_port > rule.to_port {
            c.error(
                rpath.key("from_port"),
                Some(rule.from_port.to_string()),
                format!(
                    "from_port is above to_port ({}) (docs/model.md SG-1)",
                    rule.to_port
                ),
            );
        }
        let mut peers = Vec::new();
        for (k, block) in rule.cidr_blocks.iter().enumerate() {
            if let Some(cidr) = c.cidr(rpath.key("cidr_blocks").index(k), block) {
                peers.push(Peer::Cidr(cidr));
            }
        }
        for (k, group) in rule.security_groups.iter().enumerate() {
            let gpath = rpath.key("security_groups").index(k);
            if let Some(g) = c.reference(&raw.security_groups, "security group", gpath, group) {
                peers.push(Peer::Group(SecurityGroupId::from_index(g)));
            }
        }
        if peers.is_empty() {
            c.error(
                rpath,
                None,
                "a rule needs at least one peer in cidr_blocks or security_groups (docs/model.md SG-1)",
            );
        }
        out.push(SgRule {
            protocol,
            from_port: rule.from_port,
            to_port: rule.to_port,
            peers,
            active: rule.active.unwrap_or(true),
        });
    }
    out
}

/// What an empty or missing list of groups means on an interface.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Missing {
    /// The VPC's default group: AWS attaches at least one group to an instance or endpoint ENI.
    DefaultGroup,
    /// No group at all: a load balancer may have none.
    NoGroup,
}

/// The groups named at `path`, all in `vpc` (SG-4: with `Missing::DefaultGroup`, the VPC's
/// default group when `names` is missing or empty).
pub(super) fn group_list(
    c: &mut Checker<'_>,
    b: &Built,
    path: KeyPath,
    names: Option<&Vec<String>>,
    vpc: VpcId,
    missing: Missing,
) -> Option<Vec<SecurityGroupId>> {
    let raw = c.raw;
    let names = match names {
        Some(names) if !names.is_empty() => names,
        _ => {
            return Some(match missing {
                Missing::DefaultGroup => vec![b.vpcs[vpc.index()].default_security_group],
                Missing::NoGroup => Vec::new(),
            });
        }
    };
    let mut ids = Vec::new();
    let mut good = true;
    for (k, name) in names.iter().enumerate() {
        match c.reference(&raw.security_groups, "security group", path.index(k), name) {
            Some(g) if b.security_groups[g].vpc == vpc => ids.push(SecurityGroupId::from_index(g)),
            Some(g) => {
                good = false;
                c.error(
                    path.index(k),
                    Some(quoted(name)),
                    format!(
                        "security group belongs to VPC {}, not {} (docs/model.md SG-2)",
                        b.vpcs[b.security_groups[g].vpc.index()].name,
                        b.vpcs[vpc.index()].name
                    ),
                );
            }
            None => good = false,
        }
    }
    good.then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::{Peer, RuleProtocol};

    #[test]
    fn rules_need_a_valid_protocol_port_range_and_peer() {
        let rule = "ingress = [{ protocol = \"tcp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.11.0.0/24\"] }]";
        assert_error(
            &edited(&[(rule, &rule.replace("\"tcp\"", "\"icmp\""))]),
            "security_groups.web-sg.ingress[0].protocol",
            "protocol must be",
        );
        assert_error(
            &edited(&[(rule, &rule.replace("from_port = 80", "from_port = 81"))]),
            "security_groups.web-sg.ingress[0].from_port",
            "above to_port",
        );
        assert_error(
            &edited(&[(
                rule,
                &rule.replace("cidr_blocks = [\"10.11.0.0/24\"]", "cidr_blocks = []"),
            )]),
            "security_groups.web-sg.ingress[0]",
            "at least one peer",
        );
        assert_error(
            &edited(&[(
                rule,
                &rule
                    .replace("cidr_blocks", "security_groups")
                    .replace("10.11.0.0/24", "nope"),
            )]),
            "security_groups.web-sg.ingress[0].security_groups[0]",
            "no security group of that name",
        );
        assert_error(
            &edited(&[(
                "[security_groups.web-sg]",
                "[security_groups.default]\nvpc_id = \"provider\"\n\n[security_groups.web-sg]",
            )]),
            "security_groups.default",
            "default group",
        );
    }

    #[test]
    fn egress_defaults_to_allow_all_and_can_be_written() {
        let s = crate::scenario::parse("t.toml", "t", CROSSZONE).unwrap();
        let t = &s.variants[0].topology;
        let web = t
            .security_groups
            .iter()
            .find(|g| g.name == "web-sg")
            .unwrap();
        assert_eq!(web.egress.len(), 1);
        assert_eq!(web.egress[0].protocol, RuleProtocol::All);
        assert_eq!(
            web.egress[0].peers,
            vec![Peer::Cidr(crate::model::net::Cidr::ANY)]
        );
        let text = edited(&[(
            "description = \"HTTP from inside the provider VPC (the NLB nodes' addresses)\"",
            "egress = []",
        )]);
        let s = crate::scenario::parse("t.toml", "t", &text).unwrap();
        let t = &s.variants[0].topology;
        assert!(
            t.security_groups
                .iter()
                .find(|g| g.name == "web-sg")
                .unwrap()
                .egress
                .is_empty()
        );
    }

    #[test]
    fn interfaces_carry_groups_of_their_own_vpc_and_an_empty_list_means_the_default() {
        assert_error(
            &edited(&[(
                "security_group_ids = [\"web-sg\"]",
                "security_group_ids = [\"endpoint-sg\"]",
            )]),
            "instances.web-1.security_group_ids[0]",
            "belongs to VPC consumer, not provider",
        );
        let text = edited(&[(
            "security_group_ids = [\"endpoint-sg\"]",
            "security_group_ids = []",
        )]);
        let s = crate::scenario::parse("t.toml", "t", &text).unwrap();
        let t = &s.variants[0].topology;
        let consumer = &t.vpcs[t.endpoints[0].vpc.index()];
        assert_eq!(
            t.endpoints[0].security_groups,
            vec![consumer.default_security_group]
        );
    }
}
