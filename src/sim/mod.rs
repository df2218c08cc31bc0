//! The engines.
pub mod bulk;
pub mod events;
