#![no_main]
//! A request id is put in a URL only if it is unreserved characters, not `.` or `..`.

use lambda_core::__private::fuzz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|id: &[u8]| {
    if fuzz::is_safe_request_id(id) {
        assert!(!id.is_empty() && id != b"." && id != b"..");
        assert!(id.iter().all(|&b| b.is_ascii_alphanumeric() || b".-_~".contains(&b)));
    }
});
