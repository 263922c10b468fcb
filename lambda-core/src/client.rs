//! The Runtime API over blocking HTTP/1.1: one method per endpoint, on one connection
//! of this client's own (see `connection.rs`).

use crate::Diagnostic;
use crate::config::RuntimeApi;
use crate::connection::{Answer, BodyProblem, Connection, Failure, OUTPUT_BUFFER, Wait};
use crate::context::header;
use crate::error::RuntimeError as Error;
use crate::invoke::PAYLOAD_LIMIT;
use std::thread;
use std::time::{Duration, Instant};
use ureq_proto::http::header::{CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};
use ureq_proto::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};

/// How long the runtime keeps trying to reach the Runtime API before it gives up.
const UNREACHABLE_AFTER: Duration = Duration::from_secs(3);
/// How long each write, and each read of an answer, may take; the head of an answer to
/// `/next` is waited for as long as it takes: Lambda freezes the process between
/// invocations, and the poll may last any time.
pub(crate) const POST_PHASE_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a post's answer read (to keep the connection); a larger one closes it.
const SMALL_ANSWER: usize = 64 * 1024;
pub(crate) const USER_AGENT: &str = concat!("lambda-core/", env!("CARGO_PKG_VERSION"));
const ERROR_CONTENT_TYPE: &str = "application/vnd.aws.lambda.error+json";
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// A client of the Runtime and Extensions APIs, with its own connection: each poller
/// (and the shutdown hook's thread) has one.
pub(crate) struct Client {
    pub(crate) connection: Connection,
    /// `http://host:port[/prefix]/2018-06-01`, under which the Runtime API's paths are.
    runtime_base: String,
    /// `http://host:port[/prefix]/2020-01-01`, the Extensions API.
    extensions: String,
    /// `/next`, parsed once: a `Uri` clones without allocating.
    next_uri: Uri,
    /// Where the answers of posts are read, to keep the connection (its capacity kept).
    scratch: Vec<u8>,
    /// The request target of `/runtime/invocation/`, and the `Host` a streamed post,
    /// written by hand, names.
    pub(crate) invocation_target: String,
    pub(crate) host: String,
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
        let (invocation_target, host_header) = api.runtime_target("/runtime/invocation/");
        Ok(Client {
            connection: Connection::new(host, port, POST_PHASE_TIMEOUT),
            runtime_base: api.runtime_url(""),
            extensions: api.extensions_url(""),
            next_uri: parse_url(&api.runtime_url("/runtime/invocation/next"))?,
            scratch: Vec::new(),
            invocation_target,
            host: host_header,
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
        let mut resent = false;
        let answer = loop {
            let request = request(Method::GET, self.next_uri.clone(), None, &[])
                .map_err(|detail| unreachable(&self.next_uri, detail))?;
            let polled = self
                .connection
                .exchange(request, &[], Wait::ForEver, body, PAYLOAD_LIMIT);
            let failure = match polled {
                Ok(answer) => break answer,
                Err(Failure::Unreadable(detail)) => return Ok(Next::Unreadable(detail)),
                // A kept-alive connection the API had closed: poll again at once, anew.
                Err(Failure::Stale(_)) if !resent => {
                    resent = true;
                    continue;
                }
                Err(failure) => failure,
            };
            if failing_since.get_or_insert_with(Instant::now).elapsed() >= UNREACHABLE_AFTER {
                return Err(unreachable(&self.next_uri, failure.detail()));
            }
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(500));
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
        let headers = [(header::INVOCATION_ID, invocation_id)];
        self.post(
            url,
            "/runtime/invocation/response",
            "application/json",
            &headers,
            body,
        )
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
        let headers = [
            (ERROR_TYPE_HEADER, Some(error_type.as_str())),
            (header::INVOCATION_ID, invocation_id),
        ];
        let body = report.to_json();
        self.post(
            url,
            "/runtime/invocation/error",
            ERROR_CONTENT_TYPE,
            &headers,
            &body,
        )
    }

    /// `POST /runtime/init/error`: legal only before the first `/next`.
    pub(crate) fn report_init_error(&mut self, report: &Diagnostic) -> Result<Posted, Error> {
        let url = format!("{}/runtime/init/error", self.runtime_base);
        let error_type = report.header_value();
        let headers = [(ERROR_TYPE_HEADER, Some(error_type.as_str()))];
        let body = report.to_json();
        self.post(
            url,
            "/runtime/init/error",
            ERROR_CONTENT_TYPE,
            &headers,
            &body,
        )
    }

    /// `POST /2020-01-01/extension/register` with no events: registering any extension
    /// is what makes Lambda send SIGTERM before it ends the process. Returns the
    /// `Lambda-Extension-Identifier`.
    pub(crate) fn register_extension(&mut self, name: &str) -> Result<String, Error> {
        const ENDPOINT: &str = "/extension/register";
        const BODY: &[u8] = br#"{"events":[]}"#;
        let url = parse_url(&format!("{}{ENDPOINT}", self.extensions))?;
        let headers = [("lambda-extension-name", Some(name))];
        let json = Some(("application/json", BODY.len()));
        let request = request(Method::POST, url.clone(), json, &headers)
            .map_err(|detail| unreachable(&url, detail))?;
        let answer = self
            .connection
            .exchange(
                request,
                BODY,
                Wait::Bounded,
                &mut self.scratch,
                SMALL_ANSWER,
            )
            .map_err(|failure| unreachable(&url, failure.detail()))?;
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
        let url = parse_url(&format!("{}/extension/event/next", self.extensions))?;
        let headers = [("lambda-extension-identifier", Some(identifier))];
        let request = request(Method::GET, url.clone(), None, &headers)
            .map_err(|detail| unreachable(&url, detail))?;
        let answer = self
            .connection
            .exchange(request, &[], Wait::ForEver, &mut self.scratch, SMALL_ANSWER)
            .map_err(|failure| unreachable(&url, failure.detail()))?;
        Ok(answer.status)
    }

    /// Sends a post, retrying once on a failure with the same body and invocation id:
    /// the runtime cannot know whether the first attempt arrived, so a `400` (already
    /// answered) to the retry counts as delivered. `5xx` ends the runtime. A kept-alive
    /// connection the API had closed while idle (`Failure::Stale`) is no attempt: the
    /// post goes again at once on a new connection (once), without a line; a `400` to
    /// it says the first had arrived, a `2xx` that it had not.
    fn post(
        &mut self,
        url: String,
        endpoint: &'static str,
        content_type: &'static str,
        headers: &[(&'static str, Option<&str>)],
        body: &[u8],
    ) -> Result<Posted, Error> {
        // Parsed once, taking the text over: each attempt's clone shares it.
        let uri = Uri::try_from(url).map_err(|error| Error::Unreachable {
            url: endpoint.to_owned(),
            detail: format!("the URL does not parse: {error}"),
        })?;
        let (mut retried, mut resent) = (false, false);
        loop {
            let typed = Some((content_type, body.len()));
            let request = request(Method::POST, uri.clone(), typed, headers)
                .map_err(|detail| unreachable(&uri, detail))?;
            let sent = self.connection.exchange(
                request,
                body,
                Wait::Bounded,
                &mut self.scratch,
                SMALL_ANSWER,
            );
            match sent {
                Ok(Answer { status, .. }) => {
                    return match status {
                        200..=299 if retried => Ok(Posted::AcceptedOnRetry),
                        200..=299 => Ok(Posted::Accepted),
                        400 if retried || resent => Ok(Posted::AcceptedOnRetry),
                        500..=599 => Err(Error::Status { endpoint, status }),
                        status => Ok(Posted::Rejected(status)),
                    };
                }
                Err(Failure::Stale(_)) if !resent => resent = true,
                Err(failure) if retried => return Err(unreachable(&uri, failure.detail())),
                Err(_) => retried = true,
            }
        }
    }
}

/// What a post's head holds besides its URL and ids, at most: the request line's words,
/// the host (at most 255 bytes), the user agent, the content type and length, and the
/// error type (at most 73 bytes), each with its name.
const HEAD_ROOM: usize = 1024;

/// A request with the user agent (the one header every request has, from static text:
/// no allocation), the type and length of its body if it has one, and `headers`, those
/// without a value left out.
fn request(
    method: Method,
    uri: Uri,
    body: Option<(&'static str, usize)>,
    headers: &[(&'static str, Option<&str>)],
) -> Result<Request<()>, String> {
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let map = request.headers_mut();
    map.insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
    if let Some((content_type, length)) = body {
        map.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        map.insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    for &(name, value) in headers {
        if let Some(value) = value {
            let value = HeaderValue::try_from(value).map_err(|error| error.to_string())?;
            map.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(request)
}

/// A URL built from the checked `RuntimeApi`, as a `Uri`.
fn parse_url(url: &str) -> Result<Uri, Error> {
    Uri::try_from(url).map_err(|error| Error::Unreachable {
        url: url.to_owned(),
        detail: format!("not a URL: {error}"),
    })
}

fn unreachable(url: &Uri, detail: String) -> Error {
    Error::Unreachable {
        url: url.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
