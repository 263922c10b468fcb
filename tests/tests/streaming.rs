//! Response streaming against the mock Runtime API, byte by byte: what `fixture_stream`
//! sent for each case, chunk sizes, trailers and all.

use lambda_tests::{Emulator, Event, Function, MockRuntimeApi, Recorded};
use serde_json::{Value, json};

const FIXTURE: &str = env!("CARGO_BIN_EXE_fixture_stream");
const TRAILER: &str = "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body";

/// Serves `event` and returns the one post the function made, every request, and what
/// it printed.
fn serve(event: Value) -> (Recorded, Vec<Recorded>, lambda_tests::Output) {
    let mock = MockRuntimeApi::start();
    // A deadline as far as the header can say: the stream's wait is bounded all the
    // same.
    mock.push_event(
        Event::new("req-1", event.to_string())
            .header("Lambda-Runtime-Invocation-Id", "inv-1")
            .header("Lambda-Runtime-Deadline-Ms", "18446744073709551615"),
    );
    // The post, and the poll after it: the stream is over when the function polls.
    let function = Function::against(FIXTURE, &mock.address(), &[]);
    let requests = mock.wait_for_polls(2);
    let output = function.stop();
    let posts = lambda_tests::posts(&requests);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    (posts[0].clone(), requests, output)
}

fn assert_streamed_head(post: &Recorded, content_type: &str) {
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/response");
    assert_eq!(
        post.header("lambda-runtime-function-response-mode"),
        Some("streaming")
    );
    assert_eq!(post.header("transfer-encoding"), Some("chunked"));
    assert_eq!(post.header("trailer"), Some(TRAILER));
    assert_eq!(post.header("content-type"), Some(content_type));
    assert_eq!(post.header("lambda-runtime-invocation-id"), Some("inv-1"));
    assert_eq!(post.header("content-length"), None);
}

#[test]
fn chunks_go_out_as_flushed_and_the_connection_is_closed_after() {
    let (post, requests, _) = serve(json!({"do": "chunks"}));
    assert_streamed_head(&post, "text/plain");
    assert_eq!(
        String::from_utf8_lossy(&post.wire),
        "1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n0\r\n\r\n"
    );
    assert!(post.trailers.is_empty());
    // The stream goes on the poll's connection, used a moment ago, and closes it: the
    // next poll opens another.
    let next = requests.last().unwrap();
    assert!(next.path.ends_with("/runtime/invocation/next"));
    assert_eq!(requests[0].connection, post.connection, "{requests:#?}");
    assert_ne!(next.connection, post.connection, "{requests:#?}");
}

#[test]
fn a_stream_that_begins_after_a_second_goes_on_a_new_connection() {
    // The poll's connection, idle for over a second, may have been closed by the
    // server, and a stream cannot be sent again once its first chunk is gone.
    let (post, requests, _) = serve(json!({"do": "late"}));
    assert_eq!(post.body, b"late");
    assert_ne!(requests[0].connection, post.connection, "{requests:#?}");
}

#[test]
fn an_empty_stream_is_the_last_chunk_alone() {
    let (post, _, _) = serve(json!({"do": "empty"}));
    assert_streamed_head(&post, "application/octet-stream");
    assert_eq!(String::from_utf8_lossy(&post.wire), "0\r\n\r\n");
}

#[test]
fn an_http_head_is_a_json_prelude_and_eight_nul_bytes_before_the_body() {
    let (post, _, _) = serve(json!({"do": "http"}));
    assert_streamed_head(&post, "application/vnd.awslambda.http-integration-response");
    // The prelude, then its end, each a chunk of its own, as AWS's Node.js runtime
    // sends them.
    let prelude = r#"{"statusCode":201,"headers":{"content-type":"text/plain"},"cookies":["a=1"]}"#;
    let expected = format!(
        "{:x}\r\n{prelude}\r\n8\r\n\0\0\0\0\0\0\0\0\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
        prelude.len()
    );
    assert_eq!(String::from_utf8_lossy(&post.wire), expected);
}

#[test]
fn an_error_before_the_first_chunk_is_an_error_post() {
    let (post, _, output) = serve(json!({"do": "fail_first"}));
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/error");
    assert_eq!(post.header("transfer-encoding"), None);
    assert_eq!(
        post.body_json()["errorMessage"],
        "the stream could not start"
    );
    assert!(!post.body_text().contains("never sent"));
    assert!(
        output.stderr.contains("the stream could not start"),
        "{}",
        output.stderr
    );
}

/// The error in a stream's trailers: its type, and the report in its body.
fn trailer_error(post: &Recorded) -> (String, Value) {
    assert_eq!(post.trailers.len(), 2, "{:?}", post.trailers);
    let trailer = |name: &str| {
        post.trailers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {:?}", post.trailers))
    };
    let body = decode_base64(&trailer("lambda-runtime-function-error-body"));
    let report = serde_json::from_slice(&body).expect("the error body is JSON");
    (trailer("lambda-runtime-function-error-type"), report)
}

#[test]
fn an_error_after_the_first_chunk_goes_in_real_trailers_not_the_body() {
    let (post, _, output) = serve(json!({"do": "fail_after"}));
    assert_streamed_head(&post, "application/octet-stream");
    // What was written before the error is sent, and nothing of the error is body.
    assert_eq!(post.body, b"partial and more");
    let wire = String::from_utf8_lossy(&post.wire).into_owned();
    assert!(
        wire.starts_with(
            "7\r\npartial\r\n9\r\n and more\r\n0\r\nLambda-Runtime-Function-Error-Type: "
        ),
        "{wire:?}"
    );
    assert!(wire.ends_with("\r\n\r\n"), "{wire:?}");
    let (error_type, report) = trailer_error(&post);
    assert_eq!(report["errorMessage"], "the source failed midway");
    assert_eq!(report["errorType"], "Error");
    // The type as the `/error` post's header gives it.
    assert_eq!(error_type, "Function.Error");
    assert!(
        output.stderr.contains("the source failed midway"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_panic_after_the_first_chunk_goes_in_trailers() {
    let (post, _, _) = serve(json!({"do": "panic_after"}));
    assert_eq!(post.body, b"partial");
    let (error_type, report) = trailer_error(&post);
    assert_eq!(error_type, "Runtime.Panic");
    assert_eq!(report["errorType"], "Runtime.Panic");
    assert_eq!(report["errorMessage"], "midway");
}

/// The peak resident memory of a running process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn a_100_mib_stream_takes_constant_memory() {
    const MIB: usize = 100;
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new(
        "req-1",
        json!({"do": "mib", "mib": MIB}).to_string(),
    ));
    let function = Function::against(FIXTURE, &mock.address(), &[]);
    let requests = mock.wait_for_polls(2);
    let peak = peak_rss_kib(function.pid());
    function.stop();
    let posts = lambda_tests::posts(&requests);
    assert_eq!(posts.len(), 1);
    let body = &posts[0].body;
    assert_eq!(body.len(), MIB * 1024 * 1024);
    assert!(
        body.iter()
            .enumerate()
            .all(|(i, &b)| b == ((i % (64 * 1024)) % 251) as u8)
    );
    // Buffered, the stream alone would be 100 MiB; a debug build's whole process is a
    // few MiB, and the stream adds its 64 KiB chunk.
    assert!(
        peak < 24 * 1024,
        "peak RSS {peak} KiB while streaming {MIB} MiB"
    );
}

#[test]
fn a_stream_the_service_refuses_midway_is_one_line_and_the_loop_goes_on() {
    let mock = MockRuntimeApi::start();
    mock.refuse_streams_over(1024 * 1024);
    mock.push_event(Event::new(
        "req-1",
        json!({"do": "mib", "mib": 50}).to_string(),
    ));
    mock.push_event(Event::new("req-2", json!({"do": "chunks"}).to_string()));
    let function = Function::against(FIXTURE, &mock.address(), &[]);
    let requests = mock.wait_for_posts(2);
    let line = function.wait_for_stderr_line(|line| line.contains("cut off"));
    let output = function.stop();
    let posts = lambda_tests::posts(&requests);
    assert!(posts[0].cut, "{:?}", posts[0].path);
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/req-2/response"
    );
    assert_eq!(posts[1].body, b"abbccc");
    assert!(
        line.contains("req-1: the streamed response was cut off"),
        "{line}"
    );
    // One line from the runtime for the cut stream (the fixture says its own).
    let runtime_lines: Vec<&str> = output
        .stderr_lines()
        .into_iter()
        .filter(|line| line.contains("req-1") && line.starts_with("lambda_core"))
        .collect();
    assert_eq!(runtime_lines.len(), 1, "{}", output.stderr);
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {text}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::new();
    for group in digits.chunks(4) {
        let bits = group
            .iter()
            .fold(0_u32, |bits, &d| bits << 6 | u32::from(d))
            << (6 * (4 - group.len()));
        out.extend_from_slice(&bits.to_be_bytes()[1..group.len()]);
    }
    out
}

/// A raw HTTP client of the Invoke endpoint that reads a chunked answer a chunk at a
/// time, as it arrives.
struct ChunkedReply {
    reader: std::io::BufReader<std::net::TcpStream>,
    status: u16,
    headers: Vec<(String, String)>,
}

impl ChunkedReply {
    fn invoke(emulator: &Emulator, event: &Value) -> ChunkedReply {
        use std::io::{BufRead, Write};
        let body = event.to_string();
        let mut stream = std::net::TcpStream::connect(emulator.address()).expect("connect");
        stream
            .set_read_timeout(Some(lambda_tests::PATIENCE))
            .expect("timeout");
        let request = format!(
            "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut reader = std::io::BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).expect("status line");
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line).expect("a header");
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        ChunkedReply {
            reader,
            status,
            headers,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a line");
        assert!(line.ends_with("\r\n"), "{line:?}");
        line.trim_end().to_owned()
    }

    /// The next chunk, or `None` at the last chunk.
    fn chunk(&mut self) -> Option<String> {
        use std::io::Read;
        let size = usize::from_str_radix(&self.line(), 16).expect("a chunk size");
        if size == 0 {
            return None;
        }
        let mut data = vec![0; size];
        self.reader.read_exact(&mut data).expect("the chunk");
        assert_eq!(self.line(), "", "the chunk's end");
        Some(String::from_utf8(data).expect("text"))
    }

    /// The trailers after the last chunk.
    fn trailers(&mut self) -> Vec<(String, String)> {
        let mut trailers = Vec::new();
        loop {
            let line = self.line();
            let Some((name, value)) = line.split_once(':') else {
                return trailers;
            };
            trailers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
}

#[test]
fn the_emulator_relays_each_chunk_as_it_arrives() {
    let emulator = Emulator::start(FIXTURE, &[]);
    let dir = std::env::temp_dir().join(format!("lambda-stream-wait-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let until = dir.to_string_lossy().into_owned();
    let mut reply = ChunkedReply::invoke(&emulator, &json!({"do": "wait", "until": until}));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(reply.header("trailer"), Some(TRAILER));
    assert!(reply.header("x-amzn-requestid").is_some());
    // The handler waits for the file, so this chunk came while it still ran.
    assert_eq!(reply.chunk().as_deref(), Some("first\n"));
    std::fs::write(&dir, b"").expect("the file the handler waits for");
    assert_eq!(reply.chunk().as_deref(), Some("last\n"));
    assert_eq!(reply.chunk(), None);
    assert!(reply.trailers().is_empty());
    let _ = std::fs::remove_file(&dir);
    // The invocation ends when the stream does.
    emulator
        .function
        .wait_for_stderr_line(|line| line.contains("REPORT RequestId: "));
    emulator.function.stop();
}

#[test]
fn the_emulator_ends_a_stream_that_failed_midway_with_the_error_in_trailers() {
    let emulator = Emulator::start(FIXTURE, &[]);
    let mut reply = ChunkedReply::invoke(&emulator, &json!({"do": "fail_after"}));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.chunk().as_deref(), Some("partial"));
    assert_eq!(reply.chunk().as_deref(), Some(" and more"));
    assert_eq!(reply.chunk(), None);
    let trailers = reply.trailers();
    let post = Recorded {
        method: String::new(),
        path: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
        wire: Vec::new(),
        trailers,
        cut: false,
        connection: 0,
    };
    let (error_type, report) = trailer_error(&post);
    assert_eq!(error_type, "Function.Error");
    assert_eq!(report["errorMessage"], "the source failed midway");
    // The function serves the next invocation.
    let mut next = ChunkedReply::invoke(&emulator, &json!({"do": "chunks"}));
    assert_eq!(next.header("content-type"), Some("text/plain"));
    assert_eq!(next.chunk().as_deref(), Some("a"));
    emulator.function.stop();
}

#[test]
fn standard_input_prints_a_stream_as_it_comes_and_its_error_on_a_line_of_its_own() {
    let output = Function::run_with_stdin(
        FIXTURE,
        &[],
        "{\"do\": \"chunks\"}\n{\"do\": \"fail_after\"}\n",
    );
    let lines = output.stdout_lines();
    assert_eq!(lines[0], "abbccc");
    assert_eq!(lines[1], "partial and more");
    let report: Value = serde_json::from_str(lines[2]).expect("the error report");
    assert_eq!(report["errorMessage"], "the source failed midway");
    assert_eq!(lines.len(), 3, "{}", output.stdout);
    assert_eq!(output.code(), Some(1), "one invocation failed");
}

#[test]
fn the_emulator_ends_a_stream_at_the_timeout_whatever_the_pace_of_its_caller() {
    use std::io::Read;
    const MIB: usize = 50;
    let emulator = Emulator::start(FIXTURE, &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "2")]);
    let mut reply = ChunkedReply::invoke(&emulator, &json!({"do": "mib", "mib": MIB}));
    assert_eq!(reply.status, 200);
    // A caller that stops reading past the timeout: the relay must not wait on it.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let mut rest = Vec::new();
    let _ = reply.reader.read_to_end(&mut rest);
    assert!(
        rest.len() < MIB * 1024 * 1024,
        "the whole stream arrived: {} bytes",
        rest.len()
    );
    // The process that overran was replaced, and the next invocation is served.
    let mut next = ChunkedReply::invoke(&emulator, &json!({"do": "chunks"}));
    assert_eq!(next.chunk().as_deref(), Some("a"));
    emulator.function.stop();
}

#[test]
fn a_stream_keeps_its_managed_instances_slot_until_it_ends() {
    let emulator = Emulator::start(FIXTURE, &[("AWS_LAMBDA_MAX_CONCURRENCY", "1")]);
    let dir = std::env::temp_dir().join(format!("lambda-stream-slot-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let until = dir.to_string_lossy().into_owned();
    let mut first = ChunkedReply::invoke(&emulator, &json!({"do": "wait", "until": until}));
    assert_eq!(first.chunk().as_deref(), Some("first\n"));
    // The one slot is held by the stream still running: throttled, as Lambda does.
    let second = ChunkedReply::invoke(&emulator, &json!({"do": "chunks"}));
    assert_eq!(second.status, 429);
    std::fs::write(&dir, b"").expect("the file the handler waits for");
    assert_eq!(first.chunk().as_deref(), Some("last\n"));
    assert_eq!(first.chunk(), None);
    let _ = std::fs::remove_file(&dir);
    emulator.function.stop();
}
