//! The benchmark's own Runtime API: std networking on 127.0.0.1, HTTP/1.1 keep-alive,
//! `Content-Length` and chunked request bodies. Events are rendered before the run, so
//! the measured path is a queue pop and a write.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// A response the function posted.
pub struct Answer {
    /// The event's index (its request id is the index in decimal).
    pub index: usize,
    /// `false` for a post to `/error`.
    pub ok: bool,
    /// The body, its first 8 MiB (a stream may be longer).
    pub body: Vec<u8>,
    /// The body's whole length.
    pub length: usize,
    /// A chunked body's first byte of payload (past an HTTP prelude and its 8 NUL
    /// bytes, if it starts with one): a stream's time to first byte.
    pub first_payload_at: Option<Instant>,
    pub read_at: Instant,
}

#[derive(Default)]
struct State {
    /// Answer `/next` with `500` once the events are used up (so that a runtime exits,
    /// and a profiler wrapped around it writes its report), instead of holding it.
    end_with_500: bool,
    queue: VecDeque<(usize, Vec<u8>)>,
    written: Vec<Option<Instant>>,
    answers: Vec<Answer>,
    first_next: Option<Instant>,
    connections: usize,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct Mock {
    address: SocketAddr,
    shared: Arc<Shared>,
}

/// What one run saw.
pub struct Run {
    pub written: Vec<Option<Instant>>,
    pub answers: Vec<Answer>,
    pub first_next: Option<Instant>,
    pub connections: usize,
}

impl Mock {
    /// Serves `events` (JSON bodies) in order, one per `/next`.
    pub fn start(events: &[Vec<u8>]) -> io::Result<Mock> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        {
            let mut state = shared.lock();
            state.written = vec![None; events.len()];
            state.end_with_500 = std::env::var_os("BENCH_WRAPPER").is_some();
            state.queue = events
                .iter()
                .enumerate()
                .map(|(index, body)| (index, render_event(index, body)))
                .collect();
        }
        let acceptor = Arc::clone(&shared);
        thread::spawn(move || accept(listener, acceptor));
        Ok(Mock { address, shared })
    }

    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Waits until `count` answers arrived, for `limit` at most.
    pub fn wait_for_answers(&self, count: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut state = self.shared.lock();
        while state.answers.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .map_or_else(|p| p.into_inner().0, |(s, _)| s);
        }
        true
    }

    /// Stops serving and hands over what was recorded.
    pub fn finish(self) -> Run {
        let mut state = self.shared.lock();
        state.closed = true;
        self.shared.changed.notify_all();
        let _ = TcpStream::connect(self.address);
        Run {
            written: std::mem::take(&mut state.written),
            answers: std::mem::take(&mut state.answers),
            first_next: state.first_next,
            connections: state.connections,
        }
    }
}

fn render_event(index: usize, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {index}\r\n\
         Lambda-Runtime-Deadline-Ms: 4102444800000\r\n\
         Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:012345678912:function:bench\r\n\
         Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.lock().closed {
            return;
        }
        let Ok(stream) = stream else { continue };
        shared.lock().connections += 1;
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            let _ = serve(stream, &shared);
        });
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    loop {
        let Some(request) = read_request(&mut reader)? else {
            return Ok(());
        };
        if request.method == "GET" && request.path.ends_with("/runtime/invocation/next") {
            let Some((index, bytes)) = next_event(shared) else {
                return Ok(());
            };
            // Before the write: the answer may come on another connection (a stream
            // does) before this thread could note the time after it.
            shared.lock().written[index] = Some(Instant::now());
            writer.write_all(&bytes)?;
            continue;
        }
        let answer = request.path.rsplit_once('/').and_then(|(rest, kind)| {
            let index = rest.rsplit('/').next()?.parse().ok()?;
            Some((index, kind == "response"))
        });
        let read_at = Instant::now();
        writer
            .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}")?;
        if let Some((index, ok)) = answer {
            let mut state = shared.lock();
            state.answers.push(Answer {
                index,
                ok,
                body: request.body,
                length: request.length,
                first_payload_at: request.first_payload_at,
                read_at,
            });
            shared.changed.notify_all();
        }
    }
}

/// The next event; with none left, holds the poll (as Lambda does) until the run ends.
fn next_event(shared: &Shared) -> Option<(usize, Vec<u8>)> {
    let mut state = shared.lock();
    state.first_next.get_or_insert_with(Instant::now);
    loop {
        if state.closed {
            return None;
        }
        if let Some(event) = state.queue.pop_front() {
            return Some(event);
        }
        if state.end_with_500 {
            return None;
        }
        state = shared
            .changed
            .wait_timeout(state, Duration::from_millis(50))
            .map_or_else(|p| p.into_inner().0, |(s, _)| s);
    }
}

pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
    pub length: usize,
    pub first_payload_at: Option<Instant>,
}

/// One request; `None` when the connection closed between requests.
pub fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let (mut length, mut chunked) = (0, false);
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(io::Error::other)?;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
    }
    let (body, length, first_payload_at) = if chunked {
        read_chunked(reader)?
    } else {
        (read_exact(reader, length)?, length, None)
    };
    Ok(Some(Request {
        method,
        path,
        body,
        length,
        first_payload_at,
    }))
}

fn read_exact(reader: &mut impl Read, length: usize) -> io::Result<Vec<u8>> {
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(body)
}

/// A chunked body: its first 8 MiB, its length, and when its first byte of payload
/// came (see [`Answer::first_payload_at`]).
fn read_chunked(reader: &mut impl BufRead) -> io::Result<(Vec<u8>, usize, Option<Instant>)> {
    const KEPT: usize = 8 * 1024 * 1024;
    let (mut body, mut length, mut first_payload_at) = (Vec::new(), 0, None);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or_default(), 16)
            .map_err(io::Error::other)?;
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok((body, length, first_payload_at));
                }
            }
        }
        let chunk = read_exact(reader, size)?;
        length += size;
        if body.len() < KEPT {
            body.extend_from_slice(&chunk);
        }
        if first_payload_at.is_none() && length > payload_start(&body) {
            first_payload_at = Some(Instant::now());
        }
        line.clear();
        reader.read_line(&mut line)?;
    }
}

/// Where a stream's payload starts: past a JSON prelude's 8 NUL bytes, or at once.
fn payload_start(body: &[u8]) -> usize {
    if !body.starts_with(b"{") {
        return 0;
    }
    body.windows(8)
        .position(|window| window == [0; 8])
        .map_or(usize::MAX, |at| at + 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(
        stream: &mut TcpStream,
        reader: &mut BufReader<TcpStream>,
        request: &str,
    ) -> (String, Vec<u8>) {
        stream.write_all(request.as_bytes()).unwrap();
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        (head, read_exact(reader, length).unwrap())
    }

    #[test]
    fn serves_events_in_order_and_records_answers_on_one_connection() {
        let events = vec![br#"{"a":1}"#.to_vec(), br#"[2]"#.to_vec()];
        let mock = Mock::start(&events).unwrap();
        let mut stream = TcpStream::connect(mock.address()).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";

        let (head, body) = exchange(&mut stream, &mut reader, next);
        assert!(
            head.contains("Lambda-Runtime-Aws-Request-Id: 0\r\n"),
            "{head}"
        );
        assert_eq!(body, events[0]);
        let post = "POST /2018-06-01/runtime/invocation/0/response HTTP/1.1\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
        let (head, _) = exchange(&mut stream, &mut reader, post);
        assert!(head.starts_with("HTTP/1.1 202"), "{head}");

        let (_, body) = exchange(&mut stream, &mut reader, next);
        assert_eq!(body, events[1]);
        let chunked = "POST /2018-06-01/runtime/invocation/1/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n2\r\n2]\r\n0\r\n\r\n";
        exchange(&mut stream, &mut reader, chunked);

        assert!(mock.wait_for_answers(2, Duration::from_secs(10)));
        let run = mock.finish();
        assert_eq!(run.connections, 1);
        assert!(run.first_next.is_some() && run.written.iter().all(Option::is_some));
        let answers: Vec<_> = run
            .answers
            .iter()
            .map(|a| (a.index, a.ok, a.body.clone()))
            .collect();
        assert_eq!(
            answers,
            [
                (0, true, br#"{"a":1}"#.to_vec()),
                (1, false, b"[2]".to_vec())
            ]
        );
    }
}
