//! One keep-alive HTTP/1.1 connection to the Runtime API, spoken through `ureq-proto`
//! (ureq's sans-I/O protocol engine) on a `TcpStream` this type owns.
//!
//! The hot path of a Lambda runtime is two requests on one long-lived connection to one
//! fixed address: it needs the protocol, not a pool. So there is no liveness probe
//! before each request and no configuration per request: a request goes out on the
//! connection the last one left open, and a connection that fails, or whose answer
//! could not be read whole, is closed and opened afresh by the next request.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;
use ureq_proto::BodyMode;
use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::http::{HeaderMap, Request};

/// The size of the input buffer, which holds a whole head of an answer.
const INPUT_BUFFER: usize = 16 * 1024;
/// The size of the output buffer, which holds a whole head of a request (see
/// `Client::can_answer`).
pub(crate) const OUTPUT_BUFFER: usize = 8 * 1024;
/// The largest head of an answer read: ample for any head Lambda sends (a client
/// context is at most 3,583 bytes).
const MOST_HEAD: usize = 12 * 1024;

/// Why an exchange gave no answer to use.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer arrived: connecting, writing or reading failed or timed out, or the
    /// connection closed before a whole head. The request may not have arrived.
    Transport(String),
    /// An answer arrived whose head cannot be read (too large, malformed).
    Unreadable(String),
}

/// The head of an answer, and what went wrong reading its body, if anything.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    /// Why the body was not read whole.
    pub(crate) body_problem: Option<BodyProblem>,
}

/// Why the body of an answer was not read whole.
pub(crate) enum BodyProblem {
    /// It is longer than the limit the caller gave (which it says).
    OverLimit(usize),
    /// It was cut short or malformed.
    Unreadable(String),
}

pub(crate) struct Connection {
    /// `host:port` as the requests name it, and looked up once.
    host: String,
    port: u16,
    /// Every read's and every write's timeout, set once on the socket (changing it per
    /// phase would cost two system calls per invocation). A poll of `/next` outlasts it
    /// by reading again: the protocol state is ours, not the socket's.
    timeout: Duration,
    addresses: Vec<SocketAddr>,
    stream: Option<TcpStream>,
    input: Vec<u8>,
    /// `input[start..end]` is read from the socket and not yet used.
    start: usize,
    end: usize,
    output: Vec<u8>,
}

impl Connection {
    /// A connection to `host:port`, opened by the first request; each read and each
    /// write may take `timeout`.
    pub(crate) fn new(host: &str, port: u16, timeout: Duration) -> Connection {
        Connection {
            host: host.to_owned(),
            port,
            timeout,
            addresses: Vec::new(),
            stream: None,
            input: Vec::new(),
            start: 0,
            end: 0,
            output: Vec::new(),
        }
    }

    /// Sends `request` and `body`, and reads the answer, its body into `answer_body`
    /// (cleared first) up to `limit` bytes. Each read and write may take the
    /// connection's timeout, but the head of the answer is waited for as long as it
    /// takes when `wait` says so (a poll of `/next`). After any failure, and after a body
    /// not read whole, the connection is closed.
    pub(crate) fn exchange(
        &mut self,
        request: Request<()>,
        body: &[u8],
        wait: Wait,
        answer_body: &mut Vec<u8>,
        limit: usize,
    ) -> Result<Answer, Failure> {
        let result = self.try_exchange(request, body, wait, answer_body, limit);
        if !matches!(&result, Ok(answer) if answer.body_problem.is_none()) {
            self.close();
        }
        result
    }

    fn try_exchange(
        &mut self,
        request: Request<()>,
        body: &[u8],
        wait: Wait,
        answer_body: &mut Vec<u8>,
        limit: usize,
    ) -> Result<Answer, Failure> {
        let unusable = |error: ureq_proto::Error| Failure::Transport(error.to_string());
        self.connect()?;
        let mut call = Call::new(request).map_err(unusable)?.proceed();
        let written = call.write(&mut self.output).map_err(unusable)?;
        self.write(written, body)?;
        let mut call = match call.proceed().map_err(unusable)? {
            Some(SendRequestResult::RecvResponse(call)) => call,
            Some(SendRequestResult::SendBody(mut call)) => {
                // The request says its Content-Length: the body went out as it is.
                call.consume_direct_write(body.len()).map_err(unusable)?;
                call.proceed()
                    .ok_or_else(|| Failure::Transport("the body was not sent whole".into()))?
            }
            Some(SendRequestResult::Await100(_)) | None => {
                return Err(Failure::Transport("the request was not sent whole".into()));
            }
        };
        let response = loop {
            let (used, response) = call
                .try_response(&self.input[self.start..self.end], false)
                .map_err(|error| Failure::Unreadable(error.to_string()))?;
            self.start += used;
            if let Some(response) = response {
                break response;
            }
            if self.end - self.start >= MOST_HEAD {
                return Err(Failure::Unreadable(format!(
                    "its head is larger than {MOST_HEAD} bytes"
                )));
            }
            match self.fill() {
                Ok(()) => {}
                Err(error) if is_timeout(&error) && wait == Wait::ForEver => {}
                Err(error)
                    if error.kind() == io::ErrorKind::UnexpectedEof && self.start < self.end =>
                {
                    return Err(Failure::Unreadable(
                        "the connection closed inside its head".into(),
                    ));
                }
                Err(error) => return Err(Failure::Transport(describe(&error))),
            }
        };
        let status = response.status().as_u16();
        let (parts, ()) = response.into_parts();
        let mut answer = Answer {
            status,
            headers: parts.headers,
            body_problem: None,
        };
        answer_body.clear();
        let mut call = match call.proceed() {
            Some(RecvResponseResult::RecvBody(call)) => call,
            Some(RecvResponseResult::Cleanup(cleanup)) => {
                if cleanup.must_close_connection() {
                    self.close();
                }
                return Ok(answer);
            }
            Some(RecvResponseResult::Redirect(_)) | None => {
                return Err(Failure::Unreadable("an answer with no usable body".into()));
            }
        };
        if let BodyMode::LengthDelimited(length) = call.body_mode() {
            if length > limit as u64 {
                answer.body_problem = Some(BodyProblem::OverLimit(limit));
                return Ok(answer);
            }
            answer_body.reserve(length as usize);
        }
        while !call.can_proceed() {
            const STEP: usize = 16 * 1024;
            let filled = answer_body.len();
            answer_body.resize(filled + STEP, 0);
            let read = call.read(
                &self.input[self.start..self.end],
                &mut answer_body[filled..],
            );
            let (used, produced) = match read {
                Ok(counts) => counts,
                Err(error) => {
                    answer_body.truncate(filled);
                    answer.body_problem = Some(BodyProblem::Unreadable(error.to_string()));
                    return Ok(answer);
                }
            };
            answer_body.truncate(filled + produced);
            self.start += used;
            if answer_body.len() > limit {
                answer.body_problem = Some(BodyProblem::OverLimit(limit));
                return Ok(answer);
            }
            if used == 0 && produced == 0 {
                if let Err(error) = self.fill() {
                    answer.body_problem = Some(BodyProblem::Unreadable(describe(&error)));
                    return Ok(answer);
                }
            }
        }
        match call.proceed() {
            Some(RecvBodyResult::Cleanup(cleanup)) if !cleanup.must_close_connection() => {}
            _ => self.close(),
        }
        Ok(answer)
    }

    /// Opens the connection if it is closed.
    fn connect(&mut self) -> Result<(), Failure> {
        let transport = |error: io::Error| Failure::Transport(describe(&error));
        if self.stream.is_some() {
            return Ok(());
        }
        if self.addresses.is_empty() {
            // `[::1]` names an IPv6 address; the lookup takes it without brackets.
            let host = self.host.trim_start_matches('[').trim_end_matches(']');
            self.addresses = (host, self.port)
                .to_socket_addrs()
                .map_err(transport)?
                .collect();
        }
        let stream = TcpStream::connect(&self.addresses[..]).map_err(transport)?;
        stream.set_nodelay(true).map_err(transport)?;
        stream
            .set_write_timeout(Some(self.timeout))
            .map_err(transport)?;
        stream
            .set_read_timeout(Some(self.timeout))
            .map_err(transport)?;
        if self.input.is_empty() {
            self.input = vec![0; INPUT_BUFFER];
            self.output = vec![0; OUTPUT_BUFFER];
        }
        self.stream = Some(stream);
        Ok(())
    }

    /// Writes the head in the output buffer and the body: in one write when the body
    /// fits after the head (one system call for a whole small post).
    fn write(&mut self, head: usize, body: &[u8]) -> Result<(), Failure> {
        let transport = |error: io::Error| Failure::Transport(describe(&error));
        let stream = self.stream.as_mut().ok_or_else(closed)?;
        match self.output.get_mut(head..head + body.len()) {
            Some(after_head) => {
                after_head.copy_from_slice(body);
                stream
                    .write_all(&self.output[..head + body.len()])
                    .map_err(transport)?;
            }
            None => {
                stream.write_all(&self.output[..head]).map_err(transport)?;
                stream.write_all(body).map_err(transport)?;
            }
        }
        Ok(())
    }

    /// Reads more from the socket, moving what is unread to the front first.
    fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.start > 0 {
            self.input.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        match stream.read(&mut self.input[self.end..])? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            read => {
                self.end += read;
                Ok(())
            }
        }
    }

    fn close(&mut self) {
        self.stream = None;
        (self.start, self.end) = (0, 0);
    }
}

/// How long the head of an answer is waited for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// As long as it takes: a poll that Lambda answers when an event comes.
    ForEver,
    /// The connection's timeout.
    Bounded,
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn closed() -> Failure {
    Failure::Transport("the connection is closed".into())
}

/// An I/O error as a log line shows it: a timeout named as one.
fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            "timeout: no answer in time".to_owned()
        }
        io::ErrorKind::UnexpectedEof => "the connection closed before an answer".to_owned(),
        _ => error.to_string(),
    }
}
