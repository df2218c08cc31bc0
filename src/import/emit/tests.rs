//! Tests of the emitter.
