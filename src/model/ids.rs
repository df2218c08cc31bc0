//! Typed indices into the arenas of [`crate::model::Topology`].
//!
//! Every resource of a scenario lives in a `Vec` of its kind and is referred to by a small
//! copyable id that cannot be confused with an id of another kind (a `SubnetId` never indexes
//! the instances). Ids are assigned in the order resources appear in the scenario file, so
//! reports list them in that order.

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position of this resource in its arena.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of the resource at position `index` of its arena.
            pub fn from_index(index: usize) -> Self {
                Self(u32::try_from(index).expect("arenas hold fewer than 2^32 resources"))
            }
        }
    )*};
}

typed_id!(
    /// An AWS account of the scenario.
    AccountId,
    /// A physical availability zone, identified across accounts by its AZ ID (`use1-az1`).
    ZoneId,
    /// A VPC.
    VpcId,
    /// A subnet.
    SubnetId,
    /// A security group.
    SecurityGroupId,
    /// An EC2 instance (web server or client).
    InstanceId,
    /// A load balancer.
    LoadBalancerId,
    /// One load balancer node: one per enabled AZ.
    NodeId,
    /// A listener of a load balancer.
    ListenerId,
    /// A target group.
    TargetGroupId,
    /// One registration of an instance in a target group.
    TargetId,
    /// A VPC endpoint service.
    ServiceId,
    /// An interface VPC endpoint.
    EndpointId,
    /// One network interface of an interface endpoint: one per chosen subnet.
    EniId,
    /// A Route 53 private hosted zone.
    HostedZoneId,
);
