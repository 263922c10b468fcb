//! The emulator built into every function: run the binary without AWS and it serves the
//! Invoke endpoint of AWS's Runtime Interface Emulator, or reads events from standard
//! input. Either way it starts the same binary again as a child process against a real
//! Runtime API on loopback, so the function runs the loop it runs on Lambda.

mod answers;
mod http;
mod ids;
mod log_lines;
mod pieces;
mod process;
mod sandbox;
mod settings;
mod stdin;
mod supervisor;

use crate::config::Config;
use crate::invoke::REQUEST_LIMIT;
use crate::log;
use answers::error_json;
use http::{Request, Response};
use pieces::StreamError;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use supervisor::{Invoke, Refused, Relay};

#[cfg(feature = "fuzz")]
pub(crate) use stdin::EventReader;
/// Locks `mutex`, taking it over from a thread that panicked while holding it: every
/// value the emulator guards stays consistent between statements, and a panic on one
/// connection must not stop the others.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Answers the events on standard input; see [`stdin::run`].
pub(crate) fn run_stdin(config: &Config) -> ExitCode {
    end_with_parent();
    stdin::run(config)
}
pub(crate) use supervisor::Supervisor;

/// Asks the kernel to kill this function process when the emulator's spawner thread
/// ends, which is when the emulator ends, however it ends; and exits at once if the
/// emulator is already gone (it ended between starting this process and this call).
/// Called first thing in a process the emulator started.
pub(crate) fn end_with_emulator(emulator_pid: u32) {
    if !follow_parent(libc::SIGKILL, emulator_pid) {
        crate::log_at(
            crate::logging::Level::Fatal,
            format_args!("the emulator that started this process is gone; exiting"),
        );
        std::process::exit(1);
    }
}

/// Makes the emulator end (SIGTERM) when the process that started it ends: a test
/// harness, a tool or a shell that dies takes its emulator with it, and the emulator
/// takes its function process. Called first thing, on the main thread.
fn end_with_parent() {
    // SAFETY: a system call with no arguments.
    #[allow(unsafe_code)]
    let parent = unsafe { libc::getppid() };
    let Ok(parent) = u32::try_from(parent) else {
        return;
    };
    if !follow_parent(libc::SIGTERM, parent) {
        crate::log_at(
            crate::logging::Level::Fatal,
            format_args!("the process that started the emulator is gone; exiting"),
        );
        std::process::exit(1);
    }
}

/// Asks the kernel to send `signal` to this process when the thread that started it
/// ends; false when that has already happened (the parent is no longer `parent`).
#[allow(unsafe_code)]
fn follow_parent(signal: libc::c_int, parent: u32) -> bool {
    // SAFETY: two system calls with no pointers; `prctl`'s second argument is a signal
    // number, as PR_SET_PDEATHSIG takes it.
    let (set, now) = unsafe { (libc::prctl(libc::PR_SET_PDEATHSIG, signal), libc::getppid()) };
    set == 0 && u32::try_from(now) == Ok(parent)
}

const INVOKE_PREFIX: &str = "/2015-03-31/functions/";

/// Serves `POST /2015-03-31/functions/function/invocations` until the process is
/// stopped. The first line on standard error names the bound address.
#[allow(unsafe_code)]
pub(crate) fn serve(config: &Config) -> ExitCode {
    end_with_parent();
    let address = &config.local.address;
    let listener = match TcpListener::bind(address) {
        Ok(listener) => listener,
        Err(error) => {
            crate::log_at(
                crate::logging::Level::Fatal,
                format_args!(
                    "cannot listen on {address} (set LAMBDA_EMULATOR_ADDRESS to another address): {error}"
                ),
            );
            return ExitCode::FAILURE;
        }
    };
    let bound = match listener.local_addr() {
        Ok(bound) => bound,
        Err(error) => {
            crate::log_at(
                crate::logging::Level::Fatal,
                format_args!("cannot read the bound address: {error}"),
            );
            return ExitCode::FAILURE;
        }
    };
    if let Some(warning) = exposure_warning(bound) {
        log(format_args!("{warning}"));
    }
    // SAFETY: called from the generated `main` before anything starts a thread.
    let supervisor = match unsafe { Supervisor::start(config) } {
        Ok(supervisor) => Arc::new(supervisor),
        Err(error) => {
            crate::log_at(
                crate::logging::Level::Fatal,
                format_args!("cannot start the emulator: {error}"),
            );
            return ExitCode::FAILURE;
        }
    };
    // Whatever AWS_LAMBDA_LOG_LEVEL says: it is how the user finds the endpoint.
    crate::logging::Line {
        level: crate::logging::Level::Info,
        logger: crate::logging::RUNTIME,
        message: &format_args!("listening on http://{bound}{INVOKE_PREFIX}function/invocations"),
        fields: Vec::new(),
    }
    .write_always();
    http::serve(
        listener,
        invoke_limits(config.local.concurrency),
        Arc::new(move |request, peer: &mut http::Peer| invoke(&supervisor, request, peer)),
    );
    ExitCode::SUCCESS
}

/// What the Invoke endpoint accepts. Invokes run one at a time, the others waiting
/// their turn holding a connection and their body (or, in Managed Instances mode, N at
/// a time and one more refused). 128 connections (plus N in that mode) take 128 of the
/// usual 1 024 file descriptors; 4 full-size bodies held (24 MiB) bound the memory
/// callers hold; a caller silent for 10 s between requests, or whose request takes
/// over 30 s to arrive (or its answer to be read), is disconnected.
fn invoke_limits(concurrency: Option<u32>) -> http::Limits {
    http::Limits {
        streams: false,
        body: REQUEST_LIMIT,
        bodies_held: 4 * REQUEST_LIMIT,
        connections: 128 + concurrency.map_or(0, |n| n as usize),
        idle: std::time::Duration::from_secs(10),
        request: std::time::Duration::from_secs(30),
    }
}

/// One Invoke call. By default calls wait their turn, as the function serves one at a
/// time; in Managed Instances mode one over the concurrency is refused with `429`.
fn invoke(supervisor: &Supervisor, request: Request, peer: &mut http::Peer) -> Response {
    let is_invoke = request
        .path
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    if !is_invoke {
        return Response::json(
            404,
            error_json(
                "ResourceNotFoundException",
                "the Invoke path is POST /2015-03-31/functions/function/invocations",
            ),
        );
    }
    if request.method != "POST" {
        return Response::json(405, error_json("MethodNotAllowed", "Invoke takes POST"));
    }
    if request.oversized.is_some() {
        let message = format!(
            "Request must be smaller than {REQUEST_LIMIT} bytes for the InvokeFunction operation"
        );
        return Response::json(413, error_json("RequestTooLargeException", &message));
    }
    // A web page can make a browser send this request (a form post, or a page whose host
    // name was rebound to 127.0.0.1); the browser says so with `Origin`. Invoke takes no
    // call from a page: it would run the function with the developer's credentials.
    if request.header("origin").is_some() || request.header("sec-fetch-site").is_some() {
        return Response::json(
            403,
            error_json(
                "AccessDeniedException",
                "the local Invoke endpoint does not take requests from web pages (Origin was sent)",
            ),
        );
    }
    let invalid =
        |reason| Response::json(400, error_json("InvalidRequestContentException", reason));
    let client_context = match request.header("x-amz-client-context").map(client_context) {
        None => None,
        Some(Ok(json)) => Some(json),
        Some(Err(reason)) => return invalid(reason),
    };
    let tenant_id = match request.header("x-amz-tenant-id").map(tenant_id) {
        None => None,
        Some(Ok(tenant_id)) => Some(tenant_id),
        Some(Err(reason)) => return invalid(reason),
    };
    let invoke = Invoke {
        payload: request.body,
        client_context,
        tenant_id,
    };
    let peer = &*peer;
    let mut relay = InvokeRelay {
        writer: peer.writer(),
        answer: None,
        until: None,
    };
    let reply = match supervisor.invoke(invoke, || peer.is_gone(), &mut relay) {
        Ok(reply) => reply,
        // A caller that gave up while waiting its turn is not invoked for.
        Err(Refused::CallerGone) => {
            log(format_args!(
                "a caller left before its turn; its event was not invoked"
            ));
            return Response::json(400, error_json("ClientGone", "the caller left")).closing();
        }
        Err(Refused::Throttled { concurrency }) => {
            let message = format!(
                "Rate Exceeded: all {concurrency} of AWS_LAMBDA_MAX_CONCURRENCY are in use"
            );
            return Response::json(429, error_json("TooManyRequestsException", &message))
                .header("x-amzn-errortype", "TooManyRequestsException");
        }
    };
    if reply.streamed {
        return Response::written();
    }
    let mut response = Response::new(200, reply.body)
        .header("content-type", reply.content_type)
        .header("x-amzn-requestid", reply.request_id)
        .header("x-amz-executed-version", "$LATEST");
    if reply.function_error {
        response = response.header("x-amz-function-error", "Unhandled");
    }
    response
}

/// The trailers a relayed stream declares, and sends when it ends with an error: the
/// names the function sends them under.
const STREAM_TRAILERS: &str =
    "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body";

/// The Invoke endpoint's caller, where a streamed response goes: its head with the first
/// piece, its chunks as they come, and at its end the error, if any, in trailers.
struct InvokeRelay<'a> {
    writer: &'a TcpStream,
    answer: Option<http::ChunkedAnswer<'a>>,
    /// When the invocation times out: a caller that reads too slowly cannot hold it.
    until: Option<Instant>,
}

impl InvokeRelay<'_> {
    /// Bounds the next write by the invocation's timeout, or by `grace` for its end.
    fn bound_write(&self, grace: Duration) -> io::Result<()> {
        let left = self.until.map_or(grace, |until| {
            until.saturating_duration_since(Instant::now())
        });
        match left.max(grace) {
            left if left.is_zero() => Err(io::ErrorKind::TimedOut.into()),
            left => self.writer.set_write_timeout(Some(left)),
        }
    }
}

impl Relay for InvokeRelay<'_> {
    fn begin(&mut self, request_id: &str, content_type: &str, until: Instant) -> io::Result<()> {
        self.until = Some(until);
        self.bound_write(Duration::ZERO)?;
        let headers = [
            ("content-type", content_type),
            ("x-amzn-requestid", request_id),
            ("x-amz-executed-version", "$LATEST"),
        ];
        let answer = http::ChunkedAnswer::begin(self.writer, 200, &headers, STREAM_TRAILERS)?;
        self.answer = Some(answer);
        Ok(())
    }

    fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        self.bound_write(Duration::ZERO)?;
        match &mut self.answer {
            Some(answer) => answer.chunk(data),
            None => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn end(&mut self, error: Option<&StreamError>) -> io::Result<()> {
        // The end may say the invocation timed out: a second more to say so.
        self.bound_write(Duration::from_secs(1))?;
        let Some(answer) = self.answer.take() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        match error {
            None => answer.end(&[]),
            Some(error) => answer.end(&[
                ("Lambda-Runtime-Function-Error-Type", &error.error_type),
                ("Lambda-Runtime-Function-Error-Body", &error.body),
            ]),
        }
    }
}

/// The line that warns a user who bound the Invoke endpoint where others can reach it.
fn exposure_warning(bound: std::net::SocketAddr) -> Option<String> {
    (!bound.ip().is_loopback()).then(|| {
        format!(
            "warning: {bound} is not a loopback address: anyone who can reach it can invoke this function"
        )
    })
}

/// The fuzz hook's view of [`http::read_request`].
#[cfg(feature = "fuzz")]
pub(crate) fn fuzz_read_request(
    mut input: &[u8],
    limit: usize,
) -> Option<Result<(String, String, usize), &'static str>> {
    let limits = http::Limits {
        body: limit,
        bodies_held: limit,
        connections: 1,
        idle: std::time::Duration::from_secs(1),
        request: std::time::Duration::from_secs(1),
        streams: false,
    };
    let counter = http::Counter::default();
    match http::read_request(&mut input, &mut std::io::sink(), &limits, &counter) {
        Ok(request) => Some(Ok((request.method, request.path, request.body.len()))),
        Err(http::ReadError::Malformed(reason)) => Some(Err(reason)),
        Err(http::ReadError::Busy) => Some(Err("busy")),
        Err(http::ReadError::Closed) => None,
    }
}

/// The JSON the function gets as its client context, from the base64 the Invoke API
/// carries in `X-Amz-Client-Context`, or why it is refused (as the real service refuses a
/// malformed one).
///
/// Every value copied from an Invoke request into the head of the sandbox's `/next`
/// answer must pass [`is_header_safe`]: a line break in it would let the caller write
/// headers of its own, or a whole different event, into what the function reads.
fn client_context(encoded: &str) -> Result<String, &'static str> {
    const REFUSED: &str =
        "X-Amz-Client-Context must be a base64-encoded JSON object with no control characters";
    // The Invoke API's own limit, which keeps the function's `/next` head small.
    if encoded.len() > 3583 {
        return Err("X-Amz-Client-Context must be at most 3583 bytes");
    }
    let json = crate::base64::decode(encoded)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(REFUSED)?;
    let is_object =
        serde_json::from_slice::<serde_json::Value>(json.as_bytes()).is_ok_and(|v| v.is_object());
    if !is_object || !is_header_safe(&json) {
        return Err(REFUSED);
    }
    Ok(ascii_json(&json))
}

/// `X-Amz-Tenant-Id` as the function gets it in `Lambda-Runtime-Aws-Tenant-Id`, or why
/// it is refused: 1 to 256 characters, printable ASCII, as the service's tenant ids are.
fn tenant_id(value: &str) -> Result<String, &'static str> {
    let fits = (1..=256).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if !fits {
        return Err("X-Amz-Tenant-Id must be 1 to 256 printable ASCII characters");
    }
    Ok(value.to_owned())
}

/// The same JSON with every non-ASCII character written as `\uXXXX`: the function's
/// runtime reads header values as visible ASCII (as Lambda sends them), and outside
/// strings JSON holds no such character.
fn ascii_json(json: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

/// Whether `value` can be written as a header value as it is: no control characters
/// (tab aside), so no CR or LF.
fn is_header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= b' ' && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64(text: &str) -> String {
        crate::base64::encode(text.as_bytes())
    }

    #[test]
    fn binding_beyond_loopback_is_warned_about() {
        assert_eq!(exposure_warning(([127, 0, 0, 1], 9000).into()), None);
        assert_eq!(
            exposure_warning(([0, 0, 0, 0, 0, 0, 0, 1], 9000).into()),
            None
        );
        assert_eq!(
            exposure_warning(([0, 0, 0, 0], 9000).into()).as_deref(),
            Some(
                "warning: 0.0.0.0:9000 is not a loopback address: anyone who can reach it can invoke this function"
            )
        );
        assert!(exposure_warning(([192, 168, 1, 2], 9000).into()).is_some());
    }

    #[test]
    fn a_client_context_is_a_json_object_fit_for_a_header() {
        let good = r#"{"custom":{"app":"shop"}}"#;
        assert_eq!(client_context(&base64(good)).as_deref(), Ok(good));
        let accents = r#"{"custom":{"name":"José 😀"}}"#;
        let escaped = client_context(&base64(accents)).unwrap();
        assert_eq!(escaped, r#"{"custom":{"name":"Jos\u00e9 \ud83d\ude00"}}"#);
        let value: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(value["custom"]["name"], "José 😀");
        for bad in [
            "{\"a\":1}\r\n\r\n{\"own\":1}",
            "{\"a\":1}\rX-Forged: 1",
            "{\r\"a\":1}",
            "[1]",
            "\"text\"",
            "not json",
        ] {
            assert!(client_context(&base64(bad)).is_err(), "{bad:?}");
        }
        assert!(client_context("not base64!").is_err());
        let large = format!(r#"{{"custom":{{"a":"{}"}}}}"#, "x".repeat(2700));
        assert_eq!(
            client_context(&base64(&large)),
            Err("X-Amz-Client-Context must be at most 3583 bytes")
        );
    }
}
