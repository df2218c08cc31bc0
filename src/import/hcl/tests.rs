//! The HCL reader on small configurations, one feature each, and a two-module configuration
//! in the style of the project's own (a VPC module with counted subnets, called twice).

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;

use super::functions::{Fail, cidrhost, cidrsubnet};
use super::parse_files;
use crate::error::Error;
use crate::import::ir::{Address, Index, Location, Mode, Model, ModuleStep, Resource, Value};

fn files(files: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), text.to_string()))
        .collect()
}

fn model(given: &[(&str, &str)]) -> Model {
    parse_files(&files(given)).expect("the configuration reads")
}

fn one(main: &str) -> Model {
    model(&[("main.tf", main)])
}

fn resource<'m>(model: &'m Model, address: &str) -> &'m Resource {
    model
        .resources
        .iter()
        .find(|r| r.address.to_string() == address)
        .unwrap_or_else(|| {
            let all: Vec<String> = model
                .resources
                .iter()
                .map(|r| r.address.to_string())
                .collect();
            panic!("no {address} among {all:?}")
        })
}

fn value<'m>(model: &'m Model, address: &str, key: &str) -> &'m Value {
    resource(model, address)
        .values
        .get(key)
        .unwrap_or_else(|| panic!("{address} has no {key}"))
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn addresses(model: &Model) -> Vec<String> {
    model
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect()
}

fn reference(address: Address, attribute: &str) -> Value {
    Value::Ref {
        to: address,
        attribute: attribute.to_string(),
    }
}

fn managed(kind: &str, name: &str, index: Option<Index>) -> Address {
    Address {
        module: Vec::new(),
        mode: Mode::Managed,
        kind: kind.to_string(),
        name: name.to_string(),
        index,
    }
}

fn notes(model: &Model) -> String {
    model
        .notes
        .iter()
        .map(|n| match &n.at {
            Some(at) => format!("{at}: {}\n", n.message),
            None => format!("{}\n", n.message),
        })
        .collect()
}

#[test]
fn a_resource_with_attributes_and_nested_blocks() {
    let m = one(r#"
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["10.11.0.0/24"]
  }
  ingress {
    from_port = 443
    to_port   = 443
    protocol  = "tcp"
  }
  egress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
  }
  tags = { Name = "web", "env" = "test" }
}

resource "aws_vpc" "main" {
  cidr_block = "10.11.0.0/24"
}
"#);
    assert_eq!(addresses(&m), ["aws_security_group.web", "aws_vpc.main"]);
    let sg = resource(&m, "aws_security_group.web");
    assert_eq!(sg.provider, "aws");
    assert_eq!(sg.address.mode, Mode::Managed);
    assert_eq!(
        sg.at,
        Some(Location {
            file: "main.tf".into(),
            line: 2
        })
    );
    assert_eq!(sg.values["name"], s("web"));
    assert_eq!(
        sg.values["vpc_id"],
        reference(managed("aws_vpc", "main", None), "id")
    );
    let Value::List(ingress) = &sg.values["ingress"] else {
        panic!("ingress blocks are a list: {:?}", sg.values["ingress"]);
    };
    assert_eq!(ingress.len(), 2);
    let Value::Map(first) = &ingress[0] else {
        panic!("a block is a map")
    };
    assert_eq!(first["from_port"], Value::Number(80.0));
    assert_eq!(first["cidr_blocks"], Value::List(vec![s("10.11.0.0/24")]));
    // A block given once is a list of one, as in Terraform's JSON.
    let Value::List(egress) = &sg.values["egress"] else {
        panic!("one block is a list of one")
    };
    let [Value::Map(egress)] = egress.as_slice() else {
        panic!("one block is a list of one map: {egress:?}")
    };
    assert_eq!(egress["protocol"], s("-1"));
    let tags = BTreeMap::from([
        ("Name".to_string(), s("web")),
        ("env".to_string(), s("test")),
    ]);
    assert_eq!(sg.values["tags"], Value::Map(tags));
    assert!(m.notes.is_empty(), "{}", notes(&m));
}

#[test]
fn count_with_count_index_cidrsubnet_and_arithmetic() {
    let m = one(r#"
variable "cidr" {
  default = "10.11.0.0/24"
}
resource "aws_subnet" "private" {
  count      = 3
  cidr_block = cidrsubnet(var.cidr, 2, count.index)
  tags       = { Name = "private-${count.index + 1}" }
}
"#);
    assert_eq!(
        addresses(&m),
        [
            "aws_subnet.private[0]",
            "aws_subnet.private[1]",
            "aws_subnet.private[2]"
        ]
    );
    let cidrs: Vec<&Value> = m
        .resources
        .iter()
        .map(|r| &r.values["cidr_block"])
        .collect();
    assert_eq!(
        cidrs,
        [
            &s("10.11.0.0/26"),
            &s("10.11.0.64/26"),
            &s("10.11.0.128/26")
        ]
    );
    let Value::Map(tags) = value(&m, "aws_subnet.private[2]", "tags") else {
        panic!()
    };
    assert_eq!(tags["Name"], s("private-3"));
    assert!(
        !m.resources[0].values.contains_key("count"),
        "count is not a value"
    );
}

#[test]
fn count_from_length_of_a_literal_a_default_a_local_and_a_module_output() {
    let m = model(&[
        (
            "main.tf",
            r#"
variable "azs" {
  default = ["eu-west-1a", "eu-west-1b"]
}
locals {
  names = ["x", "y", "z"]
}
resource "aws_a" "literal" {
  count = length(["p", "q"])
}
resource "aws_b" "var" {
  count             = length(var.azs)
  availability_zone = element(var.azs, count.index)
}
resource "aws_c" "local" {
  count = length(local.names)
  name  = local.names[count.index]
}
module "net" {
  source = "./modules/net"
}
resource "aws_d" "from_module" {
  count     = length(module.net.ids)
  subnet_id = module.net.ids[count.index]
}
"#,
        ),
        (
            "modules/net/main.tf",
            r#"
resource "aws_subnet" "s" {
  count = 2
}
output "ids" {
  value = aws_subnet.s[*].id
}
"#,
        ),
    ]);
    let count = |prefix: &str| {
        addresses(&m)
            .iter()
            .filter(|a| a.starts_with(prefix))
            .count()
    };
    assert_eq!(count("aws_a.literal["), 2);
    assert_eq!(count("aws_b.var["), 2);
    assert_eq!(count("aws_c.local["), 3);
    assert_eq!(count("aws_d.from_module["), 2);
    assert_eq!(
        value(&m, "aws_b.var[1]", "availability_zone"),
        &s("eu-west-1b")
    );
    assert_eq!(value(&m, "aws_c.local[2]", "name"), &s("z"));
    let subnet = Address {
        module: vec![ModuleStep {
            name: "net".into(),
            index: None,
        }],
        ..managed("aws_subnet", "s", Some(Index::Count(1)))
    };
    assert_eq!(
        value(&m, "aws_d.from_module[1]", "subnet_id"),
        &reference(subnet, "id")
    );
    assert!(m.notes.is_empty(), "{}", notes(&m));
}

#[test]
fn for_each_over_a_map_a_set_and_toset() {
    let m = one(r#"
variable "ports" {
  default = { http = 80, https = 443 }
}
locals {
  zones = ["b", "a", "b"]
}
resource "aws_lb_listener" "l" {
  for_each = var.ports
  port     = each.value
  name     = "listener-${each.key}"
}
resource "aws_x" "set" {
  for_each = toset(local.zones)
  zone     = each.value
}
resource "aws_y" "literal" {
  for_each = { one = 1 }
  n        = each.value + 1
}
"#);
    assert_eq!(
        addresses(&m),
        [
            r#"aws_lb_listener.l["http"]"#,
            r#"aws_lb_listener.l["https"]"#,
            r#"aws_x.set["a"]"#,
            r#"aws_x.set["b"]"#,
            r#"aws_y.literal["one"]"#
        ]
    );
    assert_eq!(
        value(&m, r#"aws_lb_listener.l["https"]"#, "port"),
        &Value::Number(443.0)
    );
    assert_eq!(
        value(&m, r#"aws_lb_listener.l["http"]"#, "name"),
        &s("listener-http")
    );
    assert_eq!(value(&m, r#"aws_x.set["b"]"#, "zone"), &s("b"));
    assert_eq!(
        value(&m, r#"aws_y.literal["one"]"#, "n"),
        &Value::Number(2.0)
    );
    assert_eq!(
        resource(&m, r#"aws_x.set["a"]"#).address.index,
        Some(Index::Key("a".into()))
    );
}

#[test]
fn tfvars_override_defaults_and_auto_tfvars_override_tfvars() {
    let m = model(&[
        (
            "main.tf",
            r#"
variable "name" { default = "from-default" }
variable "port" { default = 80 }
variable "other" { default = "kept" }
resource "aws_lb" "nlb" {
  name  = var.name
  port  = var.port
  other = var.other
}
"#,
        ),
        ("terraform.tfvars", "name = \"from-tfvars\"\nport = 8080\n"),
        ("z.auto.tfvars", "port = 9090\n"),
        ("modules/ignored/terraform.tfvars", "other = \"not read\"\n"),
    ]);
    assert_eq!(value(&m, "aws_lb.nlb", "name"), &s("from-tfvars"));
    assert_eq!(value(&m, "aws_lb.nlb", "port"), &Value::Number(9090.0));
    assert_eq!(value(&m, "aws_lb.nlb", "other"), &s("kept"));
}

#[test]
fn templates_arithmetic_conditionals_and_functions() {
    let m = one(r#"
variable "env" { default = "prod" }
variable "sizes" {
  default = { prod = 3, dev = 1 }
}
locals {
  base = { a = 1, b = 2 }
  more = merge(local.base, { b = 3, c = 4 })
}
resource "aws_x" "t" {
  name      = "${var.env}-a"
  size      = lookup(var.sizes, var.env, 0)
  missing   = lookup(var.sizes, "qa", 7)
  doubled   = var.sizes["prod"] * 2 - 1
  half      = 3 / 2
  cross     = var.env == "prod" ? true : false
  label     = format("%s-%d-%%", var.env, 42)
  all       = concat(["a"], tolist(["b", "c"]))
  merged    = local.more
  joined    = join(",", ["x", "y"])
  second    = element(["p", "q", "r"], 4)
  upper     = [for z in ["a", "b"] : upper(z)]
  keyed     = { for k, v in local.base : k => v + 10 if v > 1 }
  host      = cidrhost("10.11.0.0/26", 5)
  neg       = -3
  not       = !true
  paren     = (1 + 2) * 3
  min       = min(3, 1, 2)
  escaped   = "$${literal}"
}
"#);
    let v = |key: &str| value(&m, "aws_x.t", key).clone();
    assert_eq!(v("name"), s("prod-a"));
    assert_eq!(v("size"), Value::Number(3.0));
    assert_eq!(v("missing"), Value::Number(7.0));
    assert_eq!(v("doubled"), Value::Number(5.0));
    assert_eq!(v("half"), Value::Number(1.5));
    assert_eq!(v("cross"), Value::Bool(true));
    assert_eq!(v("label"), s("prod-42-%"));
    assert_eq!(v("all"), Value::List(vec![s("a"), s("b"), s("c")]));
    let merged: BTreeMap<String, Value> = [("a", 1.0), ("b", 3.0), ("c", 4.0)]
        .into_iter()
        .map(|(k, n)| (k.to_string(), Value::Number(n)))
        .collect();
    assert_eq!(v("merged"), Value::Map(merged));
    assert_eq!(v("joined"), s("x,y"));
    assert_eq!(v("second"), s("q"));
    assert_eq!(v("upper"), Value::List(vec![s("A"), s("B")]));
    assert_eq!(
        v("keyed"),
        Value::Map(BTreeMap::from([("b".to_string(), Value::Number(12.0))]))
    );
    assert_eq!(v("host"), s("10.11.0.5"));
    assert_eq!(v("neg"), Value::Number(-3.0));
    assert_eq!(v("not"), Value::Bool(false));
    assert_eq!(v("paren"), Value::Number(9.0));
    assert_eq!(v("min"), Value::Number(1.0));
    assert_eq!(v("escaped"), s("${literal}"));
    assert!(m.notes.is_empty(), "{}", notes(&m));
}

#[test]
fn cidrsubnet_and_cidrhost_as_terraform_computes_them() {
    // The examples of Terraform's function documentation, and this project's VPC.
    assert_eq!(cidrsubnet("172.16.0.0/12", 4, 2).unwrap(), "172.18.0.0/16");
    assert_eq!(cidrsubnet("10.1.2.0/24", 4, 15).unwrap(), "10.1.2.240/28");
    assert_eq!(cidrsubnet("10.11.0.0/24", 2, 2).unwrap(), "10.11.0.128/26");
    // Host bits of the prefix are cleared first (Go's net.ParseCIDR).
    assert_eq!(cidrsubnet("10.1.2.3/16", 8, 2).unwrap(), "10.1.2.0/24");
    assert_eq!(cidrsubnet("10.0.0.0/8", 0, 0).unwrap(), "10.0.0.0/8");
    assert_eq!(cidrsubnet("0.0.0.0/0", 32, 5).unwrap(), "0.0.0.5/32");
    assert!(matches!(
        cidrsubnet("10.11.0.0/24", 2, 4),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("10.11.0.0/24", 9, 0),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("10.11.0.0/24", -1, 0),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("10.11.0.0/24", 2, -1),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("10.11.0/24", 2, 1),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("10.011.0.0/24", 2, 1),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("10.11.0.0/33", 0, 0),
        Err(Fail::Invalid(_))
    ));
    assert!(matches!(
        cidrsubnet("fd00::/8", 8, 1),
        Err(Fail::Invalid(_))
    ));
    assert_eq!(cidrhost("10.12.112.0/20", 16).unwrap(), "10.12.112.16");
    assert_eq!(cidrhost("10.12.112.0/20", 268).unwrap(), "10.12.113.12");
    assert_eq!(cidrhost("10.12.112.0/20", -1).unwrap(), "10.12.127.255");
    assert!(matches!(
        cidrhost("10.12.112.0/20", 4096),
        Err(Fail::Invalid(_))
    ));
}

#[test]
fn references_stay_references_with_their_attribute_path() {
    let m = one(r#"
resource "aws_lb_target_group" "web" {
  port = 80
}
resource "aws_instance" "web" {
  count = 2
}
resource "aws_vpc_endpoint" "x" {
  vpc_id = "v"
}
resource "aws_lb_target_group_attachment" "web" {
  count            = 2
  target_group_arn = aws_lb_target_group.web.arn
  target_id        = aws_instance.web[count.index].id
}
resource "aws_route53_record" "r" {
  alias {
    name    = aws_vpc_endpoint.x.dns_entry[0].dns_name
    zone_id = aws_vpc_endpoint.x.dns_entry[0]["hosted_zone_id"]
  }
  records  = aws_instance.web[*].private_ip
  legacy   = aws_instance.web.*.id
  first_ip = aws_instance.web.*.private_ip[0]
  each_ip0 = aws_instance.web[*].private_ip[0]
  depends_on = [aws_vpc_endpoint.x]
  old_style  = "${aws_lb_target_group.web.arn}"
}
"#);
    assert_eq!(
        value(
            &m,
            "aws_lb_target_group_attachment.web[1]",
            "target_group_arn"
        ),
        &reference(managed("aws_lb_target_group", "web", None), "arn")
    );
    assert_eq!(
        value(&m, "aws_lb_target_group_attachment.web[1]", "target_id"),
        &reference(managed("aws_instance", "web", Some(Index::Count(1))), "id")
    );
    let Value::List(alias) = value(&m, "aws_route53_record.r", "alias") else {
        panic!()
    };
    let [Value::Map(alias)] = alias.as_slice() else {
        panic!()
    };
    let endpoint = managed("aws_vpc_endpoint", "x", None);
    assert_eq!(
        alias["name"],
        reference(endpoint.clone(), "dns_entry[0].dns_name")
    );
    assert_eq!(
        alias["zone_id"],
        reference(endpoint, "dns_entry[0][\"hosted_zone_id\"]")
    );
    let instance = |i| managed("aws_instance", "web", Some(Index::Count(i)));
    assert_eq!(
        value(&m, "aws_route53_record.r", "records"),
        &Value::List(vec![
            reference(instance(0), "private_ip"),
            reference(instance(1), "private_ip")
        ])
    );
    assert_eq!(
        value(&m, "aws_route53_record.r", "legacy"),
        &Value::List(vec![
            reference(instance(0), "id"),
            reference(instance(1), "id")
        ])
    );
    // `.*` splats only the attributes after it; `[*]` everything after it (Terraform's rule).
    assert_eq!(
        value(&m, "aws_route53_record.r", "first_ip"),
        &reference(instance(0), "private_ip")
    );
    assert_eq!(
        value(&m, "aws_route53_record.r", "each_ip0"),
        &Value::List(vec![
            reference(instance(0), "private_ip[0]"),
            reference(instance(1), "private_ip[0]")
        ])
    );
    assert!(
        !resource(&m, "aws_route53_record.r")
            .values
            .contains_key("depends_on")
    );
    assert_eq!(
        value(&m, "aws_route53_record.r", "old_style"),
        &reference(managed("aws_lb_target_group", "web", None), "arn")
    );
    assert!(m.notes.is_empty(), "{}", notes(&m));
}

#[test]
fn providers_aliases_and_module_provider_maps() {
    let m = model(&[
        (
            "main.tf",
            r#"
variable "region" { default = "eu-west-1" }
provider "aws" {
  region = var.region
}
provider "aws" {
  alias  = "consumer"
  region = "eu-west-2"
}
resource "aws_vpc" "provider" {}
resource "aws_vpc" "consumer" {
  provider = aws.consumer
}
module "consumer_vpc" {
  source    = "./modules/vpc"
  providers = { aws = aws.consumer }
}
module "plain" {
  source = "./modules/vpc"
}
"#,
        ),
        ("modules/vpc/main.tf", "resource \"aws_vpc\" \"this\" {}\n"),
    ]);
    let keys: Vec<(&str, Option<&str>)> = m
        .providers
        .iter()
        .map(|p| (p.key.as_str(), p.region.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("aws", Some("eu-west-1")),
            ("aws.consumer", Some("eu-west-2"))
        ]
    );
    assert!(m.providers.iter().all(|p| p.az_ids.is_empty()));
    assert_eq!(resource(&m, "aws_vpc.provider").provider, "aws");
    assert_eq!(resource(&m, "aws_vpc.consumer").provider, "aws.consumer");
    assert_eq!(
        resource(&m, "module.consumer_vpc.aws_vpc.this").provider,
        "aws.consumer"
    );
    assert_eq!(resource(&m, "module.plain.aws_vpc.this").provider, "aws");
}

#[test]
fn data_sources_are_data_mode_resources() {
    let m = one(r#"
data "aws_availability_zones" "available" {
  state = "available"
}
resource "aws_subnet" "s" {
  count             = 2
  availability_zone = data.aws_availability_zones.available.names[count.index]
}
"#);
    let data = resource(&m, "data.aws_availability_zones.available");
    assert_eq!(data.address.mode, Mode::Data);
    assert_eq!(data.values["state"], s("available"));
    let zones = Address {
        mode: Mode::Data,
        ..managed("aws_availability_zones", "available", None)
    };
    assert_eq!(
        value(&m, "aws_subnet.s[1]", "availability_zone"),
        &reference(zones, "names[1]")
    );
}

/// The project's layout: a VPC module with counted subnets, called twice.
const TWO_VPCS: &[(&str, &str)] = &[
    (
        "infra/main.tf",
        r#"
module "provider_vpc" {
  source = "./modules/vpc"
  name   = "provider"
  cidr   = var.cidr
}

module "consumer_vpc" {
  source = "./modules/vpc"
  name   = "consumer"
  cidr   = var.cidr
}

resource "aws_lb" "nlb" {
  name               = "provider-nlb"
  internal           = true
  load_balancer_type = "network"
  subnets            = module.provider_vpc.subnet_ids
  enable_cross_zone_load_balancing = false
}

resource "aws_vpc_endpoint" "consumer" {
  vpc_id            = module.consumer_vpc.vpc_id
  subnet_ids        = [module.consumer_vpc.subnet_ids[0]]
  vpc_endpoint_type = "Interface"
}

resource "aws_security_group" "web" {
  vpc_id = module.provider_vpc.subnet_vpc
  ingress {
    cidr_blocks = [module.provider_vpc.cidr]
  }
}
"#,
    ),
    (
        "infra/variables.tf",
        r#"
variable "cidr" {
  type    = string
  default = "10.11.0.0/24"
}
"#,
    ),
    (
        "infra/modules/vpc/main.tf",
        r#"
data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = "${var.name}-vpc" }
}

resource "aws_subnet" "private" {
  count             = length(local.azs)
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(var.cidr, 2, count.index)
  availability_zone = local.azs[count.index]
  tags              = { Name = "${var.name}-private-${count.index}" }
}
"#,
    ),
    (
        "infra/modules/vpc/variables.tf",
        r#"
variable "name" {}
variable "cidr" {}
locals {
  azs = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}
"#,
    ),
    (
        "infra/modules/vpc/outputs.tf",
        r#"
output "vpc_id" {
  value = aws_vpc.this.id
}
output "subnet_ids" {
  value = aws_subnet.private[*].id
}
output "cidr" {
  value = aws_vpc.this.cidr_block
}
output "subnet_vpc" {
  value = aws_subnet.private[1].vpc_id
}
"#,
    ),
];

#[test]
fn two_calls_of_a_vpc_module_with_counted_subnets() {
    let m = model(TWO_VPCS);
    assert_eq!(
        addresses(&m),
        [
            "aws_lb.nlb",
            "aws_vpc_endpoint.consumer",
            "aws_security_group.web",
            "module.provider_vpc.data.aws_availability_zones.available",
            "module.provider_vpc.aws_vpc.this",
            "module.provider_vpc.aws_subnet.private[0]",
            "module.provider_vpc.aws_subnet.private[1]",
            "module.provider_vpc.aws_subnet.private[2]",
            "module.consumer_vpc.data.aws_availability_zones.available",
            "module.consumer_vpc.aws_vpc.this",
            "module.consumer_vpc.aws_subnet.private[0]",
            "module.consumer_vpc.aws_subnet.private[1]",
            "module.consumer_vpc.aws_subnet.private[2]",
        ]
    );
    let in_module = |module: &str, kind: &str, name: &str, index: Option<u64>| Address {
        module: vec![ModuleStep {
            name: module.into(),
            index: None,
        }],
        ..managed(kind, name, index.map(Index::Count))
    };
    let subnet = |module, i| in_module(module, "aws_subnet", "private", Some(i));
    assert_eq!(
        value(&m, "aws_lb.nlb", "subnets"),
        &Value::List(
            (0..3)
                .map(|i| reference(subnet("provider_vpc", i), "id"))
                .collect()
        )
    );
    assert_eq!(
        value(&m, "aws_vpc_endpoint.consumer", "subnet_ids"),
        &Value::List(vec![reference(subnet("consumer_vpc", 0), "id")])
    );
    assert_eq!(
        value(&m, "aws_vpc_endpoint.consumer", "vpc_id"),
        &reference(in_module("consumer_vpc", "aws_vpc", "this", None), "id")
    );
    // An argument the configuration sets is known before apply, as Terraform knows it: the
    // value itself (a CIDR), or the reference it is set to (a subnet's vpc_id).
    let Value::List(ingress) = value(&m, "aws_security_group.web", "ingress") else {
        panic!()
    };
    let [Value::Map(rule)] = ingress.as_slice() else {
        panic!()
    };
    assert_eq!(rule["cidr_blocks"], Value::List(vec![s("10.11.0.0/24")]));
    assert_eq!(
        value(&m, "aws_security_group.web", "vpc_id"),
        &reference(in_module("provider_vpc", "aws_vpc", "this", None), "id")
    );
    let c = "module.consumer_vpc.aws_subnet.private[2]";
    assert_eq!(value(&m, c, "cidr_block"), &s("10.11.0.128/26"));
    assert_eq!(value(&m, c, "availability_zone"), &s("eu-west-1c"));
    assert_eq!(
        value(&m, c, "vpc_id"),
        &reference(in_module("consumer_vpc", "aws_vpc", "this", None), "id")
    );
    let Value::Map(tags) = value(&m, c, "tags") else {
        panic!()
    };
    assert_eq!(tags["Name"], s("consumer-private-2"));
    let vpc = resource(&m, "module.provider_vpc.aws_vpc.this");
    assert_eq!(
        vpc.at,
        Some(Location {
            file: "infra/modules/vpc/main.tf".into(),
            line: 6
        })
    );
    assert!(m.notes.is_empty(), "{}", notes(&m));
}

#[test]
fn counted_and_for_each_module_calls() {
    let m = model(&[
        (
            "main.tf",
            r#"
module "vpc" {
  for_each = { a = "10.0.0.0/16", b = "10.1.0.0/16" }
  source   = "./m"
  cidr     = each.value
}
module "n" {
  count  = 2
  source = "./m"
  cidr   = cidrsubnet("10.2.0.0/16", 8, count.index)
}
resource "aws_x" "uses" {
  first = module.vpc["b"].cidr
  both  = module.n[*].cidr
}
"#,
        ),
        (
            "m/main.tf",
            "variable \"cidr\" {}\nresource \"aws_vpc\" \"v\" { cidr_block = var.cidr }\noutput \"cidr\" { value = var.cidr }\n",
        ),
    ]);
    assert_eq!(
        value(&m, r#"module.vpc["b"].aws_vpc.v"#, "cidr_block"),
        &s("10.1.0.0/16")
    );
    assert_eq!(
        value(&m, "module.n[1].aws_vpc.v", "cidr_block"),
        &s("10.2.1.0/24")
    );
    assert_eq!(value(&m, "aws_x.uses", "first"), &s("10.1.0.0/16"));
    assert_eq!(
        value(&m, "aws_x.uses", "both"),
        &Value::List(vec![s("10.2.0.0/24"), s("10.2.1.0/24")])
    );
}

#[test]
fn what_cannot_be_evaluated_is_unknown_with_file_line_and_a_note() {
    let m = model(&[(
        "a.tf",
        r#"
variable "no_default" {}
resource "aws_x" "y" {
  known   = "k"
  from_id = "${aws_vpc.v.id}-suffix"
  json    = jsonencode({ a = 1 })
  var     = var.no_default
  cidr    = cidrsubnet(var.no_default, 2, 0)
  bad     = [1, 2][5]
  dynamic "ingress" {
    for_each = [1]
    content {
      from_port = ingress.value
    }
  }
}
resource "aws_vpc" "v" {}
"#,
    )]);
    let unknown = |key: &str| match value(&m, "aws_x.y", key) {
        Value::Unknown { text, at } => (text.clone(), at.clone().expect("located")),
        other => panic!("{key} is known: {other:?}"),
    };
    let at = |line| Location {
        file: "a.tf".into(),
        line,
    };
    assert_eq!(value(&m, "aws_x.y", "known"), &s("k"));
    assert_eq!(
        unknown("from_id"),
        ("\"${aws_vpc.v.id}-suffix\"".into(), at(5))
    );
    assert_eq!(unknown("json"), ("jsonencode({ a = 1 })".into(), at(6)));
    assert_eq!(unknown("var"), ("var.no_default".into(), at(7)));
    assert_eq!(
        unknown("cidr"),
        ("cidrsubnet(var.no_default, 2, 0)".into(), at(8))
    );
    assert_eq!(unknown("bad"), ("[1, 2][5]".into(), at(9)));
    assert_eq!(unknown("ingress").1, at(10));
    let text = notes(&m);
    for expected in [
        "a.tf:2: variable no_default has no default and terraform.tfvars gives no value",
        "a.tf:5: `\"${aws_vpc.v.id}-suffix\"` is not evaluated: aws_vpc.v.id is known only after apply",
        "a.tf:6: `jsonencode({ a = 1 })` is not evaluated: function jsonencode is not evaluated by sim import",
        "a.tf:9: `[1, 2][5]` is not evaluated: index 5 is out of range for a list of 2",
        "a.tf:10: dynamic \"ingress\" block is not evaluated by sim import",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn an_unknown_count_keeps_one_instance_and_says_so() {
    let m = one(r#"
data "aws_availability_zones" "a" {}
resource "aws_subnet" "s" {
  count = length(data.aws_availability_zones.a.names)
  name  = "s-${count.index}"
}
"#);
    assert_eq!(
        addresses(&m),
        ["data.aws_availability_zones.a", "aws_subnet.s"]
    );
    assert!(matches!(
        value(&m, "aws_subnet.s", "name"),
        Value::Unknown { .. }
    ));
    let text = notes(&m);
    assert!(
        text.contains("main.tf:3: aws_subnet.s: its count or for_each could not be evaluated; one instance is kept"),
        "{text}"
    );
}

#[test]
fn heredocs_file_and_templatefile() {
    let m = model(&[
        (
            "root/main.tf",
            r#"
variable "port" { default = 80 }
resource "aws_instance" "web" {
  user_data = <<-EOF
    #!/bin/bash
    python3 -m http.server ${var.port} &
  EOF
  from_file     = file("${path.module}/scripts/hello.sh")
  from_template = templatefile("${path.module}/web.tftpl", { port = var.port + 1 })
  missing       = file("nowhere.sh")
}
"#,
        ),
        ("root/scripts/hello.sh", "echo hello\n"),
        (
            "root/web.tftpl",
            "listen ${port}\n%{ for p in [1, 2] ~}\nextra ${p}\n%{ endfor ~}\n%{ if port > 80 }high%{ else }low%{ endif }\n",
        ),
    ]);
    assert_eq!(
        value(&m, "aws_instance.web", "user_data"),
        &s("#!/bin/bash\npython3 -m http.server 80 &\n")
    );
    assert_eq!(
        value(&m, "aws_instance.web", "from_file"),
        &s("echo hello\n")
    );
    assert_eq!(
        value(&m, "aws_instance.web", "from_template"),
        &s("listen 81\nextra 1\nextra 2\nhigh\n")
    );
    assert!(matches!(
        value(&m, "aws_instance.web", "missing"),
        Value::Unknown { .. }
    ));
    assert!(
        notes(&m).contains("file nowhere.sh was not read"),
        "{}",
        notes(&m)
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let error = parse_files(&files(&[
        ("main.tf", "resource \"aws_vpc\" \"ok\" {}\n"),
        (
            "modules/vpc/bad.tf",
            "ignored: this module is not called {{{\n",
        ),
        ("z.tf", "resource \"aws_vpc\" \"v\" {\n  cidr_block = \n}\n"),
    ]))
    .expect_err("a syntax error");
    let Error::Scenario(errors) = &error else {
        panic!("{error:?}")
    };
    // The value missing after `cidr_block =` on line 2.
    assert_eq!((errors[0].file.as_str(), errors[0].line), ("z.tf", 2));
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().starts_with("z.tf:2:"), "{error}");
}

#[test]
fn a_missing_local_module_is_an_error_at_its_block_and_a_remote_one_a_note() {
    let error = parse_files(&files(&[(
        "env/main.tf",
        "\n\nmodule \"vpc\" {\n  source = \"../modules/vpc\"\n}\n",
    )]))
    .expect_err("a missing module directory");
    let message = error.to_string();
    assert!(message.starts_with("env/main.tf:3:1: module.vpc.source = \"../modules/vpc\": no .tf file in the module directory modules/vpc"), "{message}");
    assert_eq!(error.exit_code(), 2);

    let m = one(r#"
module "remote" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
resource "aws_x" "y" {
  id = module.remote.vpc_id
}
"#);
    assert_eq!(addresses(&m), ["aws_x.y"]);
    assert!(matches!(value(&m, "aws_x.y", "id"), Value::Unknown { .. }));
    assert!(
        notes(&m).contains("main.tf:2: module remote: source \"terraform-aws-modules/vpc/aws\" is not a local directory; its resources are skipped"),
        "{}",
        notes(&m)
    );
}

#[test]
fn cycles_and_self_calling_modules_end_with_notes() {
    let m = model(&[(
        "main.tf",
        r#"
locals {
  a = local.b
  b = local.a
}
resource "aws_x" "y" {
  v = local.a
}
resource "aws_z" "self" {
  count = length(aws_z.self)
}
module "again" {
  source = "./"
}
"#,
    )]);
    assert!(matches!(value(&m, "aws_x.y", "v"), Value::Unknown { .. }));
    let deepest = m.resources.iter().map(|r| r.address.module.len()).max();
    assert_eq!(deepest, Some(16));
    assert!(
        notes(&m).contains("modules nested more than 16 deep"),
        "{}",
        notes(&m)
    );
}

#[test]
fn odd_inputs_do_not_panic() {
    for text in [
        "",
        "   \n",
        "x = 1",
        "resource {}",
        "resource \"a\" {}",
        "resource \"a\" \"b\" \"c\" {}",
        "resource \"\" \"x\" {}",
        "resource \"_x\" \"y\" { provider = \"\" }",
        "resource \"a\" \"b\" { count = -1 }",
        "resource \"a\" \"b\" { count = 1e12 }",
        "resource \"a\" \"b\" { count = 1.5 }",
        "resource \"a\" \"b\" { for_each = 3 }",
        "resource \"a\" \"b\" { for_each = [1, 2] }",
        "resource \"a\" \"b\" { x = count.index }",
        "resource \"a\" \"b\" { x = each.key }",
        "resource \"a\" \"b\" { x = 1 / 0 }",
        "resource \"a\" \"b\" { x = 1e308 * 10 }",
        "resource \"a\" \"b\" { x = range(1e9) }",
        "resource \"a\" \"b\" { x = range(0, 10, -1) }",
        "resource \"a\" \"b\" { x = format(\"%\") }",
        "resource \"a\" \"b\" { x = format(\"%q\", 1) }",
        "resource \"a\" \"b\" { x = element([], 0) }",
        "resource \"a\" \"b\" { x = cidrsubnet(\"1.2.3.4/99999999999999\", 1, 1) }",
        "resource \"a\" \"b\" { x = cidrsubnet(\"1.2.3.4/0\", 99999999999, 99999999999) }",
        "resource \"a\" \"b\" { x = cidrhost(\"1.2.3.4/32\", -99999999999) }",
        "resource \"a\" \"b\" { x = \"${[1]}\" }",
        "resource \"a\" \"b\" { x = [for k, v in 3 : v] }",
        "resource \"a\" \"b\" { x = [1][\"a\"] }",
        "resource \"a\" \"b\" { x = a.b[0] }",
        "resource \"a\" \"b\" { x = var }",
        "resource \"a\" \"b\" { x = module.m }",
        "resource \"a\" \"b\" { x = path.nowhere }",
        "resource \"a\" \"b\" { x = provider::aws::arn_parse(\"x\") }",
        "resource \"a\" \"b\" { x = concat([1]...) }",
        "resource \"a\" \"b\" { x = \"%{ if 1 }y%{ endif }\" }",
        "resource \"a\" \"b\" { x = \"%{ for x in 1 }y%{ endfor }\" }",
        "resource \"a\" \"b\" { x = self.id }",
        "resource \"a\" \"b\" { provider = \"weird\" }",
        "module \"m\" { source = var.x }",
        "module \"m\" {}",
        "variable \"v\" { default = var.v }\nresource \"a\" \"b\" { x = var.v }",
        "output \"o\" { value = module.o.o }",
        "locals { x = [for i in range(4000) : [for j in range(4000) : i * j]] }\nresource \"a\" \"b\" { x = local.x }",
        "resource \"a\" \"b\" {\n x = <<EOF\nunterminated\n",
        "resource \"a\" \"b\" { x = \"\\u{110000}\" }",
    ] {
        let result = parse_files(&files(&[("main.tf", text)]));
        if let Ok(m) = &result {
            for resource in &m.resources {
                assert!(!resource.address.kind.is_empty());
            }
        }
    }
    let deep = format!("locals {{ x = {}1{} }}", "(".repeat(200), ")".repeat(200));
    let error = parse_files(&files(&[("main.tf", &deep)])).expect_err("too deep");
    assert!(
        error.to_string().starts_with(
            "main.tf:1:29: parentheses, braces and interpolations nested more than 16 deep"
        ),
        "{error}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random arrangements of HCL tokens (mostly invalid, sometimes valid) never panic.
    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(prop_oneof![
        Just("resource"), Just("data"), Just("module"), Just("variable"), Just("locals"),
        Just("output"), Just("\"aws_x\""), Just("\"n\""), Just("{"), Just("}"), Just("["),
        Just("]"), Just("("), Just(")"), Just("="), Just("\n"), Just("count"), Just("for_each"),
        Just("count.index"), Just("each.key"), Just("var.n"), Just("local.n"), Just("aws_x.n"),
        Just("aws_x.n[*].id"), Just("module.n.o"), Just("length("), Just("cidrsubnet("),
        Just("\"10.0.0.0/16\""), Just(","), Just("1"), Just("3"), Just("+"), Just("?"), Just(":"),
        Just("for"), Just("in"), Just("\"${"), Just("}\""), Just("source"), Just("\"./\""),
        Just("default"), Just("value"), Just("toset("), Just("x"),
    ], 0..60)) {
        let text = tokens.join(" ");
        let _ = parse_files(&files(&[("main.tf", &text), ("m/main.tf", &text)]));
    }
}

#[test]
fn read_follows_local_modules_reads_data_files_and_skips_hidden_directories() {
    let base = std::env::temp_dir().join(format!("sim-import-hcl-{}", std::process::id()));
    let root = base.join("env");
    let write = |path: &str, text: &str| {
        let path = base.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "env/main.tf",
        r#"
variable "name" { default = "default" }
module "vpc" {
  source = "./modules/vpc"
}
module "common" {
  source = "../common"
}
resource "aws_instance" "web" {
  user_data = file("${path.module}/scripts/web.sh")
  name      = var.name
}
"#,
    );
    write("env/terraform.tfvars", "name = \"from-tfvars\"\n");
    write("env/scripts/web.sh", "#!/bin/sh\n");
    write(
        "env/modules/vpc/main.tf",
        "resource \"aws_vpc\" \"this\" {}\n",
    );
    write(
        "env/.terraform/modules/broken/main.tf",
        "not terraform {{{\n",
    );
    write("common/main.tf", "resource \"aws_route53_zone\" \"z\" {}\n");
    write("empty/README", "no configuration here\n");
    write("env/extra.tf.json", "{}\n");
    let m = super::read(&root).expect("the directory reads");
    let empty = super::read(&base.join("empty")).expect_err("no .tf file");
    std::fs::remove_dir_all(&base).unwrap();

    assert_eq!(
        addresses(&m),
        [
            "aws_instance.web",
            "module.vpc.aws_vpc.this",
            "module.common.aws_route53_zone.z"
        ]
    );
    assert_eq!(
        value(&m, "aws_instance.web", "user_data"),
        &s("#!/bin/sh\n")
    );
    assert_eq!(value(&m, "aws_instance.web", "name"), &s("from-tfvars"));
    let at = |address: &str| resource(&m, address).at.clone().unwrap().file;
    assert_eq!(at("aws_instance.web"), root.join("main.tf"));
    assert_eq!(
        at("module.vpc.aws_vpc.this"),
        root.join("modules/vpc/main.tf")
    );
    assert_eq!(
        at("module.common.aws_route53_zone.z"),
        root.join("../common/main.tf")
    );
    assert_eq!(
        notes(&m),
        format!(
            "{}:0: Terraform JSON configuration is not read by sim import\n",
            root.join("extra.tf.json").display()
        )
    );
    assert_eq!(empty.exit_code(), 2);
    assert!(empty.to_string().contains("holds no .tf file"), "{empty}");
}

#[test]
fn values_that_double_at_each_reference_stop_at_the_step_budget() {
    let mut text = String::from("locals {\n  l0 = range(4000)\n  s0 = \"0123456789abcdef\"\n");
    for i in 1..40 {
        text += &format!("  l{i} = concat(local.l{0}, local.l{0})\n", i - 1);
        text += &format!("  s{i} = \"${{local.s{0}}}${{local.s{0}}}\"\n", i - 1);
    }
    // Referred to in order, so that each step is evaluated once and nesting stays shallow.
    text += "}\nresource \"a\" \"b\" {\n";
    for i in 1..40 {
        text += &format!("  l{i} = length(local.l{i})\n  s{i} = length(local.s{i})\n");
    }
    text += "}\n";
    let m = one(&text);
    assert_eq!(value(&m, "a.b", "l1"), &Value::Number(8000.0));
    assert_eq!(value(&m, "a.b", "s1"), &Value::Number(32.0));
    assert!(matches!(value(&m, "a.b", "l39"), Value::Unknown { .. }));
    assert!(matches!(value(&m, "a.b", "s39"), Value::Unknown { .. }));
    assert!(
        notes(&m).contains("evaluation stopped after 1000000 steps"),
        "{}",
        notes(&m)
    );
}
