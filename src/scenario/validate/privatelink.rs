//! Endpoint services, interface endpoints and their ENIs (docs/model.md PL-1 to PL-4, AZ-2).

use super::security::{Missing, group_list};
use super::{Built, Checker, Step, ensure, quoted};
use crate::kp;
use crate::model::ids::*;
use crate::model::{Endpoint, EndpointEni, EndpointService};
use crate::rules::privatelink;

/// Endpoint services and the load balancers behind them.
pub(super) fn services(c: &mut Checker<'_>, b: &mut Built) {
    let raw = c.raw;
    for (name, svc) in raw.endpoint_services.iter() {
        let base = kp!["endpoint_services", name];
        if svc.network_load_balancers.is_empty() {
            c.error(
                base.key("network_load_balancers"),
                None,
                "an endpoint service needs at least one network load balancer (docs/model.md PL-2)",
            );
        }
        let mut lbs = Vec::new();
        for (k, lb) in svc.network_load_balancers.iter().enumerate() {
            let path = base.key("network_load_balancers").index(k);
            if let Some(l) = c.reference(&raw.load_balancers, "load balancer", path.clone(), lb) {
                if lbs.contains(&LoadBalancerId::from_index(l)) {
                    c.error(
                        path,
                        Some(quoted(lb)),
                        "load balancer is listed twice (docs/model.md PL-3)",
                    );
                    continue;
                }
                lbs.push(LoadBalancerId::from_index(l));
            }
        }
        b.services.push(EndpointService {
            name: name.to_string(),
            load_balancers: lbs,
        });
    }
}

/// Interface endpoints: one ENI per subnet of the endpoint's VPC, at most one per AZ (PL-1),
/// only in AZs, by AZ ID, where the service has a node (PL-2, AZ-2).
pub(super) fn endpoints(c: &mut Checker<'_>, b: &mut Built) -> Step {
    let raw = c.raw;
    let mut ok = true;
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
                "private DNS names of endpoint services are not modelled: set false and add a record to a private hosted zone (docs/model.md PL-4)",
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
            b,
            base.key("security_group_ids"),
            ep.security_group_ids.as_ref(),
            vpc,
            Missing::DefaultGroup,
        );
        let endpoint_id = EndpointId::from_index(b.endpoints.len());
        let names = privatelink::endpoint_names(name, &b.services[service].name, &raw.region);
        if ep.subnet_ids.is_empty() {
            c.error(
                base.key("subnet_ids"),
                None,
                "an interface endpoint needs at least one subnet (docs/model.md PL-1)",
            );
        }
        let mut eni_ids: Vec<EniId> = Vec::new();
        // The subnets its ENIs sit in: those it lists, then those events add (EV-10), each once.
        let mut subnets: Vec<(crate::scenario::path::KeyPath, &str, bool)> = ep
            .subnet_ids
            .iter()
            .enumerate()
            .map(|(k, s)| (base.key("subnet_ids").index(k), s.as_str(), true))
            .collect();
        for (i, event) in raw.events.iter().enumerate() {
            let Some(add) = &event.add_endpoint_subnet else {
                continue;
            };
            if add.vpc_endpoint == name
                && !subnets.iter().any(|(_, s, _)| *s == add.subnet_id.as_str())
            {
                let path = kp!["events"]
                    .index(i)
                    .key("add_endpoint_subnet")
                    .key("subnet_id");
                subnets.push((path, add.subnet_id.as_str(), false));
            }
        }
        for (spath, subnet_name, initially_active) in subnets {
            let subnet_name = &subnet_name.to_string();
            let Some(s) = c.reference(&raw.subnets, "subnet", spath.clone(), subnet_name) else {
                continue;
            };
            let subnet = &b.subnets[s];
            if subnet.vpc != vpc {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!(
                        "subnet is not in the endpoint's VPC {} (docs/model.md PL-1)",
                        ep.vpc_id
                    ),
                );
                continue;
            }
            if let Some(other) = eni_ids
                .iter()
                .find(|e| b.enis[e.index()].zone == subnet.zone)
            {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!(
                        "subnet is in {} ({}) like {}: an interface endpoint takes at most one subnet per AZ (docs/model.md PL-1)",
                        subnet.az_name,
                        b.zones[subnet.zone.index()].az_id,
                        b.subnets[b.enis[other.index()].subnet.index()].name
                    ),
                );
                continue;
            }
            let service_lbs = &b.services[service].load_balancers;
            let candidates =
                privatelink::candidates(service_lbs, &b.load_balancers, &b.nodes, subnet.zone);
            if candidates.is_empty() {
                let enabled: Vec<String> = service_lbs
                    .iter()
                    .filter_map(|lb| b.load_balancers.get(lb.index()))
                    .flat_map(|l| l.nodes.iter())
                    .map(|n| {
                        let node = &b.nodes[n.index()];
                        format!(
                            "{} ({} in the provider's account)",
                            b.zones[node.zone.index()].az_id,
                            b.subnets[node.subnet.index()].az_name
                        )
                    })
                    .collect();
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    format!(
                        "subnet is in {} = {} for account {}, but service {} is only available in {}: PrivateLink matches AZs by AZ ID, not by name (docs/model.md PL-2, AZ-2)",
                        subnet.az_name,
                        b.zones[subnet.zone.index()].az_id,
                        b.accounts[b.vpcs[vpc.index()].account.index()].name,
                        ep.service_name,
                        enabled.join(", ")
                    ),
                );
                continue;
            }
            let (zone, az_name) = (subnet.zone, subnet.az_name.clone());
            let Some(ip) = b.assign(s, format!("endpoint {name}")) else {
                c.error(
                    spath,
                    Some(quoted(subnet_name)),
                    "subnet has no free address for the endpoint ENI (docs/model.md PL-1, NET-2)",
                );
                continue;
            };
            eni_ids.push(EniId::from_index(b.enis.len()));
            b.enis.push(EndpointEni {
                endpoint: endpoint_id,
                subnet: SubnetId::from_index(s),
                zone,
                ip,
                dns_name: names.zonal(&az_name),
                initially_active,
            });
        }
        if let Some(groups) = ensure(groups, &mut ok) {
            b.endpoints.push(Endpoint {
                name: name.to_string(),
                vpc,
                service: ServiceId::from_index(service),
                enis: eni_ids,
                security_groups: groups,
                dns_name: names.regional(),
                endpoint_id: names.endpoint_id().to_string(),
            });
        }
    }
    ok.then_some(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const SUBNETS: &str = "subnet_ids = [\"consumer-1\"]";

    #[test]
    fn one_eni_per_az_in_the_endpoints_vpc() {
        let text = edited(&[
            (SUBNETS, "subnet_ids = [\"consumer-1\", \"consumer-1b\"]"),
            (
                "[subnets.consumer-2]",
                "[subnets.consumer-1b]\nvpc_id = \"consumer\"\navailability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.192/26\"\n\n[subnets.consumer-2]",
            ),
        ]);
        assert_error(
            &text,
            "vpc_endpoints.provider-endpoint.subnet_ids[1]",
            "at most one subnet per AZ",
        );
        assert_error(
            &edited(&[(SUBNETS, "subnet_ids = [\"provider-1\"]")]),
            "vpc_endpoints.provider-endpoint.subnet_ids[0]",
            "not in the endpoint's VPC consumer",
        );
        assert_error(
            &edited(&[(SUBNETS, "subnet_ids = []")]),
            "vpc_endpoints.provider-endpoint.subnet_ids",
            "at least one subnet",
        );
        assert_error(
            &edited(&[("private_dns_enabled = false", "private_dns_enabled = true")]),
            "vpc_endpoints.provider-endpoint.private_dns_enabled",
            "not modelled",
        );
    }

    #[test]
    fn enis_only_where_the_service_has_a_node_by_az_id() {
        let text = edited(&[
            (
                "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
                "subnets = [\"provider-1\", \"provider-2\"]",
            ),
            (SUBNETS, "subnet_ids = [\"consumer-1\", \"consumer-3\"]"),
        ]);
        assert_error(
            &text,
            "vpc_endpoints.provider-endpoint.subnet_ids[1]",
            "PrivateLink matches AZs by AZ ID",
        );
        assert_error(
            &edited(&[(
                "network_load_balancers = [\"provider-nlb\"]",
                "network_load_balancers = []",
            )]),
            "endpoint_services.provider-svc.network_load_balancers",
            "at least one network load balancer",
        );
        assert_error(
            &edited(&[(
                "network_load_balancers = [\"provider-nlb\"]",
                "network_load_balancers = [\"provider-nlb\", \"provider-nlb\"]",
            )]),
            "endpoint_services.provider-svc.network_load_balancers[1]",
            "listed twice",
        );
    }

    #[test]
    fn endpoint_names_are_stable_and_zonal_names_carry_the_az() {
        let s = crate::scenario::parse("t.toml", "t", CROSSZONE).unwrap();
        let t = &s.variants[0].topology;
        let endpoint = &t.endpoints[0];
        assert!(endpoint.dns_name.ends_with(".us-east-1.vpce.amazonaws.com"));
        assert!(endpoint.dns_name.starts_with("vpce-"));
        let zonal = &t.enis[0].dns_name;
        assert!(zonal.contains("-us-east-1a.vpce-svc-"), "{zonal}");
        let again = crate::scenario::parse("t.toml", "t", CROSSZONE).unwrap();
        assert_eq!(
            again.variants[0].topology.endpoints[0].dns_name,
            endpoint.dns_name
        );
    }
}
