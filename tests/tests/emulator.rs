//! The emulator built into every function, driven with plain `curl` as a user would
//! drive AWS's Runtime Interface Emulator.

use lambda_tests::{Emulator, Function, PATIENCE, children, curl, is_running};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");
const INSPECT: &str = env!("CARGO_BIN_EXE_fixture_inspect");
const INIT: &str = env!("CARGO_BIN_EXE_fixture_init");

fn command(value: Value) -> String {
    value.to_string()
}

#[test]
fn answers_an_invoke_like_the_runtime_interface_emulator() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(&command(json!({"do": "answer", "with": {"total": 42}})));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, r#"{"total":42}"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("x-amz-executed-version"), Some("$LATEST"));
    assert_eq!(reply.header("x-amz-function-error"), None);
    let request_id = reply
        .header("x-amzn-requestid")
        .unwrap_or_default()
        .to_owned();
    let output = emulator.function.stop();
    let lines = output.stderr_lines();
    assert_eq!(
        lines[1],
        format!("START RequestId: {request_id} Version: $LATEST")
    );
    assert_eq!(lines[2], format!("END RequestId: {request_id}"));
    assert!(
        lines[3].starts_with(&format!("REPORT RequestId: {request_id}\tDuration: ")),
        "{}",
        lines[3]
    );
    assert!(
        lines[3].contains("\tMax Memory Used: ") && lines[3].contains("\tInit Duration: "),
        "{}",
        lines[3]
    );
}

#[test]
fn a_handler_error_is_200_with_the_function_error_header() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(r#"{"do":"fail"}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    assert_eq!(
        reply.body,
        r#"{"errorType":"FaultError","errorMessage":"payment failed","stackTrace":["card declined"]}"#
    );
    emulator.function.stop();
}

#[test]
fn a_bad_event_and_a_panic_are_reported_and_the_same_process_serves_on() {
    let emulator = Emulator::start(FAULTS, &[]);
    let bad = emulator.invoke("{oops");
    assert!(bad.is_function_error());
    assert_eq!(bad.json()["errorType"], "Runtime.InvalidEvent");
    let panic = emulator.invoke(r#"{"do":"panic"}"#);
    assert!(panic.is_function_error());
    assert_eq!(
        (
            panic.json()["errorType"].as_str(),
            panic.json()["errorMessage"].as_str()
        ),
        (Some("Runtime.Panic"), Some("the handler panicked"))
    );
    let fine = emulator.invoke(&command(json!({"do": "answer", "with": "fine"})));
    assert_eq!(
        (fine.status, fine.body.as_str(), fine.is_function_error()),
        (200, r#""fine""#, false)
    );
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("Init Duration").count(),
        1,
        "one process served all three:\n{}",
        output.stderr
    );
}

#[test]
fn an_init_failure_answers_the_waiting_invoke_and_the_next_one_tries_again() {
    let emulator = Emulator::start(INIT, &[("FIXTURE_INIT", "error")]);
    for _ in 0..2 {
        let reply = emulator.invoke(r#""x""#);
        assert_eq!(reply.status, 200);
        assert!(reply.is_function_error());
        assert_eq!(
            reply.json(),
            json!({"errorType": "ConfigError", "errorMessage": "bad configuration: FIXTURE_INIT is Ok(\"error\")", "stackTrace": []})
        );
    }
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("init failed: ConfigError").count(),
        2,
        "{}",
        output.stderr
    );
}

#[test]
fn a_process_that_exits_is_runtime_exit_error_and_a_fresh_one_serves_the_next() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(r#"{"do":"exit","code":3}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    let request_id = reply.header("x-amzn-requestid").unwrap_or_default();
    assert_eq!(
        reply.json(),
        json!({"errorType": "Runtime.ExitError", "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: exit status: 3")})
    );
    let next = emulator.invoke(&command(json!({"do": "answer", "with": 1})));
    assert_eq!((next.body.as_str(), next.is_function_error()), ("1", false));
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("Init Duration").count(),
        2,
        "{}",
        output.stderr
    );
}

#[test]
fn an_overrun_is_task_timed_out_and_a_fresh_process_serves_the_next() {
    let emulator = Emulator::start(FAULTS, &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    let reply = emulator.invoke(r#"{"do":"sleep","ms":30000}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    let request_id = reply.header("x-amzn-requestid").unwrap_or_default();
    assert_eq!(
        reply.json(),
        json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("RequestId: {request_id} Error: Task timed out after 1.00 seconds")})
    );
    let next = emulator.invoke(&command(json!({"do": "answer", "with": 2})));
    assert_eq!((next.body.as_str(), next.is_function_error()), ("2", false));
    emulator.function.stop();
}

#[test]
fn requests_over_6_mib_are_413_and_6_mib_is_accepted() {
    let emulator = Emulator::start(FAULTS, &[]);
    let dir = std::env::temp_dir().join(format!("lambda-core-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let limit = 6 * 1024 * 1024;
    for (size, name) in [(limit + 1, "over"), (limit, "at")] {
        let path = dir.join(name);
        // A JSON string of exactly `size` bytes.
        std::fs::write(&path, format!("\"{}\"", "x".repeat(size - 2))).unwrap();
        let reply = curl(
            &emulator.url,
            &["-XPOST", "--data-binary", &format!("@{}", path.display())],
        );
        if size > limit {
            assert_eq!(reply.status, 413);
            assert_eq!(
                reply.json(),
                json!({"errorType": "RequestTooLargeException", "errorMessage": "Request must be smaller than 6291456 bytes for the InvokeFunction operation"})
            );
        } else {
            // Delivered: the fixture then says the string is not one of its commands.
            assert_eq!(
                (reply.status, reply.json()["errorType"].as_str()),
                (200, Some("Runtime.InvalidEvent"))
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    emulator.function.stop();
}

#[test]
fn a_response_over_the_limit_is_function_response_size_too_large() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(r#"{"do":"oversized","bytes":6291555}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    assert_eq!(
        reply.json()["errorMessage"],
        "Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes)."
    );
    assert_eq!(reply.json()["errorType"], "Function.ResponseSizeTooLarge");
    emulator.function.stop();
}

#[test]
fn concurrent_invokes_wait_their_turn_and_none_is_dropped() {
    let emulator = Emulator::start(FAULTS, &[]);
    let url = emulator.url.clone();
    let callers: Vec<_> = (0..6)
        .map(|n| {
            let url = url.clone();
            std::thread::spawn(move || {
                (
                    n,
                    curl(
                        &url,
                        &["-XPOST", "-d", &command(json!({"do": "answer", "with": n}))],
                    ),
                )
            })
        })
        .collect();
    for caller in callers {
        let (n, reply) = caller.join().expect("caller thread");
        assert_eq!((reply.status, reply.body), (200, n.to_string()));
    }
    emulator.function.stop();
}

#[test]
fn fills_the_headers_and_environment_lambda_fills() {
    let emulator = Emulator::start(INSPECT, &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "120")]);
    // `{"custom":{"app":"shop"}}`, base64-encoded as the Invoke API carries it.
    let reply = curl(
        &emulator.url,
        &[
            "-XPOST",
            "-d",
            "{}",
            "-H",
            "X-Amz-Client-Context: eyJjdXN0b20iOnsiYXBwIjoic2hvcCJ9fQ==",
        ],
    );
    let body = reply.json();
    assert_eq!(
        body["request_id"].as_str(),
        reply.header("x-amzn-requestid")
    );
    assert_eq!(body["client_context"], json!({"custom": {"app": "shop"}}));
    assert_eq!(
        body["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:012345678912:function:fixture_inspect"
    );
    assert!(
        body["xray_trace_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=1-")),
        "{body}"
    );
    assert_eq!(body["trace_env"], body["xray_trace_id"]);
    assert!(
        body["invocation_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{body}"
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let deadline = body["deadline_ms"].as_u64().unwrap_or_default();
    assert!(
        deadline > now_ms + 60_000 && deadline <= now_ms + 120_000,
        "deadline {deadline}, now {now_ms}"
    );
    assert_eq!(
        body["function"],
        json!({"name": "fixture_inspect", "memory_size_mb": 3008, "version": "$LATEST", "log_group_name": "/aws/lambda/fixture_inspect", "log_stream_name": "$LATEST"})
    );
    emulator.function.stop();
}

#[test]
fn other_paths_and_methods_are_refused() {
    let emulator = Emulator::start(FAULTS, &[]);
    let base = emulator
        .url
        .trim_end_matches("/2015-03-31/functions/function/invocations");
    assert_eq!(
        curl(&format!("{base}/nope"), &["-XPOST", "-d", "{}"]).status,
        404
    );
    assert_eq!(curl(&emulator.url, &["-XGET"]).status, 405);
    emulator.function.stop();
}

#[test]
fn an_address_in_use_is_one_line_and_status_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Function::start_with_args(
        FAULTS,
        &["--serve"],
        &[("LAMBDA_EMULATOR_ADDRESS", &address)],
    )
    .wait();
    assert_eq!(output.code(), Some(1));
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert!(lines[0].starts_with(&format!("lambda_core: cannot listen on {address} (set LAMBDA_EMULATOR_ADDRESS to another address): ")), "{}", lines[0]);
}

/// Sends `request` as it is and reads the answer until the server closes the connection
/// or an answer with a `Content-Length` is complete: the head and body as text.
fn exchange(address: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request).expect("send");
    read_answer(&mut stream)
}

fn read_answer(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|l| l.trim().parse::<usize>().ok());
            if length.is_some_and(|length| body.len() >= length) {
                return text;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return text,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(error) => panic!("no answer ({error}); got {text:?}"),
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0_u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn a_client_context_that_could_write_into_the_event_head_is_refused() {
    let emulator = Emulator::start(INSPECT, &[]);
    for decoded in [
        "{\"a\":1}\r\n\r\nX: y\r\nContent-Length: 9\r\n\r\n{\"own\":1}",
        "{\"a\":1}\rLambda-Runtime-Aws-Request-Id: forged",
        "not json",
    ] {
        let header = format!("X-Amz-Client-Context: {}", base64(decoded.as_bytes()));
        let reply = curl(
            &emulator.url,
            &["-XPOST", "-d", r#"{"real":1}"#, "-H", &header],
        );
        assert_eq!(reply.status, 400, "{decoded:?}: {}", reply.body);
        assert_eq!(
            reply.json(),
            json!({"errorType": "InvalidRequestContentException", "errorMessage": "X-Amz-Client-Context must be a base64-encoded JSON object with no control characters"})
        );
    }
    // The function never saw those, and answers the next invoke at once.
    let reply = emulator.invoke(r#"{"real":2}"#);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["event"], json!({"real": 2}), "{}", reply.body);
    emulator.function.stop();
}

#[test]
fn a_chunk_size_past_any_number_is_413_not_a_panic() {
    let emulator = Emulator::start(FAULTS, &[]);
    let answer = exchange(
        emulator.address(),
        b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\nffffffffffffffff\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    let output = emulator.function.stop();
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
}

#[test]
fn ambiguous_lengths_are_refused_with_400_and_a_reason() {
    let emulator = Emulator::start(FAULTS, &[]);
    let answer = exchange(
        emulator.address(),
        b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
    );
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"errorType":"BadRequest","errorMessage":"Content-Length is not a number of bytes"}"#
        ),
        "{answer}"
    );
    emulator.function.stop();
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let emulator = Emulator::start(FAULTS, &[]);
    let body = command(json!({"do": "answer", "with": 7}));
    let mut stream = TcpStream::connect(emulator.address()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let head = format!(
        "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0; 25];
    stream
        .read_exact(&mut interim)
        .expect("an interim answer before the body");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(body.as_bytes()).unwrap();
    let answer = read_answer(&mut stream);
    assert!(
        answer.starts_with("HTTP/1.1 200 ") && answer.ends_with("\r\n\r\n7"),
        "{answer}"
    );
    emulator.function.stop();
}

#[test]
fn the_invoke_path_takes_a_qualifier_query_string() {
    let emulator = Emulator::start(FAULTS, &[]);
    let url = format!("{}?Qualifier=$LATEST", emulator.url);
    let reply = curl(
        &url,
        &["-XPOST", "-d", &command(json!({"do": "answer", "with": 3}))],
    );
    assert_eq!((reply.status, reply.body.as_str()), (200, "3"));
    emulator.function.stop();
}

/// The function process's `AWS_LAMBDA_RUNTIME_API`, read from its environment.
fn runtime_api_of(function_pid: u32) -> String {
    let environ = std::fs::read(format!("/proc/{function_pid}/environ")).expect("environ");
    environ
        .split(|&b| b == 0)
        .find_map(|pair| pair.strip_prefix(b"AWS_LAMBDA_RUNTIME_API="))
        .map(|value| String::from_utf8_lossy(value).into_owned())
        .expect("AWS_LAMBDA_RUNTIME_API in the function's environment")
}

#[test]
fn only_the_function_process_can_use_its_runtime_api() {
    let emulator = Emulator::start(FAULTS, &[]);
    // The first invoke starts the function process.
    let reply = emulator.invoke(&command(json!({"do": "answer", "with": 1})));
    assert_eq!(reply.status, 200);
    let child = children(emulator.function.pid())[0];
    let runtime_api = runtime_api_of(child);
    let (address, secret) = runtime_api.split_once('/').expect("a secret path");
    assert_eq!(secret.len(), 32, "{runtime_api}");
    // Another process that found the port polls without the secret.
    let url = format!("http://{address}/2018-06-01/runtime/invocation/next");
    let stolen = curl(&url, &[]);
    assert_eq!(stolen.status, 403, "{}", stolen.body);
    let forged = curl(
        &format!("http://{address}/2018-06-01/runtime/invocation/x/response"),
        &["-XPOST", "-d", "{\"forged\":1}"],
    );
    assert_eq!(forged.status, 403);
    // The next invoke is the function's own answer.
    let reply = emulator.invoke(&command(json!({"do": "answer", "with": 2})));
    assert_eq!(reply.body, "2");
    let output = emulator.function.stop();
    let refused: Vec<&str> = output
        .stderr_lines()
        .into_iter()
        .filter(|line| line.contains("on the function's Runtime API"))
        .collect();
    assert_eq!(
        refused,
        [
            r#"lambda_core: refused "GET" "/2018-06-01/runtime/invocation/next" on the function's Runtime API: only the function process may call it"#,
            r#"lambda_core: refused "POST" "/2018-06-01/runtime/invocation/x/response" on the function's Runtime API: only the function process may call it"#,
        ]
    );
}

#[test]
fn connections_past_the_cap_get_503_and_the_emulator_recovers() {
    let emulator = Emulator::start(FAULTS, &[]);
    let held: Vec<TcpStream> = (0..128)
        .map(|_| TcpStream::connect(emulator.address()).expect("connect"))
        .collect();
    let mut over = TcpStream::connect(emulator.address()).unwrap();
    over.set_read_timeout(Some(PATIENCE)).unwrap();
    let answer = read_answer(&mut over);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("too many connections"), "{answer}");
    drop(held);
    // The held connections' threads notice the close; then invokes are served again.
    let deadline = Instant::now() + PATIENCE;
    let body = command(json!({"do": "answer", "with": 4}));
    loop {
        let reply = emulator.invoke(&body);
        if reply.status == 200 {
            assert_eq!(reply.body, "4");
            break;
        }
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert!(Instant::now() < deadline, "still refused");
        std::thread::sleep(Duration::from_millis(50));
    }
    emulator.function.stop();
}

#[test]
fn a_silent_connection_is_closed_by_the_emulator() {
    let emulator = Emulator::start(FAULTS, &[]);
    let mut silent = TcpStream::connect(emulator.address()).unwrap();
    silent.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut byte = [0];
    // 10 s of silence, then the emulator closes: the read ends with 0 bytes, not a timeout.
    assert_eq!(silent.read(&mut byte).expect("closed by the emulator"), 0);
    emulator.function.stop();
}

/// CPU time (user + system) a process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // After the name: state is field 3, utime 14, stime 15 (1-based, as proc(5) counts).
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn out_of_file_descriptors_the_emulator_backs_off_and_recovers() {
    let function = Function::start_with_args(
        "/bin/sh",
        &["-c", "ulimit -n 48 && exec \"$0\" --serve", FAULTS],
        &[("LAMBDA_EMULATOR_ADDRESS", "127.0.0.1:0")],
    );
    let emulator = Emulator::from_function(function);
    // More connections than descriptors: accept fails while they are held.
    let held: Vec<TcpStream> = (0..80)
        .map(|_| TcpStream::connect(emulator.address()).expect("connect"))
        .collect();
    emulator
        .function
        .wait_for_stderr_line(|line| line.starts_with("lambda_core: cannot accept connections ("));
    // A spinning accept loop burns a whole core; a backed-off one almost nothing.
    let pid = emulator.function.pid();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    assert!(used < 30, "{used} ticks of CPU in one second");
    drop(held);
    let body = command(json!({"do": "answer", "with": 5}));
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reply = emulator.invoke(&body);
        if reply.status == 200 {
            assert_eq!(reply.body, "5");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not served again: {}",
            reply.body
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = emulator.function.stop();
    let accept_lines = output
        .stderr_lines()
        .into_iter()
        .filter(|line| line.contains("cannot accept connections"))
        .count();
    assert!(accept_lines >= 1, "{}", output.stderr);
}

/// Starts an invoke that runs for 30 s, then ends the emulator with `signal`: its
/// function process must end with it.
fn the_function_process_ends_with_the_emulator(signal: &str) {
    let emulator = Emulator::start(FAULTS, &[]);
    let url = emulator.url.clone();
    let caller =
        std::thread::spawn(move || curl(&url, &["-XPOST", "-d", r#"{"do":"sleep","ms":30000}"#]));
    // START is logged before the function process starts: wait for the process.
    let pid = emulator.function.pid();
    let deadline = Instant::now() + PATIENCE;
    let child = loop {
        if let Some(&child) = children(pid).first() {
            break child;
        }
        assert!(Instant::now() < deadline, "no function process started");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(is_running(child));
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let deadline = Instant::now() + PATIENCE;
    while is_running(child) {
        assert!(
            Instant::now() < deadline,
            "the function process outlived the emulator ({signal})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = emulator.function.stop();
    let _ = caller.join();
}

#[test]
fn sigterm_ends_the_function_process_with_the_emulator() {
    the_function_process_ends_with_the_emulator("-TERM");
}

#[test]
fn sighup_ends_the_function_process_with_the_emulator() {
    the_function_process_ends_with_the_emulator("-HUP");
}

#[test]
fn sigint_ends_the_function_process_with_the_emulator() {
    the_function_process_ends_with_the_emulator("-INT");
}

#[test]
fn sigkill_ends_the_function_process_with_the_emulator() {
    the_function_process_ends_with_the_emulator("-KILL");
}

#[test]
fn a_request_from_a_web_page_is_refused() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = curl(
        &emulator.url,
        &[
            "-XPOST",
            "-d",
            "{}",
            "-H",
            "Origin: http://attacker.example",
        ],
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(reply.json()["errorType"], "AccessDeniedException");
    emulator.function.stop();
}

#[test]
fn a_client_that_trickles_its_request_is_disconnected() {
    let emulator = Emulator::start(FAULTS, &[]);
    let mut slow = TcpStream::connect(emulator.address()).unwrap();
    slow.set_read_timeout(Some(PATIENCE + PATIENCE)).unwrap();
    slow.write_all(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n")
        .unwrap();
    // One byte every 2 s keeps every single read within the idle time; the whole request
    // must still arrive within 30 s of its first byte.
    let started = Instant::now();
    let closed = loop {
        std::thread::sleep(Duration::from_secs(2));
        if slow.write_all(b"X").is_err() {
            break true;
        }
        let mut byte = [0];
        slow.set_nonblocking(true).unwrap();
        let read = slow.read(&mut byte);
        slow.set_nonblocking(false).unwrap();
        if matches!(read, Ok(0)) {
            break true;
        }
        if started.elapsed() > Duration::from_secs(60) {
            break false;
        }
    };
    assert!(
        closed,
        "a trickling client held its connection for a minute"
    );
    emulator.function.stop();
}

#[test]
fn the_emulator_and_its_function_process_end_when_the_emulators_parent_dies() {
    // A shell starts the emulator as its child (not `exec`), as a terminal or a tool
    // would, and then dies.
    let shell = Function::start_with_args(
        "/bin/sh",
        &["-c", "\"$0\" --serve & wait", FAULTS],
        &[("LAMBDA_EMULATOR_ADDRESS", "127.0.0.1:0")],
    );
    let first = shell.wait_for_stderr_line(|_| true);
    let url = first
        .strip_prefix("lambda_core: listening on ")
        .unwrap_or_else(|| panic!("first line: {first}"))
        .to_owned();
    let caller = {
        let url = url.clone();
        std::thread::spawn(move || curl(&url, &["-XPOST", "-d", r#"{"do":"sleep","ms":30000}"#]))
    };
    let deadline = Instant::now() + PATIENCE;
    let (emulator, child) = loop {
        let emulator = children(shell.pid()).first().copied();
        if let Some(child) = emulator.and_then(|e| children(e).first().copied()) {
            break (emulator.unwrap_or_default(), child);
        }
        assert!(Instant::now() < deadline, "no function process started");
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever happens below, neither outlives the test: killed by PID on the way out.
    let _reaper = KillOnDrop(vec![child, emulator]);
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &shell.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    while is_running(emulator) || is_running(child) {
        assert!(
            Instant::now() < deadline,
            "outlived their parent: emulator {}, function process {}",
            is_running(emulator),
            is_running(child)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = shell.stop();
    let _ = caller.join();
}

/// Kills these processes by PID when dropped, for processes a test cannot reach through
/// a handle of its own (their parent was killed).
struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in self.0.iter().filter(|&&pid| is_running(pid)) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

#[test]
fn a_poll_whose_client_left_takes_no_event() {
    let emulator = Emulator::start(FAULTS, &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "30")]);
    let warm = emulator.invoke(&command(json!({"do": "answer", "with": 0})));
    assert_eq!(warm.body, "0");
    let child = children(emulator.function.pid())[0];
    let runtime_api = runtime_api_of(child);
    // Keep the function busy in its handler, so that no poll of its own is waiting.
    let url = emulator.url.clone();
    let busy = std::thread::spawn(move || {
        curl(
            &url,
            &["-XPOST", "-d", &command(json!({"do": "sleep", "ms": 2000}))],
        )
    });
    let deadline = Instant::now() + PATIENCE;
    // The handler's thread is the process's main thread; 230 is clock_nanosleep.
    while !std::fs::read_to_string(format!("/proc/{child}/syscall"))
        .is_ok_and(|call| call.starts_with("230 ") || call.starts_with("35 "))
    {
        assert!(Instant::now() < deadline, "the handler never slept");
        std::thread::sleep(Duration::from_millis(5));
    }
    // A client (a retrying runtime, or another process with the secret) polls, then leaves.
    let (address, secret) = runtime_api.split_once('/').expect("a secret path");
    let mut poll = TcpStream::connect(address).unwrap();
    poll.write_all(
        format!("GET /{secret}/2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(poll);
    let busy = busy.join().expect("the busy caller");
    assert_eq!(busy.status, 200, "{}", busy.body);
    // Every later event reaches the function, none is written to the poll that left.
    for n in 1..=3 {
        let reply = emulator.invoke(&command(json!({"do": "answer", "with": n})));
        assert_eq!((reply.status, reply.body), (200, n.to_string()));
    }
    emulator.function.stop();
}

#[test]
fn connection_close_is_honoured() {
    let emulator = Emulator::start(FAULTS, &[]);
    let body = command(json!({"do": "answer", "with": 1}));
    let request = format!(
        "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(emulator.address(), request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    emulator.function.stop();
}

#[test]
fn a_caller_that_leaves_before_its_turn_is_not_invoked_for() {
    let emulator = Emulator::start(FAULTS, &[]);
    let url = emulator.url.clone();
    let busy = std::thread::spawn(move || {
        curl(
            &url,
            &["-XPOST", "-d", &command(json!({"do": "sleep", "ms": 4000}))],
        )
    });
    emulator
        .function
        .wait_for_stderr_line(|line| line.starts_with("START RequestId: "));
    // A second caller queues behind it, then gives up.
    let body = command(json!({"do": "exit", "code": 3}));
    let mut leaving = TcpStream::connect(emulator.address()).unwrap();
    leaving
        .write_all(
            format!(
                "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(leaving);
    assert_eq!(busy.join().expect("the busy caller").status, 200);
    emulator.function.wait_for_stderr_line(|line| {
        line == "lambda_core: a caller left before its turn; its event was not invoked"
    });
    // The function did not run its event (it would have exited): the next invoke is
    // served by the same process, without a second init.
    let next = emulator.invoke(&command(json!({"do": "answer", "with": 2})));
    assert_eq!(next.body, "2");
    let output = emulator.function.stop();
    let inits = output
        .stderr_lines()
        .iter()
        .filter(|line| line.contains("Init Duration"))
        .count();
    assert_eq!(inits, 1, "{}", output.stderr);
}
