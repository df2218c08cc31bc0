//! Security groups: stateful, allow-only ingress rules on a network interface.
//!
//! Modelled: a packet is admitted if any rule of any group on the interface matches its
//! protocol, destination port and source (a CIDR block containing the source IP, or a group the
//! source interface carries). Replies of admitted connections are always allowed (stateful).
//! Egress rules are not evaluated (every group allows all egress, the AWS default). Each VPC has a
//! default group admitting only members of itself.
//! Sources: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html,
//! https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html
//! Not modelled: egress rules, network ACLs, prefix lists, connection tracking limits.

use std::net::Ipv4Addr;

use crate::model::ids::SecurityGroupId;
use crate::model::{RuleProtocol, RuleSource, SecurityGroup};

/// The first (group, rule index) of `attached` that admits the packet, if any.
///
/// `source_groups` are the groups of the sending interface when its group membership is visible
/// to the receiver (same VPC or a peered one); pass `&[]` otherwise.
pub fn admitting_rule(
    groups: &[SecurityGroup],
    attached: &[SecurityGroupId],
    protocol: RuleProtocol,
    port: u16,
    source_ip: Ipv4Addr,
    source_groups: &[SecurityGroupId],
) -> Option<(SecurityGroupId, usize)> {
    attached.iter().find_map(|&g| {
        groups[g.index()]
            .ingress
            .iter()
            .position(|rule| {
                let protocol_ok = rule.protocol == RuleProtocol::All || rule.protocol == protocol;
                let port_ok = rule.protocol == RuleProtocol::All
                    || (rule.from_port..=rule.to_port).contains(&port);
                protocol_ok
                    && port_ok
                    && rule.sources.iter().any(|source| match source {
                        RuleSource::Cidr(cidr) => cidr.contains(source_ip),
                        RuleSource::Group(group) => source_groups.contains(group),
                    })
            })
            .map(|r| (g, r))
    })
}

/// True if `attached` admits the packet (see [`admitting_rule`]).
pub fn admits(
    groups: &[SecurityGroup],
    attached: &[SecurityGroupId],
    protocol: RuleProtocol,
    port: u16,
    source_ip: Ipv4Addr,
    source_groups: &[SecurityGroupId],
) -> bool {
    admitting_rule(groups, attached, protocol, port, source_ip, source_groups).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IngressRule;
    use crate::model::ids::VpcId;

    fn group(rules: Vec<IngressRule>) -> SecurityGroup {
        SecurityGroup {
            name: "g".into(),
            vpc: VpcId(0),
            ingress: rules,
        }
    }

    #[test]
    fn matches_protocol_port_and_source() {
        let groups = vec![
            group(vec![IngressRule {
                protocol: RuleProtocol::Tcp,
                from_port: 80,
                to_port: 80,
                sources: vec![RuleSource::Cidr("10.11.0.0/26".parse().unwrap())],
            }]),
            group(vec![IngressRule {
                protocol: RuleProtocol::All,
                from_port: 0,
                to_port: 0,
                sources: vec![RuleSource::Group(SecurityGroupId(1))],
            }]),
        ];
        let inside: Ipv4Addr = "10.11.0.20".parse().unwrap();
        let outside: Ipv4Addr = "10.11.0.100".parse().unwrap();
        let web = [SecurityGroupId(0)];
        assert!(admits(&groups, &web, RuleProtocol::Tcp, 80, inside, &[]));
        assert!(!admits(&groups, &web, RuleProtocol::Tcp, 443, inside, &[]));
        assert!(!admits(&groups, &web, RuleProtocol::Udp, 80, inside, &[]));
        assert!(!admits(&groups, &web, RuleProtocol::Tcp, 80, outside, &[]));
        // A default-style group admits its own members on any port, nobody else.
        let default = [SecurityGroupId(1)];
        assert!(admits(
            &groups,
            &default,
            RuleProtocol::Tcp,
            8080,
            outside,
            &[SecurityGroupId(1)]
        ));
        assert!(!admits(
            &groups,
            &default,
            RuleProtocol::Tcp,
            8080,
            outside,
            &[]
        ));
        assert_eq!(
            admitting_rule(
                &groups,
                &[SecurityGroupId(1), SecurityGroupId(0)],
                RuleProtocol::Tcp,
                80,
                inside,
                &[]
            ),
            Some((SecurityGroupId(0), 0))
        );
    }
}
