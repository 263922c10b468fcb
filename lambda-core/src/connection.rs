//! One keep-alive HTTP/1.1 connection to the Runtime API, spoken through `ureq-proto`
//! (ureq's sans-I/O protocol engine) on a `TcpStream` this type owns.
//!
//! The hot path of a Lambda runtime is two requests on one long-lived connection to one
//! fixed address: it needs the protocol, not a pool. So there is no liveness probe
//! before each request and no configuration per request: a request goes out on the
//! connection the last one left open, and a connection that fails, or whose answer
//! could not be read whole, is closed and opened afresh by the next request.

use std::io::{self, IoSlice, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};
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
    /// A connection kept alive from an earlier exchange was closed by the server before
    /// any byte of an answer: a server that closes idle connections without saying so.
    /// The request most likely never arrived; the caller may send it again at once (the
    /// next exchange opens a new connection).
    Stale(String),
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
    /// When the last exchange on this connection ended.
    last_exchange: Option<Instant>,
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
            last_exchange: None,
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
        self.last_exchange = Some(Instant::now());
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
        let reused = self.stream.is_some();
        // Nothing of an answer heard yet, on a connection an earlier exchange left open.
        let lost = |error: &io::Error, heard: bool| {
            let closed = matches!(
                error.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            );
            match reused && !heard && closed {
                true => Failure::Stale(describe(error)),
                false => Failure::Transport(describe(error)),
            }
        };
        self.connect()?;
        let mut call = Call::new(request).map_err(unusable)?.proceed();
        let written = call.write(&mut self.output).map_err(unusable)?;
        // A head larger than the output buffer is written in part: send none of it.
        if !call.can_proceed() {
            return Err(Failure::Transport(format!(
                "the request's head is larger than {OUTPUT_BUFFER} bytes"
            )));
        }
        let phase = Phase::start(self.timeout);
        self.write(written, body, &phase)
            .map_err(|error| lost(&error, false))?;
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
        // The head: as long as it takes for a poll, else within the phase's time.
        let phase = Phase::start(self.timeout);
        let mut heard = false;
        let response = loop {
            let (used, response) = call
                .try_response(&self.input[self.start..self.end], false)
                .map_err(|error| Failure::Unreadable(error.to_string()))?;
            self.start += used;
            heard |= used > 0;
            match response {
                Some(_) if used > MOST_HEAD => {
                    return Err(Failure::Unreadable(format!(
                        "its head is larger than {MOST_HEAD} bytes"
                    )));
                }
                Some(response) => break response,
                // A 1xx answer was consumed: what follows may be buffered already.
                None if used > 0 => continue,
                None => {}
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
                Err(error) => return Err(lost(&error, heard)),
            }
            if wait == Wait::Bounded && phase.is_over() {
                return Err(Failure::Transport(describe(
                    &io::ErrorKind::TimedOut.into(),
                )));
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
                if cleanup.must_close_connection() || self.start != self.end {
                    self.close();
                }
                return Ok(answer);
            }
            // A redirect is an answer like any other status here; its body is left.
            Some(RecvResponseResult::Redirect(_)) | None => {
                self.close();
                return Ok(answer);
            }
        };
        // The body, within the phase's time from the head on.
        let phase = Phase::start(self.timeout);
        let mode = call.body_mode();
        if let BodyMode::LengthDelimited(length) = mode {
            if length > limit as u64 {
                answer.body_problem = Some(BodyProblem::OverLimit(limit));
                return Ok(answer);
            }
            answer_body.reserve(length as usize);
        }
        if mode == BodyMode::CloseDelimited {
            // No length: the body is everything until the answer's end of stream.
            answer.body_problem = self.read_to_close(answer_body, limit, &phase).err();
            self.close();
            return Ok(answer);
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
                let filled = self.fill();
                let late = phase.is_over().then(|| io::ErrorKind::TimedOut.into());
                if let Some(error) = filled.err().or(late) {
                    answer.body_problem = Some(BodyProblem::Unreadable(describe(&error)));
                    return Ok(answer);
                }
            }
        }
        match call.proceed() {
            // Bytes past the answer are no answer to anything we sent: the connection's
            // state is unknown.
            Some(RecvBodyResult::Cleanup(cleanup))
                if !cleanup.must_close_connection() && self.start == self.end => {}
            _ => self.close(),
        }
        Ok(answer)
    }

    /// Reads a body that ends with the stream, up to `limit` bytes.
    fn read_to_close(
        &mut self,
        answer_body: &mut Vec<u8>,
        limit: usize,
        phase: &Phase,
    ) -> Result<(), BodyProblem> {
        loop {
            answer_body.extend_from_slice(&self.input[self.start..self.end]);
            self.start = self.end;
            if answer_body.len() > limit {
                return Err(BodyProblem::OverLimit(limit));
            }
            match self.fill() {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(error) => return Err(BodyProblem::Unreadable(describe(&error))),
            }
            if phase.is_over() {
                return Err(BodyProblem::Unreadable(describe(
                    &io::ErrorKind::TimedOut.into(),
                )));
            }
        }
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
        let mut connected = Err(io::Error::from(io::ErrorKind::NotFound));
        for address in &self.addresses {
            connected = TcpStream::connect_timeout(address, self.timeout);
            if connected.is_ok() {
                break;
            }
        }
        let stream = connected.map_err(transport)?;
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

    /// Writes the head in the output buffer and the body, in one system call when the
    /// socket takes them whole (a small post always).
    fn write(&mut self, head: usize, body: &[u8], phase: &Phase) -> io::Result<()> {
        let stream = self.stream.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        let head = &self.output[..head];
        write_within(stream, &mut [IoSlice::new(head), IoSlice::new(body)], phase)
    }

    /// Begins a request whose body goes in chunks as it is made (a streamed response):
    /// `head` is its whole head, written as it is. It goes on this connection if an
    /// exchange ended on it within the last second (the poll that brought the event,
    /// for a handler that streams at once: its window already open), else on a new one:
    /// a connection left idle longer may have been closed by the server, and a stream
    /// cannot be sent again once its first chunk is gone. Each write of the stream may
    /// wait for the reader until `until` (the invocation's deadline): a slow caller
    /// slows the stream down, and does not end it. A failure closes the connection, and
    /// so does the end of the stream.
    pub(crate) fn begin_chunked(&mut self, head: &[u8], until: Instant) -> Result<(), Failure> {
        const FRESH: Duration = Duration::from_secs(1);
        if self.last_exchange.is_none_or(|last| last.elapsed() > FRESH) {
            self.close();
        }
        self.connect()?;
        let sent = self.write_slices(&mut [IoSlice::new(head)], until);
        self.close_on_failure(sent)
    }

    /// Sends `data`, which is not empty, as one chunk.
    pub(crate) fn send_chunk(&mut self, data: &[u8], until: Instant) -> Result<(), Failure> {
        let mut size = [0; 20];
        let size = chunk_size_line(data.len(), &mut size);
        let sent = self.write_slices(
            &mut [
                IoSlice::new(size),
                IoSlice::new(data),
                IoSlice::new(b"\r\n"),
            ],
            until,
        );
        self.close_on_failure(sent)
    }

    /// Ends a chunked request with the last chunk and `trailers` (header lines, each
    /// ending in CRLF), reads the status of the answer (by `until`), and closes the
    /// connection, as the Runtime API asks after a streamed response.
    pub(crate) fn end_chunked(&mut self, trailers: &[u8], until: Instant) -> Result<u16, Failure> {
        let ended = self
            .write_slices(
                &mut [
                    IoSlice::new(b"0\r\n"),
                    IoSlice::new(trailers),
                    IoSlice::new(b"\r\n"),
                ],
                until,
            )
            .and_then(|()| self.read_status(until));
        self.close();
        ended
    }

    /// Writes `slices` by `until`.
    fn write_slices(&mut self, slices: &mut [IoSlice<'_>], until: Instant) -> Result<(), Failure> {
        let phase = Phase { ends: until };
        let stream = self.stream.as_mut().ok_or_else(closed)?;
        write_within(stream, slices, &phase).map_err(|error| Failure::Transport(describe(&error)))
    }

    fn close_on_failure(&mut self, result: Result<(), Failure>) -> Result<(), Failure> {
        if result.is_err() {
            self.close();
        }
        result
    }

    /// The status of the answer whose head comes next, by `until`, its head read and the
    /// rest left (the connection is closed after it); `1xx` answers are passed over.
    fn read_status(&mut self, until: Instant) -> Result<u16, Failure> {
        let phase = Phase { ends: until };
        loop {
            let unread = &self.input[self.start..self.end];
            if let Some(end) = unread.windows(4).position(|four| four == b"\r\n\r\n") {
                let status = status_of(&unread[..end])
                    .ok_or_else(|| Failure::Unreadable("its status line is not HTTP/1.1".into()))?;
                self.start += end + 4;
                match status {
                    100..=199 => continue,
                    status => return Ok(status),
                }
            }
            if unread.len() >= MOST_HEAD {
                return Err(Failure::Unreadable(format!(
                    "its head is larger than {MOST_HEAD} bytes"
                )));
            }
            match self.fill() {
                Ok(()) => {}
                // The socket's timeout is shorter than a stream's wait.
                Err(error) if is_timeout(&error) => {}
                Err(error) => return Err(Failure::Transport(describe(&error))),
            }
            if phase.is_over() {
                return Err(Failure::Transport(describe(
                    &io::ErrorKind::TimedOut.into(),
                )));
            }
        }
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

/// Writes all of `slices` (in one system call when the socket takes them whole), each
/// write bounded by the socket's timeout and all of them by the phase (a write that
/// timed out is tried again while the phase lasts).
fn write_within(
    stream: &mut TcpStream,
    mut slices: &mut [IoSlice<'_>],
    phase: &Phase,
) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        if phase.is_over() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        match stream.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut slices, written),
            // The socket's timeout is per write: the phase decides when to give up.
            Err(error) if error.kind() == io::ErrorKind::Interrupted || is_timeout(&error) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A chunk's size line, `{size in hex}\r\n`, written into `buffer`.
pub(crate) fn chunk_size_line(size: usize, buffer: &mut [u8; 20]) -> &[u8] {
    let mut cursor = io::Cursor::new(&mut buffer[..]);
    // 16 hex digits and CRLF fit in 20 bytes: the write cannot fail.
    let _ = write!(cursor, "{size:x}\r\n");
    let end = cursor.position() as usize;
    &buffer[..end]
}

/// The status of an answer's head: `HTTP/1.x NNN` and the rest of its first line.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|&byte| byte == b'\r').next()?;
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let (digits, after) = rest.get(2..)?.split_at_checked(3)?;
    let well_formed = rest.get(1) == Some(&b' ')
        && digits.iter().all(u8::is_ascii_digit)
        && after.first().is_none_or(|&byte| byte == b' ');
    well_formed.then(|| digits.iter().fold(0, |n, &d| n * 10 + u16::from(d - b'0')))
}

/// The time one phase of an exchange (sending, the answer's head, its body) may take in
/// all; each read and write is also bounded by the socket's timeout, so a phase ends at
/// most one timeout past its own.
struct Phase {
    ends: Instant,
}

impl Phase {
    fn start(timeout: Duration) -> Phase {
        Phase {
            ends: Instant::now() + timeout,
        }
    }

    fn is_over(&self) -> bool {
        Instant::now() >= self.ends
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_size_is_hexadecimal() {
        let mut buffer = [0; 20];
        assert_eq!(chunk_size_line(1, &mut buffer), b"1\r\n");
        assert_eq!(chunk_size_line(65_536, &mut buffer), b"10000\r\n");
        assert_eq!(
            chunk_size_line(usize::MAX, &mut buffer),
            b"ffffffffffffffff\r\n"
        );
    }

    #[test]
    fn a_status_line_is_read_strictly() {
        assert_eq!(status_of(b"HTTP/1.1 202 Accepted\r\nA: b"), Some(202));
        assert_eq!(status_of(b"HTTP/1.0 413"), Some(413));
        for bad in [
            &b"HTTP/2 202 OK"[..],
            b"HTTP/1.1 20 OK",
            b"HTTP/1.1 2020 OK",
            b"HTTP/1.1  202",
            b"http/1.1 202",
            b"",
        ] {
            assert_eq!(status_of(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
