//! The rules a flow meets on its path, one module per hop.
pub mod client;
pub mod dns;
pub mod hops;
pub mod nlb;
pub mod security;
