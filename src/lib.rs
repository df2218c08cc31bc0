//! `sim`: a discrete-event simulator of AWS PrivateLink in front of a Network Load Balancer.
//!
//! It replays many curl-like flows from client instances through a Route 53 private hosted zone,
//! an interface VPC endpoint's ENIs, the provider NLB's nodes (flow hashing, cross-zone load
//! balancing on or off, health) and the targets, and reports where each flow landed beside the
//! distribution the rules predict.
//!
//! # Architecture (dependencies point down)
//! ```text
//! cli ─> run ─> sim::{events, bulk (plan, script)} ─> sim::tally, sim::arrivals
//!   │        │                 └──────────┬───────────┘
//!   │        ├─> expected ─────────> walk (the path, hop by hop; enumerate: every branch)
//!   │        │                         ├─> state (health, registration, ENI bindings; apply)
//!   │        │                         └─> rules::{address, client, dns, health, nlb (+ hash,
//!   │        │                               pick), outcome, privatelink, security}
//!   │        │                                   └─> model (Topology; ids, net) ─> time, rng
//!   │        └─> output::report (plain data) <─ stats (+ detmath), cost (+ prices)
//!   ├─> output::{render, plot, explain}: read a report or a walk's hops, decide nothing
//!   └─> scenario (raw TOML -> validate, by resource family -> Topology; calls rules)
//! ```
//! One function walks a flow's path: [`walk::Walker::step`]. The event loop
//! ([`sim::events`]) schedules its steps one event at a time; the bulk engine ([`sim::bulk`])
//! counts flows per branch of the walk's enumeration ([`walk::enumerate`]) on worker threads and
//! gives the same tally; [`expected`] weights the same branches by their probabilities; `sim
//! explain` renders one flow's hops. What changes during a run is [`state::State`]; what never
//! changes is [`model::Topology`]. The rules (and their ids in `docs/model.md`) are in
//! [`rules`], one module per hop.

//! # Time
//! Simulated time is integer nanoseconds ([`time::SimTime`]), passed into every step; nothing
//! reads a clock except the throughput line and the progress bar of the CLI.
//!
//! # Determinism contract
//! The same scenario, seed and flow count give a byte-identical report on any machine, with
//! either engine and any thread count: events are ordered by `(time, sequence number)`; flow
//! `i`'s random draws are word `i` of two ChaCha8 streams ([`rng`]), whoever simulates it; no
//! hash map is iterated on a path to output; the exponential gaps ([`ziggurat`]) and every
//! transcendental function on such a path are computed from IEEE basic operations
//! ([`detmath`]), never the platform's libm; the bulk engine's counts are integer sums.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod cost;
pub mod detmath;
pub mod error;
pub mod expect;
pub mod expected;
pub mod import;
pub mod model;
pub mod output;
pub mod quiz;
pub mod rng;
pub mod rules;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod state;
pub mod stats;
pub mod sweep;
pub mod time;
pub mod timeline;
pub mod walk;
pub mod ziggurat;
