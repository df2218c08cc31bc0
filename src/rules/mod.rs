//! The rules a flow meets on its path, one module per hop, each citing its docs/model.md ids.
//! [`crate::walk`] applies them in order; nothing else does. [`catalog`] reads the rules' titles,
//! sources and assumptions from docs/model.md itself.

pub mod address;
pub mod catalog;
pub mod check_timeline;
pub mod client;
pub mod connection;
pub mod dns;
pub mod health;
pub mod nlb;
pub mod outcome;
pub mod privatelink;
pub mod proxy_protocol;
pub mod security;
