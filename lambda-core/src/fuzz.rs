//! The parsers of network and user input, for the fuzz targets (`fuzz/`) and the
//! property tests (`tests/`): each takes raw bytes and must neither panic nor hang.
//! Behind the `fuzz` feature, which only those two enable, so that no function's build
//! compiles it.

use std::sync::Arc;

/// Parses `/next` headers given as `name: value` lines (the name lower-cased) into a
/// context; `Some(request id)` when the event can be answered.
pub fn context_from_header_lines(input: &[u8]) -> Option<String> {
    let lines: Vec<(String, &[u8])> = input
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            Some((name, &line[colon + 1..]))
        })
        .collect();
    let header = |name: &str| lines.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    crate::context::parse(header, &Arc::default())
        .ok()
        .map(|parsed| parsed.context.request_id)
}

/// The root URL built from an `AWS_LAMBDA_RUNTIME_API` value.
pub fn runtime_api_base(value: &str) -> Option<String> {
    crate::config::RuntimeApi::parse(value)
        .ok()
        .map(|api| api.root())
}

/// Whether a request id may be put in a URL.
pub fn is_safe_request_id(id: &[u8]) -> bool {
    crate::context::is_safe_request_id(id)
}

/// What the emulator's HTTP server reads from `input` with a body limit of `limit`:
/// `Ok((method, path, body length))`, or `Err(reason)` when it refuses the request
/// (`None` when the connection just ends).
#[cfg(feature = "emulator")]
pub fn read_emulator_request(
    input: &[u8],
    limit: usize,
) -> Option<Result<(String, String, usize), &'static str>> {
    crate::emulator::fuzz_read_request(input, limit)
}

/// The events the standard-input reader finds in `input`, at most `limit` of them.
#[cfg(feature = "emulator")]
pub fn read_events(input: &[u8], limit: usize) -> Vec<Vec<u8>> {
    let mut reader = crate::emulator::EventReader::new(input);
    let mut events = Vec::new();
    while events.len() < limit {
        match reader.next_event() {
            Ok(Some(event)) => events.push(event),
            _ => break,
        }
    }
    events
}
