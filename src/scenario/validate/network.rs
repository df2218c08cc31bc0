//! Accounts and their AZ maps, VPCs, subnets and peerings (docs/model.md AZ-1, NET-1, PL-9).

use super::{Built, Checker, Step, ensure, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{Account, Subnet, Vpc, Zone};

/// Accounts and the physical zones their AZ maps name (AZ-1).
pub(super) fn accounts(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
    if raw.accounts.is_empty() {
        c.error(
            kp!["accounts"],
            None,
            "define at least one account with its AZ name -> AZ ID map (docs/model.md AZ-1), e.g. [accounts.lab] az_ids = { us-east-1a = \"use1-az1\" }",
        );
        return None;
    }
    for (name, account) in raw.accounts.iter() {
        let mut az_names = Vec::new();
        for (az_name, az_id) in account.az_ids.iter() {
            let path = kp!["accounts", name, "az_ids", az_name];
            let zone = match b.zones.iter().position(|z| z.az_id == *az_id) {
                Some(i) => ZoneId::from_index(i),
                None => {
                    b.zones.push(Zone {
                        az_id: az_id.clone(),
                    });
                    ZoneId::from_index(b.zones.len() - 1)
                }
            };
            if let Some((other, _)) = az_names.iter().find(|(_, z)| *z == zone) {
                c.error(
                    path,
                    Some(quoted(az_id)),
                    format!("AZ ID is already mapped to {other} in this account: each AZ name of an account is a different physical zone (docs/model.md AZ-1)"),
                );
            }
            az_names.push((az_name.to_string(), zone));
        }
        b.accounts.push(Account {
            name: name.to_string(),
            az_names,
        });
    }
    Some(())
}

/// VPCs, each with its implicit default security group (ids after the user's groups).
pub(super) fn vpcs(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
    let user_groups = raw.security_groups.len();
    let mut ok = true;
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
                    "missing `account`: the scenario has several accounts (docs/model.md AZ-1)",
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
                    "a VPC CIDR block must be between /16 and /28 (docs/model.md NET-1)",
                );
            }
        }
        if let (Some(account), Some(cidr)) = (account, cidr) {
            b.vpcs.push(Vpc {
                name: name.to_string(),
                account: AccountId::from_index(account),
                cidr,
                default_security_group: SecurityGroupId::from_index(user_groups + i),
            });
        } else {
            ok = false;
        }
    }
    b.used = vec![Default::default(); b.vpcs.len()];
    ok.then_some(())
}

/// Subnets: in their VPC's CIDR, not overlapping, placed by an AZ name of the VPC's account.
pub(super) fn subnets(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
    let mut ok = true;
    for (name, subnet) in raw.subnets.iter() {
        let base = kp!["subnets", name];
        let Some(vpc) = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &subnet.vpc_id) else {
            ok = false;
            continue;
        };
        let account = &b.accounts[b.vpcs[vpc].account.index()];
        let zone = account.zone_of(&subnet.availability_zone);
        if zone.is_none() {
            let names: Vec<&str> = account.az_names.iter().map(|(n, _)| n.as_str()).collect();
            c.error(
                base.key("availability_zone"),
                Some(quoted(&subnet.availability_zone)),
                format!(
                    "account {} has no AZ of that name (its az_ids map: {}) (docs/model.md AZ-1)",
                    account.name,
                    names.join(", ")
                ),
            );
        }
        let cidr = c.cidr(base.key("cidr_block"), &subnet.cidr_block);
        if let Some(cidr) = cidr {
            let vpc_cidr = b.vpcs[vpc].cidr;
            if !vpc_cidr.contains_block(&cidr) {
                c.error(
                    base.key("cidr_block"),
                    Some(quoted(&subnet.cidr_block)),
                    format!(
                        "subnet CIDR is outside its VPC {} ({vpc_cidr}) (docs/model.md NET-1)",
                        b.vpcs[vpc].name
                    ),
                );
            } else if !(16..=28).contains(&cidr.prefix()) {
                c.error(
                    base.key("cidr_block"),
                    Some(quoted(&subnet.cidr_block)),
                    "a subnet CIDR block must be between /16 and /28 (docs/model.md NET-1)",
                );
            }
            if let Some(other) = b
                .subnets
                .iter()
                .find(|s| s.vpc.index() == vpc && s.cidr.overlaps(&cidr))
            {
                c.error(
                    base.key("cidr_block"),
                    Some(quoted(&subnet.cidr_block)),
                    format!(
                        "overlaps subnet {} ({}) of the same VPC (docs/model.md NET-1)",
                        other.name, other.cidr
                    ),
                );
            }
        }
        if let (Some(zone), Some(cidr)) = (ensure(zone, &mut ok), ensure(cidr, &mut ok)) {
            b.subnets.push(Subnet {
                name: name.to_string(),
                vpc: VpcId::from_index(vpc),
                az_name: subnet.availability_zone.clone(),
                zone,
                cidr,
            });
        }
    }
    ok.then_some(())
}

/// VPC peerings: never between overlapping CIDRs (PL-9).
pub(super) fn peerings(c: &mut Checker<'_>, b: &mut Built) {
    let raw = c.raw;
    for (name, peering) in raw.vpc_peerings.iter() {
        let base = kp!["vpc_peerings", name];
        let a = c.reference(&raw.vpcs, "VPC", base.key("vpc_id"), &peering.vpc_id);
        let other = c.reference(
            &raw.vpcs,
            "VPC",
            base.key("peer_vpc_id"),
            &peering.peer_vpc_id,
        );
        let (Some(a), Some(other)) = (a, other) else {
            continue;
        };
        let (va, vb) = (&b.vpcs[a], &b.vpcs[other]);
        if a == other {
            c.error(
                base.key("peer_vpc_id"),
                Some(quoted(&peering.peer_vpc_id)),
                "a VPC cannot peer with itself (docs/model.md PL-9)",
            );
        } else if va.cidr.overlaps(&vb.cidr) {
            c.error(
                base.key("peer_vpc_id"),
                Some(quoted(&peering.peer_vpc_id)),
                format!(
                    "VPC peering cannot be created between overlapping CIDRs ({} {} and {} {}): connect them with PrivateLink (an endpoint service and an interface endpoint), which works across overlapping ranges (docs/model.md PL-9)",
                    va.name, va.cidr, vb.name, vb.cidr
                ),
            );
        } else {
            b.peerings
                .push((VpcId::from_index(a), VpcId::from_index(other)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn az_ids_map_once_per_account_and_subnets_use_its_names() {
        assert_error(
            &edited(&[("us-east-1c = \"use1-az4\"", "us-east-1c = \"use1-az1\"")]),
            "accounts.lab.az_ids.us-east-1c",
            "already mapped to us-east-1a",
        );
        assert_error(
            &edited(&[(
                "availability_zone = \"us-east-1c\"",
                "availability_zone = \"us-east-1f\"",
            )]),
            "subnets.provider-3.availability_zone",
            "account lab has no AZ of that name",
        );
        assert_error(
            &edited(&[(
                "[accounts.lab]",
                "[accounts.other]\naz_ids = {}\n\n[accounts.lab]",
            )]),
            "vpcs.provider",
            "missing `account`",
        );
    }

    #[test]
    fn cidrs_nest_do_not_overlap_and_have_sizes_aws_allows() {
        assert_error(
            &edited(&[(
                "cidr_block = \"10.11.0.128/26\"",
                "cidr_block = \"10.12.0.128/26\"",
            )]),
            "subnets.provider-3.cidr_block",
            "outside its VPC provider",
        );
        assert_error(
            &edited(&[(
                "cidr_block = \"10.11.0.64/26\"",
                "cidr_block = \"10.11.0.0/25\"",
            )]),
            "subnets.provider-2.cidr_block",
            "overlaps subnet provider-1",
        );
        assert_error(
            &edited(&[(
                "[vpcs.provider]\ncidr_block = \"10.11.0.0/24\"",
                "[vpcs.provider]\ncidr_block = \"10.0.0.0/8\"",
            )]),
            "vpcs.provider.cidr_block",
            "between /16 and /28",
        );
        assert_error(
            &edited(&[(
                "cidr_block = \"10.11.0.0/26\"",
                "cidr_block = \"10.11.0.0/29\"",
            )]),
            "subnets.provider-1.cidr_block",
            "between /16 and /28",
        );
        assert_error(
            &edited(&[(
                "cidr_block = \"10.11.0.0/26\"",
                "cidr_block = \"10.11.0.1/26\"",
            )]),
            "subnets.provider-1.cidr_block",
            "host bits",
        );
    }

    #[test]
    fn peerings_refuse_overlapping_cidrs_and_point_to_privatelink() {
        let text = format!(
            "{CROSSZONE}\n[vpc_peerings.p]\nvpc_id = \"provider\"\npeer_vpc_id = \"consumer\"\n"
        );
        assert_error(
            &text,
            "vpc_peerings.p.peer_vpc_id",
            "connect them with PrivateLink",
        );
        let text = format!(
            "{CROSSZONE}\n[vpc_peerings.p]\nvpc_id = \"provider\"\npeer_vpc_id = \"provider\"\n"
        );
        assert_error(
            &text,
            "vpc_peerings.p.peer_vpc_id",
            "cannot peer with itself",
        );
    }
}
