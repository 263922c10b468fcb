//! The Runtime API that the function process talks to: events handed out on `/next` in
//! the order they came, and the answers it posts kept, by request id, for the
//! supervisor. One invocation at a time by default; up to `AWS_LAMBDA_MAX_CONCURRENCY`
//! at once in Managed Instances mode, the supervisor decides.

use super::answers::{self, error_json};
use super::http::{self, Request, Response};
use super::pieces::{self, Piece, Receiver, StreamError};
use crate::invoke::PAYLOAD_LIMIT;
use crate::{Shown, log};
use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// An event waiting for the function's `/next`.
pub(crate) struct Event {
    pub(crate) request_id: String,
    /// Sent as `Lambda-Runtime-Invocation-Id`; a post that echoes another is stale.
    pub(crate) invocation_id: String,
    /// The other headers of the `/next` answer, each value checked fit for a head.
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

/// What the function posted for an invocation.
pub(crate) enum Answer {
    /// `/response`: the body and its content type.
    Response { body: Vec<u8>, content_type: String },
    /// `/error`, or a response over the payload limit: the error JSON.
    Error(Vec<u8>),
    /// A streamed `/response`: its content type, and its pieces as they arrive.
    Stream {
        content_type: String,
        pieces: Receiver,
    },
}

/// The most a stream may send, in bytes: the 200 MB Lambda takes (its documents count
/// 6 MB as 6 MiB, so MiB here too). The runtime does not enforce it; the service does.
const STREAM_LIMIT: usize = 200 * 1024 * 1024;

#[derive(Default)]
struct State {
    /// Bumped for every new function process, so that a poll left over from a killed
    /// one cannot take an event meant for the next.
    generation: u64,
    /// When this process first called `/next` (its init ended then).
    init_done: Option<Instant>,
    /// Events not yet handed out, oldest first.
    queued: VecDeque<Event>,
    /// Every invocation admitted and not yet taken back by its caller, by request id:
    /// queued, handed out, answered, or abandoned by a caller that stopped waiting.
    invocations: Invocations,
    init_error: Option<Vec<u8>>,
}

/// The admitted invocations by request id: a list, as there are at most
/// `AWS_LAMBDA_MAX_CONCURRENCY` of them, and a `HashMap` would add its hasher to every
/// function binary.
#[derive(Default)]
struct Invocations(Vec<(String, Invocation)>);

impl Invocations {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn insert(&mut self, request_id: String, invocation: Invocation) {
        self.remove(&request_id);
        self.0.push((request_id, invocation));
    }

    fn get(&self, request_id: &str) -> Option<&Invocation> {
        self.0
            .iter()
            .find(|(id, _)| id == request_id)
            .map(|(_, invocation)| invocation)
    }

    fn get_mut(&mut self, request_id: &str) -> Option<&mut Invocation> {
        self.0
            .iter_mut()
            .find(|(id, _)| id == request_id)
            .map(|(_, invocation)| invocation)
    }

    fn remove(&mut self, request_id: &str) -> Option<Invocation> {
        let index = self.0.iter().position(|(id, _)| id == request_id)?;
        Some(self.0.swap_remove(index).1)
    }
}

/// Where one admitted invocation is.
struct Invocation {
    invocation_id: String,
    stage: Stage,
    /// Its answer is a stream that ended before the supervisor took it (a short one):
    /// taking it frees the slot.
    stream_ended: bool,
}

enum Stage {
    Queued,
    HandedOut,
    Answered(Answer),
    /// Its caller was answered that it timed out; the function (which Managed Instances
    /// do not stop) still holds it, and its late answer is refused with `410`.
    Abandoned,
    /// Its answer is a stream, taken by the supervisor and still coming: it keeps its
    /// place among the admitted (its slot in Managed Instances mode) until it ends.
    Streaming,
}

/// The Runtime API server. It runs until the process ends.
#[derive(Clone)]
pub(crate) struct Sandbox {
    shared: Arc<(Mutex<State>, Condvar)>,
    /// `/<secret>`: the path prefix every request must carry. Only the function process
    /// is told it (in its `AWS_LAMBDA_RUNTIME_API`, as a base path), so another local
    /// process that finds the port cannot take events or forge answers.
    prefix: Arc<str>,
}

/// Connections the function process may hold at once besides one per poller: its
/// shutdown hook's extension poll, and spares for connections being replaced.
const SPARE_CONNECTIONS: usize = 16;

impl Sandbox {
    /// Serves the Runtime API on `listener`, on a thread of its own. `idle` bounds how
    /// long a connection may stay silent: longer than any invocation may run.
    pub(crate) fn start(
        listener: TcpListener,
        secret: &str,
        idle: Duration,
        pollers: usize,
    ) -> std::io::Result<Sandbox> {
        let sandbox = Sandbox {
            shared: Arc::default(),
            prefix: format!("/{secret}").into(),
        };
        let server = sandbox.clone();
        let limits = http::Limits {
            body: PAYLOAD_LIMIT,
            bodies_held: usize::MAX,
            connections: pollers.saturating_add(SPARE_CONNECTIONS),
            idle,
            request: Duration::from_secs(30),
            streams: true,
        };
        thread::Builder::new().spawn(move || {
            http::serve(
                listener,
                limits,
                Arc::new(move |request, peer: &mut http::Peer| server.answer(request, peer)),
            )
        })?;
        Ok(sandbox)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        super::lock(&self.shared.0)
    }

    /// Forgets everything of the previous function process; returns the new process's
    /// generation.
    pub(crate) fn reset(&self) -> u64 {
        let mut state = self.lock();
        let generation = state.generation + 1;
        *state = State {
            generation,
            ..State::default()
        };
        self.shared.1.notify_all();
        generation
    }

    pub(crate) fn init_done(&self) -> Option<Instant> {
        self.lock().init_done
    }

    /// Queues `event` for the next `/next`, unless `most` invocations are already
    /// admitted and not yet taken back (Managed Instances mode); then it is handed back.
    pub(crate) fn admit(&self, event: Event, most: Option<usize>) -> Result<(), Event> {
        let mut state = self.lock();
        if most.is_some_and(|most| state.invocations.len() >= most) {
            return Err(event);
        }
        let invocation = Invocation {
            invocation_id: event.invocation_id.clone(),
            stage: Stage::Queued,
            stream_ended: false,
        };
        state
            .invocations
            .insert(event.request_id.clone(), invocation);
        state.queued.push_back(event);
        self.shared.1.notify_all();
        Ok(())
    }

    /// Whether every invocation admitted is one whose caller was told it timed out and
    /// the function still holds: none will ever free its slot if the handler never
    /// returns.
    pub(crate) fn all_abandoned(&self) -> bool {
        let state = self.lock();
        state
            .invocations
            .0
            .iter()
            .all(|(_, invocation)| matches!(invocation.stage, Stage::Abandoned))
    }

    /// Waits up to `wait` for the answer to `request_id`, or an init error, of the
    /// process of `generation`, and takes the answer. `None` once that process has been
    /// replaced: its invocations are gone, and the init error is another process's.
    pub(crate) fn wait(
        &self,
        request_id: &str,
        generation: u64,
        wait: Duration,
    ) -> Option<Result<Answer, Vec<u8>>> {
        let mut state = self.lock();
        let ready = |state: &State| {
            state.generation != generation
                || state.init_error.is_some()
                || matches!(
                    state.invocations.get(request_id),
                    Some(Invocation {
                        stage: Stage::Answered(_),
                        ..
                    })
                )
        };
        if !ready(&state) {
            state = self
                .shared
                .1
                .wait_timeout(state, wait)
                .map_or_else(|p| p.into_inner().0, |(s, _)| s);
        }
        if state.generation != generation {
            return None;
        }
        if let Some(init_error) = &state.init_error {
            return Some(Err(init_error.clone()));
        }
        if !ready(&state) {
            return None;
        }
        let invocation = state.invocations.get_mut(request_id)?;
        if let (Stage::Answered(Answer::Stream { .. }), false) =
            (&invocation.stage, invocation.stream_ended)
        {
            return match std::mem::replace(&mut invocation.stage, Stage::Streaming) {
                Stage::Answered(answer) => Some(Ok(answer)),
                _ => None,
            };
        }
        match state.invocations.remove(request_id)?.stage {
            Stage::Answered(answer) => Some(Ok(answer)),
            _ => None,
        }
    }

    /// The stream that answers `request_id` has ended, one way or another: its slot is
    /// free.
    fn stream_ended(&self, request_id: &str) {
        let mut state = self.lock();
        let Some(invocation) = state.invocations.get_mut(request_id) else {
            return;
        };
        match invocation.stage {
            Stage::Streaming => {
                state.invocations.remove(request_id);
                self.shared.1.notify_all();
            }
            // Not taken yet: its pieces wait in the queue, and taking them frees it.
            Stage::Answered(Answer::Stream { .. }) => invocation.stream_ended = true,
            _ => {}
        }
    }

    /// Gives up on `request_id` (its caller was told it timed out): an event not yet
    /// handed out is withdrawn; one the function holds is marked, and keeps its place
    /// among the admitted until the function answers it.
    pub(crate) fn abandon(&self, request_id: &str) {
        let mut state = self.lock();
        let Some(invocation) = state.invocations.get_mut(request_id) else {
            return;
        };
        match invocation.stage {
            Stage::HandedOut => invocation.stage = Stage::Abandoned,
            Stage::Queued | Stage::Answered(_) | Stage::Abandoned | Stage::Streaming => {
                state.invocations.remove(request_id);
                state.queued.retain(|event| event.request_id != request_id);
            }
        }
    }

    fn answer(&self, mut request: Request, peer: &mut http::Peer) -> Response {
        let Some(path) = request
            .path
            .strip_prefix(&*self.prefix)
            .filter(|path| path.starts_with('/'))
        else {
            log(format_args!(
                "refused {:?} {:?} on the function's Runtime API: only the function process may call it",
                Shown(&request.method),
                Shown(&request.path)
            ));
            return Response::json(
                403,
                error_json(
                    "AccessDeniedException",
                    "only the function process may call this Runtime API",
                ),
            )
            .closing();
        };
        request.path = path.to_owned();
        match (request.method.as_str(), request.path.as_str()) {
            // A function's own extension (the shutdown hook): registered, never sent an
            // event, as on Lambda when it subscribes to none.
            ("POST", "/2020-01-01/extension/register") => {
                return Response::json(200, answers::REGISTERED)
                    .header("lambda-extension-identifier", "emulated-extension");
            }
            ("GET", "/2020-01-01/extension/event/next") => return self.hold(),
            _ => {}
        }
        let full_path = request.path.clone();
        let path = full_path.strip_prefix("/2018-06-01").unwrap_or("");
        match (request.method.as_str(), path) {
            ("GET", "/runtime/invocation/next") => self.next(peer),
            ("POST", "/runtime/init/error") => self.init_error(request),
            ("POST", path) => match path
                .strip_prefix("/runtime/invocation/")
                .and_then(|rest| rest.split_once('/'))
            {
                Some((id, "response")) if request.streamed => {
                    self.respond_streamed(id, &request, peer)
                }
                Some((id, "response")) => self.respond(id, request),
                Some((id, "error")) => self.error(id, request),
                _ => Response::json(404, answers::no_such_path()),
            },
            _ => Response::json(404, answers::no_such_path()),
        }
    }

    /// Holds the request until this function process is replaced.
    fn hold(&self) -> Response {
        let mut state = self.lock();
        let generation = state.generation;
        while state.generation == generation {
            state = self
                .shared
                .1
                .wait_timeout(state, Duration::from_millis(250))
                .map_or_else(|p| p.into_inner().0, |(s, _)| s);
        }
        Response::json(403, answers::invalid_state()).closing()
    }

    /// Blocks until an event is queued, as Lambda does. A poll whose client has gone is
    /// dropped without taking an event, which would otherwise be written to nobody and
    /// its caller answered only by the timeout.
    fn next(&self, peer: &http::Peer) -> Response {
        let mut state = self.lock();
        let generation = state.generation;
        state.init_done.get_or_insert_with(Instant::now);
        loop {
            if state.generation != generation {
                return Response::json(403, answers::invalid_state()).closing();
            }
            if peer.is_gone() {
                return Response::json(400, answers::invalid_state()).closing();
            }
            if let Some(event) = state.queued.pop_front() {
                if let Some(invocation) = state.invocations.get_mut(&event.request_id) {
                    invocation.stage = Stage::HandedOut;
                }
                let mut response = Response::new(200, event.body)
                    .header("content-type", "application/json")
                    .header("lambda-runtime-aws-request-id", event.request_id)
                    .header("lambda-runtime-invocation-id", event.invocation_id);
                response.headers.extend(event.headers);
                return response;
            }
            state = self
                .shared
                .1
                .wait_timeout(state, Duration::from_millis(250))
                .map_or_else(|p| p.into_inner().0, |(s, _)| s);
        }
    }

    fn respond(&self, id: &str, request: Request) -> Response {
        let echoed = invocation_id(&request);
        let answer = if let Some(size) = request.oversized {
            Answer::Error(answers::response_too_large(size))
        } else {
            let content_type = request
                .header("content-type")
                .unwrap_or("application/json")
                .to_owned();
            Answer::Response {
                body: request.body,
                content_type,
            }
        };
        let too_large = matches!(answer, Answer::Error(_));
        match self.accept(id, echoed.as_deref(), answer) {
            Err(refusal) => refusal,
            Ok(()) if too_large => Response::json(413, answers::post_too_large()),
            Ok(()) => Response::json(202, answers::ACCEPTED),
        }
    }

    /// Takes a streamed response as the answer, then relays its chunks to the caller as
    /// they arrive, and its trailers' error at the end. A stream over the limit, or one
    /// whose caller went away, is refused midway and its connection closed: the
    /// function's next write fails.
    fn respond_streamed(&self, id: &str, request: &Request, peer: &mut http::Peer) -> Response {
        let (sender, pieces) = pieces::queue();
        let content_type = request
            .header("content-type")
            .unwrap_or("application/octet-stream")
            .to_owned();
        let answer = Answer::Stream {
            content_type,
            pieces,
        };
        if let Err(refusal) = self.accept(id, invocation_id(request).as_deref(), answer) {
            return refusal;
        }
        let answer = self.relay_stream(peer, &sender);
        self.stream_ended(id);
        answer
    }

    /// Reads a stream's chunks into `sender` until its end (or until it breaks off, goes
    /// past the limit, or its caller is gone); the answer to the function's post.
    fn relay_stream(&self, peer: &mut http::Peer, sender: &pieces::Sender) -> Response {
        let mut sent = 0;
        loop {
            let mut data = Vec::new();
            let (piece, answer) = match peer.next_chunk(STREAM_LIMIT - sent, &mut data) {
                Ok(http::Chunk::Data) => {
                    sent += data.len();
                    if sender.put(Piece::Data(data)).is_err() {
                        return Response::json(400, answers::caller_gone());
                    }
                    continue;
                }
                Ok(http::Chunk::End(trailers)) => {
                    let (mut error_type, mut body) = (None, String::new());
                    for (name, value) in trailers {
                        match name.as_str() {
                            "lambda-runtime-function-error-type" => error_type = Some(value),
                            "lambda-runtime-function-error-body" => body = value,
                            _ => {}
                        }
                    }
                    let error = error_type.map(|error_type| StreamError { error_type, body });
                    (Piece::End(error), Response::json(202, answers::ACCEPTED))
                }
                Ok(http::Chunk::TooLarge) => (
                    Piece::Cut("the stream went past the 200 MiB a stream may send"),
                    Response::json(413, answers::stream_too_large(STREAM_LIMIT)),
                ),
                Err(_) => (
                    Piece::Cut("the function's stream broke off before its end"),
                    Response::json(400, answers::stream_broken()),
                ),
            };
            let _ = sender.put(piece);
            return answer;
        }
    }

    fn error(&self, id: &str, request: Request) -> Response {
        let body = error_body(&request);
        self.accept(id, invocation_id(&request).as_deref(), Answer::Error(body))
            .map_or_else(
                |refusal| refusal,
                |()| Response::json(202, answers::ACCEPTED),
            )
    }

    /// Takes the answer for `id` if the function holds that invocation and has not
    /// answered it: an unknown id is `400`, as on Lambda; a post whose
    /// `Lambda-Runtime-Invocation-Id` is not the invocation's, or for an invocation
    /// whose caller was already told it timed out, is stale: `410`.
    fn accept(&self, id: &str, echoed: Option<&str>, answer: Answer) -> Result<(), Response> {
        let mut state = self.lock();
        let Some(invocation) = state.invocations.get_mut(id) else {
            return Err(Response::json(400, answers::invalid_request_id()));
        };
        if echoed.is_some_and(|echoed| echoed != invocation.invocation_id) {
            return Err(Response::json(410, answers::stale_invocation()));
        }
        match invocation.stage {
            Stage::HandedOut => invocation.stage = Stage::Answered(answer),
            Stage::Abandoned => {
                state.invocations.remove(id);
                self.shared.1.notify_all();
                return Err(Response::json(410, answers::stale_invocation()));
            }
            Stage::Queued | Stage::Answered(_) | Stage::Streaming => {
                return Err(Response::json(400, answers::invalid_request_id()));
            }
        }
        self.shared.1.notify_all();
        Ok(())
    }

    /// Legal only before the first `/next`, as on Lambda.
    fn init_error(&self, request: Request) -> Response {
        let mut state = self.lock();
        if state.init_done.is_some() {
            return Response::json(403, answers::invalid_state());
        }
        state.init_error = Some(error_body(&request));
        self.shared.1.notify_all();
        Response::json(202, answers::ACCEPTED)
    }
}

/// The `Lambda-Runtime-Invocation-Id` a post echoes, if any.
fn invocation_id(request: &Request) -> Option<String> {
    request
        .header("lambda-runtime-invocation-id")
        .map(str::to_owned)
}

/// The posted error JSON; an empty or unreadable body is rebuilt from the error-type
/// header, as Lambda does.
fn error_body(request: &Request) -> Vec<u8> {
    // `Value` rather than `IgnoredAny`: the runtime links the `Value` parser already.
    if serde_json::from_slice::<serde_json::Value>(&request.body).is_ok() {
        return request.body.clone();
    }
    let error_type = request
        .header("lambda-runtime-function-error-type")
        .unwrap_or("Runtime.Unknown");
    error_json(error_type, "the function's error report could not be read")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    /// Sends one request on a new connection; the status and the named header.
    fn call(address: std::net::SocketAddr, head: &str, header: &str) -> (u16, Option<String>) {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "closed early");
            answer.extend_from_slice(&buffer[..read]);
        }
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text[9..12].parse().unwrap();
        let value = text.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case(header)
                .then(|| value.trim().to_owned())
        });
        (status, value)
    }

    fn post(address: std::net::SocketAddr, id: &str, invocation_id: Option<&str>) -> u16 {
        let echo = invocation_id
            .map(|id| format!("Lambda-Runtime-Invocation-Id: {id}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST /s/2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: x\r\n{echo}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        );
        call(address, &head, "").0
    }

    #[test]
    fn a_post_is_400_for_an_unknown_id_and_410_for_another_invocation_or_a_late_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let sandbox = Sandbox::start(listener, "s", Duration::from_secs(30), 1).unwrap();
        let event = |id: &str| Event {
            request_id: id.to_owned(),
            invocation_id: format!("inv-{id}"),
            headers: Vec::new(),
            body: b"{}".to_vec(),
        };
        let next = "GET /s/2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

        let generation = sandbox.reset();
        assert!(sandbox.admit(event("a"), Some(1)).is_ok());
        assert!(
            sandbox.admit(event("b"), Some(1)).is_err(),
            "over the concurrency"
        );
        assert_eq!(
            call(address, next, "lambda-runtime-invocation-id"),
            (200, Some("inv-a".to_owned()))
        );
        assert_eq!(post(address, "z", Some("inv-a")), 400, "unknown request id");
        assert_eq!(post(address, "a", Some("inv-b")), 410, "another invocation");
        assert_eq!(post(address, "a", Some("inv-a")), 202);
        assert_eq!(post(address, "a", Some("inv-a")), 400, "answered already");
        assert!(matches!(
            sandbox.wait("a", generation, Duration::ZERO),
            Some(Ok(Answer::Response { .. }))
        ));

        // A caller that stopped waiting: the late answer is stale, and frees the slot.
        assert!(sandbox.admit(event("c"), Some(1)).is_ok());
        assert_eq!(call(address, next, "").0, 200);
        assert!(!sandbox.all_abandoned());
        sandbox.abandon("c");
        assert!(sandbox.all_abandoned());
        assert!(
            sandbox.admit(event("d"), Some(1)).is_err(),
            "the function still holds c"
        );
        assert_eq!(post(address, "c", None), 410);
        assert!(sandbox.admit(event("d"), Some(1)).is_ok());

        // A new process: waits on the old one end, whatever the new one does.
        assert_ne!(sandbox.reset(), generation);
        assert!(sandbox.wait("d", generation, Duration::ZERO).is_none());
    }
}
