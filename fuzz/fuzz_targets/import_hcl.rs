//! `sim import DIR`'s reader (`import::hcl::parse_files`) on arbitrary bytes, split at NUL
//! bytes into a root module, a local module, tfvars and a template; the oracle is
//! tests/fuzz/oracle.rs.
#![no_main]

// Each target uses part of the shared oracle.
#[allow(dead_code)]
#[path = "../../tests/fuzz/oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oracle::import_hcl(data);
});
