#![no_main]
//! The standard-input reader: every document handed out in order, nothing left unread.

use lambda_core::__private::fuzz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let events = fuzz::read_events(input, input.len() + 1);
    let mut rest = input;
    for event in &events {
        assert!(!event.is_empty());
        let at = rest.windows(event.len()).position(|w| w == &event[..]).expect("an event from the input");
        assert!(rest[..at].iter().all(u8::is_ascii_whitespace));
        rest = &rest[at + event.len()..];
    }
    assert!(rest.iter().all(u8::is_ascii_whitespace));
});
