//! Security groups: stateful, allow-only rules on network interfaces (docs/model.md SG-1 to SG-4).
//!
//! Modelled: a new connection leaves its initiator only if a rule of the initiator's groups
//! allows it out (egress: protocol, destination port, and the destination's address or one of its
//! groups), and reaches the receiver only if a rule of the receiver's groups admits it (ingress:
//! protocol, port, and the source's address or one of its groups). Group references match only
//! interfaces whose membership the other side can see: the same VPC or a peered one. Replies of an
//! admitted connection always pass (stateful). An interface with no group at all (a load
//! balancer created without security groups) filters nothing. Every VPC has a default group that
//! admits only its own members; a group written without `egress` allows all outbound traffic,
//! as AWS creates groups.
//! One function, [`connection`], decides every connection the model opens: client -> endpoint ENI,
//! client -> NLB (PrivateLink, inbound rules only), and NLB node -> target, for traffic and health
//! checks alike (docs/model.md NLB-10, HC-1).
//! Only the rules in their group at that instant count: a rule written with `active = false`, or
//! revoked by an event, matches nothing until an event authorizes it ([`crate::state::Admin`],
//! EV-7). A change applies to new connections only: what is established stays (SG-1), and nothing
//! after the handshake evaluates the groups again.
//! Sources: <https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html>,
//! <https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>,
//! <https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>
//! Not modelled: network ACLs, prefix lists, connection tracking limits, IPv6 rules.

use std::net::Ipv4Addr;

pub use crate::model::Direction;
use crate::model::ids::{SecurityGroupId, VpcId};
use crate::model::{Peer, RuleProtocol, SecurityGroup, SgRule, Topology};
use crate::state::{Admin, RuleActivity};

/// One end of a connection as security groups see it.
#[derive(Copy, Clone, Debug)]
pub struct Side<'a> {
    /// Its private IP.
    pub ip: Ipv4Addr,
    /// Its VPC (group references are visible within it and its peers).
    pub vpc: VpcId,
    /// The groups on its interface (empty: none, nothing is filtered on this side).
    pub groups: &'a [SecurityGroupId],
}

/// Which rule let a connection through, or where it was dropped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Admitted: the receiver's ingress rule that matched (group, rule index), `None` when the
    /// receiver has no groups.
    Admitted(Option<(SecurityGroupId, usize)>),
    /// No egress rule of the initiator's groups lets it out.
    EgressDenied,
    /// No ingress rule of the receiver's groups admits it.
    IngressDenied,
}

impl Verdict {
    /// True for [`Verdict::Admitted`].
    pub fn admitted(self) -> bool {
        matches!(self, Verdict::Admitted(_))
    }
}

/// Decides a new connection from `from` to `to` on `protocol` / `port` under the rules `admin`
/// has in force: the initiator's egress rules ([`leaves`]), then the receiver's ingress rules
/// ([`admits`]). With `egress` false only the ingress side is evaluated (traffic that reaches an
/// NLB through PrivateLink leaves no interface of the client's that the NLB's rules could see).
pub fn connection(
    t: &Topology,
    admin: &Admin,
    from: Side<'_>,
    to: Side<'_>,
    protocol: RuleProtocol,
    port: u16,
    egress: bool,
) -> Verdict {
    if egress && !leaves(t, admin, from, to, protocol, port) {
        return Verdict::EgressDenied;
    }
    admits(t, admin, from, to, protocol, port)
}

/// True if the initiator's egress rules in force let the connection out (an interface with no
/// group filters nothing: SG-3).
pub fn leaves(
    t: &Topology,
    admin: &Admin,
    from: Side<'_>,
    to: Side<'_>,
    protocol: RuleProtocol,
    port: u16,
) -> bool {
    if from.groups.is_empty() {
        return true;
    }
    matching_rule(
        &t.security_groups,
        &admin.rules,
        from.groups,
        Direction::Egress,
        protocol,
        port,
        to.ip,
        groups_seen(t, from, to),
    )
    .is_some()
}

/// The receiver's ingress rules in force: [`Verdict::Admitted`] with the rule that matched (`None`
/// when it has no group), or [`Verdict::IngressDenied`] (SG-1, SG-2).
pub fn admits(
    t: &Topology,
    admin: &Admin,
    from: Side<'_>,
    to: Side<'_>,
    protocol: RuleProtocol,
    port: u16,
) -> Verdict {
    if to.groups.is_empty() {
        return Verdict::Admitted(None);
    }
    let from_groups = groups_seen(t, to, from);
    match matching_rule(
        &t.security_groups,
        &admin.rules,
        to.groups,
        Direction::Ingress,
        protocol,
        port,
        from.ip,
        from_groups,
    ) {
        Some(rule) => Verdict::Admitted(Some(rule)),
        None => Verdict::IngressDenied,
    }
}

/// The groups of `peer` that rules on `me` can match: all of them in the same or a peered VPC,
/// none otherwise (SG-2).
fn groups_seen<'a>(t: &Topology, me: Side<'_>, peer: Side<'a>) -> &'a [SecurityGroupId] {
    if t.vpc_sees_groups_of(me.vpc, peer.vpc) {
        peer.groups
    } else {
        &[]
    }
}

/// The first (group, rule index) of `attached` whose `direction` rules, among those `active`
/// keeps in their group, match a packet whose other end has `peer_ip` and carries `peer_groups`
/// (pass `&[]` when its membership is not visible).
#[allow(clippy::too_many_arguments)]
pub fn matching_rule(
    groups: &[SecurityGroup],
    active: &RuleActivity,
    attached: &[SecurityGroupId],
    direction: Direction,
    protocol: RuleProtocol,
    port: u16,
    peer_ip: Ipv4Addr,
    peer_groups: &[SecurityGroupId],
) -> Option<(SecurityGroupId, usize)> {
    attached.iter().find_map(|&g| {
        let group = &groups[g.index()];
        let rules = match direction {
            Direction::Ingress => &group.ingress,
            Direction::Egress => &group.egress,
        };
        rules
            .iter()
            .enumerate()
            .position(|(r, rule)| {
                active.active(g, direction, r)
                    && rule_matches(rule, protocol, port, peer_ip, peer_groups)
            })
            .map(|r| (g, r))
    })
}

fn rule_matches(
    rule: &SgRule,
    protocol: RuleProtocol,
    port: u16,
    peer_ip: Ipv4Addr,
    peer_groups: &[SecurityGroupId],
) -> bool {
    let protocol_ok = rule.protocol == RuleProtocol::All || rule.protocol == protocol;
    let port_ok =
        rule.protocol == RuleProtocol::All || (rule.from_port..=rule.to_port).contains(&port);
    protocol_ok
        && port_ok
        && rule.peers.iter().any(|peer| match peer {
            Peer::Cidr(cidr) => cidr.contains(peer_ip),
            Peer::Group(group) => peer_groups.contains(group),
        })
}

impl Topology {
    /// True if interfaces in `a` and `b` see each other's group membership: the same VPC or a
    /// peered pair (docs/model.md SG-2).
    pub fn vpc_sees_groups_of(&self, a: VpcId, b: VpcId) -> bool {
        a == b
            || self
                .peerings
                .iter()
                .any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(ingress: Vec<SgRule>, egress: Vec<SgRule>) -> SecurityGroup {
        SecurityGroup {
            name: "g".into(),
            vpc: VpcId(0),
            ingress,
            egress,
        }
    }

    fn tcp(port: u16, peers: Vec<Peer>) -> SgRule {
        SgRule {
            protocol: RuleProtocol::Tcp,
            from_port: port,
            to_port: port,
            peers,
            active: true,
        }
    }

    #[test]
    fn matches_protocol_port_and_peer() {
        let groups = vec![
            group(
                vec![tcp(80, vec![Peer::Cidr("10.11.0.0/26".parse().unwrap())])],
                vec![],
            ),
            group(
                vec![SgRule {
                    protocol: RuleProtocol::All,
                    from_port: 0,
                    to_port: 0,
                    peers: vec![Peer::Group(SecurityGroupId(1))],
                    active: true,
                }],
                vec![SgRule::allow_all()],
            ),
        ];
        let inside: Ipv4Addr = "10.11.0.20".parse().unwrap();
        let outside: Ipv4Addr = "10.11.0.100".parse().unwrap();
        let web = [SecurityGroupId(0)];
        let active = RuleActivity::initial(&groups);
        let admits = |attached: &[SecurityGroupId], proto, port, ip, peer: &[SecurityGroupId]| {
            matching_rule(
                &groups,
                &active,
                attached,
                Direction::Ingress,
                proto,
                port,
                ip,
                peer,
            )
            .is_some()
        };
        assert!(admits(&web, RuleProtocol::Tcp, 80, inside, &[]));
        assert!(!admits(&web, RuleProtocol::Tcp, 443, inside, &[]));
        assert!(!admits(&web, RuleProtocol::Udp, 80, inside, &[]));
        assert!(!admits(&web, RuleProtocol::Tcp, 80, outside, &[]));
        // A default-style group admits its own members on any port, nobody else.
        let default = [SecurityGroupId(1)];
        assert!(admits(
            &default,
            RuleProtocol::Tcp,
            8080,
            outside,
            &[SecurityGroupId(1)]
        ));
        assert!(!admits(&default, RuleProtocol::Tcp, 8080, outside, &[]));
        // Egress: the web group has none (nothing goes out), the default allows all.
        let out = |attached: &[SecurityGroupId]| {
            matching_rule(
                &groups,
                &active,
                attached,
                Direction::Egress,
                RuleProtocol::Tcp,
                80,
                outside,
                &[],
            )
        };
        assert_eq!(out(&web), None);
        assert_eq!(out(&default), Some((SecurityGroupId(1), 0)));
        assert_eq!(
            matching_rule(
                &groups,
                &active,
                &[SecurityGroupId(1), SecurityGroupId(0)],
                Direction::Ingress,
                RuleProtocol::Tcp,
                80,
                inside,
                &[]
            ),
            Some((SecurityGroupId(0), 0))
        );
    }

    #[test]
    fn only_the_rules_in_force_match() {
        // web: ingress[0] admits 10.11.0.0/26 on 80, ingress[1] (written inactive) admits the
        // whole VPC on 80.
        let mut wide = tcp(80, vec![Peer::Cidr("10.11.0.0/24".parse().unwrap())]);
        wide.active = false;
        let groups = vec![group(
            vec![
                tcp(80, vec![Peer::Cidr("10.11.0.0/26".parse().unwrap())]),
                wide,
            ],
            vec![SgRule::allow_all()],
        )];
        let web = [SecurityGroupId(0)];
        let inside: Ipv4Addr = "10.11.0.20".parse().unwrap();
        let farther: Ipv4Addr = "10.11.0.100".parse().unwrap();
        let mut active = RuleActivity::initial(&groups);
        let matched = |active: &RuleActivity, ip: Ipv4Addr, direction: Direction| {
            matching_rule(
                &groups,
                active,
                &web,
                direction,
                RuleProtocol::Tcp,
                80,
                ip,
                &[],
            )
        };
        // As written: the inactive rule matches nothing.
        assert_eq!(
            matched(&active, inside, Direction::Ingress),
            Some((SecurityGroupId(0), 0))
        );
        assert_eq!(matched(&active, farther, Direction::Ingress), None);
        // Authorized: it admits the wider block; the first rule still matches first.
        active.set(SecurityGroupId(0), Direction::Ingress, 1, true);
        assert_eq!(
            matched(&active, farther, Direction::Ingress),
            Some((SecurityGroupId(0), 1))
        );
        assert_eq!(
            matched(&active, inside, Direction::Ingress),
            Some((SecurityGroupId(0), 0))
        );
        // The first revoked: the second takes over where it matches.
        active.set(SecurityGroupId(0), Direction::Ingress, 0, false);
        assert_eq!(
            matched(&active, inside, Direction::Ingress),
            Some((SecurityGroupId(0), 1))
        );
        // The allow-all egress revoked: nothing goes out; the ingress list is untouched.
        assert!(matched(&active, farther, Direction::Egress).is_some());
        active.set(SecurityGroupId(0), Direction::Egress, 0, false);
        assert_eq!(matched(&active, farther, Direction::Egress), None);
        assert!(active.active(SecurityGroupId(0), Direction::Ingress, 1));
        let initial = RuleActivity::initial(&groups);
        let changed: Vec<_> = active.differences(&initial).collect();
        assert_eq!(
            changed,
            [
                (SecurityGroupId(0), Direction::Ingress, 0, false),
                (SecurityGroupId(0), Direction::Ingress, 1, true),
                (SecurityGroupId(0), Direction::Egress, 0, false),
            ]
        );
    }
}
