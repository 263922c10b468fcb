//! The Runtime API over blocking HTTP/1.1: one method per endpoint, on one connection
//! of this client's own (see `connection.rs`).

use crate::Diagnostic;
use crate::config::RuntimeApi;
use crate::connection::{Answer, BodyProblem, Connection, Failure, OUTPUT_BUFFER, Wait};
use crate::context::header;
use crate::error::RuntimeError as Error;
use crate::invoke::PAYLOAD_LIMIT;
use crate::stream::Sink;
use std::thread;
use std::time::{Duration, Instant, SystemTime};
use ureq_proto::http::header::{CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};
use ureq_proto::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};

/// How long the runtime keeps trying to reach the Runtime API before it gives up.
const UNREACHABLE_AFTER: Duration = Duration::from_secs(3);
/// How long each write, and each read of an answer, may take; the head of an answer to
/// `/next` is waited for as long as it takes: Lambda freezes the process between
/// invocations, and the poll may last any time.
const POST_PHASE_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a post's answer read (to keep the connection); a larger one closes it.
const SMALL_ANSWER: usize = 64 * 1024;
const USER_AGENT: &str = concat!("lambda-core/", env!("CARGO_PKG_VERSION"));
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";
const ERROR_CONTENT_TYPE: &str = "application/vnd.aws.lambda.error+json";

/// A client of the Runtime and Extensions APIs, with its own connection: each poller
/// (and the shutdown hook's thread) has one.
pub(crate) struct Client {
    connection: Connection,
    /// `http://host:port[/prefix]/2018-06-01`, under which the Runtime API's paths are.
    runtime_base: String,
    /// `http://host:port[/prefix]/2020-01-01`, the Extensions API.
    extensions: String,
    next_url: String,
    /// `next_url`, parsed once: a `Uri` clones without allocating.
    next_uri: Uri,
    /// Where the answers of posts are read, to keep the connection (its capacity kept).
    scratch: Vec<u8>,
    /// The request target of `/runtime/invocation/`, and the `Host` a streamed post,
    /// written by hand, names.
    invocation_target: String,
    host: String,
}

/// An answer of `/next`.
pub(crate) enum Next {
    /// `200`: an event, its body in the buffer given to [`Client::next`]. `unreadable` says
    /// why the body could not be read in full (over the payload limit, or cut short); the
    /// headers still say whom to answer.
    Event {
        headers: HeaderMap,
        unreadable: Option<String>,
    },
    /// `204`: no event yet (cargo-lambda's answer when idle).
    Idle,
    /// An answer whose head this client cannot read (a head over its size limit, too
    /// many headers, a malformed length). The Runtime API may have handed out an event
    /// with it, which is then lost; the text says why it could not be read.
    Unreadable(String),
}

/// How the Runtime API took a post.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Posted {
    /// `2xx`.
    Accepted,
    /// `2xx` to a retry, or `400` to a retry: the first attempt had arrived after all.
    AcceptedOnRetry,
    /// Any `4xx`: logged by the caller; the invocation is over either way.
    Rejected(u16),
}

impl Client {
    /// A client for the Runtime and Extensions APIs at `api`; it connects on its first
    /// request.
    pub(crate) fn new(api: &RuntimeApi) -> Result<Client, Error> {
        let (host, port) = api.address();
        let next_url = api.runtime_url("/runtime/invocation/next");
        let next_uri = next_url
            .parse()
            .map_err(|error: ureq_proto::http::uri::InvalidUri| {
                unreachable(&next_url, error.to_string())
            })?;
        let (invocation_target, host_header) = api.runtime_target("/runtime/invocation/");
        Ok(Client {
            invocation_target,
            host: host_header,
            connection: Connection::new(host, port, POST_PHASE_TIMEOUT),
            next_url,
            next_uri,
            extensions: api.extensions_url(""),
            runtime_base: api.runtime_url(""),
            scratch: Vec::new(),
        })
    }

    /// `GET /runtime/invocation/next`, the event's body read into `body` (cleared first;
    /// its capacity is reused). A transport failure is retried for a few seconds (the API
    /// may not be listening yet at start); then it is [`Error::Unreachable`]. An answer
    /// that arrived but cannot be read is [`Next::Unreadable`], never retried here: each
    /// new poll may take another event.
    pub(crate) fn next(&mut self, body: &mut Vec<u8>) -> Result<Next, Error> {
        // From the first failure: a poll Lambda held for minutes is no failure.
        let mut failing_since: Option<Instant> = None;
        let mut pause = Duration::from_millis(10);
        let mut stale_once = false;
        let answer = loop {
            let request = request(Method::GET, self.next_uri.clone());
            match self
                .connection
                .exchange(request, &[], Wait::ForEver, body, PAYLOAD_LIMIT)
            {
                Ok(answer) => break answer,
                Err(Failure::Unreadable(detail)) => return Ok(Next::Unreadable(detail)),
                // A kept-alive connection the API had closed: poll again at once, anew.
                Err(Failure::Stale(_)) if !stale_once => stale_once = true,
                Err(Failure::Transport(_) | Failure::Stale(_))
                    if failing_since.get_or_insert_with(Instant::now).elapsed()
                        < UNREACHABLE_AFTER =>
                {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(Failure::Transport(detail) | Failure::Stale(detail)) => {
                    return Err(Error::Unreachable {
                        url: self.next_url.clone(),
                        detail,
                    });
                }
            }
        };
        match answer.status {
            200 => Ok(Next::Event {
                unreadable: answer.body_problem.map(|problem| match problem {
                    BodyProblem::OverLimit(limit) => {
                        format!("the event is larger than the payload limit of {limit} bytes")
                    }
                    BodyProblem::Unreadable(detail) => {
                        format!("the event body could not be read: {detail}")
                    }
                }),
                headers: answer.headers,
            }),
            204 => Ok(Next::Idle),
            status => Err(Error::Status {
                endpoint: "/runtime/invocation/next",
                status,
            }),
        }
    }

    /// Whether the head of an answer to `request_id` fits in the output buffer, which
    /// must hold it whole: a valid id (with its invocation id) can still be too long.
    pub(crate) fn can_answer(&self, request_id: &str, invocation_id: Option<&str>) -> bool {
        const LONGEST_SUFFIX: &str = "/runtime/invocation//response";
        let ids = request_id.len() + invocation_id.map_or(0, str::len);
        self.runtime_base.len() + LONGEST_SUFFIX.len() + ids + HEAD_ROOM <= OUTPUT_BUFFER
    }

    /// `POST /runtime/invocation/{id}/response`.
    pub(crate) fn respond(
        &mut self,
        request_id: &str,
        invocation_id: Option<&str>,
        body: &[u8],
    ) -> Result<Posted, Error> {
        let url = format!(
            "{}/runtime/invocation/{request_id}/response",
            self.runtime_base
        );
        self.post(
            url,
            "/runtime/invocation/response",
            "application/json",
            None,
            invocation_id,
            body,
        )
    }

    /// `POST /runtime/invocation/{id}/response` in chunks, for a streaming handler: a
    /// [`Sink`] that begins with the first chunk, and closes the connection at its end,
    /// as the Runtime API asks.
    ///
    /// Its writes may wait for the reader until the invocation's `deadline`, at most
    /// Lambda's longest invocation (90 minutes, on Managed Instances), and that long when
    /// the deadline is unknown; the wait is measured when the stream begins, so that a
    /// buffered handler pays no clock read for it.
    pub(crate) fn streamed_post<'c>(
        &'c mut self,
        request_id: &'c str,
        invocation_id: Option<&'c str>,
        deadline: Option<SystemTime>,
    ) -> StreamedPost<'c> {
        StreamedPost {
            client: self,
            request_id,
            invocation_id,
            deadline,
            until: None,
        }
    }

    /// `POST /runtime/invocation/{id}/error`.
    pub(crate) fn report_error(
        &mut self,
        request_id: &str,
        invocation_id: Option<&str>,
        report: &Diagnostic,
    ) -> Result<Posted, Error> {
        let url = format!(
            "{}/runtime/invocation/{request_id}/error",
            self.runtime_base
        );
        let error_type = report.header_value();
        self.post(
            url,
            "/runtime/invocation/error",
            ERROR_CONTENT_TYPE,
            Some(&error_type),
            invocation_id,
            &report.to_json(),
        )
    }

    /// `POST /runtime/init/error`: legal only before the first `/next`.
    pub(crate) fn report_init_error(&mut self, report: &Diagnostic) -> Result<Posted, Error> {
        let url = format!("{}/runtime/init/error", self.runtime_base);
        let error_type = report.header_value();
        self.post(
            url,
            "/runtime/init/error",
            ERROR_CONTENT_TYPE,
            Some(&error_type),
            None,
            &report.to_json(),
        )
    }

    /// `POST /2020-01-01/extension/register` with no events: registering any extension
    /// is what makes Lambda send SIGTERM before it ends the process. Returns the
    /// `Lambda-Extension-Identifier`.
    pub(crate) fn register_extension(&mut self, name: &str) -> Result<String, Error> {
        const ENDPOINT: &str = "/extension/register";
        const BODY: &[u8] = br#"{"events":[]}"#;
        let url = format!("{}{ENDPOINT}", self.extensions);
        let mut request = request(Method::POST, parse_url(&url)?);
        let headers = request.headers_mut();
        let name = HeaderValue::try_from(name).map_err(|e| unreachable(&url, e.to_string()))?;
        headers.insert("lambda-extension-name", name);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(BODY.len()));
        let answer = self
            .connection
            .exchange(
                request,
                BODY,
                Wait::Bounded,
                &mut self.scratch,
                SMALL_ANSWER,
            )
            .map_err(|failure| unreachable(&url, failure_detail(failure)))?;
        let identifier = answer
            .headers
            .get("lambda-extension-identifier")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map(str::to_owned);
        match (answer.status, identifier) {
            (200..=299, Some(identifier)) => Ok(identifier),
            (status @ 200..=299, None) => Err(Error::NoExtensionIdentifier { status }),
            (status, _) => Err(Error::Status {
                endpoint: ENDPOINT,
                status,
            }),
        }
    }

    /// `GET /2020-01-01/extension/event/next`: with no events registered, Lambda never
    /// answers it; the helper thread parks here. Returns when it answers anyway.
    pub(crate) fn wait_for_extension_event(&mut self, identifier: &str) -> Result<u16, Error> {
        let url = format!("{}/extension/event/next", self.extensions);
        let mut request = request(Method::GET, parse_url(&url)?);
        let identifier =
            HeaderValue::try_from(identifier).map_err(|e| unreachable(&url, e.to_string()))?;
        request
            .headers_mut()
            .insert("lambda-extension-identifier", identifier);
        let answer = self
            .connection
            .exchange(request, &[], Wait::ForEver, &mut self.scratch, SMALL_ANSWER)
            .map_err(|failure| unreachable(&url, failure_detail(failure)))?;
        Ok(answer.status)
    }

    /// Sends a post, retrying once on a failure with the same body and invocation id:
    /// the runtime cannot know whether the first attempt arrived, so a `400` (already
    /// answered) to the retry counts as delivered. `5xx` ends the runtime. A kept-alive
    /// connection the API had closed while idle (`Failure::Stale`) is no attempt: the
    /// post goes again at once on a new connection, without a line.
    fn post(
        &mut self,
        url: String,
        endpoint: &'static str,
        content_type: &'static str,
        error_type: Option<&str>,
        invocation_id: Option<&str>,
        body: &[u8],
    ) -> Result<Posted, Error> {
        const ATTEMPTS: usize = 2;
        // Parsed once, taking the text over: each attempt's clone shares it.
        let uri = Uri::try_from(url).map_err(|error| Error::Unreachable {
            url: endpoint.to_owned(),
            detail: format!("the URL does not parse: {error}"),
        })?;
        let mut last_failure = String::new();
        // A kept-alive connection the API had closed while idle costs no attempt: the
        // post is sent again at once, on a new connection (once).
        let (mut attempt, mut resent) = (0, false);
        while attempt < ATTEMPTS {
            let request =
                match post_request(uri.clone(), content_type, error_type, invocation_id, body) {
                    Ok(request) => request,
                    Err(detail) => return Err(unreachable(&uri.to_string(), detail)),
                };
            let sent = self.connection.exchange(
                request,
                body,
                Wait::Bounded,
                &mut self.scratch,
                SMALL_ANSWER,
            );
            match sent {
                Ok(Answer { status, .. }) => {
                    // After a resend on a stale connection, a `2xx` says the first
                    // never arrived, and a `400` that it had.
                    let retried = attempt > 0;
                    return match status {
                        200..=299 if retried => Ok(Posted::AcceptedOnRetry),
                        200..=299 => Ok(Posted::Accepted),
                        400 if retried || resent => Ok(Posted::AcceptedOnRetry),
                        500..=599 => Err(Error::Status { endpoint, status }),
                        status => Ok(Posted::Rejected(status)),
                    };
                }
                Err(Failure::Stale(_)) if !resent => {
                    resent = true;
                    continue;
                }
                Err(failure) => last_failure = failure_detail(failure),
            }
            attempt += 1;
        }
        Err(unreachable(&uri.to_string(), last_failure))
    }
}

/// A streamed `/response`, written on the connection by hand: ureq-proto sends no
/// request trailers, and the error of a stream that fails midway goes in trailers.
pub(crate) struct StreamedPost<'c> {
    client: &'c mut Client,
    request_id: &'c str,
    invocation_id: Option<&'c str>,
    deadline: Option<SystemTime>,
    /// When its writes, and the wait for the answer, give up: set when it begins.
    until: Option<Instant>,
}

impl StreamedPost<'_> {
    /// Writes the head, once: the stream has begun when `until` is set.
    fn begin(&mut self, content_type: &str) -> std::io::Result<Instant> {
        use std::fmt::Write as _;
        const LONGEST_INVOCATION: Duration = Duration::from_secs(90 * 60);
        if let Some(until) = self.until {
            return Ok(until);
        }
        // Bounded, as the deadline comes from the network: no `Instant` overflow.
        let wait = self
            .deadline
            .map_or(LONGEST_INVOCATION, |deadline| {
                deadline
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO)
            })
            .clamp(POST_PHASE_TIMEOUT, LONGEST_INVOCATION);
        let until = Instant::now() + wait;
        self.until = Some(until);
        let Client {
            invocation_target,
            host,
            ..
        } = &*self.client;
        let mut head = format!(
            "POST {invocation_target}{}/response HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nContent-Type: {content_type}\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n",
            self.request_id
        );
        if let Some(invocation_id) = self.invocation_id {
            let _ = write!(head, "Lambda-Runtime-Invocation-Id: {invocation_id}\r\n");
        }
        head.push_str("\r\n");
        self.client
            .connection
            .begin_chunked(head.as_bytes(), until)
            .map_err(failure_error)?;
        Ok(until)
    }
}

impl Sink for StreamedPost<'_> {
    fn send(&mut self, content_type: &str, bytes: &[u8]) -> std::io::Result<()> {
        let until = self.begin(content_type)?;
        self.client
            .connection
            .send_chunk(bytes, until)
            .map_err(failure_error)
    }

    fn end(&mut self, content_type: &str, error: Option<&Diagnostic>) -> Result<u16, String> {
        let until = self
            .begin(content_type)
            .map_err(|error| error.to_string())?;
        let trailers = match error {
            None => String::new(),
            Some(report) => format!(
                "Lambda-Runtime-Function-Error-Type: {}\r\nLambda-Runtime-Function-Error-Body: {}\r\n",
                report.header_value(),
                crate::base64::encode(&trailer_report(report))
            ),
        };
        self.client
            .connection
            .end_chunked(trailers.as_bytes(), until)
            .map_err(failure_detail)
    }
}

/// The report's JSON for a trailer: whole when it is at most 8 KiB, else its type and the
/// start of its message. A trailer is a header line, and servers bound those (the
/// emulator, as Lambda's, at 64 KiB for all of them).
fn trailer_report(report: &Diagnostic) -> Vec<u8> {
    const MOST: usize = 8 * 1024;
    let json = report.to_json();
    if json.len() <= MOST {
        return json;
    }
    let message = &report.error_message;
    let mut cut = message.len().min(MOST / 2);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    let ellipsis = if cut < message.len() { "…" } else { "" };
    Diagnostic::new(
        report.error_type.clone(),
        format!("{}{ellipsis}", &message[..cut]),
    )
    .to_json()
}

/// A failure of a streamed post as the error the handler's write returns.
fn failure_error(failure: Failure) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, failure_detail(failure))
}

/// What a post's head holds besides its URL and ids, at most: the request line's words,
/// the host (at most 255 bytes), the user agent, the content type and length, and the
/// error type (at most 73 bytes), each with its name.
const HEAD_ROOM: usize = 1024;

/// A request with the user agent, the one header every request has (from static text:
/// no allocation).
fn request(method: Method, uri: Uri) -> Request<()> {
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    request
        .headers_mut()
        .insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
    request
}

/// A post's request, its constant headers from static text.
fn post_request(
    uri: Uri,
    content_type: &'static str,
    error_type: Option<&str>,
    invocation_id: Option<&str>,
    body: &[u8],
) -> Result<Request<()>, String> {
    let mut request = request(Method::POST, uri);
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Some(error_type) = error_type {
        let value = HeaderValue::try_from(error_type).map_err(|e| e.to_string())?;
        headers.insert(HeaderName::from_static(ERROR_TYPE_HEADER), value);
    }
    if let Some(invocation_id) = invocation_id {
        let value = HeaderValue::try_from(invocation_id).map_err(|e| e.to_string())?;
        headers.insert(HeaderName::from_static(header::INVOCATION_ID), value);
    }
    Ok(request)
}

/// A URL built from the checked `RuntimeApi`, as a `Uri`.
fn parse_url(url: &str) -> Result<Uri, Error> {
    Uri::try_from(url).map_err(|error| unreachable(url, format!("not a URL: {error}")))
}

fn failure_detail(failure: Failure) -> String {
    match failure {
        Failure::Transport(detail) | Failure::Unreadable(detail) | Failure::Stale(detail) => detail,
    }
}

fn unreachable(url: &str, detail: String) -> Error {
    Error::Unreachable {
        url: url.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_report_is_cut_to_fit_a_trailer() {
        let small = Diagnostic::new("Function.Small", "short");
        assert_eq!(trailer_report(&small), small.to_json());
        let large = Diagnostic::new("Function.Large", "é".repeat(50_000))
            .with_stack_trace(vec!["frame".repeat(1000); 10]);
        let json = trailer_report(&large);
        assert!(json.len() <= 8 * 1024, "{}", json.len());
        let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(report["errorType"], "Function.Large");
        assert!(report["errorMessage"].as_str().unwrap().ends_with("é…"));
    }

    #[test]
    fn an_id_too_long_for_the_output_buffer_cannot_be_answered() {
        let api = RuntimeApi::parse("http://127.0.0.1:9001/base").unwrap();
        let client = Client::new(&api).unwrap();
        assert!(client.can_answer("8476a536-e9f4-11e8-9739-2dfe598c3fcd", Some("inv-1")));
        let longest = OUTPUT_BUFFER
            - HEAD_ROOM
            - "http://127.0.0.1:9001/base/2018-06-01/runtime/invocation//response".len();
        assert!(client.can_answer(&"a".repeat(longest), None));
        assert!(!client.can_answer(&"a".repeat(longest + 1), None));
        assert!(!client.can_answer(&"a".repeat(longest - 1), Some("ab")));
    }
}
