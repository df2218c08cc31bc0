//! `sim`: a discrete-event simulator of AWS PrivateLink in front of a Network Load Balancer.
//!
//! It replays many curl-like flows from client instances through a Route 53 private hosted zone,
//! an interface VPC endpoint's ENIs, the provider NLB's nodes (flow hashing, cross-zone load
//! balancing on or off, health) and the targets, and reports where each flow landed beside the
//! distribution the rules predict.
//!
//! # Architecture (dependencies point down)
//! ```text
//! cli ─> report ─> bulk (plan, script) ─┐
//!          │  └──> engine ──────────────┴─> {dns, hops, nlb (+ hash, pick), flow (+ ziggurat), rng}
//!          │                                  ─> topology ─> {ids, net, time}
//!          └─> expected, stats (+ detmath)
//!   ├─> render, plot (read a Report only)  explain (traces one flow through the engine)
//!   └─> scenario (TOML -> validated Topology per variant; error)
//! ```
//! [`engine`] is the discrete-event loop, one event at a time; [`bulk`] gives the same tally by
//! working out every path once and counting flows per path on worker threads. `sim run` uses the
//! bulk engine, `sim explain` the event loop.
//!
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
pub mod detmath;
pub mod error;
pub mod expected;
pub mod model;
pub mod output;
pub mod rng;
pub mod rules;
pub mod scenario;
pub mod sim;
pub mod state;
pub mod stats;
pub mod time;
pub mod walk;
pub mod ziggurat;
