//! `sim`: a discrete-event simulator of AWS PrivateLink in front of a Network Load Balancer.
//!
//! It replays many curl-like flows from client instances through a Route 53 private hosted zone,
//! an interface VPC endpoint's ENIs, the provider NLB's nodes (flow hashing, cross-zone load
//! balancing on or off, health) and the targets, and reports where each flow landed beside the
//! distribution the rules predict.
//!
//! # Architecture (dependencies point down)
//! ```text
//! cli ─> report ─> engine ─> {dns, hops, nlb (+ nlb::hash), flow, rng} ─> topology ─> {ids, net, time}
//!   │      └─> expected, stats (+ detmath)
//!   ├─> render, plot (read a Report only)  explain (traces one flow through the engine)
//!   └─> scenario (TOML -> validated Topology per variant; error)
//! ```
//!
//! # Time
//! Simulated time is integer nanoseconds ([`time::SimTime`]), passed into every step; nothing
//! reads a clock except the throughput line of the CLI.
//!
//! # Determinism contract
//! The same scenario, seed and flow count give a byte-identical report on any machine:
//! events are ordered by `(time, sequence number)`; flow `i`'s random draws come from a fixed
//! slice of one ChaCha8 stream ([`rng`]); no hash map is iterated on a path to output; every
//! transcendental function on such a path is computed from IEEE basic operations
//! ([`detmath`]), never the platform's libm.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bulk;
pub mod cli;
pub mod detmath;
pub mod dns;
pub mod engine;
pub mod error;
pub mod expected;
pub mod explain;
pub mod flow;
pub mod hops;
pub mod ids;
pub mod net;
pub mod nlb;
pub mod plot;
pub mod render;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod security;
pub mod stats;
pub mod time;
pub mod topology;
pub mod ziggurat;
