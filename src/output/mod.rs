//! What users see.
pub mod explain;
pub mod plot;
pub mod render;
pub mod report;
pub mod terminal;
