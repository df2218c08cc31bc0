//! Private hosted zones and their records (docs/model.md DNS-1 to DNS-3).

use std::collections::HashSet;
use std::net::Ipv4Addr;

use super::{Built, Checker, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{HostedZone, Record, RecordTarget};
use crate::scenario::KeyPath;
use crate::time::Span;

/// Zones associated with at least one VPC; records by type: A with addresses and a TTL, alias A
/// to an endpoint (regional, or zonal with `subnet_id`) without one, CNAME with one name.
pub(super) fn zones(c: &mut Checker<'_>, b: &mut Built) {
    let raw = c.raw;

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
                "a private hosted zone needs at least one associated VPC (docs/model.md DNS-1)",
            );
        }
        let mut records: Vec<Record> = Vec::new();
        let mut names: HashSet<String> = HashSet::new();
        for (k, record) in zone.records.iter().enumerate() {
            let rpath = base.key("records").index(k);
            let name = record.name.trim_end_matches('.').to_ascii_lowercase();
            let fqdn = if name == apex || name.ends_with(&format!(".{apex}")) {
                name
            } else {
                format!("{name}.{apex}")
            };
            if !names.insert(fqdn.clone()) {
                c.error(
                    rpath.key("name"),
                    Some(quoted(&record.name)),
                    format!("{fqdn} already has a record in this zone (docs/model.md DNS-1)"),
                );
                continue;
            }
            let ttl = record.ttl.map(|t| Span::from_secs(u64::from(t)));
            let target = match (record.record_type.as_str(), &record.alias) {
                ("A", Some(alias)) => {
                    if record.ttl.is_some() {
                        c.error(rpath.key("ttl"), record.ttl.map(|t| t.to_string()), "alias records take the TTL of their target (60s for endpoint and load balancer names): remove `ttl` (docs/model.md DNS-2)");
                    }
                    if !record.records.is_empty() {
                        c.error(
                            rpath.key("records"),
                            None,
                            "an alias record has no `records` (docs/model.md DNS-2)",
                        );
                    }
                    let apath = rpath.key("alias");
                    let (endpoint, load_balancer) = match (
                        &alias.vpc_endpoint,
                        &alias.load_balancer,
                    ) {
                        (Some(e), None) => (e, None),
                        (None, Some(lb)) => {
                            if alias.subnet_id.is_some() {
                                c.error(
                                        apath.key("subnet_id"),
                                        alias.subnet_id.as_deref().map(quoted),
                                        "an alias to a load balancer names its regional name: use a CNAME to a zonal name (AZ.NAME) instead (docs/model.md NLB-11)",
                                    );
                            }
                            let Some(l) = c.reference(
                                &raw.load_balancers,
                                "load balancer",
                                apath.key("load_balancer"),
                                lb,
                            ) else {
                                continue;
                            };
                            (lb, Some(l))
                        }
                        _ => {
                            c.error(
                                apath,
                                None,
                                "an alias names either `vpc_endpoint` or `load_balancer` (docs/model.md DNS-2)",
                            );
                            continue;
                        }
                    };
                    if let Some(l) = load_balancer {
                        records.push(Record {
                            fqdn,
                            target: RecordTarget::LoadBalancerAlias {
                                load_balancer: LoadBalancerId::from_index(l),
                                node: None,
                            },
                            ttl: crate::rules::nlb::dns::TTL,
                        });
                        continue;
                    }
                    let Some(e) = c.reference(
                        &raw.vpc_endpoints,
                        "VPC endpoint",
                        apath.key("vpc_endpoint"),
                        endpoint,
                    ) else {
                        continue;
                    };
                    let eni = match &alias.subnet_id {
                        None => None,
                        Some(subnet_name) => {
                            let found = b.endpoints[e].enis.iter().copied().find(|eni| {
                                b.subnets[b.enis[eni.index()].subnet.index()].name == *subnet_name
                            });
                            if found.is_none() {
                                c.error(
                                    apath.key("subnet_id"),
                                    Some(quoted(subnet_name)),
                                    format!("endpoint {endpoint} has no ENI in that subnet (docs/model.md DNS-2)"),
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
                            "an A record needs `records` (addresses) or an `alias` (docs/model.md DNS-2)",
                        );
                    }
                    let Some(ttl) = required_ttl(c, rpath, ttl) else {
                        continue;
                    };
                    (RecordTarget::Addresses(addresses), ttl)
                }
                ("CNAME", None) => {
                    if record.records.len() != 1 {
                        c.error(
                            rpath.key("records"),
                            None,
                            "a CNAME record takes exactly one name in `records` (docs/model.md DNS-3)",
                        );
                        continue;
                    }
                    let Some(ttl) = required_ttl(c, rpath, ttl) else {
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
                        "alias records (to an endpoint or a load balancer) are of type A (docs/model.md DNS-2)",
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
        b.hosted_zones.push(HostedZone {
            name: apex,
            vpcs: zone_vpcs,
            records,
        });
    }
}

/// The `ttl` a record that is not an alias must give, or an error at the record (DNS-2).
fn required_ttl(c: &mut Checker<'_>, record: KeyPath, ttl: Option<Span>) -> Option<Span> {
    if ttl.is_none() {
        c.error(
            record,
            None,
            "missing `ttl` (seconds): records that are not aliases need one (docs/model.md DNS-2)",
        );
    }
    ttl
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const RECORD: &str = "records = [{ name = \"provider-nlb\", type = \"A\", alias = { vpc_endpoint = \"provider-endpoint\" } }]";

    fn with_records(records: &str) -> String {
        edited(&[(RECORD, &format!("records = [{records}]"))])
    }

    #[test]
    fn alias_records_take_their_targets_ttl_and_others_need_one() {
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"A\", ttl = 30, alias = { vpc_endpoint = \"provider-endpoint\" } }",
            ),
            "route53_zones.\"example.local\".records[0].ttl",
            "take the TTL of their target",
        );
        assert_error(
            &with_records("{ name = \"provider-nlb\", type = \"A\", records = [\"10.11.0.9\"] }"),
            "route53_zones.\"example.local\".records[0]",
            "missing `ttl`",
        );
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"CNAME\", records = [\"a.example.local\"] }",
            ),
            "route53_zones.\"example.local\".records[0]",
            "missing `ttl`",
        );
    }

    #[test]
    fn records_are_well_formed() {
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"A\", ttl = 60, records = [\"ten\"] }",
            ),
            "route53_zones.\"example.local\".records[0].records[0]",
            "IPv4 address",
        );
        assert_error(
            &with_records("{ name = \"provider-nlb\", type = \"A\", ttl = 60 }"),
            "route53_zones.\"example.local\".records[0].records",
            "needs `records`",
        );
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"CNAME\", ttl = 60, records = [\"a\", \"b\"] }",
            ),
            "route53_zones.\"example.local\".records[0].records",
            "exactly one name",
        );
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"MX\", ttl = 60, records = [\"a\"] }",
            ),
            "route53_zones.\"example.local\".records[0].type",
            "\"A\" or \"CNAME\"",
        );
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"A\", alias = { vpc_endpoint = \"provider-endpoint\", subnet_id = \"consumer-2\" } }",
            ),
            "route53_zones.\"example.local\".records[0].alias.subnet_id",
            "no ENI in that subnet",
        );
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"A\", ttl = 60, records = [\"10.11.0.9\"] }, { name = \"provider-nlb.example.local\", type = \"A\", ttl = 60, records = [\"10.11.0.9\"] }",
            ),
            "route53_zones.\"example.local\".records[1].name",
            "already has a record",
        );
        assert_error(
            &with_records(
                "{ name = \"provider-nlb\", type = \"A\", records = [\"10.11.0.9\"], alias = { vpc_endpoint = \"provider-endpoint\" } }",
            ),
            "route53_zones.\"example.local\".records[0].records",
            "an alias record has no `records` (docs/model.md DNS-2)",
        );
        assert_error(
            &edited(&[("vpc_ids = [\"consumer\"]", "vpc_ids = []")]),
            "route53_zones.\"example.local\".vpc_ids",
            "at least one associated VPC",
        );
    }
}
