//! Tests of the emitter: each resource family, names, TODO and dropped comments, and that what
//! it writes loads as a scenario.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::import::ir::{Location, Provider};

/// `module.m.aws_x.name[0]` (count indices and module names only).
fn addr(text: &str) -> Address {
    let mut parts: Vec<&str> = text.split('.').collect();
    let mut module = Vec::new();
    while parts.first() == Some(&"module") {
        module.push(ModuleStep {
            name: parts[1].to_string(),
            index: None,
        });
        parts.drain(..2);
    }
    let (name, index) = match parts[1].split_once('[') {
        Some((n, i)) => (
            n,
            Some(Index::Count(
                i.trim_end_matches(']').parse().expect("index"),
            )),
        ),
        None => (parts[1], None),
    };
    Address {
        module,
        mode: Mode::Managed,
        kind: parts[0].to_string(),
        name: name.to_string(),
        index,
    }
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn to(address: &str) -> Value {
    Value::Ref {
        to: addr(address),
        attribute: "id".into(),
    }
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn res(address: &str, values: Vec<(&str, Value)>) -> Resource {
    res_in(address, "aws", values)
}

fn res_in(address: &str, provider: &str, values: Vec<(&str, Value)>) -> Resource {
    Resource {
        address: addr(address),
        provider: provider.into(),
        values: values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        at: Some(Location {
            file: PathBuf::from("main.tf"),
            line: 7,
        }),
    }
}

fn az_map(ids: [&str; 3]) -> BTreeMap<String, String> {
    ["us-east-1a", "us-east-1b", "us-east-1c"]
        .into_iter()
        .zip(ids)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn provider(key: &str, ids: [&str; 3]) -> Provider {
    Provider {
        key: key.into(),
        region: Some("us-east-1".into()),
        az_ids: az_map(ids),
    }
}

/// The crosszone system as the readers would give it.
fn crosszone() -> Vec<Resource> {
    let mut r = vec![
        res("aws_vpc.provider", vec![("cidr_block", s("10.11.0.0/24"))]),
        res("aws_vpc.consumer", vec![("cidr_block", s("10.11.0.0/24"))]),
    ];
    for (i, (az, cidr)) in [
        ("us-east-1a", "10.11.0.0/26"),
        ("us-east-1b", "10.11.0.64/26"),
        ("us-east-1c", "10.11.0.128/26"),
    ]
    .into_iter()
    .enumerate()
    {
        for side in ["provider", "consumer"] {
            r.push(res(
                &format!("module.{side}.aws_subnet.private[{i}]"),
                vec![
                    ("vpc_id", to(&format!("aws_vpc.{side}"))),
                    ("availability_zone", s(az)),
                    ("cidr_block", s(cidr)),
                ],
            ));
        }
    }
    let ingress = |cidr: &str| {
        list(vec![map(vec![
            ("protocol", s("tcp")),
            ("from_port", n(80.0)),
            ("to_port", n(80.0)),
            ("cidr_blocks", list(vec![s(cidr)])),
        ])])
    };
    r.push(res(
        "aws_security_group.web",
        vec![
            ("vpc_id", to("aws_vpc.provider")),
            ("ingress", ingress("10.11.0.0/24")),
            ("tags", map(vec![("Name", s("web servers"))])),
        ],
    ));
    r.push(res(
        "aws_security_group.endpoint",
        vec![
            ("vpc_id", to("aws_vpc.consumer")),
            ("description", s("HTTP from the consumer")),
            ("ingress", ingress("10.11.0.0/24")),
        ],
    ));
    for i in 0..3 {
        r.push(res(
            &format!("aws_instance.web[{i}]"),
            vec![
                ("ami", s("ami-1")),
                (
                    "subnet_id",
                    to(&format!("module.provider.aws_subnet.private[{i}]")),
                ),
                (
                    "vpc_security_group_ids",
                    list(vec![to("aws_security_group.web")]),
                ),
                (
                    "user_data",
                    s(&format!(
                        "#!/bin/bash\necho \"Hello from Subnet {}\" > index.html\npython3 -m http.server 80\n",
                        i + 1
                    )),
                ),
                ("tags", map(vec![("Name", s(&format!("web-{}", i + 1)))])),
            ],
        ));
    }
    r.push(res(
        "aws_instance.client",
        vec![("subnet_id", to("module.consumer.aws_subnet.private[0]"))],
    ));
    r.push(res(
        "aws_lb.nlb",
        vec![
            ("load_balancer_type", s("network")),
            ("internal", Value::Bool(true)),
            (
                "subnets",
                list(
                    (0..3)
                        .map(|i| to(&format!("module.provider.aws_subnet.private[{i}]")))
                        .collect(),
                ),
            ),
        ],
    ));
    r.push(res(
        "aws_lb_target_group.web",
        vec![
            ("port", n(80.0)),
            ("protocol", s("TCP")),
            ("vpc_id", to("aws_vpc.provider")),
            (
                "health_check",
                list(vec![map(vec![
                    ("protocol", s("TCP")),
                    ("interval", n(30.0)),
                    ("healthy_threshold", n(3.0)),
                    ("unhealthy_threshold", n(3.0)),
                ])]),
            ),
        ],
    ));
    for i in 0..3 {
        r.push(res(
            &format!("aws_lb_target_group_attachment.web[{i}]"),
            vec![
                ("target_group_arn", to("aws_lb_target_group.web")),
                ("target_id", to(&format!("aws_instance.web[{i}]"))),
                ("port", n(80.0)),
            ],
        ));
    }
    r.push(res(
        "aws_lb_listener.web",
        vec![
            ("load_balancer_arn", to("aws_lb.nlb")),
            ("port", n(80.0)),
            ("protocol", s("TCP")),
            (
                "default_action",
                list(vec![map(vec![
                    ("type", s("forward")),
                    ("target_group_arn", to("aws_lb_target_group.web")),
                ])]),
            ),
        ],
    ));
    r.push(res(
        "aws_vpc_endpoint_service.svc",
        vec![
            ("network_load_balancer_arns", list(vec![to("aws_lb.nlb")])),
            ("acceptance_required", Value::Bool(false)),
        ],
    ));
    r.push(res(
        "aws_vpc_endpoint.ep",
        vec![
            ("vpc_id", to("aws_vpc.consumer")),
            ("service_name", to("aws_vpc_endpoint_service.svc")),
            ("vpc_endpoint_type", s("Interface")),
            (
                "subnet_ids",
                list(vec![to("module.consumer.aws_subnet.private[0]")]),
            ),
            (
                "security_group_ids",
                list(vec![to("aws_security_group.endpoint")]),
            ),
            ("private_dns_enabled", Value::Bool(false)),
        ],
    ));
    r.push(res(
        "aws_route53_zone.private",
        vec![
            ("name", s("example.local")),
            (
                "vpc",
                list(vec![map(vec![("vpc_id", to("aws_vpc.consumer"))])]),
            ),
        ],
    ));
    r.push(res(
        "aws_route53_record.nlb",
        vec![
            ("zone_id", to("aws_route53_zone.private")),
            ("name", s("provider-nlb")),
            ("type", s("A")),
            (
                "alias",
                list(vec![map(vec![(
                    "name",
                    Value::Ref {
                        to: addr("aws_vpc_endpoint.ep"),
                        attribute: "dns_entry[0].dns_name".into(),
                    },
                )])]),
            ),
        ],
    ));
    r
}

fn model_of(resources: Vec<Resource>) -> Model {
    Model {
        resources,
        providers: vec![provider("aws", ["use1-az1", "use1-az2", "use1-az4"])],
        notes: Vec::new(),
    }
}

fn options() -> Options {
    Options {
        source: "main.tf".into(),
        ..Options::default()
    }
}

fn emit_ok(model: &Model, options: &Options) -> Emitted {
    let emitted = emit(model, options).expect("emitted");
    if let Err(errors) = crate::scenario::parse("imported.toml", "imported", &emitted.text) {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("{}\n---\n{}", lines.join("\n"), emitted.text);
    }
    emitted
}

#[test]
fn the_crosszone_system_becomes_a_valid_scenario_with_every_family() {
    let emitted = emit_ok(&model_of(crosszone()), &options());
    let text = &emitted.text;
    for expected in [
        "[accounts.default]",
        "az_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }",
        "[vpcs.provider]\ncidr_block = \"10.11.0.0/24\"",
        "[subnets.provider-private-1]\nvpc_id = \"provider\"\navailability_zone = \"us-east-1a\"",
        "[security_groups.web]\nvpc_id = \"provider\"\ndescription = \"web servers\"",
        "ingress = [{ protocol = \"tcp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.11.0.0/24\"] }]",
        "[instances.web-2]\nsubnet_id = \"provider-private-2\"\nsecurity_group_ids = [\"web\"]\nweb_server = { port = 80, body = \"Hello from Subnet 2\" }",
        "subnets = [\"provider-private-1\", \"provider-private-2\", \"provider-private-3\"]",
        "listeners = [{ port = 80, protocol = \"TCP\", target_group = \"web\" }]",
        "health_check = { healthy_threshold = 3, interval = \"30s\", protocol = \"TCP\", unhealthy_threshold = 3 }",
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        "[endpoint_services.svc]\nnetwork_load_balancers = [\"nlb\"]\nacceptance_required = false",
        "[vpc_endpoints.ep]\nvpc_id = \"consumer\"\nservice_name = \"svc\"\nvpc_endpoint_type = \"Interface\"\nsubnet_ids = [\"consumer-private-1\"]",
        "[route53_zones.\"example.local\"]\nvpc_ids = [\"consumer\"]\nrecords = [{ name = \"provider-nlb\", type = \"A\", alias = { vpc_endpoint = \"ep\" } }]",
        "[workload]\nclients = [\"client\"]\nhost = \"provider-nlb.example.local\"\nport = 80",
        "# Name: web-2\n",
        "# dropped: ami (not modelled)\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Model order: the root's VPCs before the module's subnets, each under its header.
    let root = text.find("# ---- Root module").expect("root header");
    let module = text
        .find("# ---- module.provider ---")
        .expect("module header");
    assert!(root < text.find("[vpcs.provider]").unwrap());
    assert!(module < text.find("[subnets.provider-private-1]").unwrap());
    // The guessed client and the unmodelled AMI are warnings.
    assert!(
        emitted.warnings.iter().any(|w| w.contains("is a guess")),
        "{:?}",
        emitted.warnings
    );
    assert!(
        emitted
            .warnings
            .iter()
            .any(|w| w == "aws_instance.web[0] (main.tf:7): dropped ami (not modelled)"),
        "{:?}",
        emitted.warnings
    );
}

#[test]
fn names_join_module_name_and_index_and_stay_unique() {
    assert_eq!(
        base_name(&addr("module.provider_vpc.aws_subnet.private[0]")),
        "provider_vpc-private-1"
    );
    assert_eq!(base_name(&addr("module.vpc.aws_vpc.this")), "vpc");
    assert_eq!(base_name(&addr("aws_vpc.this")), "this");
    let mut keyed = addr("aws_instance.web");
    keyed.index = Some(Index::Key("blue".into()));
    assert_eq!(base_name(&keyed), "web-blue");
    // `aws_vpc.a-b` and `module.a.aws_vpc.b` would both be `a-b`.
    let model = model_of(vec![
        res("aws_vpc.a-b", vec![("cidr_block", s("10.0.0.0/16"))]),
        res("module.a.aws_vpc.b", vec![("cidr_block", s("10.1.0.0/16"))]),
    ]);
    let text = emit(&model, &options()).expect("emitted").text;
    assert!(
        text.contains("[vpcs.a-b]") && text.contains("[vpcs.a-b-2]"),
        "{text}"
    );
}

#[test]
fn cross_zone_variants_set_every_nlb() {
    let options = Options {
        variant_cross_zone: true,
        client: Some("aws_instance.client".into()),
        host: Some("provider-nlb.example.local".into()),
        ..options()
    };
    let emitted = emit_ok(&model_of(crosszone()), &options);
    assert!(emitted.text.contains(
        "[[variants]]\nname = \"cross-zone off\"\nset.load_balancers.nlb.enable_cross_zone_load_balancing = false\n"
    ));
    assert!(emitted.text.contains(
        "[[variants]]\nname = \"cross-zone on\"\nset.load_balancers.nlb.enable_cross_zone_load_balancing = true\n"
    ));
    assert!(!emitted.text.contains("TODO: the client was guessed"));
    assert!(!emitted.warnings.iter().any(|w| w.contains("guess")));
    let scenario = crate::scenario::parse("i.toml", "i", &emitted.text).expect("valid");
    assert_eq!(scenario.variants.len(), 2);
}

#[test]
fn rule_resources_join_their_group() {
    let mut resources = crosszone();
    resources.push(res(
        "aws_security_group_rule.extra",
        vec![
            ("type", s("ingress")),
            ("security_group_id", to("aws_security_group.web")),
            ("protocol", s("tcp")),
            ("from_port", n(443.0)),
            ("to_port", n(443.0)),
            (
                "source_security_group_id",
                to("aws_security_group.endpoint"),
            ),
        ],
    ));
    resources.push(res(
        "aws_vpc_security_group_egress_rule.all",
        vec![
            ("security_group_id", to("aws_security_group.web")),
            ("ip_protocol", s("-1")),
            ("cidr_ipv4", s("0.0.0.0/0")),
        ],
    ));
    resources.push(res(
        "aws_vpc_security_group_ingress_rule.self",
        vec![
            ("security_group_id", to("aws_security_group.web")),
            ("ip_protocol", s("tcp")),
            ("from_port", n(8080.0)),
            ("to_port", n(8080.0)),
            ("referenced_security_group_id", to("aws_security_group.web")),
        ],
    ));
    let text = emit_ok(&model_of(resources), &options()).text;
    assert!(text.contains(
        "ingress = [\n  { protocol = \"tcp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.11.0.0/24\"] },\n  { protocol = \"tcp\", from_port = 443, to_port = 443, security_groups = [\"endpoint\"] },\n  { protocol = \"tcp\", from_port = 8080, to_port = 8080, security_groups = [\"web\"] },\n]"
    ), "{text}");
    assert!(
        text.contains("egress = [{ protocol = \"-1\", from_port = 0, to_port = 65535, cidr_blocks = [\"0.0.0.0/0\"] }]"),
        "{text}"
    );
}

#[test]
fn target_group_attributes_listener_weights_and_records() {
    let mut resources = crosszone();
    for r in resources.iter_mut() {
        if r.address.kind == "aws_lb_target_group" {
            for (k, v) in [
                ("deregistration_delay", s("30")),
                ("connection_termination", Value::Bool(true)),
                ("preserve_client_ip", s("false")),
                ("proxy_protocol_v2", Value::Bool(false)),
                ("load_balancing_cross_zone_enabled", s("true")),
                ("target_type", s("instance")),
                (
                    "target_health_state",
                    list(vec![map(vec![
                        (
                            "enable_unhealthy_connection_termination",
                            Value::Bool(false),
                        ),
                        ("unhealthy_draining_interval", n(60.0)),
                    ])]),
                ),
                (
                    "target_group_health",
                    list(vec![map(vec![
                        (
                            "dns_failover",
                            list(vec![map(vec![
                                ("minimum_healthy_targets_count", s("2")),
                                ("minimum_healthy_targets_percentage", s("off")),
                            ])]),
                        ),
                        (
                            "unhealthy_state_routing",
                            list(vec![map(vec![
                                ("minimum_healthy_targets_count", n(2.0)),
                                ("minimum_healthy_targets_percentage", s("off")),
                            ])]),
                        ),
                    ])]),
                ),
            ] {
                r.values.insert(k.into(), v);
            }
        }
        if r.address.kind == "aws_lb_listener" {
            r.values.insert(
                "default_action".into(),
                list(vec![map(vec![
                    ("type", s("forward")),
                    (
                        "forward",
                        list(vec![map(vec![(
                            "target_group",
                            list(vec![map(vec![
                                ("arn", to("aws_lb_target_group.web")),
                                ("weight", n(3.0)),
                            ])]),
                        )])]),
                    ),
                ])]),
            );
            r.values.insert("tcp_idle_timeout_seconds".into(), n(600.0));
        }
    }
    resources.push(res(
        "aws_route53_record.direct",
        vec![
            ("zone_id", to("aws_route53_zone.private")),
            ("name", s("direct.example.local")),
            ("type", s("A")),
            (
                "alias",
                list(vec![map(vec![(
                    "name",
                    Value::Ref {
                        to: addr("aws_lb.nlb"),
                        attribute: "dns_name".into(),
                    },
                )])]),
            ),
        ],
    ));
    resources.push(res(
        "aws_route53_record.web",
        vec![
            ("zone_id", to("aws_route53_zone.private")),
            ("name", s("web")),
            ("type", s("CNAME")),
            ("ttl", n(300.0)),
            ("records", list(vec![s("provider-nlb.example.local")])),
        ],
    ));
    let text = emit_ok(&model_of(resources), &options()).text;
    for expected in [
        "deregistration_delay.timeout_seconds = 30\n",
        "deregistration_delay.connection_termination.enabled = true\n",
        "preserve_client_ip.enabled = false\n",
        "proxy_protocol_v2 = false\n",
        "load_balancing.cross_zone.enabled = \"true\"\n",
        "target_health_state.unhealthy.connection_termination.enabled = false\n",
        "target_health_state.unhealthy.draining_interval_seconds = 60\n",
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count = 2\n",
        "target_group_health.dns_failover.minimum_healthy_targets.percentage = \"off\"\n",
        "listeners = [{ port = 80, protocol = \"TCP\", forward = [{ target_group = \"web\", weight = 3 }], tcp = { idle_timeout = { seconds = 600 } } }]",
        "{ name = \"direct.example.local\", type = \"A\", alias = { load_balancer = \"nlb\" } }",
        "{ name = \"web\", type = \"CNAME\", ttl = 300, records = [\"provider-nlb.example.local\"] }",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn unsupported_resources_and_unknown_values_are_listed_and_commented() {
    let mut resources = crosszone();
    resources.push(res("aws_s3_bucket.logs", vec![("bucket", s("logs"))]));
    resources.push(res(
        "aws_lb.alb",
        vec![("load_balancer_type", s("application"))],
    ));
    for r in resources.iter_mut() {
        if r.address.to_string() == "aws_instance.client" {
            r.values.insert(
                "private_ip".into(),
                Value::Unknown {
                    text: "cidrhost(local.cidr, 10)".into(),
                    at: Some(Location {
                        file: PathBuf::from("client.tf"),
                        line: 12,
                    }),
                },
            );
        }
    }
    let emitted = emit_ok(&model_of(resources), &options());
    let text = &emitted.text;
    assert!(text.contains("# dropped: aws_s3_bucket.logs (resource type not modelled)"));
    assert!(text.contains("# dropped: aws_lb.alb (only network load balancers are modelled)"));
    assert!(text.contains(
        "# TODO: private_ip: could not evaluate cidrhost(local.cidr, 10) (client.tf:12)"
    ));
    let warned = |needle: &str| emitted.warnings.iter().any(|w| w.contains(needle));
    assert!(warned(
        "aws_s3_bucket.logs (main.tf:7): dropped (resource type not modelled)"
    ));
    assert!(warned(
        "private_ip: could not evaluate cidrhost(local.cidr, 10) (client.tf:12)"
    ));
}

#[test]
fn a_missing_required_value_is_a_commented_key_and_a_warning() {
    let mut resources = crosszone();
    resources.push(res(
        "aws_subnet.odd",
        vec![
            ("vpc_id", to("aws_vpc.consumer")),
            (
                "availability_zone",
                Value::Unknown {
                    text: "element(local.azs, 3)".into(),
                    at: None,
                },
            ),
            ("cidr_block", s("10.11.0.192/26")),
        ],
    ));
    let emitted = emit(&model_of(resources), &options()).expect("text even so");
    assert!(
        emitted
            .text
            .contains("# availability_zone = ?   # TODO: could not evaluate element(local.azs, 3)")
    );
    assert!(emitted.warnings.iter().any(|w| w.contains(
        "aws_subnet.odd (main.tf:7): availability_zone = ? (could not evaluate element(local.azs, 3)): fill it in"
    )));
}

#[test]
fn subnets_without_an_az_map_are_refused_until_az_ids_gives_it() {
    let mut model = model_of(crosszone());
    model.providers[0].az_ids.clear();
    let err = emit(&model, &options()).expect_err("no AZ map");
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("--az-ids us-east-1a=use1-az1"),
        "{err}"
    );
    crate::import::set_az_ids(
        &mut model,
        "us-east-1a=use1-az1, us-east-1b=use1-az2,us-east-1c=use1-az4",
    )
    .expect("pairs");
    emit_ok(&model, &options());
    let bad = crate::import::set_az_ids(&mut model, "us-east-1a").expect_err("no =");
    assert!(bad.to_string().contains("NAME=ID"), "{bad}");
    let unknown = crate::import::set_az_ids(&mut model, "nope:us-east-1a=x").expect_err("provider");
    assert!(unknown.to_string().contains("it has aws"), "{unknown}");
}

#[test]
fn two_provider_configurations_are_two_accounts() {
    let mut resources = crosszone();
    for r in resources.iter_mut() {
        let consumer = r.address.to_string().contains("consumer")
            || matches!(
                r.address.kind.as_str(),
                "aws_vpc_endpoint" | "aws_route53_zone"
            )
            || r.address.to_string() == "aws_instance.client";
        if consumer {
            r.provider = "aws.consumer".into();
        }
    }
    let model = Model {
        resources,
        providers: vec![
            provider("aws", ["use1-az1", "use1-az2", "use1-az4"]),
            provider("aws.consumer", ["use1-az2", "use1-az4", "use1-az1"]),
        ],
        notes: Vec::new(),
    };
    let text = emit_ok(&model, &options()).text;
    assert!(text.contains("[accounts.default]   # provider aws\n"));
    assert!(text.contains(
        "[accounts.consumer]   # provider aws.consumer\naz_ids = { us-east-1a = \"use1-az2\""
    ));
    assert!(text.contains("[vpcs.consumer]\naccount = \"consumer\"\n"));
    assert!(text.contains("[vpcs.provider]\naccount = \"default\"\n"));
}

#[test]
fn an_unknown_client_is_refused_and_a_peering_is_mapped() {
    let options = Options {
        client: Some("nobody".into()),
        ..options()
    };
    let err = emit(&model_of(crosszone()), &options).expect_err("no such client");
    assert!(
        err.to_string().contains("web-1, web-2, web-3, client"),
        "{err}"
    );
    let peering = model_of(vec![
        res("aws_vpc.a", vec![("cidr_block", s("10.0.0.0/16"))]),
        res("aws_vpc.b", vec![("cidr_block", s("10.1.0.0/16"))]),
        res(
            "aws_vpc_peering_connection.ab",
            vec![
                ("vpc_id", to("aws_vpc.a")),
                ("peer_vpc_id", to("aws_vpc.b")),
                ("auto_accept", Value::Bool(true)),
            ],
        ),
    ]);
    let emitted = emit(&peering, &super::tests::options()).expect("emitted");
    assert!(
        emitted
            .text
            .contains("[vpc_peerings.ab]\nvpc_id = \"a\"\npeer_vpc_id = \"b\"\n")
    );
    // No instance and no zone: the workload is left to fill in, and said so.
    assert!(emitted.text.contains("# clients = [\"?\"]"));
    assert!(
        emitted
            .warnings
            .iter()
            .any(|w| w.contains("[workload] clients"))
    );
    assert!(
        emitted
            .warnings
            .iter()
            .any(|w| w.contains("[workload] host"))
    );
}

#[test]
fn the_small_plan_imports_to_a_scenario_that_runs_like_crosszone() {
    let text = include_str!("../../../tests/terraform/mini-plan.json");
    let model = crate::import::plan::parse("mini-plan.json", text).expect("the plan");
    let options = Options {
        variant_cross_zone: true,
        source: "mini-plan.json".into(),
        ..Options::default()
    };
    let emitted = emit_ok(&model, &options);
    assert!(emitted.text.contains("# dropped: aws_s3_bucket.logs"));
    let scenario = crate::scenario::parse("i.toml", "i", &emitted.text).expect("valid");
    // The endpoint's one ENI binds to the node in its AZ ID, as in scenarios/crosszone.toml.
    let summary = crate::output::explain::summary(&scenario, None);
    assert!(
        summary.contains("ENI 10.11.0.5 in consumer_vpc-private-1 (us-east-1a, use1-az1) -> provider_nlb node 10.11.0.5 (provider_vpc-private-1)"),
        "{summary}"
    );
}

#[test]
fn the_readers_notes_are_warnings_and_comments() {
    let mut model = model_of(crosszone());
    model.notes.push(crate::import::ir::Note {
        at: Some(Location {
            file: PathBuf::from("vpc.tf"),
            line: 4,
        }),
        message: "local.azs: a function sim import does not evaluate".into(),
    });
    let emitted = emit_ok(&model, &options());
    assert!(
        emitted
            .text
            .contains("# TODO: local.azs: a function sim import does not evaluate (vpc.tf:4)\n")
    );
    assert!(
        emitted
            .warnings
            .contains(&"vpc.tf:4: local.azs: a function sim import does not evaluate".to_string())
    );
}

#[test]
fn an_address_given_twice_is_one_resource() {
    let mut resources = crosszone();
    resources.push(res(
        "aws_vpc.provider",
        vec![("cidr_block", s("10.99.0.0/24"))],
    ));
    let emitted = emit_ok(&model_of(resources), &options());
    assert_eq!(emitted.text.matches("[vpcs.provider]").count(), 1);
    assert!(!emitted.text.contains("10.99.0.0/24"));
    assert!(emitted.warnings.contains(
        &"aws_vpc.provider (main.tf:7): dropped (the address is given twice; the first is kept)"
            .to_string()
    ));
}
