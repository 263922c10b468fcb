#![no_main]
//! `AWS_LAMBDA_RUNTIME_API` into a base URL: plain HTTP, no query, fragment or user.

use lambda_core::__private::fuzz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Some(base) = fuzz::runtime_api_base(input) {
        assert!(base.starts_with("http://") && base.len() > "http://".len());
        assert!(base.bytes().all(|b| b.is_ascii_graphic() && !b"?#@".contains(&b)));
    }
});
