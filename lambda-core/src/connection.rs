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
use ureq_proto::client::state::RecvResponse;
use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::http::{HeaderMap, Request, Response};

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

impl Failure {
    /// What went wrong, as a log line says it.
    pub(crate) fn detail(self) -> String {
        match self {
            Failure::Transport(detail) | Failure::Unreadable(detail) | Failure::Stale(detail) => {
                detail
            }
        }
    }
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

/// How long the head of an answer is waited for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// As long as it takes: a poll that Lambda answers when an event comes.
    ForEver,
    /// The connection's timeout.
    Bounded,
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
    /// `input[..filled]` is read from the socket and not yet used.
    input: Vec<u8>,
    filled: usize,
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
            filled: 0,
            output: Vec::new(),
            last_exchange: None,
        }
    }

    /// Sends `request` and `body`, and reads the answer, its body into `answer_body`
    /// (cleared first) up to `limit` bytes. Each read and write may take the
    /// connection's timeout, but the head of the answer is waited for as long as it
    /// takes when `wait` says so (a poll of `/next`). After any failure, and after an
    /// answer that leaves the connection in doubt, the connection is closed.
    pub(crate) fn exchange(
        &mut self,
        request: Request<()>,
        body: &[u8],
        wait: Wait,
        answer_body: &mut Vec<u8>,
        limit: usize,
    ) -> Result<Answer, Failure> {
        let reused = self.stream.is_some();
        let result = self.connect().and_then(|()| {
            let call = self.send(request, body, reused)?;
            let (response, call) = self.read_head(call, wait, reused)?;
            answer_body.clear();
            let read = self.read_body(call, answer_body, limit);
            // Bytes past the answer are no answer to anything we sent: the connection's
            // state is unknown.
            if !matches!(read, Ok(true)) || self.filled > 0 {
                self.close();
            }
            let status = response.status().as_u16();
            let headers = response.into_parts().0.headers;
            Ok(Answer {
                status,
                headers,
                body_problem: read.err(),
            })
        });
        if result.is_err() {
            self.close();
        }
        self.last_exchange = Some(Instant::now());
        result
    }

    /// Writes the head of `request` and `body`, in one system call when the socket takes
    /// them whole (a small post always).
    fn send(
        &mut self,
        request: Request<()>,
        body: &[u8],
        reused: bool,
    ) -> Result<Call<RecvResponse>, Failure> {
        let unusable = |error: ureq_proto::Error| Failure::Transport(error.to_string());
        let mut call = Call::new(request).map_err(unusable)?.proceed();
        let head = call.write(&mut self.output).map_err(unusable)?;
        // A head larger than the output buffer is written in part: send none of it.
        if !call.can_proceed() {
            return Err(Failure::Transport(format!(
                "the request's head is larger than {OUTPUT_BUFFER} bytes"
            )));
        }
        let slices = &mut [IoSlice::new(&self.output[..head]), IoSlice::new(body)];
        let stream = self.stream.as_mut().ok_or_else(closed)?;
        write_within(stream, slices, Instant::now() + self.timeout)
            .map_err(|error| lost(&error, reused))?;
        match call.proceed().map_err(unusable)? {
            Some(SendRequestResult::RecvResponse(call)) => Ok(call),
            Some(SendRequestResult::SendBody(mut call)) => {
                // The request says its Content-Length: the body went out as it is.
                call.consume_direct_write(body.len()).map_err(unusable)?;
                call.proceed()
                    .ok_or_else(|| Failure::Transport("the body was not sent whole".into()))
            }
            Some(SendRequestResult::Await100(_)) | None => {
                Err(Failure::Transport("the request was not sent whole".into()))
            }
        }
    }

    /// Reads the head of the answer: as long as it takes for a poll, else within the
    /// connection's timeout. `1xx` answers are passed over.
    fn read_head(
        &mut self,
        mut call: Call<RecvResponse>,
        wait: Wait,
        reused: bool,
    ) -> Result<(Response<()>, Call<RecvResponse>), Failure> {
        let ends = Instant::now() + self.timeout;
        let mut heard = false;
        loop {
            let (used, response) = call
                .try_response(&self.input[..self.filled], false)
                .map_err(|error| Failure::Unreadable(error.to_string()))?;
            self.consume(used);
            heard |= used > 0;
            match response {
                Some(_) if used > MOST_HEAD => return Err(too_large()),
                Some(response) => return Ok((response, call)),
                // A 1xx answer was consumed: what follows may be buffered already.
                None if used > 0 => continue,
                None if self.filled >= MOST_HEAD => return Err(too_large()),
                None => {}
            }
            match self.fill() {
                Ok(()) => {}
                Err(error) if is_timeout(&error) && wait == Wait::ForEver => {}
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof && self.filled > 0 => {
                    return Err(Failure::Unreadable(
                        "the connection closed inside its head".into(),
                    ));
                }
                Err(error) => return Err(lost(&error, reused && !heard)),
            }
            if wait == Wait::Bounded && Instant::now() >= ends {
                return Err(timed_out());
            }
        }
    }

    /// Reads the body into `answer_body`, up to `limit` bytes, within the connection's
    /// timeout: `Ok(true)` when the answer leaves the connection usable.
    fn read_body(
        &mut self,
        call: Call<RecvResponse>,
        answer_body: &mut Vec<u8>,
        limit: usize,
    ) -> Result<bool, BodyProblem> {
        let unreadable = |error: &dyn std::fmt::Display| BodyProblem::Unreadable(error.to_string());
        let mut call = match call.proceed() {
            Some(RecvResponseResult::RecvBody(call)) => call,
            Some(RecvResponseResult::Cleanup(cleanup)) => {
                return Ok(!cleanup.must_close_connection());
            }
            // A redirect is an answer like any other status here; its body is left.
            Some(RecvResponseResult::Redirect(_)) | None => return Ok(false),
        };
        let ends = Instant::now() + self.timeout;
        let mode = call.body_mode();
        // No length: the body is everything until the answer's end of stream.
        let until_closed = mode == BodyMode::CloseDelimited;
        if let BodyMode::LengthDelimited(length) = mode {
            if length > limit as u64 {
                return Err(BodyProblem::OverLimit(limit));
            }
            answer_body.reserve(length as usize);
        }
        while until_closed || !call.can_proceed() {
            const STEP: usize = 16 * 1024;
            let start = answer_body.len();
            answer_body.resize(start + STEP, 0);
            let (used, produced) =
                match call.read(&self.input[..self.filled], &mut answer_body[start..]) {
                    Ok(counts) => counts,
                    Err(error) => {
                        answer_body.truncate(start);
                        return Err(unreadable(&error));
                    }
                };
            answer_body.truncate(start + produced);
            self.consume(used);
            if answer_body.len() > limit {
                return Err(BodyProblem::OverLimit(limit));
            }
            if used > 0 || produced > 0 {
                continue;
            }
            match self.fill() {
                Err(error) if until_closed && error.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(false);
                }
                Err(error) => return Err(unreadable(&describe(&error))),
                Ok(()) if Instant::now() >= ends => {
                    return Err(unreadable(&describe(&io::ErrorKind::TimedOut.into())));
                }
                Ok(()) => {}
            }
        }
        let ended = call.proceed();
        Ok(matches!(ended, Some(RecvBodyResult::Cleanup(end)) if !end.must_close_connection()))
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

    /// Opens the connection for a request written by hand that cannot be sent again (a
    /// stream whose first chunk is gone): on the open one only if an exchange ended on
    /// it within `fresh`, as one left idle longer may have been closed by the server
    /// without a word; else on a new one.
    pub(crate) fn open_fresh(&mut self, fresh: Duration) -> Result<(), Failure> {
        if self.last_exchange.is_none_or(|last| last.elapsed() > fresh) {
            self.close();
        }
        self.connect()
    }

    /// Writes `slices` of a request written by hand, by `until`, on the open connection
    /// (after a failure closed it, they fail too); a failure closes it.
    pub(crate) fn write_raw(
        &mut self,
        slices: &mut [IoSlice<'_>],
        until: Instant,
    ) -> Result<(), Failure> {
        let stream = self.stream.as_mut().ok_or_else(closed)?;
        let written = write_within(stream, slices, until);
        if written.is_err() {
            self.close();
        }
        written.map_err(|error| Failure::Transport(describe(&error)))
    }

    /// The status of the answer to a request written by hand, by `until`, its head read
    /// and the rest left (the caller closes the connection); `1xx` answers are passed
    /// over.
    pub(crate) fn read_status(&mut self, until: Instant) -> Result<u16, Failure> {
        loop {
            let unread = &self.input[..self.filled];
            if let Some(end) = unread.windows(4).position(|four| four == b"\r\n\r\n") {
                let status = status_of(&unread[..end])
                    .ok_or_else(|| Failure::Unreadable("its status line is not HTTP/1.1".into()))?;
                self.consume(end + 4);
                match status {
                    100..=199 => continue,
                    status => return Ok(status),
                }
            }
            if self.filled >= MOST_HEAD {
                return Err(too_large());
            }
            match self.fill() {
                // The socket's timeout is shorter than a stream's wait.
                Err(error) if !is_timeout(&error) => {
                    return Err(Failure::Transport(describe(&error)));
                }
                _ if Instant::now() >= until => {
                    return Err(timed_out());
                }
                _ => {}
            }
        }
    }

    /// Reads more from the socket after what is buffered.
    fn fill(&mut self) -> io::Result<()> {
        let stream = self.stream.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        match stream.read(&mut self.input[self.filled..])? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            read => {
                self.filled += read;
                Ok(())
            }
        }
    }

    /// Drops the first `used` buffered bytes, moving the rest to the front.
    fn consume(&mut self, used: usize) {
        if used > 0 {
            self.input.copy_within(used..self.filled, 0);
            self.filled -= used;
        }
    }

    pub(crate) fn close(&mut self) {
        self.stream = None;
        self.filled = 0;
    }
}

/// Writes all of `slices` (in one system call when the socket takes them whole), each
/// write bounded by the socket's timeout and all of them by `until` (a write that timed
/// out is tried again until then).
fn write_within(
    stream: &mut TcpStream,
    mut slices: &mut [IoSlice<'_>],
    until: Instant,
) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        if Instant::now() >= until {
            return Err(io::ErrorKind::TimedOut.into());
        }
        match stream.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut slices, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted || is_timeout(&error) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
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

/// An I/O failure before any answer: [`Failure::Stale`] when `maybe_stale` (nothing
/// heard yet on a connection an earlier exchange left open) and the server closed it.
fn lost(error: &io::Error, maybe_stale: bool) -> Failure {
    let closed = matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    );
    match maybe_stale && closed {
        true => Failure::Stale(describe(error)),
        false => Failure::Transport(describe(error)),
    }
}

fn too_large() -> Failure {
    Failure::Unreadable(format!("its head is larger than {MOST_HEAD} bytes"))
}

fn timed_out() -> Failure {
    Failure::Transport(describe(&io::ErrorKind::TimedOut.into()))
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
