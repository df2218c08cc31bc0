//! The validated, immutable model of one scenario variant: arenas of typed resources.
//!
//! Everything here has passed [`crate::scenario`] validation: references resolve, CIDRs nest,
//! addresses are assigned and unique per VPC, every endpoint ENI has an NLB node of its service in
//! the same physical zone. It never changes during a run: what does (target health, admin state,
//! registration, the ENI bindings) is [`crate::state::State`].
//!
//! Modelled: accounts with their AZ name -> AZ ID maps, physical zones by AZ ID, VPCs, subnets,
//! security groups, instances (web servers and clients), network load balancers with one node per
//! enabled zone, listeners, target groups and their registered targets, endpoint services,
//! interface endpoints and their ENIs, Route 53 private hosted zones, VPC peerings, the workload,
//! network latencies and the run settings. Not modelled: route tables, NACLs, internet and NAT
//! gateways, IPv6, Application and Gateway Load Balancers.

pub mod events;
pub mod ids;
pub mod net;

use std::net::Ipv4Addr;

use crate::model::ids::*;
use crate::model::net::Cidr;
use crate::time::Span;

/// One variant of a scenario, validated.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Region name (`us-east-1`); informational.
    pub region: String,
    /// Accounts, in file order.
    pub accounts: Vec<Account>,
    /// Physical zones, in order of first mention.
    pub zones: Vec<Zone>,
    /// VPCs.
    pub vpcs: Vec<Vpc>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Security groups (including each VPC's implicit default group, named `default`).
    pub security_groups: Vec<SecurityGroup>,
    /// EC2 instances.
    pub instances: Vec<Instance>,
    /// Network load balancers.
    pub load_balancers: Vec<LoadBalancer>,
    /// Load balancer nodes, one per enabled zone of each load balancer.
    pub nodes: Vec<Node>,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// Target groups.
    pub target_groups: Vec<TargetGroup>,
    /// Target registrations.
    pub targets: Vec<Target>,
    /// Endpoint services.
    pub services: Vec<EndpointService>,
    /// Interface endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Endpoint network interfaces.
    pub enis: Vec<EndpointEni>,
    /// Private hosted zones.
    pub hosted_zones: Vec<HostedZone>,
    /// VPC peerings: clients reach load balancer nodes of a peered VPC (NET-3).
    pub peerings: Vec<(VpcId, VpcId)>,
    /// What the clients do.
    pub workload: Workload,
    /// Latencies of the simulated network.
    pub network: Network,
    /// Seed and flow count.
    pub run: Run,
    /// Scheduled events, in time order (file order among events at the same instant).
    pub events: Vec<events::Event>,
    /// The weights each `listener_weights` event gives its listener, in the order of the
    /// listener's `forward` ([`events::Action::ListenerWeights`] keeps an index here, so that
    /// actions stay `Copy`).
    pub listener_weight_sets: Vec<Vec<u16>>,
    /// The prices the report charges at: the table of [`crate::cost::prices`], or the
    /// scenario's `[prices]` (COST-1 to COST-3).
    pub prices: crate::cost::prices::Prices,
}

/// An AWS account and its own mapping of AZ names to physical zones.
#[derive(Clone, Debug)]
pub struct Account {
    /// Name in the scenario.
    pub name: String,
    /// AZ name (`us-east-1a`) -> physical zone, as this account sees it.
    pub az_names: Vec<(String, ZoneId)>,
}

impl Account {
    /// The physical zone this account calls `az_name`.
    pub fn zone_of(&self, az_name: &str) -> Option<ZoneId> {
        self.az_names
            .iter()
            .find(|(n, _)| n == az_name)
            .map(|(_, z)| *z)
    }
}

/// A physical availability zone, named by its AZ ID.
#[derive(Clone, Debug)]
pub struct Zone {
    /// The AZ ID (`use1-az1`), the same in every account.
    pub az_id: String,
}

/// A VPC.
#[derive(Clone, Debug)]
pub struct Vpc {
    /// Name in the scenario.
    pub name: String,
    /// Owning account.
    pub account: AccountId,
    /// Primary CIDR block.
    pub cidr: Cidr,
    /// The VPC's default security group.
    pub default_security_group: SecurityGroupId,
}

/// A subnet, which lives in exactly one zone.
#[derive(Clone, Debug)]
pub struct Subnet {
    /// Name in the scenario.
    pub name: String,
    /// Its VPC.
    pub vpc: VpcId,
    /// AZ name as the owning account calls it.
    pub az_name: String,
    /// The physical zone.
    pub zone: ZoneId,
    /// CIDR block, inside the VPC's.
    pub cidr: Cidr,
}

/// IP protocol of a security group rule.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RuleProtocol {
    /// TCP only.
    Tcp,
    /// UDP only.
    Udp,
    /// Every protocol (`-1`).
    All,
}

/// The other end a rule names: where an ingress rule admits traffic from, or where an egress
/// rule lets it go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Any address in the block.
    Cidr(Cidr),
    /// Any network interface that carries this group (same VPC or a peered VPC).
    Group(SecurityGroupId),
}

/// Which rule list of a security group: inbound or outbound.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Inbound rules (`ingress`): the peer is the source.
    Ingress,
    /// Outbound rules (`egress`): the peer is the destination.
    Egress,
}

impl Direction {
    /// Both, in the order [`Direction::index`] gives.
    pub const ALL: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// The scenario key of the list (`ingress`, `egress`).
    pub fn key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// Position in [`Direction::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug)]
pub struct SgRule {
    /// Protocol.
    pub protocol: RuleProtocol,
    /// First port of the range (inclusive).
    pub from_port: u16,
    /// Last port of the range (inclusive).
    pub to_port: u16,
    /// The peers it admits (ingress) or allows (egress).
    pub peers: Vec<Peer>,
    /// In its group when the run starts (`active = false` in the scenario: the rule exists but
    /// only an `authorize` event puts it in, EV-7). The run's current set of rules lives in
    /// [`crate::state::Admin`].
    pub active: bool,
}

impl SgRule {
    /// The rule AWS puts in every new group's egress: all traffic to 0.0.0.0/0.
    pub fn allow_all() -> SgRule {
        SgRule {
            protocol: RuleProtocol::All,
            from_port: 0,
            to_port: u16::MAX,
            peers: vec![Peer::Cidr(Cidr::ANY)],
            active: true,
        }
    }

    /// The rule's list and position as a scenario writes them: `ingress[0]`.
    pub fn position(direction: Direction, rule: usize) -> String {
        format!("{}[{rule}]", direction.key())
    }
}

/// A security group: stateful, allow-only rules (docs/model.md SG-1 to SG-4).
#[derive(Clone, Debug)]
pub struct SecurityGroup {
    /// Name in the scenario (`default` for a VPC's default group).
    pub name: String,
    /// Its VPC.
    pub vpc: VpcId,
    /// Ingress rules.
    pub ingress: Vec<SgRule>,
    /// Egress rules (allow-all unless the scenario writes `egress`).
    pub egress: Vec<SgRule>,
}

/// What an instance's web server (TCP) or UDP server (`udp_server`, NLB-17) answers.
#[derive(Clone, Debug)]
pub struct WebServer {
    /// Port it listens on (TCP for a web server, UDP for a UDP server).
    pub port: u16,
    /// The response body (`Hello from Provider VPC on Subnet 1`).
    pub body: String,
    /// Time from request received to response sent.
    pub response_time: Span,
    /// It expects a proxy protocol v2 header before the request (`proxy_protocol = true`,
    /// NLB-14): a connection without one, or one with a header it does not expect, is answered
    /// wrongly.
    pub proxy_protocol: bool,
}

/// An EC2 instance.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Name in the scenario.
    pub name: String,
    /// Its subnet.
    pub subnet: SubnetId,
    /// Primary private IP (given or assigned).
    pub ip: Ipv4Addr,
    /// Security groups of its primary interface.
    pub security_groups: Vec<SecurityGroupId>,
    /// `instance_state` as written: false for a stopped instance. The run's current admin state
    /// lives in [`crate::state::State`].
    pub running: bool,
    /// Its web server, if it runs one.
    pub web_server: Option<WebServer>,
    /// Its UDP server (`udp_server`): answers each request datagram with one response datagram
    /// (NLB-17).
    pub udp_server: Option<WebServer>,
}

/// A network load balancer.
#[derive(Clone, Debug)]
pub struct LoadBalancer {
    /// Name in the scenario.
    pub name: String,
    /// Its VPC.
    pub vpc: VpcId,
    /// One node per enabled zone, in the order of the `subnets` list.
    pub nodes: Vec<NodeId>,
    /// `enable_cross_zone_load_balancing` of the load balancer.
    pub cross_zone: bool,
    /// Security groups (empty: none, all traffic reaches the listeners).
    pub security_groups: Vec<SecurityGroupId>,
    /// `enforce_security_group_inbound_rules_on_private_link_traffic` is `on`.
    pub enforce_sg_on_privatelink: bool,
    /// Listeners.
    pub listeners: Vec<ListenerId>,
    /// How a node picks a target among the eligible ones.
    pub pick: PickStrategy,
    /// Its regional DNS name, `NAME-ID.elb.REGION.amazonaws.com` (NLB-11).
    pub dns_name: String,
    /// `dns_record_client_routing_policy`: how the VPC resolver favours a client's own zone
    /// (NLB-13).
    pub routing_policy: RoutingPolicy,
    /// `enable_zonal_shift`: a zonal shift may pull one of its zones from DNS (NLB-12, EV-11).
    pub zonal_shift: bool,
}

/// `dns_record.client_routing_policy` of a load balancer (docs/model.md NLB-13): how the answers
/// the VPC resolver gives a client favour the client's own zone.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RoutingPolicy {
    /// `any_availability_zone` (the default): every address of the answer.
    AnyZone,
    /// `partial_availability_zone_affinity`: only the client's zone for 85 % of its queries.
    PartialAffinity,
    /// `availability_zone_affinity`: only the client's zone whenever the answer has it.
    FullAffinity,
}

impl RoutingPolicy {
    /// Every policy.
    pub const ALL: [RoutingPolicy; 3] = [
        RoutingPolicy::AnyZone,
        RoutingPolicy::PartialAffinity,
        RoutingPolicy::FullAffinity,
    ];

    /// The scenario spelling (`dns_record_client_routing_policy = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            RoutingPolicy::AnyZone => "any_availability_zone",
            RoutingPolicy::PartialAffinity => "partial_availability_zone_affinity",
            RoutingPolicy::FullAffinity => "availability_zone_affinity",
        }
    }
}

/// How a load balancer's nodes map a flow hash onto the eligible targets (`hash = "..."`;
/// docs/model.md NLB-8). The picks themselves are [`crate::rules::nlb::pick`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PickStrategy {
    /// Multiply-shift over the eligible targets.
    Uniform,
    /// A Maglev lookup table.
    Maglev,
}

impl PickStrategy {
    /// The scenario spelling (`hash = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            PickStrategy::Uniform => "uniform",
            PickStrategy::Maglev => "maglev",
        }
    }

    /// Parses the scenario spelling.
    pub fn from_name(name: &str) -> Option<PickStrategy> {
        match name {
            "uniform" => Some(PickStrategy::Uniform),
            "maglev" => Some(PickStrategy::Maglev),
            _ => None,
        }
    }
}

/// One load balancer node: an ENI with one private IP in the chosen subnet of its zone.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its load balancer.
    pub load_balancer: LoadBalancerId,
    /// The subnet it sits in.
    pub subnet: SubnetId,
    /// Its physical zone.
    pub zone: ZoneId,
    /// Its private IP: the source address targets see for PrivateLink traffic.
    pub ip: Ipv4Addr,
    /// Its zonal DNS name, `AZ.NAME-ID.elb.REGION.amazonaws.com` (NLB-11; the AZ name as the
    /// load balancer's account calls it).
    pub dns_name: String,
}

/// The protocol of a listener or a target group (NLB-2, NLB-17, NLB-18).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum LbProtocol {
    /// `TCP` (the default).
    Tcp,
    /// `UDP`.
    Udp,
    /// `TCP_UDP`: TCP and UDP on one port.
    TcpUdp,
    /// `TLS`: the node terminates TLS and opens its own TCP connection to the target.
    Tls,
}

impl LbProtocol {
    /// Every protocol, in the order the scenario lists them.
    pub const ALL: [LbProtocol; 4] = [
        LbProtocol::Tcp,
        LbProtocol::Udp,
        LbProtocol::TcpUdp,
        LbProtocol::Tls,
    ];

    /// The name the scenario (and AWS) writes.
    pub fn name(self) -> &'static str {
        match self {
            LbProtocol::Tcp => "TCP",
            LbProtocol::Udp => "UDP",
            LbProtocol::TcpUdp => "TCP_UDP",
            LbProtocol::Tls => "TLS",
        }
    }

    /// The protocol named `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<LbProtocol> {
        LbProtocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether a listener of this protocol accepts flows of `transport` (TLS runs over TCP).
    pub fn carries(self, transport: Transport) -> bool {
        match transport {
            Transport::Tcp => self != LbProtocol::Udp,
            Transport::Udp => matches!(self, LbProtocol::Udp | LbProtocol::TcpUdp),
        }
    }

    /// The target group protocols a listener of this protocol may forward to (AWS's rule:
    /// NLB-17, NLB-18).
    pub fn forwards_to(self) -> &'static [LbProtocol] {
        match self {
            LbProtocol::Tcp => &[LbProtocol::Tcp, LbProtocol::TcpUdp],
            LbProtocol::Udp => &[LbProtocol::Udp, LbProtocol::TcpUdp],
            LbProtocol::TcpUdp => &[LbProtocol::TcpUdp],
            LbProtocol::Tls => &[LbProtocol::Tcp, LbProtocol::Tls],
        }
    }
}

/// The transport of a workload's flows (`workload.protocol`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// `tcp` (the default): curl-like connections.
    Tcp,
    /// `udp`: one request datagram, one response datagram, no handshake (NLB-17).
    Udp,
}

impl Transport {
    /// The IP protocol number the node hashes (6 or 17).
    pub fn ip_protocol(self) -> u8 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }

    /// The security group rule protocol its packets match.
    pub fn rule_protocol(self) -> RuleProtocol {
        match self {
            Transport::Tcp => RuleProtocol::Tcp,
            Transport::Udp => RuleProtocol::Udp,
        }
    }

    /// The name the scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// A listener and its forward action.
#[derive(Clone, Debug)]
pub struct Listener {
    /// Its load balancer.
    pub load_balancer: LoadBalancerId,
    /// Listening port.
    pub port: u16,
    /// Protocol (NLB-17, NLB-18).
    pub protocol: LbProtocol,
    /// Target groups with weights (0-999); new connections follow the weights. These are the
    /// weights as the scenario writes them: `listener_weights` events change them during a run
    /// (EV-8), and the walk reads the weights in force from [`crate::state::Admin::forward`].
    pub forward: Vec<(TargetGroupId, u16)>,
    /// `tcp.idle_timeout.seconds`: a connection with no packet for this long is forgotten by
    /// the node; the client's next packet is reset (CONN-5; default 350 s). A UDP listener keeps
    /// a flow 120 s idle, fixed (NLB-17); a TLS listener 350 s, fixed (NLB-18).
    pub idle_timeout: Span,
}

/// The cross-zone attribute of a target group.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CrossZoneSetting {
    /// `true`: cross-zone on for this group.
    On,
    /// `false`: off for this group.
    Off,
    /// `use_load_balancer_configuration` (the default): follow the load balancer.
    UseLoadBalancerConfiguration,
}

/// Health check settings of a target group.
#[derive(Clone, Debug)]
pub struct HealthCheck {
    /// Time between checks.
    pub interval: Span,
    /// Time a check waits for an answer.
    pub timeout: Span,
    /// Consecutive successes to become healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures to become unhealthy.
    pub unhealthy_threshold: u32,
    /// Port checked (the traffic port unless set).
    pub port: u16,
}

/// The minimum of healthy targets of one unhealthy state action of a target group (routing
/// failover or DNS failover, docs/model.md NLB-6): the action fires when the healthy targets fall
/// below either threshold. `None` is `"off"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FailoverThreshold {
    /// `minimum_healthy_targets.count`: 1 or more (never off for routing failover).
    pub count: Option<u64>,
    /// `minimum_healthy_targets.percentage`: 1-100, of the targets in the node's scope.
    pub percentage: Option<u8>,
}

impl FailoverThreshold {
    /// AWS's default for both actions: a count of 1, percentage off.
    pub const DEFAULT: FailoverThreshold = FailoverThreshold {
        count: Some(1),
        percentage: None,
    };
}

/// How a target group names its targets (`target_type`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TargetType {
    /// `instance`: by instance ID.
    Instance,
    /// `ip`: by private IP address (of the VPC, or a peered VPC).
    Ip,
}

/// A target group.
#[derive(Clone, Debug)]
pub struct TargetGroup {
    /// Name in the scenario.
    pub name: String,
    /// Protocol (NLB-17, NLB-18).
    pub protocol: LbProtocol,
    /// Port targets receive traffic on.
    pub port: u16,
    /// How it names its targets.
    pub target_type: TargetType,
    /// `preserve_client_ip.enabled`, as written or AWS's default for the type and protocol
    /// (NLB-16): the target sees a direct client's own address, not the node's.
    pub preserve_client_ip: bool,
    /// `proxy_protocol_v2`: the node prepends a proxy protocol v2 header (NLB-14).
    pub proxy_protocol_v2: bool,
    /// Cross-zone attribute.
    pub cross_zone: CrossZoneSetting,
    /// Health check settings.
    pub health_check: HealthCheck,
    /// Registered targets, in file order.
    pub targets: Vec<TargetId>,
    /// The load balancer whose listeners forward to it (an NLB target group serves one).
    pub load_balancer: Option<LoadBalancerId>,
    /// `deregistration_delay.timeout_seconds`: how long a deregistered target stays `draining`
    /// (HC-3; default 300 s).
    pub deregistration_delay: Span,
    /// `deregistration_delay.connection_termination.enabled`: connections still open when the
    /// delay ends are reset (CONN-3; default false for TCP and TLS, true for UDP and TCP_UDP).
    pub deregistration_termination: bool,
    /// `target_health_state.unhealthy.connection_termination.enabled`: connections to a target
    /// that turns unhealthy are reset (CONN-2; default true).
    pub unhealthy_termination: bool,
    /// `target_health_state.unhealthy.draining_interval_seconds`: without termination, how long
    /// connections to an unhealthy target are kept (CONN-2; default 0).
    pub unhealthy_draining: Span,
    /// `target_group_health.unhealthy_state_routing.minimum_healthy_targets.*`: a node whose
    /// healthy targets in scope fall below it fails open (NLB-6).
    pub routing_failover: FailoverThreshold,
    /// `target_group_health.dns_failover.minimum_healthy_targets.*`: a zone below it leaves the
    /// NLB's own DNS name, which direct clients resolve (NLB-6, NLB-12).
    pub dns_failover: FailoverThreshold,
}

/// One registration of an instance in a target group.
#[derive(Clone, Debug)]
pub struct Target {
    /// Its target group.
    pub target_group: TargetGroupId,
    /// The instance.
    pub instance: InstanceId,
    /// The instance's physical zone.
    pub zone: ZoneId,
}

/// A VPC endpoint service fronting one or more network load balancers.
#[derive(Clone, Debug)]
pub struct EndpointService {
    /// Name in the scenario.
    pub name: String,
    /// Its load balancers.
    pub load_balancers: Vec<LoadBalancerId>,
}

/// An interface VPC endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Name in the scenario.
    pub name: String,
    /// Consumer VPC.
    pub vpc: VpcId,
    /// The service it connects to.
    pub service: ServiceId,
    /// Its ENIs, one per chosen subnet, in the order of `subnet_ids`.
    pub enis: Vec<EniId>,
    /// Security groups of its ENIs.
    pub security_groups: Vec<SecurityGroupId>,
    /// The regional DNS name (resolves to every ENI).
    pub dns_name: String,
    /// Its ID (`vpce-...`), which a proxy protocol v2 header carries (NLB-14).
    pub endpoint_id: String,
}

/// One endpoint network interface. Which NLB node its connections go to is a rule
/// ([`crate::rules::privatelink`], docs/model.md PL-3) and, with several NLBs behind the service,
/// a draw of the run ([`crate::state::State`]).
#[derive(Clone, Debug)]
pub struct EndpointEni {
    /// Its endpoint.
    pub endpoint: EndpointId,
    /// The subnet it sits in.
    pub subnet: SubnetId,
    /// Its physical zone.
    pub zone: ZoneId,
    /// Its private IP.
    pub ip: Ipv4Addr,
    /// The zonal DNS name (resolves to this ENI only).
    pub dns_name: String,
    /// False for an ENI that only an `add_endpoint_subnet` event creates (EV-10): not in the
    /// endpoint until then.
    pub initially_active: bool,
}

/// Where an A record points.
#[derive(Clone, Debug)]
pub enum RecordTarget {
    /// Fixed addresses.
    Addresses(Vec<Ipv4Addr>),
    /// Alias to an endpoint's regional name (every ENI) or one ENI's zonal name.
    EndpointAlias {
        /// The endpoint.
        endpoint: EndpointId,
        /// `Some` for the zonal name of that ENI.
        eni: Option<EniId>,
    },
    /// Alias to a load balancer's regional name (the nodes its DNS answers with: NLB-12), or, as
    /// the NLB's own zonal name, one node.
    LoadBalancerAlias {
        /// The load balancer.
        load_balancer: LoadBalancerId,
        /// `Some` for the zonal name of that node.
        node: Option<NodeId>,
    },
    /// CNAME to another name.
    Cname(String),
}

/// A record of a private hosted zone.
#[derive(Clone, Debug)]
pub struct Record {
    /// Fully qualified name, lower case, no trailing dot.
    pub fqdn: String,
    /// What it points at.
    pub target: RecordTarget,
    /// TTL (alias records take the target's: 60 s for endpoint names).
    pub ttl: Span,
}

/// A Route 53 private hosted zone.
#[derive(Clone, Debug)]
pub struct HostedZone {
    /// Zone apex (`example.local`).
    pub name: String,
    /// VPCs associated with the zone: only their resolvers answer from it.
    pub vpcs: Vec<VpcId>,
    /// Records.
    pub records: Vec<Record>,
}

/// The curl-like clients.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Client instances; each flow picks one uniformly.
    pub clients: Vec<InstanceId>,
    /// DNS name the clients connect to.
    pub host: String,
    /// Destination port.
    pub port: u16,
    /// Transport of its flows (NLB-17).
    pub protocol: Transport,
    /// URL path requested.
    pub path: String,
    /// Mean arrival rate of new flows (Poisson), flows per second.
    pub arrival_rate: f64,
    /// How long a client waits for a connection before giving up.
    pub connect_timeout: Span,
    /// Whether each client caches DNS answers for their TTL.
    pub dns_cache: bool,
    /// Connections that stay open after their first response (`None`: curl-like, closed at
    /// once: CONN-1).
    pub connection: Option<Connection>,
}

/// How long a workload's connections stay open, and the requests they carry (CONN-1).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Connection {
    /// How long a connection stays open from its establishment (fixed), or the mean of an
    /// exponential duration.
    pub duration: Span,
    /// True for exponentially distributed durations, false for the fixed one.
    pub exponential: bool,
    /// Keep-alive requests every this long on each connection after the first (`None`: idle
    /// after the first response until it closes).
    pub request_interval: Option<Span>,
}

/// One-way latencies of the simulated network.
#[derive(Clone, Debug)]
pub struct Network {
    /// Between two interfaces in the same zone.
    pub same_az: Span,
    /// Between two interfaces in different zones.
    pub cross_az: Span,
    /// Client to the VPC resolver (Route 53 Resolver at the VPC base + 2).
    pub resolver: Span,
    /// The PrivateLink hop from an endpoint ENI to its NLB node (ASSUMPTION: not published).
    pub privatelink: Span,
}

impl Network {
    /// One-way latency between two zones.
    pub fn between(&self, a: ZoneId, b: ZoneId) -> Span {
        if a == b { self.same_az } else { self.cross_az }
    }
}

/// Run settings.
#[derive(Clone, Debug)]
pub struct Run {
    /// Master seed.
    pub seed: u64,
    /// Flows to simulate per variant.
    pub flows: u64,
}

impl Topology {
    /// The instance behind a target.
    pub fn target_instance(&self, target: TargetId) -> &Instance {
        &self.instances[self.targets[target.index()].instance.index()]
    }

    /// The subnet an instance sits in.
    pub fn instance_subnet(&self, instance: InstanceId) -> &Subnet {
        &self.subnets[self.instances[instance.index()].subnet.index()]
    }

    /// The physical zone of an instance.
    pub fn instance_zone(&self, instance: InstanceId) -> ZoneId {
        self.instance_subnet(instance).zone
    }

    /// True when `group`'s rules are on the way of new connections to `target`: its instance
    /// carries the group (ingress), or its group's load balancer does (egress to the targets).
    pub fn group_guards_target(&self, group: SecurityGroupId, target: TargetId) -> bool {
        let x = &self.targets[target.index()];
        self.instances[x.instance.index()]
            .security_groups
            .contains(&group)
            || self.target_groups[x.target_group.index()]
                .load_balancer
                .is_some_and(|lb| {
                    self.load_balancers[lb.index()]
                        .security_groups
                        .contains(&group)
                })
    }

    /// True when `listener` forwards to `target`'s group.
    pub fn listener_reaches_target(&self, listener: ListenerId, target: TargetId) -> bool {
        let group = self.targets[target.index()].target_group;
        self.listeners[listener.index()]
            .forward
            .iter()
            .any(|(g, _)| *g == group)
    }

    /// The AZ name the owner of `subnet`'s VPC uses for its zone, and the zone's AZ ID.
    pub fn az_label(&self, subnet: SubnetId) -> (&str, &str) {
        let s = &self.subnets[subnet.index()];
        (&s.az_name, &self.zones[s.zone.index()].az_id)
    }
}
