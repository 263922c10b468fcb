#![no_main]
//! The emulator's HTTP request parser: never a panic, never a body over the limit, and a
//! path that is a path (the query string cut off).

use lambda_core::__private::fuzz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    const LIMIT: usize = 64;
    if let Some(Ok((_, path, body))) = fuzz::read_emulator_request(input, LIMIT) {
        assert!(body <= LIMIT);
        assert!(path.starts_with('/') && !path.contains('?'));
    }
});
