//! The engines and what they share. [`events`] is the discrete-event loop, one event at a time;
//! [`bulk`] gives the same [`tally::Tally`] by working out every path once and counting flows per
//! path on worker threads. Both walk flows with [`crate::walk`] under a [`crate::state::State`];
//! [`crate::run`] runs a scenario's variants on either and builds the report.

pub mod arrivals;
pub mod bulk;
pub mod connections;
pub mod events;
pub mod tally;
