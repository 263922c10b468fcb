#![no_main]
//! `/next` headers (`name: value` lines) into a `Context`: an answerable id is safe.

use lambda_core::__private::fuzz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Some(id) = fuzz::context_from_header_lines(input) {
        assert!(fuzz::is_safe_request_id(id.as_bytes()));
    }
});
