//! Just enough HTTP/1.1 server for the emulator: keep-alive, `Content-Length` and
//! chunked request bodies, `Expect: 100-continue`, and every answer with a
//! `Content-Length`, but for a relayed stream: a streamed response is read chunk by
//! chunk as it comes ([`Peer::next_chunk`]) and relayed in chunks ([`ChunkedAnswer`]). It refuses what a request smuggler sends (a signed, duplicate or
//! conflicting length, a length beside chunked encoding), bounds its connections, their
//! idle time and the request bodies it holds, and never spins on accept errors.

use super::answers::error_json;
use crate::log;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The largest request head accepted.
const HEAD_LIMIT: usize = 64 * 1024;

/// What one server accepts.
pub(crate) struct Limits {
    /// The largest request body read; a larger one is marked `oversized`, not read.
    pub(crate) body: usize,
    /// The most bytes of request bodies held at once across all connections (bodies
    /// waiting their turn); a request past it is answered `429` without being read.
    pub(crate) bodies_held: usize,
    /// The most connections served at once; one more is answered `503` and closed.
    pub(crate) connections: usize,
    /// How long a connection may stay silent while a request is awaited.
    pub(crate) idle: Duration,
    /// How long one request may take to arrive once its first byte has, and an answer to
    /// be taken: a client that trickles bytes or stops reading cannot hold a connection.
    /// A streamed body's chunks each have this long, and the silence between them is
    /// bounded by `idle`.
    pub(crate) request: Duration,
    /// Whether a chunked request that says `Lambda-Runtime-Function-Response-Mode:
    /// streaming` is handed to the answer unread, for it to read chunk by chunk (the
    /// function's Runtime API).
    pub(crate) streams: bool,
}

pub(crate) struct Request {
    pub(crate) method: String,
    /// The path, without any query string.
    pub(crate) path: String,
    /// Lower-case names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The body was over the limit and was not read (`body` is empty): its size, or
    /// the limit plus one where a chunked body does not say. The connection is closed
    /// after the answer.
    pub(crate) oversized: Option<usize>,
    /// Whether the client keeps the connection open after the answer: HTTP/1.1 unless
    /// it sends `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    pub(crate) keep_alive: bool,
    /// A streamed response, its body not read (`body` is empty): the answer reads it
    /// with [`Peer::next_chunk`], and the connection is closed after the answer.
    pub(crate) streamed: bool,
    /// The body's share of [`Limits::bodies_held`], given back when the request is
    /// dropped (after its answer).
    _held: Held,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
    /// Close the connection after this answer (its request body was not read).
    pub(crate) close: bool,
    /// The answer was written already, by the answer itself (a relayed stream): write
    /// nothing, and close the connection.
    pub(crate) written: bool,
}

impl Response {
    pub(crate) fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
            close: false,
            written: false,
        }
    }

    /// Stands for an answer the answer wrote itself, with a [`ChunkedAnswer`].
    pub(crate) fn written() -> Response {
        Response {
            written: true,
            ..Response::new(200, Vec::new()).closing()
        }
    }

    pub(crate) fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, body).header("content-type", "application/json")
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// This answer, then the connection closed.
    pub(crate) fn closing(self) -> Response {
        Response {
            close: true,
            ..self
        }
    }
}

/// What a server does with each request: the answer, which may wait (a long poll, a
/// turn), asking the [`Peer`] whether its client is still there.
pub(crate) type Answer = dyn Fn(Request, &mut Peer) -> Response + Send + Sync;

/// The client of the request being answered: to ask whether it is still there (an
/// answer that waits, a long poll or a turn, must not hand an event to a client that has
/// left), to read a streamed body, and to write a chunked answer.
pub(crate) struct Peer<'a, 'r> {
    stream: &'a TcpStream,
    reader: &'r mut BufReader<Timed<'a>>,
    /// What is left of the streamed body's chunk being read.
    chunk_left: usize,
}

/// What [`Peer::next_chunk`] read.
pub(crate) enum Chunk {
    /// A chunk, appended to the buffer given.
    Data,
    /// The last chunk, and the trailers (names lower-case).
    End(Vec<(String, String)>),
    /// A chunk larger than the most asked for, not read.
    TooLarge,
}

impl Peer<'_, '_> {
    /// Whether the client has closed its side of the connection (or it broke). Bytes it
    /// sent ahead (a pipelined request) mean it is still there.
    pub(crate) fn is_gone(&self) -> bool {
        let mut byte = [0];
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let peeked = self.stream.peek(&mut byte);
        let _ = self.stream.set_nonblocking(false);
        match peeked {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => error.kind() != io::ErrorKind::WouldBlock,
        }
    }

    /// Reads the next piece of a streamed request's body into `into`: a chunk, or 64 KiB
    /// of a larger one (a chunk's size is the sender's word, not memory to set aside
    /// before its bytes come), if the chunk is at most `most` bytes. Each piece must
    /// arrive within the request time once begun; the silence before it is bounded by
    /// the idle time.
    pub(crate) fn next_chunk(
        &mut self,
        most: usize,
        into: &mut Vec<u8>,
    ) -> Result<Chunk, ReadError> {
        const PIECE: usize = 64 * 1024;
        self.reader.get_mut().deadline = None;
        if self.chunk_left == 0 {
            match read_chunk_size(self.reader)? {
                0 => return Ok(Chunk::End(read_trailers(self.reader)?)),
                size if size > most => return Ok(Chunk::TooLarge),
                size => self.chunk_left = size,
            }
        }
        let piece = self.chunk_left.min(PIECE);
        read_bytes(self.reader, piece, into)?;
        self.chunk_left -= piece;
        if self.chunk_left == 0 {
            read_chunk_end(self.reader)?;
        }
        Ok(Chunk::Data)
    }

    /// Where an answer the answer writes itself goes.
    pub(crate) fn writer(&self) -> &TcpStream {
        self.stream
    }
}

/// An answer whose body is relayed in chunks as they come, and ends with trailers; the
/// connection closes after it.
pub(crate) struct ChunkedAnswer<'a>(&'a TcpStream);

impl<'a> ChunkedAnswer<'a> {
    /// Writes the head: `status`, `headers`, and the trailers it declares.
    pub(crate) fn begin(
        mut out: &'a TcpStream,
        status: u16,
        headers: &[(&str, &str)],
        trailers: &str,
    ) -> io::Result<ChunkedAnswer<'a>> {
        use std::fmt::Write as _;
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(
            head,
            "transfer-encoding: chunked\r\ntrailer: {trailers}\r\nconnection: close\r\n\r\n"
        );
        out.write_all(head.as_bytes())?;
        Ok(ChunkedAnswer(out))
    }

    /// Writes `data`, if any, as one chunk.
    pub(crate) fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let mut out = self.0;
        out.write_all(format!("{:x}\r\n", data.len()).as_bytes())?;
        out.write_all(data)?;
        out.write_all(b"\r\n")
    }

    /// Writes the last chunk and `trailers`.
    pub(crate) fn end(self, trailers: &[(&str, &str)]) -> io::Result<()> {
        let mut end = String::from("0\r\n");
        for (name, value) in trailers {
            end.push_str(name);
            end.push_str(": ");
            end.push_str(value);
            end.push_str("\r\n");
        }
        end.push_str("\r\n");
        let mut out = self.0;
        out.write_all(end.as_bytes())?;
        out.flush()
    }
}

/// Why no request could be read.
pub(crate) enum ReadError {
    /// The peer closed the connection, went silent, or it broke.
    Closed,
    /// Not HTTP/1.1 as this server reads it: why, in a few words.
    Malformed(&'static str),
    /// Its body would take the bodies held past [`Limits::bodies_held`].
    Busy,
}

/// A count shared by the connections of one server, taken and given back by guards.
#[derive(Clone, Default)]
pub(crate) struct Counter(Arc<AtomicUsize>);

/// A share of a [`Counter`], given back on drop.
pub(crate) struct Held {
    counter: Counter,
    amount: usize,
}

impl Counter {
    /// Takes `amount` if the count stays within `most`.
    fn take(&self, amount: usize, most: usize) -> Option<Held> {
        self.add(amount, most).then(|| Held {
            counter: self.clone(),
            amount,
        })
    }

    /// Adds `amount` if the count stays within `most`; whether it did.
    fn add(&self, amount: usize, most: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                count.checked_add(amount).filter(|&after| after <= most)
            })
            .is_ok()
    }
}

impl Held {
    /// Grows this share by `amount` if the count stays within `most`.
    fn grow(&mut self, amount: usize, most: usize) -> bool {
        let added = self.counter.add(amount, most);
        if added {
            self.amount += amount;
        }
        added
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.counter.0.fetch_sub(self.amount, Ordering::AcqRel);
    }
}

/// Serves every connection on its own thread; `answer` may block (a long poll). A
/// connection over the limit gets `503`; one that no thread can be started for is
/// closed (one line).
pub(crate) fn serve(listener: TcpListener, limits: Limits, answer: Arc<Answer>) {
    let limits = Arc::new(limits);
    let (connections, bodies) = (Counter::default(), Counter::default());
    let mut pause = AcceptPause::default();
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(error) => {
                pause.wait(&error);
                continue;
            }
        };
        pause.reset();
        let Some(slot) = connections.take(1, limits.connections) else {
            refuse(&stream, "too many connections to the emulator; try again");
            continue;
        };
        let (answer, limits, bodies) = (Arc::clone(&answer), Arc::clone(&limits), bodies.clone());
        let spawned = thread::Builder::new().spawn(move || {
            let _slot = slot;
            serve_connection(&stream, &limits, &bodies, &*answer);
        });
        if spawned.is_err() {
            // The stream went with the closure; its client sees the connection drop.
            log(format_args!("cannot start a thread for a connection"));
        }
    }
}

/// The pause after a failed `accept` (out of file descriptors, say): without it the
/// accept loop spins at 100 % of a core while the cause lasts. One line per run of
/// failures.
#[derive(Default)]
struct AcceptPause(Option<Duration>);

impl AcceptPause {
    const FIRST: Duration = Duration::from_millis(10);
    const LONGEST: Duration = Duration::from_secs(1);

    fn wait(&mut self, error: &io::Error) {
        let pause = match self.0 {
            None => {
                log(format_args!(
                    "cannot accept connections ({error}); retrying with pauses up to 1 s"
                ));
                Self::FIRST
            }
            Some(pause) => (pause * 2).min(Self::LONGEST),
        };
        self.0 = Some(pause);
        thread::sleep(pause);
    }

    fn reset(&mut self) {
        self.0 = None;
    }
}

/// Answers `503` and closes, without reading the request.
fn refuse(mut stream: &TcpStream, message: &str) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let body = error_json("ServiceUnavailable", message);
    let _ = write_response(&mut stream, &Response::json(503, body).closing());
}

fn serve_connection(stream: &TcpStream, limits: &Limits, bodies: &Counter, answer: &Answer) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(limits.request));
    let mut writer = stream;
    let mut reader = BufReader::new(Timed {
        stream,
        idle: limits.idle,
        request: limits.request,
        deadline: None,
    });
    loop {
        // A new request: silence is measured by `idle` until its first byte.
        reader.get_mut().deadline = None;
        let mut peer = Peer {
            stream,
            reader: &mut reader,
            chunk_left: 0,
        };
        let response = match read_request(peer.reader, &mut writer, limits, bodies) {
            Ok(request)
                if request.oversized.is_some() || !request.keep_alive || request.streamed =>
            {
                answer(request, &mut peer).closing()
            }
            Ok(request) => answer(request, &mut peer),
            Err(ReadError::Closed) => return,
            Err(ReadError::Malformed(reason)) => {
                Response::json(400, error_json("BadRequest", reason)).closing()
            }
            Err(ReadError::Busy) => Response::json(
                429,
                error_json(
                    "TooManyRequestsException",
                    "the emulator holds as many request bodies as it may; try again",
                ),
            )
            .closing(),
        };
        if !response.written && write_response(&mut writer, &response).is_err() {
            return;
        }
        if response.close {
            close_gently(stream);
            return;
        }
    }
}

/// Ends a connection whose last request may not have been read in full (over the
/// limit, malformed, refused): stops writing, then reads off what the client still
/// sends, for 2 s and 8 MiB at most. Closing with unread bytes resets the connection,
/// and the reset can reach a client that sends its whole body before reading (curl
/// without `Expect`) before it has read the answer.
fn close_gently(mut stream: &TcpStream) {
    const MOST_BYTES: usize = 8 * 1024 * 1024;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut chunk = [0; 8192];
    let mut drained = 0;
    while drained < MOST_BYTES {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match stream.read(&mut chunk) {
            Ok(read @ 1..) => drained += read,
            _ => return,
        }
    }
}

/// The connection as the request reader sees it: silent for at most `idle` before a
/// request begins, then the whole request within `request` of its first byte. The read
/// timeout is set before each read (the buffered reader reads in 8 KiB pieces).
struct Timed<'a> {
    stream: &'a TcpStream,
    idle: Duration,
    request: Duration,
    deadline: Option<Instant>,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wait = match self.deadline {
            None => self.idle,
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
        };
        if wait.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(wait))?;
        let read = (&mut &*self.stream).read(buf)?;
        if read > 0 && self.deadline.is_none() {
            self.deadline = Some(Instant::now() + self.request);
        }
        Ok(read)
    }
}

/// Reads one request. `Expect: 100-continue` is answered on `writer` before a body that
/// will be read.
pub(crate) fn read_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
    limits: &Limits,
    bodies: &Counter,
) -> Result<Request, ReadError> {
    let mut head_size = 0;
    let request_line = read_line(reader, &mut head_size)?;
    if request_line.is_empty() {
        return Err(ReadError::Closed);
    }
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed(
            "the request line is not METHOD PATH HTTP/1.1",
        ));
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") || !is_token(method) || !target.starts_with('/')
    {
        return Err(ReadError::Malformed(
            "the request line is not METHOD PATH HTTP/1.1",
        ));
    }
    let http_1_0 = version == "HTTP/1.0";
    // The query string is not part of the resource (`?Qualifier=$LATEST`).
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut head_size)?;
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            return Err(ReadError::Malformed("a folded header line is not accepted"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(ReadError::Malformed("a header line has no colon"))?;
        // No space before the colon, no folded continuation line (RFC 9112 §5).
        if !is_token(name) {
            return Err(ReadError::Malformed("a header name is not a token"));
        }
        if has_control(value) {
            return Err(ReadError::Malformed(
                "a header value holds a control character",
            ));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let framing = framing(&headers)?;
    let streamed = limits.streams
        && matches!(framing, Framing::Chunked)
        && headers.iter().any(|(name, value)| {
            name == "lambda-runtime-function-response-mode"
                && value.eq_ignore_ascii_case("streaming")
        });
    let mut held = Held {
        counter: bodies.clone(),
        amount: 0,
    };
    let expects_continue = headers
        .iter()
        .any(|(n, v)| n == "expect" && v.eq_ignore_ascii_case("100-continue"));
    let mut send_continue = || {
        if expects_continue {
            writer
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .and_then(|()| writer.flush())
                .map_err(|_| ReadError::Closed)
        } else {
            Ok(())
        }
    };
    let mut body = Vec::new();
    let mut oversized = None;
    match framing {
        Framing::Length(length) if length > limits.body => oversized = Some(length),
        Framing::Length(length) => {
            if !held.grow(length, limits.bodies_held) {
                return Err(ReadError::Busy);
            }
            if length > 0 {
                send_continue()?;
            }
            body = vec![0; length];
            reader
                .read_exact(&mut body)
                .map_err(|_| ReadError::Closed)?;
        }
        Framing::Chunked if streamed => send_continue()?,
        Framing::Chunked => {
            send_continue()?;
            match read_chunked(reader, limits, &mut held)? {
                Some(chunks) => body = chunks,
                None => oversized = Some(limits.body + 1),
            }
        }
    }
    let connection = headers
        .iter()
        .find(|(name, _)| name == "connection")
        .map(|(_, value)| value.to_ascii_lowercase());
    let keep_alive = match (http_1_0, connection.as_deref()) {
        (_, Some("close")) => false,
        (true, Some("keep-alive")) => true,
        (http_1_0, _) => !http_1_0,
    };
    Ok(Request {
        method,
        path,
        headers,
        body,
        oversized,
        keep_alive,
        streamed,
        _held: held,
    })
}

/// How a request's body is delimited.
enum Framing {
    Length(usize),
    Chunked,
}

/// A `token` of RFC 9110: what a method or a header name is.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token_byte)
}

/// `tchar` of RFC 9110: what a token is made of.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// The body's framing, refusing every ambiguous form: a request smuggled past a proxy
/// relies on two readers disagreeing about where a body ends.
fn framing(headers: &[(String, String)]) -> Result<Framing, ReadError> {
    fn values<'h>(
        headers: &'h [(String, String)],
        name: &'static str,
    ) -> impl Iterator<Item = &'h String> {
        headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }
    let mut lengths = values(headers, "content-length");
    let mut encodings = values(headers, "transfer-encoding");
    match (
        lengths.next(),
        lengths.next(),
        encodings.next(),
        encodings.next(),
    ) {
        (None, _, None, _) => Ok(Framing::Length(0)),
        (Some(length), None, None, _) => {
            if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReadError::Malformed(
                    "Content-Length is not a number of bytes",
                ));
            }
            length
                .parse()
                .map(Framing::Length)
                .map_err(|_| ReadError::Malformed("Content-Length is not a number of bytes"))
        }
        (Some(_), Some(_), _, _) => Err(ReadError::Malformed("Content-Length is given twice")),
        (Some(_), _, Some(_), _) => Err(ReadError::Malformed(
            "Content-Length and Transfer-Encoding together",
        )),
        (None, _, Some(encoding), None) if encoding.eq_ignore_ascii_case("chunked") => {
            Ok(Framing::Chunked)
        }
        (None, _, Some(_), _) => Err(ReadError::Malformed(
            "the only Transfer-Encoding accepted is chunked",
        )),
    }
}

/// The body, or `None` once it grows past the limit.
fn read_chunked(
    reader: &mut impl BufRead,
    limits: &Limits,
    held: &mut Held,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut body = Vec::new();
    loop {
        let size = read_chunk_size(reader)?;
        if size == 0 {
            read_trailers(reader)?;
            return Ok(Some(body));
        }
        if size > limits.body - body.len() {
            return Ok(None);
        }
        if !held.grow(size, limits.bodies_held) {
            return Err(ReadError::Busy);
        }
        read_chunk_data(reader, size, &mut body)?;
    }
}

/// A chunk's size line.
fn read_chunk_size(reader: &mut impl BufRead) -> Result<usize, ReadError> {
    let line = read_line(reader, &mut 0)?;
    let size = line.split(';').next().unwrap_or_default().trim();
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ReadError::Malformed("a chunk size is not hexadecimal"));
    }
    // Too many digits for a `usize` is too large a chunk too.
    Ok(usize::from_str_radix(size, 16).unwrap_or(usize::MAX))
}

/// A chunk's `size` bytes, appended to `into`, and the line break after them.
fn read_chunk_data(
    reader: &mut impl BufRead,
    size: usize,
    into: &mut Vec<u8>,
) -> Result<(), ReadError> {
    read_bytes(reader, size, into)?;
    read_chunk_end(reader)
}

/// `size` bytes, appended to `into`.
fn read_bytes(reader: &mut impl BufRead, size: usize, into: &mut Vec<u8>) -> Result<(), ReadError> {
    let start = into.len();
    into.resize(start + size, 0);
    reader
        .read_exact(&mut into[start..])
        .map_err(|_| ReadError::Closed)
}

/// The line break that ends a chunk's bytes.
fn read_chunk_end(reader: &mut impl BufRead) -> Result<(), ReadError> {
    match read_line(reader, &mut 0)?.is_empty() {
        true => Ok(()),
        false => Err(ReadError::Malformed("a chunk is longer than its size")),
    }
}

/// The trailers after the last chunk, up to the empty line, within the head limit.
fn read_trailers(reader: &mut impl BufRead) -> Result<Vec<(String, String)>, ReadError> {
    let mut size = 0;
    let mut trailers = Vec::new();
    loop {
        let line = read_line(reader, &mut size)?;
        if line.is_empty() {
            return Ok(trailers);
        }
        // Checked as a header is: a trailer's value may be relayed to a caller.
        let (name, value) = line
            .split_once(':')
            .ok_or(ReadError::Malformed("a trailer line has no colon"))?;
        if !is_token(name) || has_control(value) {
            return Err(ReadError::Malformed("a trailer is not a header line"));
        }
        trailers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// Whether a header value holds a control character (a tab aside).
fn has_control(value: &str) -> bool {
    value.bytes().any(|b| b < b' ' && b != b'\t' || b == 0x7f)
}

/// One CRLF-terminated line, counted against the head limit.
fn read_line(reader: &mut impl BufRead, head_size: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let limit = (HEAD_LIMIT - (*head_size).min(HEAD_LIMIT)) as u64;
    let read = reader
        .by_ref()
        .take(limit + 1)
        .read_until(b'\n', &mut line)
        .map_err(|_| ReadError::Closed)?;
    *head_size += read;
    if read == 0 {
        return Err(ReadError::Closed);
    }
    if !line.ends_with(b"\n") {
        return Err(if *head_size > HEAD_LIMIT {
            ReadError::Malformed("the request head is over 64 KiB")
        } else {
            ReadError::Closed
        });
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

pub(crate) fn write_response(out: &mut impl Write, response: &Response) -> io::Result<()> {
    use std::fmt::Write as _;
    let status = response.status;
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in &response.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "content-length: {}\r\n", response.body.len());
    if response.close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(&response.body)?;
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(body: usize) -> Limits {
        Limits {
            body,
            bodies_held: 1000,
            connections: 4,
            idle: Duration::from_secs(1),
            request: Duration::from_secs(1),
            streams: false,
        }
    }

    fn read(raw: &str, limit: usize) -> Result<Request, ReadError> {
        read_request(
            &mut raw.as_bytes(),
            &mut io::sink(),
            &limits(limit),
            &Counter::default(),
        )
    }

    fn malformed(raw: &str) -> &'static str {
        match read(raw, 100) {
            Err(ReadError::Malformed(reason)) => reason,
            Ok(_) => panic!("read {raw:?}"),
            Err(_) => panic!("not malformed: {raw:?}"),
        }
    }

    #[test]
    fn reads_a_request_with_a_length() {
        let request = read(
            "POST /a HTTP/1.1\r\nContent-Length: 2\r\nX-Y: z\r\n\r\n{}",
            10,
        )
        .ok()
        .unwrap();
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/a")
        );
        assert_eq!(request.header("x-y"), Some("z"));
        assert_eq!(request.body, b"{}");
    }

    #[test]
    fn connection_close_and_http_1_0_end_the_connection_after_the_answer() {
        let keeps = |raw: &str| read(raw, 10).ok().unwrap().keep_alive;
        assert!(keeps("GET / HTTP/1.1\r\n\r\n"));
        assert!(!keeps("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
        assert!(!keeps("GET / HTTP/1.0\r\n\r\n"));
        assert!(keeps("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    }

    #[test]
    fn the_query_string_is_not_part_of_the_path() {
        let request = read("POST /a/b?Qualifier=$LATEST HTTP/1.1\r\n\r\n", 10)
            .ok()
            .unwrap();
        assert_eq!(request.path, "/a/b");
    }

    #[test]
    fn reads_a_chunked_request() {
        let raw = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\n3;x=y\r\na\":\r\n2\r\n1}\r\n0\r\n\r\n";
        assert_eq!(read(raw, 100).ok().unwrap().body, br#"{"a":1}"#);
    }

    #[test]
    fn marks_bodies_over_the_limit_without_reading_them() {
        let request = read("POST /a HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 10)
            .ok()
            .unwrap();
        assert_eq!((request.oversized, request.body.len()), (Some(11), 0));
        let chunked = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n";
        assert_eq!(read(chunked, 10).ok().unwrap().oversized, Some(11));
    }

    #[test]
    fn a_chunk_size_past_usize_is_over_the_limit_not_an_overflow() {
        for size in [
            "ffffffffffffffff",
            "10000000000000000",
            "fffffffffffffffffffffff",
        ] {
            let raw = format!(
                "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n{size}\r\n"
            );
            assert_eq!(read(&raw, 10).ok().unwrap().oversized, Some(11), "{size}");
        }
    }

    #[test]
    fn refuses_what_request_smugglers_send() {
        for (raw, reason) in [
            (
                "POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
                "Content-Length is not a number of bytes",
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                "Content-Length is not a number of bytes",
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
                "Content-Length is given twice",
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
                "Content-Length is given twice",
            ),
            (
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
                "Content-Length and Transfer-Encoding together",
            ),
            (
                "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                "the only Transfer-Encoding accepted is chunked",
            ),
            (
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
                "a chunk size is not hexadecimal",
            ),
        ] {
            assert_eq!(malformed(raw), reason, "{raw:?}");
        }
    }

    #[test]
    fn answers_expect_100_continue_before_reading_the_body() {
        let mut sent = Vec::new();
        let raw = "POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}";
        let request = read_request(
            &mut raw.as_bytes(),
            &mut sent,
            &limits(10),
            &Counter::default(),
        );
        assert_eq!(request.ok().unwrap().body, b"{}");
        assert_eq!(sent, b"HTTP/1.1 100 Continue\r\n\r\n");
        // Not for a body that will not be read.
        let mut sent = Vec::new();
        let raw = "POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n";
        let _ = read_request(
            &mut raw.as_bytes(),
            &mut sent,
            &limits(10),
            &Counter::default(),
        );
        assert!(sent.is_empty());
    }

    #[test]
    fn bodies_held_at_once_are_bounded_and_given_back() {
        let bodies = Counter::default();
        let limits = Limits {
            bodies_held: 5,
            ..limits(10)
        };
        let raw = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        let read = || read_request(&mut raw.as_bytes(), &mut io::sink(), &limits, &bodies);
        let first = read().ok().unwrap();
        assert!(matches!(read(), Err(ReadError::Busy)));
        drop(first);
        assert!(read().is_ok());
        assert_eq!(bodies.0.load(Ordering::Acquire), 0);
        // Every share given back, none left holding the counter (a grown share once
        // leaked one reference: found by the fuzz target under AddressSanitizer).
        assert_eq!(Arc::strong_count(&bodies.0), 1);
    }

    #[test]
    fn refuses_what_is_not_http() {
        assert_eq!(
            malformed("hello\r\n\r\n"),
            "the request line is not METHOD PATH HTTP/1.1"
        );
        assert_eq!(
            malformed("GET / HTTP/1.1 x\r\n\r\n"),
            "the request line is not METHOD PATH HTTP/1.1"
        );
        assert_eq!(
            malformed("GET / HTTP/1.1\r\nno colon\r\n\r\n"),
            "a header line has no colon"
        );
        assert_eq!(
            malformed("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            "Content-Length is not a number of bytes"
        );
        for (raw, reason) in [
            (
                "GET / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
                "a header name is not a token",
            ),
            (
                "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
                "a folded header line is not accepted",
            ),
            (
                "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
                "a header value holds a control character",
            ),
            (
                "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n",
                "a header value holds a control character",
            ),
            (
                "GET / HTTP/1.9\r\n\r\n",
                "the request line is not METHOD PATH HTTP/1.1",
            ),
            (
                "G(T / HTTP/1.1\r\n\r\n",
                "the request line is not METHOD PATH HTTP/1.1",
            ),
        ] {
            assert_eq!(malformed(raw), reason, "{raw:?}");
        }
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(HEAD_LIMIT));
        assert_eq!(malformed(&huge), "the request head is over 64 KiB");
        assert!(matches!(read("", 10), Err(ReadError::Closed)));
    }

    #[test]
    fn writes_a_length_on_every_answer() {
        let mut out = Vec::new();
        write_response(&mut out, &Response::json(202, "{}")).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        );
    }
}
