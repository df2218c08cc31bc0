//! `sim import` of a plan (the JSON reader and the emitter) on arbitrary bytes; the oracle is
//! tests/fuzz/oracle.rs.
#![no_main]

// Each target uses part of the shared oracle.
#[allow(dead_code)]
#[path = "../../tests/fuzz/oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oracle::import_plan(data);
});
