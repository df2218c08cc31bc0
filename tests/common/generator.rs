//! A property-based generator of random, valid scenarios, as TOML text.
//!
//! [`scenario()`] is a proptest [`Strategy`] of [`GenScenario`]s. It draws a [`Plan`] (every
//! random choice, as plain numbers and flags proptest knows how to shrink) and [`build`]s the
//! TOML text from it with `format!`, repairing the few combinations validation rejects (noted in
//! [`GenScenario::notes`]). What it varies:
//!
//! - one or two accounts, each with its own AZ name -> AZ ID map over 1-6 zones (`us-east-1a`..
//!   mapped to a random permutation of `use1-az1`..`use1-az6`); with two, the provider's and the
//!   consumer's subnets are placed by AZ *name* in their own account, so the same name is
//!   usually another physical zone (PrivateLink matches AZ IDs);
//! - provider VPC with 1-6 subnets in distinct AZs; the NLB enables a random non-empty subset
//!   of them; 0-50 instances per provider subnet, also in subnets the NLB does not enable
//!   (those targets get nothing); some stopped, some whose web server listens on another port,
//!   some without a web server, some on the VPC's default group; registered in one or two target
//!   groups (or none);
//! - one listener TCP :80, to one target group or a weighted `forward` (weights 0-999, one at
//!   least positive); cross-zone on the load balancer and the target group attribute at random;
//!   `hash` uniform or (rarely) maglev; health checks on the traffic port or on another port;
//!   rarely (one target group in eight) a routing failover count (1-3) or percentage (10-100);
//! - security groups that may deny at each hop: the endpoint's (all / some / none of the client
//!   subnets, a client group reference, or the VPC default group), the NLB's (none, or one
//!   admitting all or some client subnets, enforced on PrivateLink traffic or not) and the
//!   targets' (the provider CIDR, some provider subnets, the NLB's group by reference);
//! - consumer VPC with 1-6 subnets (AZ names drawn freely, so several may share a zone), the
//!   endpoint's ENIs in a random non-empty subset of those whose AZ *ID* the NLB enables (one per
//!   zone), 1-6 clients in random consumer subnets, sometimes a stray client in the provider VPC;
//!   provider and consumer CIDRs the same (as in the real experiment) or not;
//! - DNS: a private hosted zone associated with the consumer VPC (sometimes with the provider's
//!   too, sometimes only with the provider's: DNS_NXDOMAIN), the host an alias to the endpoint's
//!   regional name, a zonal alias, a CNAME to an alias, an A record with fixed addresses (ENI
//!   addresses or addresses no endpoint owns: NO_ENDPOINT_AT_ADDRESS), a CNAME to such a record,
//!   or a name that does not exist; TTLs 0-300;
//! - workload and network: `dns_cache`, arrival rate 10 to 1e6 per second, connect timeouts
//!   down to 1us, latencies from 0 to 10 s (the resolver's sometimes 1ns, so answers race
//!   arrivals);
//! - one or two variants, each with up to three `set` overrides (cross-zone flipped, a target
//!   group attribute, `dns_cache`, enforcement, the hash, a stopped target, weights, timeouts).
//!
//! Each hop may be in trouble ([`Troubles`], each one in five scenarios): a hop without trouble
//! is built to let every flow through, so that failures do not pile up (with every hop free to
//! fail at once, most scenarios answered nothing). About 40 % of the scenarios answer every
//! flow, about 40 % none; every reachable failure reason ends some flows in 5-15 % of them
//! (measured over 100,000 cases).
//!
//! - egress rules on the clients' group and the NLB's (CLIENT_SG_DENY, NLB_SG_EGRESS_DENY);
//! - a second NLB behind the service in some of the first's zones, listening on the workload's
//!   port or not (NO_LISTENER for the ENIs bound to it).
//!
//! TARGET_STOPPED is out of reach: a stopped instance is `unused` and never eligible.

use std::fmt::{self, Write as _};
use std::net::Ipv4Addr;

use proptest::collection::vec;
use proptest::prelude::*;

/// AZ names of every account, in map order.
const AZ_NAMES: [&str; 6] = [
    "us-east-1a",
    "us-east-1b",
    "us-east-1c",
    "us-east-1d",
    "us-east-1e",
    "us-east-1f",
];

/// The NLB's DNS name when direct clients use it.
const NLB_NAME: &str = "nlb-0123456789abcdef.elb.us-east-1.amazonaws.com";

/// Most targets in one provider subnet.
pub const MAX_TARGETS_PER_SUBNET: usize = 50;

/// A generated scenario.
#[derive(Clone)]
pub struct GenScenario {
    /// The scenario file.
    pub toml: String,
    /// What was drawn and repaired, one line each, for people reading a failure.
    pub notes: Vec<String>,
    /// The addresses the generator expects the endpoint's ENIs to get, in `subnet_ids` order
    /// (it writes some of them into A records; a test checks it against validation).
    pub eni_ips: Vec<Ipv4Addr>,
}

impl fmt::Debug for GenScenario {
    /// The notes as comments, then the TOML verbatim: a failing case prints as a file to save.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "GenScenario:")?;
        for note in &self.notes {
            writeln!(f, "# {note}")?;
        }
        writeln!(f, "# ----- gen.toml -----")?;
        f.write_str(&self.toml)?;
        writeln!(f, "# ----- end of gen.toml -----")
    }
}

/// Every random choice of one scenario. Numbers are interpreted (modulo, masks) by [`build`], so
/// any value is valid and shrinking moves towards the first option of each choice.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Which hops may go wrong; the others are made to work (see [`Troubles`]).
    pub troubles: Troubles,
    pub accounts: AccountsPlan,
    pub provider: ProviderPlan,
    pub targets: TargetsPlan,
    pub security: SecurityPlan,
    pub consumer: ConsumerPlan,
    pub dns: DnsPlan,
    pub workload: WorkloadPlan,
    pub variants: Vec<Vec<Override>>,
    /// Scheduled events: (kind, which resource, gap to the previous one in thousandths of 2,000
    /// mean arrival gaps); see [`events_text`].
    pub events: Vec<(u8, u16, u16)>,
    /// Direct clients of the NLB in the provider VPC, when drawn.
    pub direct: Option<DirectPlan>,
}

/// Clients in the provider VPC that resolve the host to the NLB and connect to a node directly
/// (NLB-11 to NLB-16), and the NLB's and target group's settings that then matter.
#[derive(Clone, Debug)]
pub struct DirectPlan {
    /// Per direct client (1-3): the provider subnet whose zone its own application subnet is in.
    pub clients: Vec<u8>,
    /// What the host is for them, in a zone of that name associated with the provider VPC: 0 an
    /// alias to the NLB, 1 a CNAME to its regional name, 2 a CNAME to one of its zonal names.
    pub form: u8,
    /// `dns_record_client_routing_policy`: 0 omitted, 1 any, 2 partial, 3 full affinity.
    pub policy: u8,
    /// tg0's `preserve_client_ip.enabled`: 0 omitted (on, instance targets), 1 true, 2 false.
    pub preserve: u8,
    /// tg0's `proxy_protocol_v2` (bit 0) and the servers that expect the header (bit i + 1 of
    /// target i, when targets may be in trouble).
    pub proxy: u16,
    /// `enable_zonal_shift`, so that events may shift zones.
    pub zonal_shift: bool,
    /// The NLB's group admits the application subnets (always, unless the NLB may be in
    /// trouble).
    pub admitted: bool,
    /// The first serving target is a client too (when targets may be in trouble): its flows
    /// sent back to itself time out when its address is preserved (NLB-16).
    pub hairpin: bool,
    /// A UDP workload (NLB-17): the direct clients alone (UDP cannot cross PrivateLink), a
    /// TCP_UDP listener and groups, a UDP server beside each web server, a `udp` twin of every
    /// `tcp` security-group rule.
    pub udp: bool,
    /// tg0 names its targets by IP address (`target_type = "ip"`: client IP preservation then
    /// off by default over TCP, NLB-16).
    pub ip_targets: bool,
}

/// The hops at which a scenario may deny or lose flows. A hop without trouble is built to let
/// every flow through (its random choices are narrowed to the working ones), so that failures
/// do not pile up: with every hop free to fail at once, most scenarios would answer nothing.
/// Shrinking turns troubles off, so a minimal failing case keeps only the ones it needs.
#[derive(Clone, Debug)]
pub struct Troubles {
    /// Names that do not resolve, answers that are not ENIs, a stray client.
    pub dns: bool,
    /// The endpoint's security group admits only some clients (or none).
    pub endpoint: bool,
    /// The NLB's security group admits only some client subnets.
    pub nlb: bool,
    /// Stopped, wrong-port and serverless targets; target security groups that deny nodes.
    pub targets: bool,
    /// Zones without targets (NO_ELIGIBLE_TARGET with cross-zone off).
    pub zones: bool,
    /// Egress rules that let only some SYNs out: the clients' (CLIENT_SG_DENY) and the NLB's
    /// towards its targets (NLB_SG_EGRESS_DENY, and failed health checks).
    pub egress: bool,
}

#[derive(Clone, Debug)]
pub struct AccountsPlan {
    /// Provider and consumer in different accounts.
    pub two: bool,
    /// Zones per account (1-6).
    pub zones: [usize; 2],
    /// AZ ID numbers per account: a permutation of 1-6, the first `zones` used.
    pub ids: [Vec<u8>; 2],
    /// Write `account = ...` on the VPCs even with one account.
    pub write_account: bool,
}

#[derive(Clone, Debug)]
pub struct ProviderPlan {
    /// Second octet of the provider VPC (10.X.0.0/16).
    pub octet: u8,
    /// Third octet of the first subnet.
    pub third: u8,
    /// Subnets (1-6, at most one per zone of the account).
    pub subnets: usize,
    /// AZ name positions, a permutation of 0-5: the subnets take the first that exist.
    pub order: Vec<u8>,
    /// Subnets the NLB enables (bit i: subnet i).
    pub nlb_mask: u8,
    /// The NLB lists its subnets backwards.
    pub reversed: bool,
    /// A second target group.
    pub two_groups: bool,
    /// Target group ports.
    pub ports: (u16, u16),
    /// The port "wrong" web servers listen on.
    pub alt_port: u16,
    /// Forward weights.
    pub weights: (u16, u16),
    /// With one target group: `forward = [...]` instead of `target_group = ...`.
    pub forward_form: bool,
    /// Target group cross-zone attributes (0 omitted, 1 "true", 2 "false", 3
    /// "use_load_balancer_configuration", 4 true, 5 false).
    pub group_cross_zone: (u8, u8),
    /// `enable_cross_zone_load_balancing`.
    pub lb_cross_zone: Option<bool>,
    /// `hash`: None omitted, Some(false) "uniform", Some(true) "maglev".
    pub hash: Option<bool>,
    /// Health checks (0-3 omitted, 4 explicit on the traffic port, 5 on `alt_port`).
    pub health: (u8, u8),
    /// Response time of every web server (ns).
    pub response_time: Option<u64>,
    /// A second NLB behind the service: 0 none, 1 listening on 80, 2 on 81 only (its ENIs'
    /// flows are then reset: NO_LISTENER), and the subnets it enables (bit i: subnet i of the
    /// first's), and whether the service lists it first.
    pub second_nlb: (u8, u8, bool),
    /// Routing failover thresholds of tg0, tg1 and the second NLB's tg2 (NLB-6): 0 none (AWS's
    /// default), 1-3 `minimum_healthy_targets.count`, 10-100 `.percentage`.
    pub routing_failover: (u8, u8, u8),
}

#[derive(Clone, Debug)]
pub struct TargetsPlan {
    /// Instances per provider subnet (0-50).
    pub per_subnet: Vec<u8>,
    /// One word per instance: its kind, target groups and security group.
    pub rolls: Vec<u32>,
    /// Percentages of stopped, wrong-port and serverless instances.
    pub profile: (u8, u8, u8),
}

#[derive(Clone, Debug)]
pub struct SecurityPlan {
    /// The NLB has `nlb-sg`.
    pub nlb_sg: bool,
    /// `enforce_security_group_inbound_rules_on_private_link_traffic`.
    pub enforce: Option<bool>,
    /// `nlb-sg` admits the whole consumer VPC (else the consumer subnets of `nlb_mask`).
    pub nlb_all: bool,
    pub nlb_mask: u8,
    pub nlb_ports: u8,
    /// `web-sg`: 0 the provider CIDR, 1 some provider subnets, 2 `nlb-sg` by reference, 3 both
    /// some subnets and `nlb-sg`.
    pub web: u8,
    pub web_mask: u8,
    pub web_ports: u8,
    /// Endpoint: 0 `ep-sg` admitting the consumer CIDR, 1 some consumer subnets, 2 nothing,
    /// 3 `client-sg` by reference, 4 the VPC's default group.
    pub endpoint: u8,
    pub endpoint_mask: u8,
    pub endpoint_ports: u8,
    /// `client-sg`'s egress: 0 omitted (all), 1 to some consumer subnets, 2 none (`[]`).
    pub client_egress: u8,
    pub client_egress_mask: u8,
    /// `nlb-sg`'s egress: 0 omitted (all), 1 to some provider subnets, 2 none (`[]`).
    pub nlb_egress: u8,
    pub nlb_egress_mask: u8,
}

#[derive(Clone, Debug)]
pub struct ConsumerPlan {
    /// Same CIDR as the provider.
    pub overlap: bool,
    /// Else the second octet is the provider's plus 1 + this (mod 256).
    pub octet: u8,
    pub third: u8,
    /// Subnets (1-6).
    pub subnets: usize,
    /// AZ name of each subnet (modulo the account's zones).
    pub azs: Vec<u8>,
    /// Subnets asked for an ENI (bit i: subnet i).
    pub eni_mask: u8,
    /// Clients: (subnet roll, carries `client-sg`).
    pub clients: Vec<(u8, bool)>,
    /// A client in the provider VPC as well.
    pub stray: bool,
}

#[derive(Clone, Debug)]
pub struct DnsPlan {
    /// Zone name choice.
    pub zone: u8,
    /// Associations: 0 provider only, 1-2 both, else consumer only.
    pub association: u8,
    /// What the host is: 0 regional alias, 1 zonal alias, 2 CNAME to an alias, 3 A record with
    /// fixed addresses, 4 CNAME to such a record, 5 a name with no record, 6 a CNAME to one.
    pub kind: u8,
    /// Which ENI a zonal alias names; whether the CNAME's alias is zonal.
    pub zonal: u8,
    pub cname_to_zonal: bool,
    pub ttls: (u32, u32),
    /// Fixed addresses of an A record (each: an ENI's, or one no endpoint owns).
    pub addresses: Vec<u16>,
    /// Record names written fully qualified.
    pub fqdn: bool,
    /// Host written with capitals and a trailing dot.
    pub odd_host: bool,
}

#[derive(Clone, Debug)]
pub struct WorkloadPlan {
    pub dns_cache: Option<bool>,
    /// Arrival rate 10^(1 + 5 * rate / 1e6).
    pub rate: u32,
    pub connect_timeout: Option<u64>,
    /// same_az, cross_az, resolver, privatelink (ns).
    pub latencies: [Option<u64>; 4],
    pub path: u8,
    pub write_port_protocol: bool,
    /// `[run]` seed and flows (the test passes its own to the engines).
    pub run: Option<(u64, u64)>,
    /// Connections that live: (duration in thousandths of 2,000 mean arrival gaps, exponential,
    /// request interval in thousandths of the duration, the target groups' termination bits:
    /// deregistration termination, unhealthy termination off, draining interval 0 / 1 s / 60 s,
    /// delay 0 / 1 s).
    pub connection: Option<(u16, bool, Option<u16>, u8)>,
}

/// One `set` override of a variant.
#[derive(Clone, Debug)]
pub enum Override {
    /// Flip the load balancer's cross-zone setting.
    LbCrossZone,
    /// Set target group `tg0`'s attribute (1-5 as in [`ProviderPlan::group_cross_zone`]).
    GroupCrossZone(u8),
    /// Flip `dns_cache`.
    DnsCache,
    /// Set enforcement on PrivateLink traffic.
    Enforce(bool),
    /// Set the hash (true: maglev).
    Hash(bool),
    /// Stop the n-th target instance (modulo their number), if any.
    StopTarget(u16),
    /// Change the forward weights.
    Weights(u16, u16),
    /// Change the connect timeout (ns).
    ConnectTimeout(u64),
    /// Change the resolver latency (ns).
    ResolverLatency(u64),
}

impl Override {
    fn kind(&self) -> u8 {
        match self {
            Override::LbCrossZone => 0,
            Override::GroupCrossZone(_) => 1,
            Override::DnsCache => 2,
            Override::Enforce(_) => 3,
            Override::Hash(_) => 4,
            Override::StopTarget(_) => 5,
            Override::Weights(..) => 6,
            Override::ConnectTimeout(_) => 7,
            Override::ResolverLatency(_) => 8,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies.

/// Random valid scenarios.
pub fn scenario() -> impl Strategy<Value = GenScenario> {
    plan().prop_map(|p| build(&p))
}

fn trouble() -> impl Strategy<Value = bool> {
    prop_oneof![4 => Just(false), 1 => Just(true)]
}

fn troubles() -> impl Strategy<Value = Troubles> {
    (
        trouble(),
        trouble(),
        trouble(),
        trouble(),
        trouble(),
        trouble(),
    )
        .prop_map(|(dns, endpoint, nlb, targets, zones, egress)| Troubles {
            dns,
            endpoint,
            nlb,
            targets,
            zones,
            egress,
        })
}

/// Every random choice of one scenario.
pub fn plan() -> impl Strategy<Value = Plan> {
    (
        troubles(),
        accounts_plan(),
        provider_plan(),
        targets_plan(),
        security_plan(),
        consumer_plan(),
        dns_plan(),
        workload_plan(),
        vec(vec(override_strategy(), 0..=3), 1..=2),
        prop_oneof![
            1 => Just(Vec::new()),
            1 => vec((any::<u8>(), any::<u16>(), 0u16..=600), 1..=6),
        ],
        prop_oneof![1 => Just(None), 3 => direct_plan().prop_map(Some)],
    )
        .prop_map(
            |(
                troubles,
                accounts,
                provider,
                targets,
                security,
                consumer,
                dns,
                workload,
                variants,
                events,
                direct,
            )| Plan {
                troubles,
                accounts,
                provider,
                targets,
                security,
                consumer,
                dns,
                workload,
                variants,
                events,
                direct,
            },
        )
}

fn direct_plan() -> impl Strategy<Value = DirectPlan> {
    (
        vec(any::<u8>(), 1..=3),
        0u8..3,
        0u8..4,
        0u8..3,
        any::<u16>(),
        any::<bool>(),
        any::<bool>(),
        // A target that is a client, most of the time its targets may fail (hairpin).
        proptest::bool::weighted(0.8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                clients,
                form,
                policy,
                preserve,
                proxy,
                zonal_shift,
                admitted,
                hairpin,
                udp,
                ip_targets,
            )| {
                DirectPlan {
                    udp,
                    ip_targets,
                    clients,
                    form,
                    policy,
                    preserve,
                    proxy,
                    zonal_shift,
                    admitted,
                    hairpin,
                }
            },
        )
}

fn permutation() -> impl Strategy<Value = Vec<u8>> {
    Just((1..=6).collect::<Vec<u8>>()).prop_shuffle()
}

fn accounts_plan() -> impl Strategy<Value = AccountsPlan> {
    (
        any::<bool>(),
        1usize..=6,
        1usize..=6,
        permutation(),
        permutation(),
        any::<bool>(),
    )
        .prop_map(|(two, z0, z1, ids0, ids1, write_account)| AccountsPlan {
            two,
            zones: [z0, z1],
            ids: [ids0, ids1],
            write_account,
        })
}

fn weight() -> impl Strategy<Value = u16> {
    prop_oneof![2 => Just(0u16), 6 => 1u16..=999, 1 => Just(999u16)]
}

fn cross_zone_attr() -> impl Strategy<Value = u8> {
    prop_oneof![2 => Just(0u8), 3 => 1u8..=5]
}

/// A routing failover threshold, one target group in eight (see
/// [`ProviderPlan::routing_failover`]).
fn routing_failover() -> impl Strategy<Value = u8> {
    prop_oneof![14 => Just(0u8), 1 => 1u8..=3, 1 => 10u8..=100]
}

/// The line that sets routing failover threshold `threshold` (none for 0).
fn routing_failover_line(threshold: u8) -> Option<String> {
    let key = "target_group_health.unhealthy_state_routing.minimum_healthy_targets";
    match threshold {
        0 => None,
        1..=3 => Some(format!("{key}.count = {threshold}")),
        _ => Some(format!("{key}.percentage = {threshold}")),
    }
}

fn provider_plan() -> impl Strategy<Value = ProviderPlan> {
    (
        (
            any::<u8>(),
            any::<u8>(),
            1usize..=6,
            Just((0..6).collect::<Vec<u8>>()).prop_shuffle(),
            1u8..64,
            any::<bool>(),
        ),
        (
            prop_oneof![3 => Just(false), 2 => Just(true)],
            (
                prop_oneof![Just(80u16), Just(8080u16)],
                prop_oneof![Just(80u16), Just(8080u16), Just(8443u16)],
            ),
            prop_oneof![Just(9000u16), Just(8081u16)],
            (weight(), weight()),
            any::<bool>(),
        ),
        (
            (cross_zone_attr(), cross_zone_attr()),
            proptest::option::of(any::<bool>()),
            prop_oneof![6 => Just(None), 5 => Just(Some(false)), 1 => Just(Some(true))],
            (0u8..6, 0u8..6),
            prop_oneof![
                3 => Just(None),
                1 => Just(Some(0u64)),
                2 => (1u64..=2_000_000).prop_map(Some),
                1 => (2_000_000u64..=5_000_000_000).prop_map(Some),
            ],
        ),
        (
            prop_oneof![6 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8)],
            any::<u8>(),
            any::<bool>(),
        ),
        (routing_failover(), routing_failover(), routing_failover()),
    )
        .prop_map(
            |(
                (octet, third, subnets, order, nlb_mask, reversed),
                (two_groups, ports, alt_port, weights, forward_form),
                (group_cross_zone, lb_cross_zone, hash, health, response_time),
                second_nlb,
                routing_failover,
            )| ProviderPlan {
                second_nlb,
                routing_failover,
                octet,
                third,
                subnets,
                order,
                nlb_mask,
                reversed,
                two_groups,
                ports,
                alt_port,
                weights,
                forward_form,
                group_cross_zone,
                lb_cross_zone,
                hash,
                health,
                response_time,
            },
        )
}

fn targets_plan() -> impl Strategy<Value = TargetsPlan> {
    let count = prop_oneof![1 => Just(0u8), 4 => 1u8..=4, 2 => 0u8..=12, 1 => 0u8..=50];
    let profile = prop_oneof![
        6 => Just((0u8, 0u8, 0u8)),
        3 => (0u8..=25, 0u8..=25, 0u8..=25),
        1 => Just((100, 0, 0)),
        1 => Just((0, 100, 0)),
        1 => Just((0, 0, 100)),
        2 => (0u8..=60, 0u8..=60, 0u8..=60),
    ];
    (
        vec(count, 6),
        vec(any::<u32>(), 6 * MAX_TARGETS_PER_SUBNET),
        profile,
    )
        .prop_map(|(per_subnet, rolls, profile)| TargetsPlan {
            per_subnet,
            rolls,
            profile,
        })
}

/// Ports of a rule (see [`rule_ports`]): mostly every TCP port.
fn port_mode() -> impl Strategy<Value = u8> {
    prop_oneof![5 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8)]
}

fn security_plan() -> impl Strategy<Value = SecurityPlan> {
    (
        (
            any::<bool>(),
            proptest::option::of(any::<bool>()),
            any::<bool>(),
            any::<u8>(),
            port_mode(),
        ),
        (
            prop_oneof![5 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8)],
            any::<u8>(),
            port_mode(),
        ),
        (
            prop_oneof![
                10 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8), 2 => Just(3u8), 2 => Just(4u8)
            ],
            any::<u8>(),
            port_mode(),
        ),
        (0u8..3, any::<u8>(), 0u8..3, any::<u8>()),
    )
        .prop_map(
            |(
                (nlb_sg, enforce, nlb_all, nlb_mask, nlb_ports),
                (web, web_mask, web_ports),
                (endpoint, endpoint_mask, endpoint_ports),
                (client_egress, client_egress_mask, nlb_egress, nlb_egress_mask),
            )| SecurityPlan {
                client_egress,
                client_egress_mask,
                nlb_egress,
                nlb_egress_mask,
                nlb_sg,
                enforce,
                nlb_all,
                nlb_mask,
                nlb_ports,
                web,
                web_mask,
                web_ports,
                endpoint,
                endpoint_mask,
                endpoint_ports,
            },
        )
}

fn consumer_plan() -> impl Strategy<Value = ConsumerPlan> {
    (
        any::<bool>(),
        any::<u8>(),
        any::<u8>(),
        1usize..=6,
        vec(any::<u8>(), 6),
        1u8..64,
        vec((any::<u8>(), any::<bool>()), 1..=6),
        prop_oneof![3 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(overlap, octet, third, subnets, azs, eni_mask, clients, stray)| ConsumerPlan {
                overlap,
                octet,
                third,
                subnets,
                azs,
                eni_mask,
                clients,
                stray,
            },
        )
}

fn ttl() -> impl Strategy<Value = u32> {
    prop_oneof![2 => Just(0u32), 3 => 0u32..=300, 1 => Just(60u32), 1 => Just(300u32)]
}

fn dns_plan() -> impl Strategy<Value = DnsPlan> {
    (
        0u8..3,
        0u8..20,
        prop_oneof![
            10 => Just(0u8), 3 => Just(1u8), 3 => Just(2u8), 3 => Just(3u8), 2 => Just(4u8),
            1 => Just(5u8), 1 => Just(6u8)
        ],
        any::<u8>(),
        any::<bool>(),
        (ttl(), ttl()),
        vec(any::<u16>(), 1..=4),
        any::<bool>(),
        prop_oneof![5 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(zone, association, kind, zonal, cname_to_zonal, ttls, addresses, fqdn, odd_host)| {
                DnsPlan {
                    zone,
                    association,
                    kind,
                    zonal,
                    cname_to_zonal,
                    ttls,
                    addresses,
                    fqdn,
                    odd_host,
                }
            },
        )
}

/// A one-way latency in nanoseconds, or None for the default.
fn latency() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(0u64)),
        1 => Just(Some(1u64)),
        3 => (1u64..=1_000_000).prop_map(Some),
        1 => (1_000_000u64..=10_000_000_000).prop_map(Some),
    ]
}

fn connect_timeout() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(1_000u64)),
        1 => (1u64..=2_000_000).prop_map(Some),
        2 => (2_000_000u64..=30_000_000_000).prop_map(Some),
    ]
}

fn workload_plan() -> impl Strategy<Value = WorkloadPlan> {
    (
        proptest::option::of(any::<bool>()),
        0u32..=1_000_000,
        connect_timeout(),
        (
            latency(),
            latency(),
            prop_oneof![3 => latency(), 1 => Just(Some(1u64))],
            latency(),
        ),
        0u8..3,
        any::<bool>(),
        proptest::option::of((0..=i64::MAX as u64, 1u64..=100_000)),
        prop_oneof![
            3 => Just(None),
            1 => (
                1u16..=2000,
                any::<bool>(),
                proptest::option::of(1u16..=2000),
                any::<u8>()
            )
                .prop_map(Some),
        ],
    )
        .prop_map(
            |(
                dns_cache,
                rate,
                connect_timeout,
                (a, b, c, d),
                path,
                write_port_protocol,
                run,
                connection,
            )| {
                WorkloadPlan {
                    dns_cache,
                    rate,
                    connect_timeout,
                    latencies: [a, b, c, d],
                    path,
                    write_port_protocol,
                    run,
                    connection,
                }
            },
        )
}

fn override_strategy() -> impl Strategy<Value = Override> {
    prop_oneof![
        4 => Just(Override::LbCrossZone),
        3 => (1u8..=5).prop_map(Override::GroupCrossZone),
        2 => Just(Override::DnsCache),
        2 => any::<bool>().prop_map(Override::Enforce),
        1 => prop_oneof![5 => Just(false), 1 => Just(true)].prop_map(Override::Hash),
        2 => any::<u16>().prop_map(Override::StopTarget),
        2 => (weight(), weight()).prop_map(|(a, b)| Override::Weights(a, b)),
        1 => connect_timeout().prop_map(|t| Override::ConnectTimeout(t.unwrap_or(1_000))),
        1 => latency().prop_map(|l| Override::ResolverLatency(l.unwrap_or(1))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Building the TOML text.

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Serving,
    Stopped,
    WrongPort,
    NoServer,
}

/// The `[[events]]` of `events` (kind, which, gap): each drawn kind acts on a resource whose
/// state allows it (a crash on a server that answers, a register on a deregistered target, ...),
/// the `which`-th of them, or is left out (noted) when none does. Times: gaps in thousandths of
/// 2,000 mean arrival gaps, so the events fall within runs of a few thousand flows, and some after
/// them. Stops and starts leave alone the instances a variant stops. Revokes and authorizes act
/// on `rules` ((group, list, position): the targets' and the endpoint's rules that exist), a
/// revoke on one in its group, an authorize on one revoked before (EV-7); weights go to the
/// listener's `forward` groups when it has a forward (EV-8).
#[allow(clippy::too_many_arguments)]
fn events_text(
    events: &[(u8, u16, u16)],
    targets: &[TargetSpec],
    stoppable: &[&TargetSpec],
    zones: &[String],
    rules: &[(&str, &str, usize)],
    forward: Option<&[&str]>,
    eni_subnets: &[String],
    rate: f64,
    shiftable: bool,
    notes: &mut Vec<String>,
) -> String {
    let mut shifted: Vec<bool> = zones.iter().map(|_| false).collect();
    let mut out = String::new();
    let mut eni_in: Vec<bool> = eni_subnets.iter().map(|_| true).collect();
    let mut active: Vec<bool> = rules.iter().map(|_| true).collect();
    let mut serving: Vec<bool> = targets.iter().map(|_| true).collect();
    let mut running: Vec<bool> = targets.iter().map(|x| x.kind != Kind::Stopped).collect();
    let mut registered: Vec<bool> = targets.iter().map(|_| true).collect();
    let mut impaired: Vec<bool> = zones.iter().map(|_| false).collect();
    let mut cross_zone = false;
    let mut at = 0.0;
    for &(kind, which, gap) in events {
        at += f64::from(gap) / 1000.0 * 2000.0 / rate;
        let pick = |ok: &dyn Fn(usize) -> bool| {
            let c: Vec<usize> = (0..targets.len()).filter(|&i| ok(i)).collect();
            (!c.is_empty()).then(|| c[usize::from(which) % c.len()])
        };
        let has_server = |i: usize| matches!(targets[i].kind, Kind::Serving | Kind::WrongPort);
        let in_group = |i: usize| targets[i].groups.0 || targets[i].groups.1;
        let may_stop = |i: usize| stoppable.iter().any(|x| x.name == targets[i].name);
        let rule = |want: bool, active: &mut Vec<bool>| {
            let c: Vec<usize> = (0..rules.len()).filter(|&r| active[r] == want).collect();
            (!c.is_empty()).then(|| {
                let r = c[usize::from(which) % c.len()];
                active[r] = !want;
                let (group, list, position) = rules[r];
                format!(
                    "{} = {{ security_group = \"{group}\", {list} = {position} }}",
                    if want { "revoke" } else { "authorize" }
                )
            })
        };
        let line = match kind % 14 {
            0 => pick(&|i| has_server(i) && serving[i]).map(|i| {
                serving[i] = false;
                format!("crash = \"{}\"", targets[i].name)
            }),
            1 => pick(&|i| !serving[i]).map(|i| {
                serving[i] = true;
                format!("recover = \"{}\"", targets[i].name)
            }),
            2 => pick(&|i| may_stop(i) && running[i]).map(|i| {
                running[i] = false;
                format!("stop_instance = \"{}\"", targets[i].name)
            }),
            3 => pick(&|i| may_stop(i) && !running[i]).map(|i| {
                running[i] = true;
                format!("start_instance = \"{}\"", targets[i].name)
            }),
            4 => pick(&|i| in_group(i) && registered[i]).map(|i| {
                registered[i] = false;
                format!("deregister = \"{}\"", targets[i].name)
            }),
            5 => pick(&|i| in_group(i) && !registered[i]).map(|i| {
                registered[i] = true;
                format!("register = \"{}\"", targets[i].name)
            }),
            6 => {
                let free: Vec<usize> = (0..zones.len()).filter(|&z| !impaired[z]).collect();
                (!free.is_empty()).then(|| {
                    let z = free[usize::from(which) % free.len()];
                    impaired[z] = true;
                    format!(
                        "impair_zone = \"{}\"{}",
                        zones[z],
                        if which & 0x8000 != 0 {
                            "\ntargets_only = true"
                        } else {
                            ""
                        }
                    )
                })
            }
            7 => {
                let down: Vec<usize> = (0..zones.len()).filter(|&z| impaired[z]).collect();
                (!down.is_empty()).then(|| {
                    let z = down[usize::from(which) % down.len()];
                    impaired[z] = false;
                    format!("restore_zone = \"{}\"", zones[z])
                })
            }
            8 => {
                cross_zone = !cross_zone;
                Some(format!(
                    "load_balancer_cross_zone = {{ load_balancer = \"nlb\", enabled = {cross_zone} }}"
                ))
            }
            9 => rule(true, &mut active),
            10 => rule(false, &mut active),
            11 if shiftable => {
                // Start a zonal shift of the NLB away from an enabled zone, or end one.
                let z = usize::from(which) % zones.len();
                shifted[z] = !shifted[z];
                Some(format!(
                    "{}_zonal_shift = {{ load_balancer = \"nlb\", away_from = \"{}\" }}",
                    if shifted[z] { "start" } else { "end" },
                    zones[z]
                ))
            }
            13 => {
                // Remove one of the endpoint's subnets (keeping one), or add one back.
                let k = usize::from(which) % eni_subnets.len().max(1);
                let left = eni_in.iter().filter(|&&x| x).count();
                match eni_in.get(k).copied() {
                    Some(true) if left > 1 => {
                        eni_in[k] = false;
                        Some(format!(
                            "remove_endpoint_subnet = {{ vpc_endpoint = \"ep\", subnet_id = \"{}\" }}",
                            eni_subnets[k]
                        ))
                    }
                    Some(false) => {
                        eni_in[k] = true;
                        Some(format!(
                            "add_endpoint_subnet = {{ vpc_endpoint = \"ep\", subnet_id = \"{}\" }}",
                            eni_subnets[k]
                        ))
                    }
                    _ => None,
                }
            }
            12 => pick(&|i| has_server(i)).map(|i| {
                // Slow: from 1us to about a second.
                format!(
                    "slow = {{ instance = \"{}\", response_time = \"{}us\" }}",
                    targets[i].name,
                    1 + u32::from(which) * 15
                )
            }),
            _ => forward.map(|groups| {
                // Weights 0-999, at least one above 0; in the drawn order or reversed.
                let mut weights: Vec<u16> = groups
                    .iter()
                    .enumerate()
                    .map(|(g, _)| (which >> (5 * g)) % 1000)
                    .collect();
                if weights.iter().all(|&w| w == 0) {
                    weights[0] = 1 + which % 999;
                }
                let mut entries: Vec<String> = groups
                    .iter()
                    .zip(&weights)
                    .map(|(g, w)| format!("{{ target_group = \"{g}\", weight = {w} }}"))
                    .collect();
                if which & 0x8000 != 0 {
                    entries.reverse();
                }
                format!(
                    "listener_weights = {{ load_balancer = \"nlb\", port = 80, forward = [{}] }}",
                    entries.join(", ")
                )
            }),
        };
        match line {
            Some(action) => {
                let _ = writeln!(
                    out,
                    "[[events]]\nat = \"{}ns\"\n{action}\n",
                    (at * 1e9).round() as u64
                );
            }
            None => notes.push(format!(
                "event of kind {} left out: nothing it could act on",
                kind % 14
            )),
        }
    }
    if !events.is_empty() {
        notes.push(format!("{} events drawn", events.len()));
    }
    out
}

struct TargetSpec {
    name: String,
    subnet: usize,
    kind: Kind,
    groups: (bool, bool),
    default_sg: bool,
    write_running: bool,
}

fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.as_ref()))
        .collect();
    format!("[{}]", inner.join(", "))
}

fn ns(n: u64) -> String {
    format!("\"{n}ns\"")
}

fn cross_zone_value(attr: u8) -> &'static str {
    match attr {
        1 => "\"true\"",
        2 => "\"false\"",
        3 => "\"use_load_balancer_configuration\"",
        4 => "true",
        _ => "false",
    }
}

/// `(protocol, from_port, to_port)` of a rule, by port mode; `port` is the one the rule is for.
fn rule_ports(mode: u8, port: u16) -> (&'static str, u16, u16) {
    match mode {
        0 => ("tcp", 0, 65535),
        1 => ("tcp", port, port),
        2 => ("-1", 0, 0),
        _ => ("tcp", 1, 1024),
    }
}

fn rule(mode: u8, port: u16, cidrs: &[String], groups: &[&str]) -> String {
    let (protocol, from, to) = rule_ports(mode, port);
    let mut text = format!("{{ protocol = \"{protocol}\", from_port = {from}, to_port = {to}");
    if !cidrs.is_empty() {
        let _ = write!(text, ", cidr_blocks = {}", quote_list(cidrs));
    }
    if !groups.is_empty() {
        let _ = write!(text, ", security_groups = {}", quote_list(groups));
    }
    text.push_str(" }");
    text
}

fn lines_listeners(p: &ProviderPlan, weights: (u16, u16)) -> String {
    if p.two_groups {
        let (mut a, b) = weights;
        if a == 0 && b == 0 {
            a = 1;
        }
        format!(
            "[{{ port = 80, protocol = \"TCP\", forward = [{{ target_group = \"tg0\", weight = {a} }}, {{ target_group = \"tg1\", weight = {b} }}] }}]"
        )
    } else if p.forward_form {
        format!(
            "[{{ port = 80, forward = [{{ target_group = \"tg0\", weight = {} }}] }}]",
            weights.0.max(1)
        )
    } else {
        "[{ port = 80, protocol = \"TCP\", target_group = \"tg0\" }]".to_string()
    }
}

/// `p` with the choices of the hops without trouble narrowed to working ones.
fn without_unwanted_trouble(p: &Plan) -> Plan {
    let mut p = p.clone();
    let t = p.troubles.clone();
    if t.dns {
        // A records with an address no endpoint owns, or names that do not resolve.
        p.dns.kind = 3 + p.dns.kind % 4;
        if p.dns.addresses.iter().all(|x| x % 4 < 2) {
            p.dns.addresses[0] |= 2;
        }
    } else {
        // Aliases, CNAMEs, or A records of ENI addresses only.
        p.dns.kind %= 5;
        for x in p.dns.addresses.iter_mut() {
            *x &= !2;
        }
        if p.dns.association == 0 {
            p.dns.association = 3;
        }
        p.consumer.stray = false;
    }
    if t.endpoint {
        if p.security.endpoint == 0 {
            p.security.endpoint = 1 + p.security.endpoint_mask % 4;
        }
    } else {
        p.security.endpoint = 0;
        p.security.endpoint_ports = 0;
    }
    if t.nlb {
        p.security.nlb_sg = true;
        p.security.nlb_all = false;
    } else {
        p.security.nlb_all = true;
    }
    if t.targets {
        // Unhealthy targets, security groups that deny nodes, or both.
        let health = p.security.web_mask % 3 != 1;
        let security = p.security.web_mask % 3 != 0;
        if !health {
            p.targets.profile = (0, 0, 0);
        } else if p.targets.profile == (0, 0, 0) {
            p.targets.profile = [(100, 0, 0), (0, 100, 0), (0, 0, 100), (30, 30, 30)]
                [usize::from(p.security.web_mask / 3 % 4)];
        }
        if !security {
            p.security.web = 0;
            p.security.web_ports = 0;
        } else if p.security.web == 0 && p.security.web_ports % 2 == 0 {
            p.security.web = 1 + p.security.web_mask / 12 % 3;
        }
    } else {
        p.targets.profile = (0, 0, 0);
        p.security.web = 0;
        if p.security.web_ports % 2 == 1 {
            p.security.web_ports = 0;
        }
        for h in [&mut p.provider.health.0, &mut p.provider.health.1] {
            if *h == 5 {
                *h = 0;
            }
        }
    }
    if t.egress {
        if p.security.client_egress == 0 && p.security.nlb_egress == 0 {
            p.security.client_egress = 1 + p.security.client_egress_mask % 2;
            p.security.nlb_egress = 1 + p.security.nlb_egress_mask % 2;
        }
        if p.security.nlb_egress != 0 {
            p.security.nlb_sg = true;
        }
        if p.security.client_egress != 0 {
            p.consumer.clients[0].1 = true;
        }
    } else {
        p.security.client_egress = 0;
        p.security.nlb_egress = 0;
    }
    if let Some(d) = p.direct.as_mut() {
        if !t.nlb {
            d.admitted = true;
        }
        // The header only on a lone group (an instance in two groups would get it from one
        // only); servers expect it exactly when it is sent, unless targets may be in trouble.
        if p.provider.two_groups || p.provider.second_nlb.0 != 0 {
            d.proxy &= !1;
        }
        if !t.targets {
            d.proxy = if d.proxy & 1 == 1 { u16::MAX } else { 0 };
            d.hairpin = false;
        }
        if d.udp {
            // UDP groups always preserve client IPs (AWS refuses to turn it off); the header is
            // modelled for TCP only.
            d.preserve %= 2;
            d.proxy = 0;
        }
    }
    if t.zones {
        // About half the subnets without targets.
        for count in p.targets.per_subnet.iter_mut() {
            if *count % 2 == 0 {
                *count = 0;
            }
        }
    } else {
        // Every subnet gets a target, the first in every target group.
        for (i, count) in p.targets.per_subnet.iter_mut().enumerate() {
            *count = (*count).max(1);
            let roll = &mut p.targets.rolls[i * MAX_TARGETS_PER_SUBNET];
            *roll = (*roll & !(7 << 16)) | (6 << 16);
        }
    }
    p
}

/// The scenario text of `p`.
pub fn build(p: &Plan) -> GenScenario {
    let p = &without_unwanted_trouble(p);
    let mut notes = vec![format!("troubles: {:?}", p.troubles)];
    let mut out = String::new();
    let a = &p.accounts;
    let pv = &p.provider;
    let sec = &p.security;
    let cv = &p.consumer;
    let dns = &p.dns;
    let wl = &p.workload;

    // Accounts: AZ name i -> use1-az{ids[i]}.
    let account_count = if a.two { 2 } else { 1 };
    let account_names = if a.two {
        ["provider-acct", "consumer-acct"]
    } else {
        ["lab", "lab"]
    };
    let mut maps: Vec<Vec<u8>> = (0..account_count)
        .map(|i| a.ids[i][..a.zones[i]].to_vec())
        .collect();
    let (pa, ca) = (0, account_count - 1);

    // Provider subnets in distinct zones; the NLB's share.
    let p_zones = maps[pa].len();
    let p_subnets = pv.subnets.min(p_zones);
    if p_subnets < pv.subnets {
        notes.push(format!(
            "provider subnets cut from {} to {p_subnets}: the account has {p_zones} zones",
            pv.subnets
        ));
    }
    let p_az: Vec<usize> = pv
        .order
        .iter()
        .map(|&x| usize::from(x))
        .filter(|&x| x < p_zones)
        .take(p_subnets)
        .collect();
    let mut enabled: Vec<usize> = (0..p_subnets)
        .filter(|i| pv.nlb_mask >> i & 1 == 1)
        .collect();
    if enabled.is_empty() {
        enabled.push(usize::from(pv.nlb_mask) % p_subnets);
    }
    let enabled_ids: Vec<u8> = enabled.iter().map(|&i| maps[pa][p_az[i]]).collect();

    // Consumer subnets, then at least one in a zone the NLB enables (by AZ ID).
    let c_subnets = cv.subnets;
    let mut c_az: Vec<usize> = cv.azs[..c_subnets]
        .iter()
        .map(|&x| usize::from(x) % maps[ca].len())
        .collect();
    let in_enabled = |maps: &Vec<Vec<u8>>, az: usize| enabled_ids.contains(&maps[ca][az]);
    if !c_az.iter().any(|&az| in_enabled(&maps, az)) {
        if let Some(j) = (0..maps[ca].len()).find(|&j| in_enabled(&maps, j)) {
            notes.push(format!(
                "repair: consumer-1 moved to {} so that the endpoint can have an ENI",
                AZ_NAMES[j]
            ));
            c_az[0] = j;
        } else {
            // Only with two accounts: the consumer's account has no zone the NLB enables.
            let old = maps[ca][c_az[0]];
            maps[ca][c_az[0]] = enabled_ids[0];
            notes.push(format!(
                "repair: consumer account maps {} to use1-az{} (was use1-az{old}) so that the endpoint can have an ENI",
                AZ_NAMES[c_az[0]], enabled_ids[0]
            ));
        }
    }
    let mut eni_subnets: Vec<usize> = Vec::new();
    let mut eni_zones: Vec<u8> = Vec::new();
    let mut consider = |i: usize, eni_subnets: &mut Vec<usize>| {
        let id = maps[ca][c_az[i]];
        if enabled_ids.contains(&id) && !eni_zones.contains(&id) {
            eni_zones.push(id);
            eni_subnets.push(i);
        }
    };
    for i in 0..c_subnets {
        if cv.eni_mask >> i & 1 == 1 {
            consider(i, &mut eni_subnets);
        }
    }
    if eni_subnets.is_empty() {
        for i in 0..c_subnets {
            if eni_subnets.is_empty() {
                consider(i, &mut eni_subnets);
            }
        }
    }

    // Addressing.
    let p_octet = pv.octet;
    let c_octet = if cv.overlap {
        p_octet
    } else {
        p_octet.wrapping_add(1).wrapping_add(cv.octet % 255)
    };
    let p_cidr = format!("10.{p_octet}.0.0/16");
    let c_cidr = format!("10.{c_octet}.0.0/16");
    let p_third = |i: usize| pv.third.wrapping_add(i as u8);
    // With the same CIDR, consumer subnets never share a third octet with provider ones: an
    // address of one VPC is then nothing in the other (a stray client in the provider VPC must
    // not meet a provider instance at an ENI's address: sim refuses direct paths, NET-3).
    let c_base = if cv.overlap {
        pv.third.wrapping_add(6).wrapping_add(cv.third % 244)
    } else {
        cv.third
    };
    let c_third = |i: usize| c_base.wrapping_add(i as u8);
    let p_subnet_cidr = |i: usize| format!("10.{p_octet}.{}.0/24", p_third(i));
    let c_subnet_cidr = |i: usize| format!("10.{c_octet}.{}.0/24", c_third(i));
    let c_addr = |i: usize, host: u8| Ipv4Addr::new(10, c_octet, c_third(i), host);

    // Clients (consumer instances are the clients alone: each takes the lowest free address of
    // its subnet in file order, then each ENI the next).
    let client_subnets: Vec<usize> = cv
        .clients
        .iter()
        .map(|(s, _)| usize::from(*s) % c_subnets)
        .collect();
    let eni_ips: Vec<Ipv4Addr> = eni_subnets
        .iter()
        .map(|&s| {
            c_addr(
                s,
                4 + client_subnets.iter().filter(|&&x| x == s).count() as u8,
            )
        })
        .collect();

    // Targets.
    let (stopped_pct, wrong_pct, none_pct) = (
        u32::from(p.targets.profile.0),
        u32::from(p.targets.profile.1),
        u32::from(p.targets.profile.2),
    );
    let mut targets: Vec<TargetSpec> = Vec::new();
    for i in 0..p_subnets {
        let count = usize::from(p.targets.per_subnet[i]).min(MAX_TARGETS_PER_SUBNET);
        for k in 0..count {
            let roll = p.targets.rolls[i * MAX_TARGETS_PER_SUBNET + k];
            // Bits 0-15: kind; 16-18: target groups; 19-27: group; 28: `instance_state`.
            let pct = (roll & 0xffff) % 100;
            let kind = if pct < stopped_pct {
                Kind::Stopped
            } else if pct < stopped_pct + wrong_pct {
                Kind::WrongPort
            } else if pct < stopped_pct + wrong_pct + none_pct {
                Kind::NoServer
            } else {
                Kind::Serving
            };
            let m = (roll >> 16) & 7;
            let groups = if pv.two_groups {
                match m {
                    0..=2 => (true, false),
                    3..=5 => (false, true),
                    6 => (true, true),
                    _ => (false, false),
                }
            } else {
                (m != 7, false)
            };
            targets.push(TargetSpec {
                name: format!("web-{}-{}", i + 1, k + 1),
                subnet: i,
                kind,
                groups,
                default_sg: p.troubles.targets && ((roll >> 19) & 0x1ff) % 12 == 0,
                write_running: (roll >> 28) & 1 == 1,
            });
        }
    }

    // ---- the text ----
    let _ = writeln!(out, "name = \"gen\"");
    let _ = writeln!(
        out,
        "description = \"generated by tests/common/generator.rs\"\nregion = \"us-east-1\"\n"
    );
    for (k, map) in maps.iter().enumerate() {
        let entries: Vec<String> = map
            .iter()
            .enumerate()
            .map(|(i, id)| format!("{} = \"use1-az{id}\"", AZ_NAMES[i]))
            .collect();
        let _ = writeln!(
            out,
            "[accounts.{}]\naz_ids = {{ {} }}\n",
            account_names[k],
            entries.join(", ")
        );
    }
    for (name, account, cidr) in [
        ("provider", account_names[pa], &p_cidr),
        ("consumer", account_names[ca], &c_cidr),
    ] {
        let _ = writeln!(out, "[vpcs.{name}]");
        if a.two || a.write_account {
            let _ = writeln!(out, "account = \"{account}\"");
        }
        let _ = writeln!(out, "cidr_block = \"{cidr}\"\n");
    }
    for i in 0..p_subnets {
        let _ = writeln!(
            out,
            "[subnets.provider-{}]\nvpc_id = \"provider\"\navailability_zone = \"{}\"\ncidr_block = \"{}\"\n",
            i + 1,
            AZ_NAMES[p_az[i]],
            p_subnet_cidr(i)
        );
    }
    // Direct clients' application subnets, below the provider subnets' third octets.
    let direct = p.direct.as_ref();
    let app_zone: Vec<usize> = direct.map_or(Vec::new(), |d| {
        d.clients
            .iter()
            .map(|&roll| p_az[usize::from(roll) % p_subnets])
            .collect()
    });
    let app_cidr = |k: usize| format!("10.{p_octet}.{}.0/24", pv.third.wrapping_sub(1 + k as u8));
    for (k, &az) in app_zone.iter().enumerate() {
        let _ = writeln!(
            out,
            "[subnets.app-{}]\nvpc_id = \"provider\"\navailability_zone = \"{}\"\ncidr_block = \"{}\"\n",
            k + 1,
            AZ_NAMES[az],
            app_cidr(k)
        );
    }
    for i in 0..c_subnets {
        let _ = writeln!(
            out,
            "[subnets.consumer-{}]\nvpc_id = \"consumer\"\navailability_zone = \"{}\"\ncidr_block = \"{}\"\n",
            i + 1,
            AZ_NAMES[c_az[i]],
            c_subnet_cidr(i)
        );
    }

    // Security groups.
    let masked = |mask: u8, n: usize, cidr: &dyn Fn(usize) -> String| -> Vec<String> {
        let picked: Vec<String> = (0..n).filter(|i| mask >> i & 1 == 1).map(cidr).collect();
        if picked.is_empty() {
            vec!["192.0.2.0/24".to_string()]
        } else {
            picked
        }
    };
    let mut nlb_sources = if sec.nlb_all {
        vec![c_cidr.clone()]
    } else {
        masked(sec.nlb_mask, c_subnets, &c_subnet_cidr)
    };
    if direct.is_some_and(|d| d.admitted) {
        nlb_sources.extend((0..app_zone.len()).map(app_cidr));
    }
    // `egress` of a group: 0 omitted (all), 1 to the subnets of `mask` only, 2 none.
    let egress = |mode: u8, mask: u8, n: usize, cidr: &dyn Fn(usize) -> String| match mode {
        1 => format!("egress = [{}]\n", rule(0, 80, &masked(mask, n, cidr), &[])),
        2 => "egress = []\n".to_string(),
        _ => String::new(),
    };
    let nlb_egress = egress(
        sec.nlb_egress,
        sec.nlb_egress_mask,
        p_subnets,
        &p_subnet_cidr,
    );
    let _ = writeln!(
        out,
        "[security_groups.nlb-sg]\nvpc_id = \"provider\"\ndescription = \"the NLB's group\"\ningress = [{}]\n{nlb_egress}",
        rule(sec.nlb_ports, 80, &nlb_sources, &[])
    );
    let web_rule = match sec.web {
        0 => rule(
            sec.web_ports,
            pv.ports.0,
            std::slice::from_ref(&p_cidr),
            &[],
        ),
        1 => rule(
            sec.web_ports,
            pv.ports.0,
            &masked(sec.web_mask, p_subnets, &p_subnet_cidr),
            &[],
        ),
        2 => rule(sec.web_ports, pv.ports.0, &[], &["nlb-sg"]),
        _ => rule(
            sec.web_ports,
            pv.ports.0,
            &masked(sec.web_mask, p_subnets, &p_subnet_cidr),
            &["nlb-sg"],
        ),
    };
    let _ = writeln!(
        out,
        "[security_groups.web-sg]\nvpc_id = \"provider\"\ningress = [{web_rule}]\n"
    );
    let endpoint_ingress = match sec.endpoint {
        0 => rule(sec.endpoint_ports, 80, std::slice::from_ref(&c_cidr), &[]),
        1 => rule(
            sec.endpoint_ports,
            80,
            &masked(sec.endpoint_mask, c_subnets, &c_subnet_cidr),
            &[],
        ),
        3 => rule(sec.endpoint_ports, 80, &[], &["client-sg"]),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "[security_groups.ep-sg]\nvpc_id = \"consumer\"\ningress = [{endpoint_ingress}]\n"
    );
    let client_egress = egress(
        sec.client_egress,
        sec.client_egress_mask,
        c_subnets,
        &c_subnet_cidr,
    );
    let _ = writeln!(
        out,
        "[security_groups.client-sg]\nvpc_id = \"consumer\"\n{client_egress}"
    );

    // Instances: targets, clients, the stray client.
    let mut stopped = 0;
    let mut wrong = 0;
    let mut serverless = 0;
    for (i, t) in targets.iter().enumerate() {
        let _ = writeln!(
            out,
            "[instances.{}]\nsubnet_id = \"provider-{}\"",
            t.name,
            t.subnet + 1
        );
        if !t.default_sg {
            let _ = writeln!(out, "security_group_ids = [\"web-sg\"]");
        }
        match t.kind {
            Kind::Stopped => {
                stopped += 1;
                let _ = writeln!(out, "instance_state = \"stopped\"");
            }
            _ if t.write_running => {
                let _ = writeln!(out, "instance_state = \"running\"");
            }
            _ => {}
        }
        let serving_port = if t.groups.0 || !t.groups.1 {
            pv.ports.0
        } else {
            pv.ports.1
        };
        let port = match t.kind {
            Kind::WrongPort => {
                wrong += 1;
                Some(pv.alt_port)
            }
            Kind::NoServer => {
                serverless += 1;
                None
            }
            _ => Some(serving_port),
        };
        if let Some(port) = port {
            let response = pv
                .response_time
                .map(|r| format!(", response_time = {}", ns(r)))
                .unwrap_or_default();
            let expects = direct.is_some_and(|d| d.proxy >> ((i + 1) % 16) & 1 == 1);
            let _ = writeln!(
                out,
                "web_server = {{ port = {port}, body = \"Hello from {}\"{response}{} }}",
                t.name,
                if expects {
                    ", proxy_protocol = true"
                } else {
                    ""
                }
            );
        }
        out.push('\n');
    }
    let mut client_names = Vec::new();
    for (k, (&s, (_, client_sg))) in client_subnets.iter().zip(&cv.clients).enumerate() {
        let name = format!("client-{}", k + 1);
        let _ = writeln!(
            out,
            "[instances.{name}]\nsubnet_id = \"consumer-{}\"",
            s + 1
        );
        if *client_sg {
            let _ = writeln!(out, "security_group_ids = [\"client-sg\"]");
        }
        out.push('\n');
        client_names.push(name);
    }
    if cv.stray {
        let _ = writeln!(
            out,
            "[instances.stray-client]\nsubnet_id = \"provider-1\"\n"
        );
        client_names.push("stray-client".to_string());
        notes.push("a stray client in the provider VPC".into());
    }
    for k in 0..app_zone.len() {
        let _ = writeln!(
            out,
            "[instances.direct-{}]\nsubnet_id = \"app-{}\"\n",
            k + 1,
            k + 1
        );
        client_names.push(format!("direct-{}", k + 1));
    }
    if direct.is_some_and(|d| d.hairpin) {
        if let Some(x) = targets.iter().find(|x| x.kind == Kind::Serving) {
            client_names.push(x.name.clone());
            notes.push(format!("target {} is a client too (hairpin)", x.name));
        }
    }

    // The load balancer and its target groups.
    let mut nlb_subnets: Vec<String> = enabled
        .iter()
        .map(|i| format!("provider-{}", i + 1))
        .collect();
    if pv.reversed {
        nlb_subnets.reverse();
    }
    let _ = writeln!(
        out,
        "[load_balancers.nlb]\nload_balancer_type = \"network\"\ninternal = true\nsubnets = {}",
        quote_list(&nlb_subnets)
    );
    if let Some(on) = pv.lb_cross_zone {
        let _ = writeln!(out, "enable_cross_zone_load_balancing = {on}");
    }
    if let Some(d) = direct {
        let _ = writeln!(out, "dns_name = \"{NLB_NAME}\"");
        if d.policy > 0 {
            let _ = writeln!(
                out,
                "dns_record_client_routing_policy = \"{}\"",
                [
                    "any_availability_zone",
                    "partial_availability_zone_affinity",
                    "availability_zone_affinity"
                ][usize::from(d.policy - 1)]
            );
        }
        if d.zonal_shift {
            let _ = writeln!(out, "enable_zonal_shift = true");
        }
        notes.push(format!(
            "{} direct clients in the provider VPC, host form {}, routing policy {}, preserve {}, proxy {:#x}",
            d.clients.len(),
            d.form,
            d.policy,
            d.preserve,
            d.proxy
        ));
    }
    if sec.nlb_sg {
        let _ = writeln!(out, "security_groups = [\"nlb-sg\"]");
    }
    if let Some(on) = sec.enforce {
        let _ = writeln!(
            out,
            "enforce_security_group_inbound_rules_on_private_link_traffic = \"{}\"",
            if on { "on" } else { "off" }
        );
    }
    match pv.hash {
        Some(true) => {
            let _ = writeln!(out, "hash = \"maglev\"");
        }
        Some(false) => {
            let _ = writeln!(out, "hash = \"uniform\"");
        }
        None => {}
    }
    let _ = writeln!(out, "listeners = {}\n", lines_listeners(pv, pv.weights));
    let groups = if pv.two_groups { 2 } else { 1 };
    for g in 0..groups {
        let port = if g == 0 { pv.ports.0 } else { pv.ports.1 };
        // IP targets: each instance's address, the lowest free ones of its subnet in file order
        // (the targets are the first instances written in each provider subnet: NET-2).
        let by_ip = g == 0 && direct.is_some_and(|d| d.ip_targets);
        let members: Vec<String> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| if g == 0 { t.groups.0 } else { t.groups.1 })
            .map(|(k, t)| {
                if by_ip {
                    let before = targets[..k].iter().filter(|o| o.subnet == t.subnet).count();
                    format!("10.{p_octet}.{}.{}", p_third(t.subnet), 4 + before)
                } else {
                    t.name.clone()
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "[target_groups.tg{g}]\nprotocol = \"TCP\"\nport = {port}\nvpc_id = \"provider\"\ntarget_type = \"{}\"\ntargets = {}",
            if by_ip { "ip" } else { "instance" },
            quote_list(&members)
        );
        let attr = if g == 0 {
            pv.group_cross_zone.0
        } else {
            pv.group_cross_zone.1
        };
        if attr != 0 {
            let _ = writeln!(
                out,
                "load_balancing.cross_zone.enabled = {}",
                cross_zone_value(attr)
            );
        }
        let failover = if g == 0 {
            pv.routing_failover.0
        } else {
            pv.routing_failover.1
        };
        if let Some(line) = routing_failover_line(failover) {
            let _ = writeln!(out, "{line}");
        }
        if let (0, Some(d)) = (g, direct) {
            if d.preserve > 0 {
                let _ = writeln!(out, "preserve_client_ip.enabled = {}", d.preserve == 1);
            }
            if d.proxy & 1 == 1 {
                let _ = writeln!(out, "proxy_protocol_v2 = true");
            }
        }
        if let Some((_, _, _, bits)) = p.workload.connection {
            let _ = writeln!(
                out,
                "deregistration_delay.timeout_seconds = {}\nderegistration_delay.connection_termination.enabled = {}\ntarget_health_state.unhealthy.connection_termination.enabled = {}\ntarget_health_state.unhealthy.draining_interval_seconds = {}",
                [0, 1][usize::from(bits >> 4 & 1)],
                bits & 1 == 1,
                bits >> 1 & 1 == 0,
                [0, 1, 60, 0][usize::from(bits >> 2 & 3)]
            );
        }
        let health = if g == 0 { pv.health.0 } else { pv.health.1 };
        match health {
            4 => {
                let _ = writeln!(
                    out,
                    "health_check = {{ protocol = \"TCP\", port = \"traffic-port\", interval = 10, timeout = \"5s\", healthy_threshold = 3, unhealthy_threshold = 3 }}"
                );
            }
            5 => {
                let _ = writeln!(
                    out,
                    "health_check = {{ port = {}, interval = \"30s\" }}",
                    pv.alt_port
                );
                notes.push(format!(
                    "tg{g}: health checks on port {} (its wrong-port targets look healthy)",
                    pv.alt_port
                ));
            }
            _ => {}
        }
        out.push('\n');
    }

    // A second NLB behind the same service, in some of the first's zones, with a group of its
    // own over some of the same instances; its ENIs are bound by a seeded draw (PL-3).
    let mut service_lbs = vec!["nlb"];
    let (second, second_mask, second_first) = pv.second_nlb;
    if second != 0 {
        let mut subnets: Vec<String> = enabled
            .iter()
            .filter(|i| second_mask >> *i & 1 == 1)
            .map(|i| format!("provider-{}", i + 1))
            .collect();
        if subnets.is_empty() {
            subnets.push(format!("provider-{}", enabled[0] + 1));
        }
        let port = if second == 1 { 80 } else { 81 };
        let members: Vec<&str> = targets
            .iter()
            .enumerate()
            .filter(|(k, _)| (second_mask as usize + k) % 3 != 0)
            .map(|(_, t)| t.name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "[load_balancers.nlb2]\nsubnets = {}\nenable_cross_zone_load_balancing = {}\nlisteners = [{{ port = {port}, target_group = \"tg2\" }}]\n",
            quote_list(&subnets),
            second_mask & 0x80 != 0
        );
        let _ = writeln!(
            out,
            "[target_groups.tg2]\nport = {}\nvpc_id = \"provider\"\ntargets = {}",
            pv.ports.0,
            quote_list(&members)
        );
        if let Some(line) = routing_failover_line(pv.routing_failover.2) {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
        if second_first {
            service_lbs.insert(0, "nlb2");
        } else {
            service_lbs.push("nlb2");
        }
        notes.push(format!(
            "a second NLB in {subnets:?}, listening on {port}, over {} targets",
            members.len()
        ));
    }

    // The endpoint service and the endpoint.
    let eni_names: Vec<String> = eni_subnets
        .iter()
        .map(|s| format!("consumer-{}", s + 1))
        .collect();
    let _ = writeln!(
        out,
        "[endpoint_services.svc]\nnetwork_load_balancers = {}\nacceptance_required = false\n",
        quote_list(&service_lbs)
    );
    let _ = writeln!(
        out,
        "[vpc_endpoints.ep]\nvpc_id = \"consumer\"\nservice_name = \"svc\"\nvpc_endpoint_type = \"Interface\"\nsubnet_ids = {}",
        quote_list(&eni_names)
    );
    if sec.endpoint != 4 {
        let _ = writeln!(out, "security_group_ids = [\"ep-sg\"]");
    } else if sec.endpoint_mask % 2 == 0 {
        // An empty list: the VPC's default group all the same (SG-4).
        let _ = writeln!(out, "security_group_ids = []");
    }
    let _ = writeln!(out, "private_dns_enabled = false\n");

    // DNS.
    let zone = ["example.internal", "corp.local", "svc.example.com"][usize::from(dns.zone) % 3];
    let record_name = |short: &str| {
        if dns.fqdn {
            format!("{short}.{zone}")
        } else {
            short.to_string()
        }
    };
    let zonal_subnet = &eni_names[usize::from(dns.zonal) % eni_names.len()];
    let alias = |zonal: bool| {
        if zonal {
            format!("alias = {{ vpc_endpoint = \"ep\", subnet_id = \"{zonal_subnet}\" }}")
        } else {
            "alias = { vpc_endpoint = \"ep\" }".to_string()
        }
    };
    let addresses: Vec<String> = dns
        .addresses
        .iter()
        .map(|&x| {
            let pick = usize::from(x / 4);
            match x % 4 {
                0 | 1 => eni_ips[pick % eni_ips.len()].to_string(),
                2 => c_addr(pick % c_subnets, 200 + (pick % 50) as u8).to_string(),
                _ if pick % 2 == 0 => format!("198.51.100.{}", pick % 250 + 1),
                // Not a client's own address: sim refuses paths straight to an instance.
                _ => c_addr(pick % c_subnets, 150 + (pick % 40) as u8).to_string(),
            }
        })
        .collect();
    let fixed_record = |name: &str, ttl: u32| {
        format!(
            "  {{ name = \"{}\", type = \"A\", ttl = {ttl}, records = {} }},\n",
            record_name(name),
            quote_list(&addresses)
        )
    };
    let cname = |name: &str, to: &str, ttl: u32| {
        format!(
            "  {{ name = \"{}\", type = \"CNAME\", ttl = {ttl}, records = [\"{to}.{zone}\"] }},\n",
            record_name(name)
        )
    };
    let alias_record = |name: &str, zonal: bool| {
        format!(
            "  {{ name = \"{}\", type = \"A\", {} }},\n",
            record_name(name),
            alias(zonal)
        )
    };
    let (t0, t1) = dns.ttls;
    let mut records = String::new();
    let kind = dns.kind % 7;
    match kind {
        0 => records.push_str(&alias_record("app", false)),
        1 => records.push_str(&alias_record("app", true)),
        2 => {
            records.push_str(&cname("app", "nlb", t0));
            records.push_str(&alias_record("nlb", dns.cname_to_zonal));
        }
        3 => records.push_str(&fixed_record("app", t0)),
        4 => {
            records.push_str(&cname("app", "fixed", t0));
            records.push_str(&fixed_record("fixed", t1));
        }
        5 => records.push_str(&alias_record("other", false)),
        _ => {
            records.push_str(&cname("app", "nowhere", t0));
            records.push_str(&alias_record("nlb", false));
        }
    }
    notes.push(match kind {
        0 => "host: alias to the endpoint's regional name".to_string(),
        1 => format!("host: alias to the zonal name of the ENI in {zonal_subnet}"),
        2 => format!(
            "host: CNAME (ttl {t0}) to a {} alias",
            if dns.cname_to_zonal {
                "zonal"
            } else {
                "regional"
            }
        ),
        3 => format!("host: A record (ttl {t0}) {addresses:?}; ENIs at {eni_ips:?}"),
        4 => format!(
            "host: CNAME (ttl {t0}) to an A record (ttl {t1}) {addresses:?}; ENIs at {eni_ips:?}"
        ),
        5 => "host: no record of that name (DNS_NXDOMAIN)".to_string(),
        _ => "host: CNAME to a name with no record (DNS_NXDOMAIN)".to_string(),
    });
    let association: &[&str] = match dns.association {
        0 => {
            notes.push("zone associated with the provider VPC only (DNS_NXDOMAIN)".into());
            &["provider"]
        }
        1..=2 => &["consumer", "provider"],
        _ => &["consumer"],
    };
    let _ = writeln!(
        out,
        "[route53_zones.\"{zone}\"]\nvpc_ids = {}\nrecords = [\n{records}]\n",
        quote_list(association)
    );

    // The host for the direct clients: a zone of its own name, associated with the provider VPC.
    if let Some(d) = direct {
        let host = format!("app.{zone}");
        let zonal = format!("{}.{NLB_NAME}", AZ_NAMES[p_az[enabled[0]]]);
        let record = match d.form {
            0 => format!(
                "{{ name = \"{host}\", type = \"A\", alias = {{ load_balancer = \"nlb\" }} }}"
            ),
            1 => format!(
                "{{ name = \"{host}\", type = \"CNAME\", ttl = {t0}, records = [\"{NLB_NAME}\"] }}"
            ),
            _ => format!(
                "{{ name = \"{host}\", type = \"CNAME\", ttl = {t0}, records = [\"{zonal}\"] }}"
            ),
        };
        let _ = writeln!(
            out,
            "[route53_zones.\"{host}\"]\nvpc_ids = [\"provider\"]\nrecords = [{record}]\n"
        );
    }

    // Workload, network, run.
    let host = if dns.odd_host {
        format!("App.{}.", zone.to_ascii_uppercase())
    } else {
        format!("app.{zone}")
    };
    let rate = 10f64.powf(1.0 + 5.0 * f64::from(wl.rate) / 1e6);
    let _ = writeln!(
        out,
        "[workload]\nclients = {}\nhost = \"{host}\"",
        quote_list(&client_names)
    );
    if wl.write_port_protocol {
        let _ = writeln!(out, "port = 80\nprotocol = \"tcp\"");
    }
    match wl.path {
        0 => {}
        1 => {
            let _ = writeln!(out, "path = \"/\"");
        }
        _ => {
            let _ = writeln!(out, "path = \"/health/check\"");
        }
    }
    let _ = writeln!(out, "arrival_rate = {rate:.3}");
    if let Some(t) = wl.connect_timeout {
        let _ = writeln!(out, "connect_timeout = {}", ns(t));
    }
    if let Some(cache) = wl.dns_cache {
        let _ = writeln!(out, "dns_cache = {cache}");
    }
    if let Some((duration, exponential, interval, _)) = wl.connection {
        // Up to twice the expected span of 2,000 flows: at most about 4,000 open per client,
        // within the 28,232 source ports (CONN-6).
        let duration_ns = ((f64::from(duration) / 1000.0 * 2000.0 / rate) * 1e9).max(1.0) as u64;
        let _ = write!(
            out,
            "connection = {{ duration = {}, distribution = \"{}\"",
            ns(duration_ns),
            if exponential { "exponential" } else { "fixed" }
        );
        if let Some(i) = interval {
            let interval_ns = (duration_ns as f64 * f64::from(i) / 1000.0).max(1.0) as u64;
            let _ = write!(out, ", request_interval = {}", ns(interval_ns));
        }
        let _ = writeln!(out, " }}");
        notes.push("connections live".to_string());
    }
    out.push('\n');
    let latency_keys = [
        "same_az_latency",
        "cross_az_latency",
        "resolver_latency",
        "privatelink_latency",
    ];
    if wl.latencies.iter().any(Option::is_some) {
        out.push_str("[network]\n");
        for (key, value) in latency_keys.iter().zip(wl.latencies) {
            if let Some(v) = value {
                let _ = writeln!(out, "{key} = {}", ns(v));
            }
        }
        out.push('\n');
    }
    if let Some((seed, flows)) = wl.run {
        let _ = writeln!(out, "[run]\nseed = {seed}\nflows = {flows}\n");
    }

    // Events.
    let stoppable: Vec<&TargetSpec> = targets
        .iter()
        .filter(|x| {
            !p.variants.iter().flatten().any(|o| match o {
                Override::StopTarget(n) => targets[usize::from(*n) % targets.len()].name == x.name,
                _ => false,
            })
        })
        .collect();
    let zones: Vec<String> = enabled_ids
        .iter()
        .map(|id| format!("use1-az{id}"))
        .collect();
    // The rules events may revoke and authorize: the targets' group's (its one ingress rule, and
    // the allow-all egress rule a group written without `egress` has) and the endpoint's.
    let mut rules = vec![("web-sg", "ingress", 0), ("web-sg", "egress", 0)];
    if matches!(sec.endpoint, 0 | 1 | 3) {
        rules.push(("ep-sg", "ingress", 0));
    }
    let forward: Option<&[&str]> = if pv.two_groups {
        Some(&["tg0", "tg1"])
    } else if pv.forward_form {
        Some(&["tg0"])
    } else {
        None
    };
    let shiftable = direct.is_some_and(|d| d.zonal_shift);
    out.push_str(&events_text(
        &p.events, &targets, &stoppable, &zones, &rules, forward, &eni_names, rate, shiftable,
        &mut notes,
    ));

    // Variants.
    let written_variants: Vec<&Vec<Override>> = p.variants.iter().collect();
    if !(written_variants.len() == 1 && written_variants[0].is_empty()) {
        for (v, overrides) in written_variants.iter().enumerate() {
            let _ = writeln!(out, "[[variants]]\nname = \"v{}\"", v + 1);
            let mut kinds = Vec::new();
            for o in overrides.iter() {
                if kinds.contains(&o.kind()) {
                    continue;
                }
                kinds.push(o.kind());
                let line = match o {
                    Override::LbCrossZone => format!(
                        "set.load_balancers.nlb.enable_cross_zone_load_balancing = {}",
                        !pv.lb_cross_zone.unwrap_or(false)
                    ),
                    Override::GroupCrossZone(attr) => format!(
                        "set.target_groups.tg0.load_balancing.cross_zone.enabled = {}",
                        cross_zone_value(*attr)
                    ),
                    Override::DnsCache => {
                        format!("set.workload.dns_cache = {}", !wl.dns_cache.unwrap_or(true))
                    }
                    Override::Enforce(on) => format!(
                        "set.load_balancers.nlb.enforce_security_group_inbound_rules_on_private_link_traffic = \"{}\"",
                        if *on { "on" } else { "off" }
                    ),
                    Override::Hash(maglev) => format!(
                        "set.load_balancers.nlb.hash = \"{}\"",
                        if *maglev { "maglev" } else { "uniform" }
                    ),
                    Override::StopTarget(n) if !targets.is_empty() => format!(
                        "set.instances.{}.instance_state = \"stopped\"",
                        targets[usize::from(*n) % targets.len()].name
                    ),
                    Override::StopTarget(_) => continue,
                    Override::Weights(a, b) => format!(
                        "set.load_balancers.nlb.listeners = {}",
                        lines_listeners(pv, (*a, *b))
                    ),
                    Override::ConnectTimeout(t) => {
                        format!("set.workload.connect_timeout = {}", ns(*t))
                    }
                    Override::ResolverLatency(t) => {
                        format!("set.network.resolver_latency = {}", ns(*t))
                    }
                };
                let _ = writeln!(out, "{line}");
            }
            out.push('\n');
        }
    }

    // Notes.
    notes.insert(
        1,
        format!(
            "{}; provider zones {:?} (NLB enables {:?}), consumer zones {:?}; {} CIDRs; ENIs in {:?}",
            if a.two {
                "two accounts"
            } else {
                "one account"
            },
            p_az.iter()
                .map(|&z| format!("{}={}", AZ_NAMES[z], maps[pa][z]))
                .collect::<Vec<_>>(),
            enabled_ids,
            c_az.iter()
                .map(|&z| format!("{}={}", AZ_NAMES[z], maps[ca][z]))
                .collect::<Vec<_>>(),
            if cv.overlap { "same" } else { "different" },
            eni_names
        ),
    );
    notes.insert(
        2,
        format!(
            "{} targets ({stopped} stopped, {wrong} on port {}, {serverless} without a server), {} group(s), {} client(s)",
            targets.len(),
            pv.alt_port,
            groups,
            client_names.len()
        ),
    );
    if direct.is_some_and(|d| d.udp) {
        let direct_clients: Vec<&String> = client_names
            .iter()
            .filter(|c| !c.starts_with("client-"))
            .collect();
        out = udp_variant(
            &out,
            &quote_list(&client_names),
            &quote_list(&direct_clients),
        );
        notes.push(format!("a UDP workload from {direct_clients:?}"));
    }
    GenScenario {
        toml: out,
        notes,
        eni_ips,
    }
}

/// `toml` with a UDP workload of the clients `direct` (was `all`): TCP_UDP listener and groups on
/// the first load balancer, a UDP server beside each web server (the same port and body), and a
/// `udp` twin after every `tcp` security-group rule.
fn udp_variant(toml: &str, all: &str, direct: &str) -> String {
    let mut out = String::new();
    let mut section = String::new();
    for line in toml.lines() {
        if line.starts_with('[') {
            section = line.to_string();
        }
        let mut line = line.to_string();
        if (section == "[load_balancers.nlb]" && line.starts_with("listeners = "))
            || line.starts_with("set.load_balancers.nlb.listeners = ")
        {
            line = line
                .replace("protocol = \"TCP\", ", "")
                .replace("{ port = 80, ", "{ port = 80, protocol = \"TCP_UDP\", ");
        }
        if (section == "[target_groups.tg0]" || section == "[target_groups.tg1]")
            && line == "protocol = \"TCP\""
        {
            line = "protocol = \"TCP_UDP\"".into();
        }
        if section == "[workload]" && line.starts_with("clients = ") && line.ends_with(all) {
            line = format!("clients = {direct}");
        }
        if section == "[workload]" && line == "protocol = \"tcp\"" {
            line = "protocol = \"udp\"".into();
        }
        // Rules: every `{ protocol = "tcp", REST }` gets a twin `{ protocol = "udp", REST }`.
        let mut twinned = String::new();
        let mut rest = line.as_str();
        while let Some(at) = rest.find("{ protocol = \"tcp\", ") {
            let end = at + rest[at..].find(" }").expect("a rule closes") + 2;
            let rule = &rest[at..end];
            twinned.push_str(&rest[..end]);
            twinned.push_str(", ");
            twinned.push_str(&rule.replace("\"tcp\"", "\"udp\""));
            rest = &rest[end..];
        }
        twinned.push_str(rest);
        out.push_str(&twinned);
        out.push('\n');
        if let Some(server) = line.strip_prefix("web_server = { ") {
            // port = P, body = "..." [, response_time = ...][, proxy_protocol = ...] }
            let port_body: Vec<&str> = server.splitn(3, ", ").take(2).collect();
            let port_body = port_body.join(", ");
            let _ = writeln!(
                out,
                "udp_server = {{ {} }}",
                port_body.trim_end_matches(" }")
            );
        }
    }
    if !out.contains("protocol = \"udp\"\n") {
        out = out.replacen("[workload]\n", "[workload]\nprotocol = \"udp\"\n", 1);
    }
    out
}
