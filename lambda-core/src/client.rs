//! The Runtime API over blocking HTTP/1.1: one method per endpoint, one reused
//! connection.

use crate::Diagnostic;
use crate::config::RuntimeApi;
use crate::context::header;
use crate::error::RuntimeError as Error;
use crate::invoke::PAYLOAD_LIMIT;
use std::io::Read;
use std::net::ToSocketAddrs;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};
use ureq::http::{HeaderMap, Response, Uri};
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{NextTimeout, TcpConnector};

/// How long the runtime keeps trying to reach the Runtime API before it gives up.
const UNREACHABLE_AFTER: Duration = Duration::from_secs(3);
/// How long each phase of a post (sending the head, the body; receiving the answer's head,
/// its body) may take. `/next` has no timeout: Lambda freezes the process between
/// invocations, and the poll may last any time.
///
/// Per phase rather than one global timeout: ureq's default resolver enforces a global
/// (or per-call) timeout by resolving on a new thread for every request, which measured
/// as the largest single cost of an invocation. [`ResolveOnce`] has since replaced that
/// resolver; the phases stay, as they bound each step of a post on its own.
const POST_PHASE_TIMEOUT: Duration = Duration::from_secs(5);
/// The size of each connection's input buffer, which holds a whole head of an answer.
const INPUT_BUFFER: usize = 16 * 1024;
/// The size of each connection's output buffer, which holds a whole head of a request:
/// the longest URL, with a base path of at most 4096 bytes, still leaves room for a
/// request id and an invocation id of 1 KiB each.
const OUTPUT_BUFFER: usize = 8 * 1024;
/// The largest head of an answer the client reads: ample for any head Lambda sends (a
/// client context is at most 3,583 bytes), and below [`INPUT_BUFFER`], because ureq
/// refuses a larger head only while its input buffer still has room; at the buffer's
/// size it waits for the rest for ever. The head of a request must fit the output
/// buffer whole (see [`Client::can_answer`]).
const MOST_HEAD: usize = 12 * 1024;
const USER_AGENT: &str = concat!("lambda-core/", env!("CARGO_PKG_VERSION"));
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";
const ERROR_CONTENT_TYPE: &str = "application/vnd.aws.lambda.error+json";

#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
    /// `http://host:port[/prefix]/2018-06-01`, under which the Runtime API's paths are.
    runtime_base: String,
    /// `http://host:port[/prefix]/2020-01-01`, the Extensions API.
    extensions: String,
    next_url: String,
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
    /// An answer whose head this client cannot read (a header over its size limit, too
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
    /// A client for the Runtime and Extensions APIs at `api`.
    pub(crate) fn new(api: &RuntimeApi) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .max_redirects(0)
            // The Runtime API is on loopback: `HTTP_PROXY` and friends, often set for the
            // handler's own outbound calls, must never divert it.
            .proxy(None)
            // Each connection touches all of both buffers (ureq fills them with zeros
            // when it first uses them), and Managed Instances open one per poller: ureq's
            // 128 KiB each cost 4 MiB of resident memory at 16 pollers. Bodies stream
            // through in steps of the buffers' size.
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .max_response_header_size(MOST_HEAD)
            .build();
        // Plain TCP and our own resolver, through ureq's `unversioned` API (which is why
        // the workspace holds ureq to 3.5): no proxy connector in the chain and no
        // resolver thread, so neither is in the binary (64 KiB of a musl echo built
        // without the emulator, 36 KiB with it, whose threads stay).
        let agent =
            ureq::Agent::with_parts(config, TcpConnector::default(), ResolveOnce::default());
        Client {
            agent,
            next_url: api.runtime_url("/runtime/invocation/next"),
            extensions: api.extensions_url(""),
            runtime_base: api.runtime_url(""),
        }
    }

    /// `GET /runtime/invocation/next`, the event's body read into `body` (cleared first;
    /// its capacity is reused). A transport failure is retried for a few seconds (the API
    /// may not be listening yet at start); then it is [`Error::Unreachable`]. An answer
    /// that arrived but cannot be read is [`Next::Unreadable`], never retried here: each
    /// new poll may take another event.
    pub(crate) fn next(&self, body: &mut Vec<u8>) -> Result<Next, Error> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        let mut response = loop {
            match self.agent.get(&self.next_url).call() {
                Ok(response) => break response,
                Err(error) if !is_transport(&error) => {
                    return Ok(Next::Unreadable(error.to_string()));
                }
                Err(_) if started.elapsed() < UNREACHABLE_AFTER => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(error) => return Err(unreachable(&self.next_url, &error)),
            }
        };
        match response.status().as_u16() {
            200 => {
                body.clear();
                let mut reader = response
                    .body_mut()
                    .with_config()
                    .limit(PAYLOAD_LIMIT as u64)
                    .reader();
                let unreadable = reader.read_to_end(body).err().map(|error| {
                    match error.downcast::<ureq::Error>() {
                        Ok(ureq::Error::BodyExceedsLimit(limit)) => {
                            format!("the event is larger than the payload limit of {limit} bytes")
                        }
                        Ok(other) => format!("the event body could not be read: {other}"),
                        Err(other) => format!("the event body could not be read: {other}"),
                    }
                });
                Ok(Next::Event {
                    headers: std::mem::take(response.headers_mut()),
                    unreadable,
                })
            }
            204 => {
                drain(response);
                Ok(Next::Idle)
            }
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
        &self,
        request_id: &str,
        invocation_id: Option<&str>,
        body: &[u8],
    ) -> Result<Posted, Error> {
        let url = format!(
            "{}/runtime/invocation/{request_id}/response",
            self.runtime_base
        );
        self.post(
            &url,
            "/runtime/invocation/response",
            "application/json",
            None,
            invocation_id,
            body,
        )
    }

    /// `POST /runtime/invocation/{id}/error`.
    pub(crate) fn report_error(
        &self,
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
            &url,
            "/runtime/invocation/error",
            ERROR_CONTENT_TYPE,
            Some(&error_type),
            invocation_id,
            &report.to_json(),
        )
    }

    /// `POST /runtime/init/error`: legal only before the first `/next`.
    pub(crate) fn report_init_error(&self, report: &Diagnostic) -> Result<Posted, Error> {
        let url = format!("{}/runtime/init/error", self.runtime_base);
        let error_type = report.header_value();
        self.post(
            &url,
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
    pub(crate) fn register_extension(&self, name: &str) -> Result<String, Error> {
        const ENDPOINT: &str = "/extension/register";
        let url = format!("{}{ENDPOINT}", self.extensions);
        let response = self
            .bounded_post(&url)
            .header("lambda-extension-name", name)
            .header("content-type", "application/json")
            .send(&br#"{"events":[]}"#[..])
            .map_err(|error| unreachable(&url, &error))?;
        let status = response.status().as_u16();
        let identifier = response
            .headers()
            .get("lambda-extension-identifier")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map(str::to_owned);
        drain(response);
        match (status, identifier) {
            (200..=299, Some(identifier)) => Ok(identifier),
            (200..=299, None) => Err(Error::NoExtensionIdentifier { status }),
            (status, _) => Err(Error::Status {
                endpoint: ENDPOINT,
                status,
            }),
        }
    }

    /// `GET /2020-01-01/extension/event/next`: with no events registered, Lambda never
    /// answers it; the helper thread parks here. Returns when it answers anyway.
    pub(crate) fn wait_for_extension_event(&self, identifier: &str) -> Result<u16, Error> {
        let url = format!("{}/extension/event/next", self.extensions);
        let response = self
            .agent
            .get(&url)
            .header("lambda-extension-identifier", identifier)
            .call()
            .map_err(|error| unreachable(&url, &error))?;
        let status = response.status().as_u16();
        drain(response);
        Ok(status)
    }

    /// A post whose every phase is bounded by [`POST_PHASE_TIMEOUT`].
    fn bounded_post(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        self.agent
            .post(url)
            .config()
            .timeout_send_request(Some(POST_PHASE_TIMEOUT))
            .timeout_send_body(Some(POST_PHASE_TIMEOUT))
            .timeout_recv_response(Some(POST_PHASE_TIMEOUT))
            .timeout_recv_body(Some(POST_PHASE_TIMEOUT))
            .build()
    }

    /// Sends a post, retrying once on a transport failure with the same body and
    /// invocation id: the runtime cannot know whether the first attempt arrived, so a
    /// `400` (already answered) to the retry counts as delivered. `5xx` ends the runtime.
    fn post(
        &self,
        url: &str,
        endpoint: &'static str,
        content_type: &str,
        error_type: Option<&str>,
        invocation_id: Option<&str>,
        body: &[u8],
    ) -> Result<Posted, Error> {
        const ATTEMPTS: usize = 2;
        let mut last_error = None;
        for attempt in 0..ATTEMPTS {
            let mut request = self.bounded_post(url).header("content-type", content_type);
            if let Some(error_type) = error_type {
                request = request.header(ERROR_TYPE_HEADER, error_type);
            }
            if let Some(invocation_id) = invocation_id {
                request = request.header(header::INVOCATION_ID, invocation_id);
            }
            match request.send(body) {
                Ok(response) => {
                    let status = response.status().as_u16();
                    drain(response);
                    let retried = attempt > 0;
                    return match status {
                        200..=299 if retried => Ok(Posted::AcceptedOnRetry),
                        200..=299 => Ok(Posted::Accepted),
                        400 if retried => Ok(Posted::AcceptedOnRetry),
                        500..=599 => Err(Error::Status { endpoint, status }),
                        status => Ok(Posted::Rejected(status)),
                    };
                }
                Err(error) => last_error = Some(error),
            }
        }
        let detail = last_error
            .map(|error| error.to_string())
            .unwrap_or_default();
        Err(Error::Unreachable {
            url: url.to_owned(),
            detail,
        })
    }
}

/// What a post's head holds besides its URL and ids, at most: the request line's words,
/// the host (at most 255 bytes), the user agent, the content type and length, and the
/// error type (at most 73 bytes), each with its name.
const HEAD_ROOM: usize = 1024;

/// Whether a ureq error means the request never got an answer (worth retrying), rather
/// than an answer that arrived and could not be read.
fn is_transport(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
    )
}

/// Looks the Runtime API's host up once and keeps the addresses for the life of the
/// process. Every URL this client calls shares one `host:port` (the Runtime and
/// Extensions APIs both come from `AWS_LAMBDA_RUNTIME_API`), which does not move while the
/// process runs; ureq's default resolver would look it up again for every request. Kept
/// by host and port: any other `host:port` is looked up afresh.
#[derive(Debug, Default)]
struct ResolveOnce {
    kept: OnceLock<(String, u16, ResolvedSocketAddrs)>,
}

impl Resolver for ResolveOnce {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let authority = uri.authority().ok_or(ureq::Error::HostNotFound)?;
        // `[::1]` names an IPv6 address; the lookup takes it without brackets.
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        // `Authority::port` is `None` for a port that is not a `u16` as for no port:
        // read the text, so that only a missing port means 80.
        let text = authority.as_str();
        let port = match text.rsplit_once(':') {
            Some((_, port)) if !text.ends_with(']') => port
                .parse()
                .map_err(|_| ureq::Error::BadUri(format!("{uri}: the port is not a u16")))?,
            _ => 80,
        };
        if let Some((kept_host, kept_port, addresses)) = self.kept.get() {
            if (kept_host.as_str(), *kept_port) == (host, port) {
                return Ok(addresses.clone());
            }
        }
        let mut addresses = self.empty();
        for address in (host, port).to_socket_addrs()? {
            if addresses.try_push(address).is_err() {
                break;
            }
        }
        if addresses.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        let kept = self
            .kept
            .get_or_init(|| (host.to_owned(), port, addresses.clone()));
        if (kept.0.as_str(), kept.1) == (host, port) {
            return Ok(kept.2.clone());
        }
        Ok(addresses)
    }
}

/// Reads the rest of a small answer so that its connection can be reused.
fn drain(mut response: Response<ureq::Body>) {
    const SMALL_ANSWER: u64 = 64 * 1024;
    let _ = response
        .body_mut()
        .with_config()
        .limit(SMALL_ANSWER)
        .read_to_vec();
}

fn unreachable(url: &str, error: &ureq::Error) -> Error {
    Error::Unreachable {
        url: url.to_owned(),
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn resolve(resolver: &ResolveOnce, url: &str) -> Vec<SocketAddr> {
        let uri: Uri = url.parse().unwrap();
        let config = ureq::config::Config::default();
        resolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap()
            .to_vec()
    }

    #[test]
    fn the_first_answer_is_kept_for_its_host_and_port_only() {
        let resolver = ResolveOnce::default();
        let first = resolve(&resolver, "http://127.0.0.1:9001/2018-06-01/runtime");
        assert_eq!(first, [SocketAddr::from(([127, 0, 0, 1], 9001))]);
        let again = resolve(&resolver, "http://127.0.0.1:9001/2020-01-01/extension");
        assert_eq!(again, first);
        let other_port = resolve(&resolver, "http://127.0.0.1:9002/2020-01-01/extension");
        assert_eq!(other_port, [SocketAddr::from(([127, 0, 0, 1], 9002))]);
        let other_host = resolve(&resolver, "http://[::1]:9001/");
        assert_eq!(
            other_host,
            [SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 9001))]
        );
        assert_eq!(
            resolve(&resolver, "http://127.0.0.1:9001/"),
            first,
            "still kept"
        );
    }

    #[test]
    fn a_port_that_is_not_a_u16_is_an_error_not_port_80() {
        let uri: Uri = "http://127.0.0.1:99999/".parse().unwrap();
        let config = ureq::config::Config::default();
        let result = ResolveOnce::default().resolve(&uri, &config, NextTimeout::default());
        assert!(matches!(result, Err(ureq::Error::BadUri(_))));
    }

    #[test]
    fn an_id_too_long_for_the_output_buffer_cannot_be_answered() {
        let client = Client::new(&RuntimeApi::parse("http://127.0.0.1:9001/base").unwrap());
        assert!(client.can_answer("8476a536-e9f4-11e8-9739-2dfe598c3fcd", Some("inv-1")));
        let longest = OUTPUT_BUFFER
            - HEAD_ROOM
            - "http://127.0.0.1:9001/base/2018-06-01/runtime/invocation//response".len();
        assert!(client.can_answer(&"a".repeat(longest), None));
        assert!(!client.can_answer(&"a".repeat(longest + 1), None));
        assert!(!client.can_answer(&"a".repeat(longest - 1), Some("ab")));
    }

    #[test]
    fn a_bracketed_ipv6_address_and_a_host_name_resolve() {
        let v6 = resolve(&ResolveOnce::default(), "http://[::1]:9001/");
        assert_eq!(v6, [SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 9001))]);
        let named = resolve(&ResolveOnce::default(), "http://localhost:9001/");
        assert!(!named.is_empty());
        assert!(
            named
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 9001)
        );
    }
}
