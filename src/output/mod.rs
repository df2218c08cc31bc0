//! What users see.
pub mod changes;
pub mod connections;
pub mod explain;
pub mod flowmap;
pub mod metrics;
pub mod plot;
pub mod render;
pub mod report;
pub mod terminal;
pub mod verdicts;
