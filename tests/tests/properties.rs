//! Property tests over the parsers of network and user input, on stable, with a fixed
//! seed and a fixed number of cases: the same functions the fuzz targets in `fuzz/`
//! exercise on nightly. Each must neither panic nor hang, and keep its promise.

use lambda_core::__private::fuzz;
use lambda_tests::Rng;

const CASES: usize = 20_000;

const URL_BYTES: &[u8] = b"http:/.-_~%[]:0123456789abcxyzHTTPS? #@\t";
const ID_BYTES: &[u8] = b"./%2Fab-_~ 09\xc3\xa9\r\n";
const JSON_BYTES: &[u8] = b"{}[]\":,0123456789.eE+-truefalsnl \n\t\\u";
const HTTP_PIECES: &[&str] = &[
    "POST ",
    "GET ",
    "/a",
    "?q=1",
    " HTTP/1.1",
    "\r\n",
    "\n",
    ": ",
    "Content-Length",
    "Transfer-Encoding",
    "chunked",
    "Expect",
    "100-continue",
    "0",
    "2",
    "+3",
    "-1",
    "ffffffffffffffff",
    "10000000000000000",
    ";x=y",
    "{}",
    "abc",
    " ",
];

#[test]
fn safe_request_ids_hold_only_unreserved_characters() {
    let mut rng = Rng(0x1d5);
    for _ in 0..CASES {
        let id = rng.bytes(ID_BYTES, 12);
        if fuzz::is_safe_request_id(&id) {
            assert!(!id.is_empty() && id != b"." && id != b"..", "{id:?}");
            assert!(
                id.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b".-_~".contains(&b)),
                "{id:?}"
            );
        }
    }
}

#[test]
fn runtime_api_bases_are_plain_http_urls() {
    let mut rng = Rng(0xba5e);
    for _ in 0..CASES {
        let bytes = rng.bytes(URL_BYTES, 40);
        let value = String::from_utf8_lossy(&bytes);
        if let Some(base) = fuzz::runtime_api_base(&value) {
            assert!(
                base.starts_with("http://") && base.len() > "http://".len(),
                "{value:?} -> {base:?}"
            );
            assert!(!base.ends_with('/'), "{value:?} -> {base:?}");
            assert!(
                base.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"?#@".contains(&b)),
                "{value:?} -> {base:?}"
            );
        }
    }
}

#[test]
fn context_parsing_answers_only_safe_ids() {
    let mut rng = Rng(0xc0de);
    let names = [
        "lambda-runtime-aws-request-id",
        "lambda-runtime-deadline-ms",
        "lambda-runtime-client-context",
        "lambda-runtime-cognito-identity",
        "lambda-runtime-trace-id",
        "lambda-runtime-invocation-id",
    ];
    for _ in 0..CASES {
        let mut input = Vec::new();
        for _ in 0..rng.below(6) {
            input.extend_from_slice(names[rng.below(names.len() as u64) as usize].as_bytes());
            input.push(b':');
            input.extend(rng.bytes(JSON_BYTES, 30));
            input.push(b'\n');
        }
        if let Some(id) = fuzz::context_from_header_lines(&input) {
            assert!(
                fuzz::is_safe_request_id(id.as_bytes()),
                "{id:?} from {input:?}"
            );
        }
    }
}

#[test]
fn the_event_reader_hands_out_every_document_in_order() {
    let mut rng = Rng(0xe7e47);
    for _ in 0..CASES {
        let input = rng.bytes(JSON_BYTES, 60);
        let events = fuzz::read_events(&input, 1000);
        assert!(
            events.len() < 1000,
            "the reader did not reach the end of {input:?}"
        );
        // Each event is a non-empty piece of the input, in order, and together they hold
        // every byte that is not white space.
        let mut rest = &input[..];
        for event in &events {
            assert!(!event.is_empty());
            let at = rest
                .windows(event.len())
                .position(|w| w == &event[..])
                .unwrap_or_else(|| panic!("{event:?} not in {input:?}"));
            assert!(
                rest[..at].iter().all(u8::is_ascii_whitespace),
                "skipped bytes in {input:?}"
            );
            rest = &rest[at + event.len()..];
        }
        assert!(
            rest.iter().all(u8::is_ascii_whitespace),
            "unread bytes in {input:?}: {events:?}"
        );
    }
}

#[test]
fn the_emulators_request_parser_never_panics_or_reads_past_its_limit() {
    const LIMIT: usize = 16;
    let mut rng = Rng(0x4772);
    let mut read = 0;
    for _ in 0..CASES {
        let mut input = Vec::new();
        if rng.below(4) != 0 {
            input.extend_from_slice(b"POST /a HTTP/1.1\r\n");
        }
        for _ in 0..rng.below(24) {
            if rng.below(10) == 0 {
                input.extend(rng.bytes(JSON_BYTES, 4));
            } else {
                let piece = HTTP_PIECES[rng.below(HTTP_PIECES.len() as u64) as usize];
                input.extend_from_slice(piece.as_bytes());
            }
        }
        if let Some(Ok((method, path, body))) = fuzz::read_emulator_request(&input, LIMIT) {
            read += 1;
            assert!(body <= LIMIT, "{input:?}");
            assert!(!method.is_empty(), "{input:?}");
            assert!(path.starts_with('/') && !path.contains('?'), "{input:?}");
        }
    }
    assert!(
        read > 100,
        "the generator should make some readable requests ({read})"
    );
}

#[test]
fn the_event_reader_hands_back_large_pretty_printed_documents_whole() {
    let mut rng = Rng(0x9e77);
    for _ in 0..20 {
        let documents: Vec<serde_json::Value> = (0..1 + rng.below(3))
            .map(|_| {
                let items = (0..rng.below(5_000))
                    .map(|i| serde_json::json!({"n": i, "s": "x".repeat(rng.below(8) as usize)}))
                    .collect::<Vec<_>>();
                serde_json::json!({ "items": items })
            })
            .collect();
        let texts: Vec<String> = documents
            .iter()
            .map(|d| serde_json::to_string_pretty(d).unwrap())
            .collect();
        let input = texts.join("\n");
        let events = fuzz::read_events(input.as_bytes(), 100);
        let events: Vec<&str> = events
            .iter()
            .map(|e| std::str::from_utf8(e).unwrap())
            .collect();
        assert_eq!(events, texts);
    }
}
