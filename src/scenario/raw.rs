//! The scenario file as written: serde structures that mirror the TOML one to one.
//!
//! Nothing here is trusted: [`super::validate`] turns it into a [`crate::model::Topology`].
//! Unknown keys are rejected everywhere (`deny_unknown_fields`). Keys follow the AWS / Terraform
//! attribute names people already know, with resources referred to by their scenario names.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::time::Span;

/// A table of named resources that keeps the order of the file (`[subnets.provider-1]`, ...),
/// with an index by name so that references resolve in constant time.
#[derive(Clone, Debug)]
pub struct NamedMap<T> {
    entries: Vec<(String, T)>,
    index: HashMap<String, usize>,
}

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        NamedMap {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> NamedMap<T> {
    /// The map of these entries, in this order (a name given twice resolves to its first).
    pub fn new(entries: Vec<(String, T)>) -> NamedMap<T> {
        let mut index = HashMap::with_capacity(entries.len());
        for (i, (name, _)) in entries.iter().enumerate() {
            index.entry(name.clone()).or_insert(i);
        }
        NamedMap { entries, index }
    }

    /// Entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Position of the entry named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The name and value of entry `i` (in file order).
    pub fn entry(&self, i: usize) -> (&str, &T) {
        let (name, value) = &self.entries[i];
        (name.as_str(), value)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NamedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamedMapVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for NamedMapVisitor<T> {
            type Value = NamedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of named entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamedMap<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    entries.push((key, value));
                }
                Ok(NamedMap::new(entries))
            }
        }
        deserializer.deserialize_map(NamedMapVisitor(std::marker::PhantomData))
    }
}

/// A duration: `"30s"`, `"1.5ms"`, or an integer number of seconds (Terraform's `interval = 30`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Duration(pub Span);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"30s\", \"250ms\" or \"50us\", or whole seconds")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
                Span::parse(text).map(Duration).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, secs: i64) -> Result<Duration, E> {
                u64::try_from(secs)
                    .ok()
                    .filter(|s| *s <= u64::MAX / 1_000_000_000)
                    .map(|s| Duration(Span::from_secs(s)))
                    .ok_or_else(|| E::custom(format!("{secs} is not a number of seconds >= 0")))
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// The target group cross-zone attribute: `"true"`, `"false"`, `"use_load_balancer_configuration"`
/// (also accepted as TOML booleans).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CrossZoneAttr {
    /// `true`
    True,
    /// `false`
    False,
    /// `use_load_balancer_configuration`
    UseLoadBalancerConfiguration,
}

impl<'de> Deserialize<'de> for CrossZoneAttr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AttrVisitor;
        impl Visitor<'_> for AttrVisitor {
            type Value = CrossZoneAttr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"true\", \"false\" or \"use_load_balancer_configuration\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<CrossZoneAttr, E> {
                Ok(if v {
                    CrossZoneAttr::True
                } else {
                    CrossZoneAttr::False
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CrossZoneAttr, E> {
                match v {
                    "true" => Ok(CrossZoneAttr::True),
                    "false" => Ok(CrossZoneAttr::False),
                    "use_load_balancer_configuration" => {
                        Ok(CrossZoneAttr::UseLoadBalancerConfiguration)
                    }
                    other => Err(E::custom(format!(
                        "`{other}` is not one of \"true\", \"false\", \"use_load_balancer_configuration\""
                    ))),
                }
            }
        }
        deserializer.deserialize_any(AttrVisitor)
    }
}

/// A `minimum_healthy_targets.count` or `.percentage` as written: `"off"` or an integer (its
/// range is checked by validation, which reports the value).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ThresholdAttr {
    /// `"off"`
    Off,
    /// An integer.
    Value(i64),
}

impl<'de> Deserialize<'de> for ThresholdAttr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AttrVisitor;
        impl Visitor<'_> for AttrVisitor {
            type Value = ThresholdAttr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"off\" or an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ThresholdAttr, E> {
                Ok(ThresholdAttr::Value(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ThresholdAttr, E> {
                match v {
                    "off" => Ok(ThresholdAttr::Off),
                    other => Err(E::custom(format!("`{other}` is not \"off\" or an integer"))),
                }
            }
        }
        deserializer.deserialize_any(AttrVisitor)
    }
}

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Short name (defaults to the file stem).
    pub name: Option<String>,
    /// What the scenario shows.
    pub description: Option<String>,
    /// An exam-style question the scenario answers.
    pub question: Option<String>,
    /// Region name.
    pub region: String,
    /// Accounts and their AZ maps.
    #[serde(default)]
    pub accounts: NamedMap<RawAccount>,
    /// VPCs.
    #[serde(default)]
    pub vpcs: NamedMap<RawVpc>,
    /// Subnets.
    #[serde(default)]
    pub subnets: NamedMap<RawSubnet>,
    /// Security groups.
    #[serde(default)]
    pub security_groups: NamedMap<RawSecurityGroup>,
    /// Instances.
    #[serde(default)]
    pub instances: NamedMap<RawInstance>,
    /// Load balancers.
    #[serde(default)]
    pub load_balancers: NamedMap<RawLoadBalancer>,
    /// Target groups.
    #[serde(default)]
    pub target_groups: NamedMap<RawTargetGroup>,
    /// Endpoint services.
    #[serde(default)]
    pub endpoint_services: NamedMap<RawEndpointService>,
    /// Interface endpoints.
    #[serde(default)]
    pub vpc_endpoints: NamedMap<RawVpcEndpoint>,
    /// Private hosted zones, keyed by zone name.
    #[serde(default)]
    pub route53_zones: NamedMap<RawHostedZone>,
    /// VPC peerings.
    #[serde(default)]
    pub vpc_peerings: NamedMap<RawPeering>,
    /// The clients' behaviour.
    pub workload: RawWorkload,
    /// Latencies.
    #[serde(default)]
    pub network: RawNetwork,
    /// Seed and flows.
    #[serde(default)]
    pub run: RawRun,
    /// Named overrides, each simulated and reported side by side.
    #[serde(default)]
    pub variants: Vec<RawVariant>,
    /// Scheduled events, in file order.
    #[serde(default)]
    pub events: Vec<RawEvent>,
    /// The grid `sim sweep` runs (ignored by the other commands once validated).
    #[serde(default)]
    pub sweep: Option<RawSweep>,
    /// What should happen (`sim test` checks it; `sim run` prints the verdicts).
    #[serde(default)]
    pub expect: Vec<RawExpect>,
    /// The scenario as an exam question: choices, the answer, the explanation.
    #[serde(default)]
    pub quiz: Option<RawQuiz>,
    /// Prices that replace the table's (docs/model.md COST-1 to COST-3).
    #[serde(default)]
    pub prices: Option<RawPrices>,
}

/// `[[expect]]`: one thing that should happen, in one variant or every one. Exactly one subject
/// key (`target`, `subnet`, `az`, `failed`, `answered`, `seen_from`, `cross_az`,
/// `health`, `new_connections`, `validation_error`) and the measures it takes; validation
/// ([`super::validate::expect`]) checks the combination.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// The variant it is about (every variant that runs when omitted).
    pub variant: Option<String>,
    /// What it says, in words (one is made from the keys when omitted).
    pub what: Option<String>,
    /// With `[quiz]`: the choice this expectation proves (the answer).
    pub proves: Option<String>,
    /// With `[quiz]`: the wrong choices this expectation refutes.
    #[serde(default)]
    pub refutes: Vec<String>,
    /// Subject: the flows a target answered.
    pub target: Option<String>,
    /// Subject: the flows the targets of a subnet answered.
    pub subnet: Option<String>,
    /// Subject: the flows the targets of an AZ (name or ID) answered.
    pub az: Option<String>,
    /// Subject: the flows that failed with this reason (`"any"`: every reason).
    pub failed: Option<String>,
    /// Subject (`answered = true`): every answered flow.
    pub answered: Option<bool>,
    /// Subject: answered flows whose target saw this source: a client instance's own address,
    /// or `"load_balancer"` for the NLB nodes' addresses.
    pub seen_from: Option<String>,
    /// With `seen_from`: only at this target.
    pub at_target: Option<String>,
    /// Subject: connections that ended this way (`RESET_DEREGISTERED`, ...), when they live.
    pub ended: Option<String>,
    /// Subject: a line of the cost section (`"total"`, `"consumer"`, `"provider"` or a line key).
    pub cost: Option<String>,
    /// With `cost`: over a month (730 h at the arrival rate) instead of over the run.
    pub per_month: Option<bool>,
    /// Subject: flows crossing AZs on a leg: `"node_to_target"` or `"client_to_entry"`.
    pub cross_az: Option<String>,
    /// Subject: a target's health over the run (with `becomes`, `after`, `within` / `never`).
    pub health: Option<String>,
    /// Subject: new connections a target received from `after` on.
    pub new_connections: Option<String>,
    /// Subject: the variant is refused by validation with an error citing this rule id.
    pub validation_error: Option<String>,
    /// Share of the variant's flows, with `tolerance` (0 when omitted).
    pub share: Option<f64>,
    /// Cost in USD, with `tolerance`.
    pub usd: Option<f64>,
    /// Cost at least this, USD.
    pub usd_at_least: Option<f64>,
    /// Cost at most this, USD.
    pub usd_at_most: Option<f64>,
    /// Allowed absolute difference from `share` (or from `usd`).
    pub tolerance: Option<f64>,
    /// Share at least this.
    pub share_at_least: Option<f64>,
    /// Share at most this.
    pub share_at_most: Option<f64>,
    /// A share the observed one must be consistent with at `significance`.
    pub consistent_with: Option<f64>,
    /// Significance of `consistent_with` (0.01 when omitted): the expectation fails when the
    /// two-sided p-value of the observed share is below it.
    pub significance: Option<f64>,
    /// Exactly this many flows.
    pub flows: Option<u64>,
    /// At least this many flows.
    pub flows_at_least: Option<u64>,
    /// At most this many flows.
    pub flows_at_most: Option<u64>,
    /// With `health`: the state it becomes (`healthy`, `unhealthy`, `draining`, `unused`,
    /// `initial`).
    pub becomes: Option<String>,
    /// With `health` or `new_connections`: from this time on.
    pub after: Option<Duration>,
    /// With `new_connections`: up to this time (the end of the run when omitted).
    pub before: Option<Duration>,
    /// With `health`: at most this long after `after`.
    pub within: Option<Duration>,
    /// With `health`: it never becomes that state from `after` on.
    pub never: Option<bool>,
}

/// `[quiz]`: the scenario's top-level `question` as a multiple-choice exam question.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuiz {
    /// Topics `sim quiz --topic` selects by.
    #[serde(default)]
    pub topics: Vec<String>,
    /// The choices, by letter (`A = "..."`), in order.
    pub choices: NamedMap<String>,
    /// The right choice's letter.
    pub answer: String,
    /// Why, in our words.
    pub explanation: String,
    /// docs/model.md rule ids the explanation rests on.
    #[serde(default)]
    pub rules: Vec<String>,
    /// AWS pages (URLs) the explanation rests on.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The flow `sim quiz` traces to show the deciding hops (flow 0 of the variant the answer's
    /// expectation names when omitted).
    pub trace: Option<RawQuizTrace>,
}

/// `trace = { variant = "...", flow = 3 }` of `[quiz]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuizTrace {
    /// The variant (the first that runs when omitted).
    pub variant: Option<String>,
    /// The flow's index (0 when omitted).
    #[serde(default)]
    pub flow: u64,
}

/// `[prices]`: USD, each optional (the table's price when omitted).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrices {
    /// Inter-AZ data transfer, per GB in each direction (both ends pay).
    pub inter_az_usd_per_gb_each_direction: Option<toml::Value>,
    /// An interface endpoint, per AZ and hour.
    pub endpoint_usd_per_az_hour: Option<toml::Value>,
    /// An interface endpoint's data processed, per GB: one number, or the three tiers.
    pub endpoint_usd_per_gb: Option<toml::Value>,
    /// A Network Load Balancer, per hour.
    pub nlb_usd_per_hour: Option<toml::Value>,
    /// An NLCU, per hour.
    pub nlcu_usd_per_hour: Option<toml::Value>,
}

/// `[sweep]`: the seeds and axes of `sim sweep` ([`crate::sweep`]).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// Seeds each point runs with (default: `[run] seed`).
    pub seeds: Option<Vec<u64>>,
    /// Axes, first slowest.
    #[serde(default)]
    pub axes: Vec<RawAxis>,
}

/// One axis of `[sweep]`: a key path a variant's `set` could set, and its values.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAxis {
    /// Key path, e.g. `load_balancers.provider-nlb.enable_cross_zone_load_balancing`.
    pub key: String,
    /// Values the key takes, one point each.
    pub values: Vec<toml::Value>,
}

/// `[accounts.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    /// AZ name -> AZ ID as this account sees it.
    pub az_ids: NamedMap<String>,
}

/// `[vpcs.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVpc {
    /// Owning account (may be omitted when the scenario has exactly one).
    pub account: Option<String>,
    /// Primary CIDR block.
    pub cidr_block: String,
}

/// `[subnets.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubnet {
    /// Its VPC.
    pub vpc_id: String,
    /// AZ name in the owner's account.
    pub availability_zone: String,
    /// CIDR block.
    pub cidr_block: String,
}

/// `[security_groups.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSecurityGroup {
    /// Its VPC.
    pub vpc_id: String,
    /// Free text.
    pub description: Option<String>,
    /// Ingress rules.
    #[serde(default)]
    pub ingress: Vec<RawRule>,
    /// Egress rules; omitted: allow all outbound traffic, as AWS creates groups (`[]`: none).
    pub egress: Option<Vec<RawRule>>,
}

/// One `ingress` or `egress` rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// `tcp`, `udp`, or `-1` / `all`.
    pub protocol: String,
    /// First port.
    pub from_port: u16,
    /// Last port.
    pub to_port: u16,
    /// Peer CIDR blocks (sources of an ingress rule, destinations of an egress rule).
    #[serde(default)]
    pub cidr_blocks: Vec<String>,
    /// Peer security groups (by name, same VPC or a peered one).
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// In the group from the start (true when omitted); `false`: the rule exists, and only an
    /// `authorize` event puts it in (EV-7).
    pub active: Option<bool>,
}

/// `[instances.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstance {
    /// Its subnet.
    pub subnet_id: String,
    /// Primary private IP; assigned from the subnet when omitted.
    pub private_ip: Option<String>,
    /// Security groups (the VPC's default group when omitted or empty).
    pub security_group_ids: Option<Vec<String>>,
    /// `running` (default) or `stopped`.
    pub instance_state: Option<String>,
    /// Its web server.
    pub web_server: Option<RawWebServer>,
    /// Its UDP server (same keys as `web_server`; NLB-17).
    pub udp_server: Option<RawWebServer>,
}

/// `web_server = { ... }` of an instance.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebServer {
    /// Port (80 when omitted).
    pub port: Option<u16>,
    /// Response body.
    pub body: String,
    /// Server time per request (200us when omitted).
    pub response_time: Option<Duration>,
    /// It expects a proxy protocol v2 header (false when omitted).
    pub proxy_protocol: Option<bool>,
}

/// `[load_balancers.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancer {
    /// Only `network` is modelled.
    pub load_balancer_type: Option<String>,
    /// Only internal load balancers are modelled (true when omitted).
    pub internal: Option<bool>,
    /// Subnets, at most one per AZ: one node each.
    pub subnets: Vec<String>,
    /// Cross-zone load balancing at the load balancer (false when omitted, the NLB default).
    pub enable_cross_zone_load_balancing: Option<bool>,
    /// Security groups.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// `on` (default) or `off`.
    pub enforce_security_group_inbound_rules_on_private_link_traffic: Option<String>,
    /// NLB-like pick function: `uniform` (default) or `maglev`.
    pub hash: Option<String>,
    /// `any_availability_zone` (default), `partial_availability_zone_affinity` or
    /// `availability_zone_affinity` (NLB-13).
    pub dns_record_client_routing_policy: Option<String>,
    /// Whether zonal shifts may act on it (false when omitted, AWS's default).
    pub enable_zonal_shift: Option<bool>,
    /// Its regional DNS name as AWS gave it (`NAME-ID.elb.REGION.amazonaws.com`); one is made
    /// from the name when omitted.
    pub dns_name: Option<String>,
    /// Listeners.
    #[serde(default)]
    pub listeners: Vec<RawListener>,
}

/// `[[load_balancers.NAME.listeners]]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListener {
    /// Port.
    pub port: u16,
    /// `TCP` (default), `UDP`, `TCP_UDP` or `TLS`.
    pub protocol: Option<String>,
    /// Forward to one target group.
    pub target_group: Option<String>,
    /// Or forward to several with weights.
    pub forward: Option<Vec<RawForward>>,
    /// `tcp.idle_timeout.seconds`.
    pub tcp: Option<RawTcpAttributes>,
}

/// `tcp.*` attributes of a listener.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTcpAttributes {
    /// `tcp.idle_timeout.*`.
    pub idle_timeout: Option<RawSeconds>,
}

/// An attribute given in whole seconds (`*.seconds`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeconds {
    /// Seconds.
    pub seconds: i64,
}

/// One weighted target group of a forward action.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForward {
    /// Target group.
    pub target_group: String,
    /// Weight 0-999 (1 when omitted).
    pub weight: Option<u16>,
}

/// `[target_groups.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetGroup {
    /// `TCP` (default), `UDP`, `TCP_UDP` or `TLS`.
    pub protocol: Option<String>,
    /// Traffic port.
    pub port: u16,
    /// Its VPC.
    pub vpc_id: String,
    /// `instance` (the default) or `ip`.
    pub target_type: Option<String>,
    /// Registered targets: instance names, or IPv4 addresses for `target_type = "ip"`.
    #[serde(default)]
    pub targets: Vec<String>,
    /// `preserve_client_ip.enabled` (AWS's default: on for instance targets, off for IP targets
    /// over TCP).
    pub preserve_client_ip: Option<RawEnabled>,
    /// `proxy_protocol_v2` (false when omitted).
    pub proxy_protocol_v2: Option<bool>,
    /// `load_balancing.cross_zone.enabled`.
    pub load_balancing: Option<RawLoadBalancing>,
    /// Health check settings.
    pub health_check: Option<RawHealthCheck>,
    /// `deregistration_delay.timeout_seconds`.
    pub deregistration_delay: Option<RawDeregistrationDelay>,
    /// `target_health_state.unhealthy.*`.
    pub target_health_state: Option<RawTargetHealthState>,
    /// `target_group_health.{unhealthy_state_routing,dns_failover}.minimum_healthy_targets.*`.
    pub target_group_health: Option<RawTargetGroupHealth>,
}

/// `target_group_health.*` attributes of a target group: the unhealthy state actions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetGroupHealth {
    /// `target_group_health.unhealthy_state_routing.*` (routing failover).
    pub unhealthy_state_routing: Option<RawUnhealthyStateAction>,
    /// `target_group_health.dns_failover.*`.
    pub dns_failover: Option<RawUnhealthyStateAction>,
}

/// `target_group_health.ACTION.*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnhealthyStateAction {
    /// `target_group_health.ACTION.minimum_healthy_targets.*`.
    pub minimum_healthy_targets: RawMinimumHealthyTargets,
}

/// `target_group_health.ACTION.minimum_healthy_targets.*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMinimumHealthyTargets {
    /// `count`: 1 or more (1 when omitted); `"off"` for DNS failover only.
    pub count: Option<ThresholdAttr>,
    /// `percentage`: `"off"` (when omitted) or 1-100.
    pub percentage: Option<ThresholdAttr>,
}

/// `deregistration_delay.*` attributes of a target group.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeregistrationDelay {
    /// 0-3600 s (300 when omitted); signed so that a negative value is reported by validation,
    /// with the range.
    pub timeout_seconds: Option<i64>,
    /// `deregistration_delay.connection_termination.enabled`.
    pub connection_termination: Option<RawEnabled>,
}

/// `*.enabled` (a boolean attribute).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnabled {
    /// The value.
    pub enabled: bool,
}

/// `target_health_state.*` attributes of a target group.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetHealthState {
    /// `target_health_state.unhealthy.*`.
    pub unhealthy: Option<RawUnhealthyState>,
}

/// `target_health_state.unhealthy.*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnhealthyState {
    /// `connection_termination.enabled` (true when omitted).
    pub connection_termination: Option<RawEnabled>,
    /// 0-360000 s (0 when omitted).
    pub draining_interval_seconds: Option<i64>,
}

/// `load_balancing.*` attributes of a target group.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancing {
    /// `load_balancing.cross_zone.*`.
    pub cross_zone: Option<RawCrossZone>,
}

/// `load_balancing.cross_zone.*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrossZone {
    /// `load_balancing.cross_zone.enabled`.
    pub enabled: CrossZoneAttr,
}

/// `health_check = { ... }` of a target group.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    /// Only `TCP` is modelled.
    pub protocol: Option<String>,
    /// `traffic-port` (default) or a port number.
    pub port: Option<toml::Value>,
    /// 5-300 s (30 s when omitted).
    pub interval: Option<Duration>,
    /// 2-120 s (10 s when omitted).
    pub timeout: Option<Duration>,
    /// 2-10 (5 when omitted).
    pub healthy_threshold: Option<u32>,
    /// 2-10 (2 when omitted).
    pub unhealthy_threshold: Option<u32>,
}

/// `[endpoint_services.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpointService {
    /// The load balancers behind it.
    pub network_load_balancers: Vec<String>,
    /// Accepted and ignored (connections are modelled after acceptance).
    pub acceptance_required: Option<bool>,
}

/// `[vpc_endpoints.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVpcEndpoint {
    /// Consumer VPC.
    pub vpc_id: String,
    /// The endpoint service, by name.
    pub service_name: String,
    /// Only `Interface` is modelled.
    pub vpc_endpoint_type: Option<String>,
    /// Subnets, at most one per AZ: one ENI each.
    pub subnet_ids: Vec<String>,
    /// Security groups of the ENIs (the VPC's default group when omitted or empty).
    pub security_group_ids: Option<Vec<String>>,
    /// Only `false` is modelled.
    pub private_dns_enabled: Option<bool>,
}

/// `[route53_zones."NAME"]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHostedZone {
    /// VPCs associated with the private zone.
    pub vpc_ids: Vec<String>,
    /// Records.
    #[serde(default)]
    pub records: Vec<RawRecord>,
}

/// One record of a hosted zone.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    /// Name relative to the zone (`provider-nlb`) or fully qualified.
    pub name: String,
    /// `A` or `CNAME`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// TTL in seconds (not allowed on alias records).
    pub ttl: Option<u32>,
    /// Values: IPv4 addresses for `A`, one name for `CNAME`.
    #[serde(default)]
    pub records: Vec<String>,
    /// Alias target.
    pub alias: Option<RawAlias>,
}

/// `alias = { vpc_endpoint = "...", subnet_id = "..." }` or `alias = { load_balancer = "..." }`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlias {
    /// The interface endpoint.
    pub vpc_endpoint: Option<String>,
    /// Or the load balancer (its regional name: NLB-11).
    pub load_balancer: Option<String>,
    /// For the zonal name of the ENI in this subnet; the regional name when omitted.
    pub subnet_id: Option<String>,
}

/// `[vpc_peerings.NAME]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPeering {
    /// Requester VPC.
    pub vpc_id: String,
    /// Accepter VPC.
    pub peer_vpc_id: String,
}

/// `[workload]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// Client instances.
    pub clients: Vec<String>,
    /// DNS name to connect to.
    pub host: String,
    /// Destination port (80 when omitted).
    pub port: Option<u16>,
    /// `tcp` (default) or `udp` (NLB-17; a UDP workload reaches the NLB directly: PL-8).
    pub protocol: Option<String>,
    /// URL path (`/` when omitted).
    pub path: Option<String>,
    /// New flows per second, Poisson (100 when omitted).
    pub arrival_rate: Option<f64>,
    /// Client connect timeout (10s when omitted).
    pub connect_timeout: Option<Duration>,
    /// Cache DNS answers for their TTL (true when omitted).
    pub dns_cache: Option<bool>,
    /// Connections that stay open (curl-like when omitted).
    pub connection: Option<RawConnection>,
}

/// `[workload.connection]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConnection {
    /// How long a connection stays open (or its mean).
    pub duration: Duration,
    /// `fixed` (default) or `exponential`.
    pub distribution: Option<String>,
    /// Keep-alive requests every this long.
    pub request_interval: Option<Duration>,
}

/// `[network]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// One-way latency within a zone (50us when omitted).
    pub same_az_latency: Option<Duration>,
    /// One-way latency across zones (500us when omitted).
    pub cross_az_latency: Option<Duration>,
    /// One-way latency to the VPC resolver (200us when omitted).
    pub resolver_latency: Option<Duration>,
    /// One-way latency of the PrivateLink hop (100us when omitted).
    pub privatelink_latency: Option<Duration>,
}

/// `[run]`
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// Master seed (1 when omitted).
    pub seed: Option<u64>,
    /// Flows per variant (30000 when omitted).
    pub flows: Option<u64>,
}

/// `[[events]]`: when, and exactly one action (validation checks that there is one).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// From the start of the run.
    pub at: Duration,
    /// How reports name it (one is made from the action when omitted).
    pub description: Option<String>,
    /// An instance whose web server stops answering.
    pub crash: Option<String>,
    /// An instance whose web server answers again.
    pub recover: Option<String>,
    /// An instance that stops.
    pub stop_instance: Option<String>,
    /// An instance that starts.
    pub start_instance: Option<String>,
    /// An instance deregistered from its target groups (or from `target_group` only).
    pub deregister: Option<String>,
    /// An instance registered again in its target groups (or in `target_group` only).
    pub register: Option<String>,
    /// With `deregister` / `register`: the one target group it applies to.
    pub target_group: Option<String>,
    /// A zone, by AZ ID, that is impaired.
    pub impair_zone: Option<String>,
    /// With `impair_zone`: only the zone's targets fail.
    pub targets_only: Option<bool>,
    /// A zone, by AZ ID, whose impairment ends.
    pub restore_zone: Option<String>,
    /// A change of a load balancer's `enable_cross_zone_load_balancing`.
    pub load_balancer_cross_zone: Option<RawLoadBalancerCrossZone>,
    /// A change of a target group's `load_balancing.cross_zone.enabled`.
    pub target_group_cross_zone: Option<RawTargetGroupCrossZone>,
    /// A security-group rule taken out of its group.
    pub revoke: Option<RawRuleRef>,
    /// A security-group rule put (back) in its group.
    pub authorize: Option<RawRuleRef>,
    /// New weights for a listener's forward.
    pub listener_weights: Option<RawListenerWeights>,
    /// A web server that takes this long to answer from now on (EV-9).
    pub slow: Option<RawSlow>,
    /// A subnet added to an interface endpoint (EV-10).
    pub add_endpoint_subnet: Option<RawEndpointSubnet>,
    /// A subnet removed from an interface endpoint (EV-10).
    pub remove_endpoint_subnet: Option<RawEndpointSubnet>,
    /// A zonal shift that starts: the zone leaves the load balancer's DNS (EV-11).
    pub start_zonal_shift: Option<RawZonalShift>,
    /// A zonal shift that ends.
    pub end_zonal_shift: Option<RawZonalShift>,
}

/// `start_zonal_shift` / `end_zonal_shift = { load_balancer = "...", away_from = "AZ-ID" }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZonalShift {
    /// The load balancer (its `enable_zonal_shift` must be true).
    pub load_balancer: String,
    /// The zone, by AZ ID, that traffic shifts away from.
    pub away_from: String,
}

/// `add_endpoint_subnet` / `remove_endpoint_subnet = { vpc_endpoint = "...", subnet_id = "..." }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpointSubnet {
    /// The interface endpoint.
    pub vpc_endpoint: String,
    /// The subnet.
    pub subnet_id: String,
}

/// `slow = { instance = "...", response_time = "2s" }` of an event.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlow {
    /// The instance whose web server it is.
    pub instance: String,
    /// Its response time from the event on.
    pub response_time: Duration,
}

/// `revoke = { security_group = "...", ingress = N }` (or `egress = N`) of an event: one rule of a
/// group, by its position in the group's list.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRuleRef {
    /// The group.
    pub security_group: String,
    /// The rule's position in the group's `ingress` list.
    pub ingress: Option<usize>,
    /// The rule's position in the group's `egress` list.
    pub egress: Option<usize>,
}

/// `listener_weights = { load_balancer = "...", port = 80, forward = [...] }` of an event.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListenerWeights {
    /// The load balancer.
    pub load_balancer: String,
    /// The port of its listener.
    pub port: u16,
    /// A weight for each target group the listener forwards to.
    pub forward: Vec<RawForward>,
}

/// `load_balancer_cross_zone = { load_balancer = "...", enabled = true }` of an event.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancerCrossZone {
    /// The load balancer.
    pub load_balancer: String,
    /// The new `enable_cross_zone_load_balancing`.
    pub enabled: bool,
}

/// `target_group_cross_zone = { target_group = "...", enabled = "..." }` of an event.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetGroupCrossZone {
    /// The target group.
    pub target_group: String,
    /// The new `load_balancing.cross_zone.enabled`.
    pub enabled: CrossZoneAttr,
}

/// `[[variants]]`
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariant {
    /// Name shown in reports.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Overrides, as a table shaped like the scenario (`set.load_balancers.NAME.KEY = value`).
    #[serde(default)]
    pub set: toml::Table,
}
