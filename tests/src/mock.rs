//! A scriptable Runtime API: answers `/next` from a queue of replies, answers posts with
//! a queue of statuses (202 when empty), and records every request.

use crate::{Function, Output, PATIENCE};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// One request the runtime made.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Lower-case names, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, chunks joined for a chunked one.
    pub body: Vec<u8>,
    /// A chunked body as it came on the wire, its first MiB: sizes, chunks, the last
    /// chunk and the trailers.
    pub wire: Vec<u8>,
    /// A chunked body's trailers, names lower-case.
    pub trailers: Vec<(String, String)>,
    /// The chunked body went past [`MockRuntimeApi::refuse_streams_over`]: the mock
    /// stopped reading, answered `413` and closed the connection.
    pub cut: bool,
    /// Which connection it came on: the mock numbers them from 1 as it accepts them.
    pub connection: usize,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("{error}: {}", self.body_text()))
    }
}

/// An answer to `/next`.
#[derive(Debug, Clone)]
pub enum Reply {
    Event(Event),
    /// A status with a small JSON error body, such as `500`.
    Status(u16),
    /// `204 No Content`, as cargo-lambda answers when idle.
    NoContent,
    /// The reply, sent only after the connection has been held this long (as Lambda
    /// holds a poll while no event comes).
    After(std::time::Duration, Box<Reply>),
    /// These bytes as they are, then the connection closed: a broken or unusual answer.
    Raw(Vec<u8>),
}

/// An event with its headers.
#[derive(Debug, Clone)]
pub struct Event {
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Event {
    /// An event with the request id and a deadline an hour from now.
    pub fn new(request_id: &str, body: impl Into<Vec<u8>>) -> Event {
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|now| now.as_millis() + 3_600_000)
            .unwrap_or_default();
        Event::bare(body)
            .header("Lambda-Runtime-Aws-Request-Id", request_id)
            .header("Lambda-Runtime-Deadline-Ms", &deadline.to_string())
    }

    /// An event with no headers at all.
    pub fn bare(body: impl Into<Vec<u8>>) -> Event {
        Event {
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(self, name: &str, value: &str) -> Event {
        self.raw_header(name, value.as_bytes())
    }

    /// Sets a header to raw bytes, replacing any earlier value.
    pub fn raw_header(mut self, name: &str, value: &[u8]) -> Event {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_vec()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Event {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
}

/// How the mock treats the next post.
#[derive(Debug, Clone, Copy)]
pub enum PostReply {
    /// Answer with this status.
    Status(u16),
    /// Read the whole request, then close the connection without answering: the runtime
    /// cannot know whether the post arrived.
    Drop,
    /// Read the whole request, then say nothing for this long before answering `202`.
    Silence(std::time::Duration),
}

/// How the mock answers `/extension/register`.
#[derive(Debug, Clone, Copy, Default)]
pub enum RegisterReply {
    /// `200` with a `Lambda-Extension-Identifier`, as Lambda answers.
    #[default]
    Identifier,
    /// `200` without the identifier header.
    NoIdentifier,
    /// Never answered while the mock runs.
    Silence,
}

#[derive(Default)]
struct State {
    register: RegisterReply,
    replies: VecDeque<Reply>,
    post_replies: VecDeque<PostReply>,
    /// How the first post for a given request id is treated, ahead of `post_replies`.
    post_replies_by_id: HashMap<String, PostReply>,
    /// Bumped by [`MockRuntimeApi::begin_generation`]; each connection belongs to the
    /// generation it was accepted in.
    generation: u64,
    /// Polls of the current generation waiting for an event.
    parked: usize,
    /// Request ids already answered: a repeat post is refused with `400`, as the RIE does.
    answered: HashSet<String>,
    /// For each post to an invocation: its request id, how it was treated, and where it
    /// is in `requests`.
    decisions: Vec<(String, PostReply, usize)>,
    /// How many `/next` replies have been served.
    served: usize,
    /// How many `/next` polls have arrived.
    polls: usize,
    requests: Vec<Recorded>,
    closed: bool,
    /// The most bytes of a chunked body read before the mock answers `413` and closes.
    stream_limit: Option<usize>,
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

/// The mock server. Dropping it stops it and its threads.
pub struct MockRuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl MockRuntimeApi {
    pub fn start() -> MockRuntimeApi {
        MockRuntimeApi::start_at("127.0.0.1:0")
    }

    /// Starts on a given address, such as a port a function is already trying to reach.
    pub fn start_at(address: &str) -> MockRuntimeApi {
        let listener =
            TcpListener::bind(address).unwrap_or_else(|error| panic!("bind {address}: {error}"));
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || accept(listener, shared))
        };
        MockRuntimeApi {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `host:port`, as AWS sets `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an answer to `/next`.
    pub fn push(&self, reply: Reply) -> &Self {
        self.shared.lock().replies.push_back(reply);
        self.shared.changed.notify_all();
        self
    }

    pub fn push_event(&self, event: Event) -> &Self {
        self.push(Reply::Event(event))
    }

    /// Sets how `/extension/register` is answered.
    pub fn answer_register_with(&self, reply: RegisterReply) {
        self.shared.lock().register = reply;
    }

    /// Queues the statuses of the next posts (202 once these are used up).
    pub fn answer_posts_with(&self, statuses: &[u16]) {
        self.shared
            .lock()
            .post_replies
            .extend(statuses.iter().map(|&status| PostReply::Status(status)));
    }

    /// Queues how the next posts are treated.
    pub fn treat_posts(&self, replies: &[PostReply]) {
        self.shared.lock().post_replies.extend(replies);
    }

    /// Sets how the first post for each request id is treated, whatever order the posts
    /// come in (several pollers answer in any order).
    pub fn treat_posts_for(&self, replies: impl IntoIterator<Item = (String, PostReply)>) {
        self.shared.lock().post_replies_by_id.extend(replies);
    }

    /// Makes a chunked body longer than `limit` bytes be answered `413` and its
    /// connection closed, unread, as the service refuses a stream over its limit.
    pub fn refuse_streams_over(&self, limit: usize) {
        self.shared.lock().stream_limit = Some(limit);
    }

    /// Starts a new generation of connections, before starting a new function process:
    /// [`parked`](Self::parked) counts only polls on connections accepted after this.
    pub fn begin_generation(&self) {
        let mut state = self.shared.lock();
        state.generation += 1;
        state.parked = 0;
    }

    /// How many polls of the current generation wait for an event: with none queued,
    /// as many as the function has pollers once every one of them is idle.
    pub fn parked(&self) -> usize {
        self.shared.lock().parked
    }

    /// For each post to an invocation, in order: its request id, how it was treated (a
    /// repeat for an answered id is `Status(400)`), and its index in
    /// [`requests`](Self::requests).
    pub fn decisions(&self) -> Vec<(String, PostReply, usize)> {
        self.shared.lock().decisions.clone()
    }

    /// How many posts to an invocation were treated as `matching` says, without copying
    /// the decisions (the soak asks often, over 100 000 of them).
    pub fn count_decisions(&self, matching: impl Fn(&PostReply) -> bool) -> usize {
        let state = self.shared.lock();
        state
            .decisions
            .iter()
            .filter(|(_, reply, _)| matching(reply))
            .count()
    }

    /// How many `/next` replies have been served, and how many are still queued.
    pub fn progress(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.served, state.replies.len())
    }

    /// How many `/next` polls have arrived: one more than [`progress`](Self::progress)
    /// served means the function is parked on a poll, done with everything before it.
    pub fn polls(&self) -> usize {
        self.shared.lock().polls
    }

    /// Waits until `count` polls of `/next` have arrived (pollers parked, waiting for an
    /// event), and returns all requests; panics after [`PATIENCE`].
    pub fn wait_for_polls(&self, count: usize) -> Vec<Recorded> {
        self.wait_until(|requests| {
            requests
                .iter()
                .filter(|r| r.method == "GET" && r.path.ends_with("/runtime/invocation/next"))
                .count()
                >= count
        })
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Every POST so far.
    pub fn posts(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect()
    }

    /// Starts `binary` against this API, waits for `count` posts and stops the function:
    /// every request so far, and what the function printed.
    pub fn run_until_posts(
        &self,
        binary: &str,
        env: &[(&str, &str)],
        count: usize,
    ) -> (Vec<Recorded>, Output) {
        let function = Function::against(binary, &self.address(), env);
        let requests = self.wait_for_posts(count);
        (requests, function.stop())
    }

    /// Waits until `count` posts have arrived, and returns all requests; panics after
    /// [`PATIENCE`].
    pub fn wait_for_posts(&self, count: usize) -> Vec<Recorded> {
        self.wait_until(|requests| requests.iter().filter(|r| r.method == "POST").count() >= count)
    }

    /// Waits until `done` holds for the requests so far; panics after [`PATIENCE`].
    pub fn wait_until(&self, done: impl Fn(&[Recorded]) -> bool) -> Vec<Recorded> {
        let deadline = Instant::now() + PATIENCE;
        let mut state = self.shared.lock();
        while !done(&state.requests) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out; requests so far: {:#?}",
                state.requests
            );
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        state.requests.clone()
    }
}

impl Drop for MockRuntimeApi {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
        // Wake the acceptor, which then sees `closed`.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = Vec::new();
    for stream in listener.incoming() {
        if shared.lock().closed {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let number = connections.len() + 1;
        connections.push(thread::spawn(move || serve(stream, number, &shared)));
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// Serves one keep-alive connection until the peer closes it or the mock stops.
fn serve(stream: TcpStream, connection: usize, shared: &Shared) {
    const MOST_REQUESTS_PER_CONNECTION: usize = 100_000;
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    let generation = shared.lock().generation;
    for _ in 0..MOST_REQUESTS_PER_CONNECTION {
        let Some(mut request) = read_request(&mut reader, shared) else {
            return;
        };
        request.connection = connection;
        let is_next = request.method == "GET" && request.path.ends_with("/runtime/invocation/next");
        let is_post = request.method == "POST";
        let cut = request.cut;
        let path = request.path.clone();
        let index = {
            let mut state = shared.lock();
            state.polls += usize::from(is_next);
            state.requests.push(request);
            shared.changed.notify_all();
            state.requests.len() - 1
        };
        let answer = if is_next {
            match next_reply(shared, generation) {
                Some(Reply::Raw(bytes)) => {
                    let _ = writer.write_all(&bytes).and_then(|()| writer.flush());
                    return;
                }
                Some(reply) => render(reply),
                None => return,
            }
        } else if request_path_is(&path, "/2020-01-01/extension/event/next") {
            // Registered for no events: never answered, as on Lambda.
            match hold(shared) {
                Some(()) => response(200, &[], b"{}"),
                None => return,
            }
        } else if request_path_is(&path, "/2020-01-01/extension/register") {
            let register = shared.lock().register;
            let identifier = match register {
                RegisterReply::Identifier => vec![(
                    "Lambda-Extension-Identifier".to_owned(),
                    b"ext-0001".to_vec(),
                )],
                RegisterReply::NoIdentifier => Vec::new(),
                RegisterReply::Silence => match hold(shared) {
                    Some(()) => Vec::new(),
                    None => return,
                },
            };
            response(
                200,
                &identifier,
                br#"{"functionName":"f","functionVersion":"$LATEST","handler":"bootstrap"}"#,
            )
        } else if cut {
            let refused = response(
                413,
                &[],
                br#"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"over the limit"}"#,
            );
            let _ = writer.write_all(&refused).and_then(|()| writer.flush());
            return;
        } else if is_post {
            match post_reply(shared, &path, index) {
                PostReply::Status(200..=299) => response(202, &[], br#"{"status":"OK"}"#),
                PostReply::Status(400) => response(
                    400,
                    &[],
                    br#"{"errorType":"InvalidRequestID","errorMessage":"Invalid request ID"}"#,
                ),
                PostReply::Status(status) => response(
                    status,
                    &[],
                    br#"{"errorType":"Mock","errorMessage":"scripted"}"#,
                ),
                PostReply::Drop => return,
                PostReply::Silence(pause) => {
                    thread::sleep(pause);
                    response(202, &[], br#"{"status":"OK"}"#)
                }
            }
        } else {
            response(404, &[], b"{}")
        };
        if writer
            .write_all(&answer)
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

fn request_path_is(path: &str, suffix: &str) -> bool {
    path.ends_with(suffix)
}

/// Waits until the mock stops; `None` then.
fn hold(shared: &Shared) -> Option<()> {
    let mut state = shared.lock();
    while !state.closed {
        state = shared
            .changed
            .wait_timeout(state, Duration::from_millis(200))
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
    None
}

/// How to treat a post to `path`: a repeat for an answered request id is `400`; otherwise
/// the next scripted treatment, or `202`. A `2xx` marks the id answered.
fn post_reply(shared: &Shared, path: &str, index: usize) -> PostReply {
    let mut state = shared.lock();
    let id = path.rsplit('/').nth(1).unwrap_or_default().to_owned();
    let is_invocation = path.contains("/runtime/invocation/");
    if is_invocation && state.answered.contains(&id) {
        state.decisions.push((id, PostReply::Status(400), index));
        return PostReply::Status(400);
    }
    let reply = state
        .post_replies_by_id
        .remove(&id)
        .or_else(|| state.post_replies.pop_front())
        .unwrap_or(PostReply::Status(202));
    if is_invocation {
        // A dropped or silent post still arrived: the id counts as answered.
        if !matches!(reply, PostReply::Status(400..)) {
            state.answered.insert(id.clone());
        }
        state.decisions.push((id, reply, index));
    }
    reply
}

/// The next scripted reply; with none queued, the poll blocks (as on Lambda) until one
/// is queued or the mock stops, counted as parked meanwhile if it is of the current
/// `generation`.
fn next_reply(shared: &Shared, generation: u64) -> Option<Reply> {
    let mut state = shared.lock();
    let mut parked = false;
    loop {
        let reply = if state.closed {
            Some(None)
        } else {
            state.replies.pop_front().map(Some)
        };
        if let Some(reply) = reply {
            if parked && state.generation == generation {
                state.parked -= 1;
            }
            state.served += usize::from(reply.is_some());
            return reply;
        }
        if !parked && state.generation == generation {
            parked = true;
            state.parked += 1;
            shared.changed.notify_all();
        }
        state = shared
            .changed
            .wait_timeout(state, Duration::from_millis(200))
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
}

fn render(reply: Reply) -> Vec<u8> {
    match reply {
        Reply::After(delay, reply) => {
            thread::sleep(delay);
            render(*reply)
        }
        Reply::Event(event) => response(200, &event.headers, &event.body),
        Reply::Status(204) | Reply::NoContent => b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
        Reply::Status(status) => response(
            status,
            &[],
            br#"{"errorType":"Mock","errorMessage":"scripted"}"#,
        ),
        Reply::Raw(bytes) => bytes,
    }
}

fn response(status: u16, headers: &[(String, Vec<u8>)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Reads one request, waiting out read timeouts until the mock stops. `None` when the
/// connection ends or the mock stops.
fn read_request(reader: &mut BufReader<TcpStream>, shared: &Shared) -> Option<Recorded> {
    let request_line = read_line(reader, shared)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    for _ in 0..1000 {
        let line = read_line(reader, shared)?;
        if line.is_empty() {
            let mut recorded = Recorded {
                method,
                path,
                headers,
                body: Vec::new(),
                wire: Vec::new(),
                trailers: Vec::new(),
                cut: false,
                connection: 0,
            };
            read_body(reader, &mut recorded, shared)?;
            return Some(recorded);
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    None
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    recorded: &mut Recorded,
    shared: &Shared,
) -> Option<()> {
    const MOST_WIRE: usize = 1024 * 1024;
    if recorded
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        let limit = shared.lock().stream_limit.unwrap_or(usize::MAX);
        let mut wire = Vec::new();
        let line = |reader: &mut BufReader<TcpStream>, wire: &mut Vec<u8>| {
            let line = read_line(reader, shared)?;
            if wire.len() < MOST_WIRE {
                wire.extend_from_slice(line.as_bytes());
                wire.extend_from_slice(b"\r\n");
            }
            Some(line)
        };
        for _ in 0..10_000_000 {
            let size = line(reader, &mut wire)?;
            let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                loop {
                    let trailer = line(reader, &mut wire)?;
                    if trailer.is_empty() {
                        recorded.wire = wire;
                        return Some(());
                    }
                    let (name, value) = trailer.split_once(':')?;
                    recorded
                        .trailers
                        .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
            if recorded.body.len() + size > limit {
                recorded.cut = true;
                recorded.wire = wire;
                return Some(());
            }
            let start = recorded.body.len();
            recorded.body.resize(start + size, 0);
            read_exact(reader, &mut recorded.body[start..], shared)?;
            if wire.len() < MOST_WIRE {
                wire.extend_from_slice(&recorded.body[start..]);
            }
            line(reader, &mut wire)?;
        }
        return None;
    }
    let length = recorded
        .header("content-length")
        .map_or(Some(0), |v| v.parse().ok())?;
    recorded.body = vec![0; length];
    read_exact(reader, &mut recorded.body, shared)
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn read_line(reader: &mut BufReader<TcpStream>, shared: &Shared) -> Option<String> {
    let mut line = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(_) if line.ends_with(b"\n") => {
                let text = String::from_utf8_lossy(&line);
                return Some(text.trim_end_matches(['\r', '\n']).to_owned());
            }
            Ok(_) => {}
            Err(error) if is_timeout(&error) => {
                if shared.lock().closed {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    None
}

fn read_exact(
    reader: &mut BufReader<TcpStream>,
    mut buf: &mut [u8],
    shared: &Shared,
) -> Option<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !buf.is_empty() && Instant::now() < deadline {
        match reader.read(buf) {
            Ok(0) => return None,
            Ok(n) => buf = &mut buf[n..],
            Err(error) if is_timeout(&error) => {
                if shared.lock().closed {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    buf.is_empty().then_some(())
}
