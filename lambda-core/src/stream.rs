//! Response streaming: [`ResponseStream`], where a `#[lambda(stream)]` handler writes its
//! response, sent to the Runtime API in chunks as it fills; and, for every other handler,
//! the buffer its response is encoded into.
//!
//! The bytes go out through a [`Sink`] (on Lambda `streamed_post::StreamedPost`), which
//! begins the post with the first chunk: an error raised before any chunk is sent is an
//! ordinary `/error` post, and one raised after is sent as HTTP trailers at the end of
//! the stream (see [`ResponseStream::finish`]).

use crate::Diagnostic;
use crate::invoke::Outcome;
use std::io::{self, Write};

/// How many bytes are gathered before they go out as one chunk, unless the handler
/// flushes sooner: few system calls for a large stream, and memory that stays constant
/// however long it is.
const CHUNK: usize = 64 * 1024;

/// The content type of a stream whose handler names none, as AWS's Node.js runtime sends.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The content type of a stream that begins with an HTTP status and headers (see
/// [`ResponseStream::send_head`]).
#[cfg(feature = "http")]
const HTTP_CONTENT_TYPE: &str = "application/vnd.awslambda.http-integration-response";

/// Where a streamed response goes: the runtime's post to the Runtime API.
pub(crate) trait Sink {
    /// Sends `bytes` (never empty) as one chunk, beginning the post with `content_type`
    /// if this is the first.
    fn send(&mut self, content_type: &str, bytes: &[u8]) -> io::Result<()>;

    /// Ends the stream (beginning the post first if nothing was sent: an empty stream),
    /// with `error` in trailers if the handler failed after the first chunk.
    fn end(&mut self, content_type: &str, error: Option<&Diagnostic>) -> Result<u16, String>;
}

/// The response of a `#[lambda(stream)]` handler, written as it is computed.
///
/// It is an [`io::Write`]: what is written is gathered, and sent to the caller as one
/// chunk when 64 KiB have gathered or when the handler calls [`flush`](Write::flush). So
/// `writeln!(out, ...)` followed by `out.flush()` sends a line at once; what is left
/// when the handler returns is sent then. A stream is not limited to the 6 MB of a
/// buffered response: Lambda takes up to 200 MB.
///
/// ```no_run
/// # #![allow(dead_code)] // rustdoc wraps this in a `main` of its own
/// use lambda_core::{lambda, ResponseStream};
/// use std::io::Write;
///
/// #[lambda(stream)]
/// fn handler(count: u32, out: &mut ResponseStream) -> std::io::Result<()> {
///     out.set_content_type("text/plain")?;
///     for n in 1..=count {
///         writeln!(out, "line {n}")?;
///         out.flush()?;
///     }
///     Ok(())
/// }
/// ```
///
/// If the handler returns an error (or panics) before anything was sent, the invocation
/// is an ordinary error. After the first chunk the caller has the status and part of the
/// body already: the error is sent in the stream's trailers
/// (`Lambda-Runtime-Function-Error-Type`, and `Lambda-Runtime-Function-Error-Body` with
/// the error report in base64), and what was written before it is sent first.
///
/// A write fails once the stream cannot go on (the caller went away, or the service
/// refused more): the error says why, the runtime logs one line when the handler
/// returns, and serves the next invocation.
pub struct ResponseStream<'a> {
    /// A buffered handler's whole response; a streaming handler's bytes not yet sent.
    buffer: &'a mut Vec<u8>,
    sink: &'a mut dyn Sink,
    /// Set by the code `#[lambda(stream)]` generates, before the handler runs.
    streaming: bool,
    content_type: String,
    /// Whether anything was written: the content type and head can no longer change.
    written: bool,
    /// Whether a chunk has gone out: an error is then reported in trailers.
    sent: bool,
    /// The length of the HTTP prelude at the start of the buffer, not yet sent: it goes
    /// out as a chunk of its own, then its eight NUL bytes as another, as AWS's Node.js
    /// runtime sends them (cargo-lambda reads them so).
    prelude: usize,
    /// Why the stream cannot go on, once a chunk could not be sent.
    broken: Option<io::Error>,
}

/// How a streamed invocation ended, for the runtime to answer or log.
pub(crate) enum Finished {
    /// Not a stream, or a stream that failed before sending anything: post the outcome
    /// as a buffered handler's.
    Buffered(Outcome),
    /// The stream was sent whole, ending with the error's trailers if there is one; the
    /// Runtime API answered with this status.
    Streamed(u16, Option<Diagnostic>),
    /// The stream could not be sent whole: why, and the handler's error, if it returned
    /// one (often the failed write itself).
    Broken(String, Option<Diagnostic>),
}

impl<'a> ResponseStream<'a> {
    /// A response for one invocation, its bytes kept in `buffer` (cleared first).
    pub(crate) fn new(buffer: &'a mut Vec<u8>, sink: &'a mut dyn Sink) -> ResponseStream<'a> {
        buffer.clear();
        ResponseStream {
            buffer,
            sink,
            streaming: false,
            content_type: String::new(),
            written: false,
            sent: false,
            prelude: 0,
            broken: None,
        }
    }

    /// Sets the stream's `Content-Type` (`application/octet-stream` if never set).
    /// Only before the first write; a value with a control character is refused.
    pub fn set_content_type(&mut self, content_type: &str) -> io::Result<()> {
        self.before_first_write("the content type")?;
        if content_type.bytes().any(|b| b.is_ascii_control()) || content_type.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a content type cannot be empty or hold a control character",
            ));
        }
        content_type.clone_into(&mut self.content_type);
        Ok(())
    }

    /// Sends the status and headers of an HTTP response ahead of its body, for a function
    /// URL or an API Gateway REST API that streams (`#[lambda(http, stream)]`). Only
    /// before the first write; without it the caller gets status 200 and the stream as
    /// the body.
    ///
    /// ```no_run
    /// # #![allow(dead_code)] // rustdoc wraps this in a `main` of its own
    /// use lambda_core::http::{Request, Response};
    /// use lambda_core::{lambda, ResponseStream};
    /// use std::io::Write;
    ///
    /// #[lambda(http, stream)]
    /// fn handler(_request: Request<()>, out: &mut ResponseStream) -> std::io::Result<()> {
    ///     out.send_head(Response::builder().header("content-type", "text/plain"))?;
    ///     out.write_all(b"hello\n")
    /// }
    /// ```
    ///
    /// Set-Cookie headers go in the head's `cookies`, as function URLs expect. A head
    /// the builder could not build is an `InvalidInput` error.
    #[cfg(feature = "http")]
    pub fn send_head(&mut self, head: ::http::response::Builder) -> io::Result<()> {
        self.before_first_write("the HTTP head")?;
        let invalid = |detail: String| io::Error::new(io::ErrorKind::InvalidInput, detail);
        let (parts, ()) = head
            .body(())
            .map_err(|error| invalid(format!("the HTTP head cannot be built: {error}")))?
            .into_parts();
        self.prelude = crate::http::write_stream_head(&parts, self.buffer).map_err(invalid)?;
        HTTP_CONTENT_TYPE.clone_into(&mut self.content_type);
        self.written = true;
        Ok(())
    }

    fn before_first_write(&self, what: &str) -> io::Result<()> {
        match self.written {
            false => Ok(()),
            true => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what} must be set before the first write"),
            )),
        }
    }

    /// Why the stream cannot go on, once a chunk could not be sent.
    fn check_unbroken(&self) -> io::Result<()> {
        match &self.broken {
            None => Ok(()),
            Some(broken) => Err(io::Error::new(broken.kind(), broken.to_string())),
        }
    }

    /// Sends `bytes` as a chunk, or says why the stream cannot go on.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.check_unbroken()?;
        self.sent = true;
        let content_type = or_default(&self.content_type);
        self.sink.send(content_type, bytes).inspect_err(|error| {
            self.broken = Some(io::Error::new(error.kind(), error.to_string()));
        })
    }

    /// Sends what is gathered, if anything.
    fn send_gathered(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let gathered = std::mem::take(self.buffer);
        let (prelude, rest) = gathered.split_at(self.prelude.min(gathered.len()));
        let (nuls, data) = rest.split_at(if prelude.is_empty() { 0 } else { 8 });
        self.prelude = 0;
        let sent = [prelude, nuls, data]
            .into_iter()
            .filter(|piece| !piece.is_empty())
            .try_for_each(|piece| self.send(piece));
        *self.buffer = gathered;
        self.buffer.clear();
        sent
    }

    /// Ends the invocation's response: sends what is left of a stream and its end, with
    /// the error in trailers if the handler failed after the first chunk.
    pub(crate) fn finish(mut self, outcome: Outcome) -> Finished {
        if !self.streaming {
            return Finished::Buffered(outcome);
        }
        let error = match outcome {
            Outcome::Error(report) if !self.sent => {
                return Finished::Buffered(Outcome::Error(report));
            }
            Outcome::Error(report) => Some(report),
            Outcome::Response => None,
        };
        if let Err(broken) = self.check_unbroken().and_then(|()| self.send_gathered()) {
            return Finished::Broken(broken.to_string(), error);
        }
        match self
            .sink
            .end(or_default(&self.content_type), error.as_ref())
        {
            Ok(status) => Finished::Streamed(status, error),
            Err(detail) => Finished::Broken(detail, error),
        }
    }

    /// Whether this is a streaming handler's response.
    pub(crate) fn is_streaming(&self) -> bool {
        self.streaming
    }

    /// The buffered response so far.
    pub(crate) fn buffered(&self) -> &[u8] {
        self.buffer
    }
}

impl Write for ResponseStream<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.check_unbroken()?;
        self.written = true;
        if self.buffer.len() + bytes.len() < CHUNK {
            self.buffer.extend_from_slice(bytes);
            return Ok(bytes.len());
        }
        // A chunk's worth: what is gathered first, then a large write in pieces of its
        // own (each within the connection's time for one write).
        self.send_gathered()?;
        for piece in bytes.chunks(CHUNK) {
            match piece.len() {
                CHUNK => self.send(piece)?,
                _ => self.buffer.extend_from_slice(piece),
            }
        }
        Ok(bytes.len())
    }

    /// Sends what was written so far as one chunk.
    fn flush(&mut self) -> io::Result<()> {
        self.check_unbroken()?;
        self.send_gathered()
    }
}

/// The content type the handler named, or the default: kept empty until named, so that
/// a buffered handler's response allocates none.
fn or_default(content_type: &str) -> &str {
    match content_type {
        "" => DEFAULT_CONTENT_TYPE,
        named => named,
    }
}

/// The buffer a buffered handler's response is encoded into (`__private`).
pub fn buffer<'r>(response: &'r mut ResponseStream<'_>) -> &'r mut Vec<u8> {
    response.buffer
}

/// Marks `response` as a streaming handler's, which it is then handed (`__private`).
pub fn streaming<'r, 'a>(response: &'r mut ResponseStream<'a>) -> &'r mut ResponseStream<'a> {
    response.streaming = true;
    response
}

/// What a streaming handler may return besides `Result<(), E>`: `()`.
#[diagnostic::on_unimplemented(
    message = "a `#[lambda(stream)]` handler returns `()` or `Result<(), E>`, not `{Self}`",
    label = "the response is written to the stream, not returned",
    note = "write it with `out.write_all(...)` or `writeln!(out, ...)`"
)]
pub trait StreamReturn {}

impl StreamReturn for () {}

/// The outcome of a streaming handler that returned (`__private`).
pub fn streamed<R: StreamReturn>(_: R) -> Outcome {
    Outcome::Response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that records what it was given.
    #[derive(Default)]
    struct Recorder {
        chunks: Vec<Vec<u8>>,
        content_type: String,
        ended: Option<Option<String>>,
        fail_after: Option<usize>,
    }

    impl Sink for Recorder {
        fn send(&mut self, content_type: &str, bytes: &[u8]) -> io::Result<()> {
            if self.fail_after == Some(self.chunks.len()) {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"));
            }
            content_type.clone_into(&mut self.content_type);
            self.chunks.push(bytes.to_vec());
            Ok(())
        }

        fn end(&mut self, content_type: &str, error: Option<&Diagnostic>) -> Result<u16, String> {
            content_type.clone_into(&mut self.content_type);
            self.ended = Some(error.map(|e| e.error_type.clone()));
            Ok(202)
        }
    }

    fn stream(
        sink: &mut Recorder,
        write: impl FnOnce(&mut ResponseStream) -> io::Result<()>,
    ) -> Finished {
        let mut buffer = Vec::new();
        let mut out = ResponseStream::new(&mut buffer, sink);
        streaming(&mut out);
        let outcome = match write(&mut out) {
            Ok(()) => Outcome::Response,
            Err(error) => Outcome::Error(Diagnostic::new("Function.Failed", error.to_string())),
        };
        out.finish(outcome)
    }

    #[test]
    fn writes_gather_into_chunks_sent_on_flush_and_at_the_end() {
        let mut sink = Recorder::default();
        let finished = stream(&mut sink, |out| {
            out.write_all(b"a")?;
            out.write_all(b"b")?;
            out.flush()?;
            out.flush()?;
            out.write_all(b"c")
        });
        assert!(matches!(finished, Finished::Streamed(202, None)));
        assert_eq!(sink.chunks, [b"ab".to_vec(), b"c".to_vec()]);
        assert_eq!(sink.content_type, DEFAULT_CONTENT_TYPE);
        assert_eq!(sink.ended, Some(None));
    }

    #[test]
    fn a_large_write_goes_out_in_chunks_and_memory_stays_bounded() {
        let mut sink = Recorder::default();
        let finished = stream(&mut sink, |out| out.write_all(&vec![7; 3 * CHUNK + 5]));
        assert!(matches!(finished, Finished::Streamed(202, None)));
        assert_eq!(sink.ended, Some(None));
        let sizes: Vec<usize> = sink.chunks.iter().map(Vec::len).collect();
        assert_eq!(sizes, [CHUNK, CHUNK, CHUNK, 5]);
    }

    #[test]
    fn an_error_before_the_first_chunk_is_an_ordinary_error() {
        let mut sink = Recorder::default();
        let finished = stream(&mut sink, |out| {
            out.write_all(b"not sent")?;
            Err(io::Error::other("no"))
        });
        assert!(matches!(finished, Finished::Buffered(Outcome::Error(_))));
        assert!(sink.chunks.is_empty() && sink.ended.is_none());
    }

    #[test]
    fn an_error_after_the_first_chunk_ends_the_stream_with_it() {
        let mut sink = Recorder::default();
        let finished = stream(&mut sink, |out| {
            out.write_all(b"sent")?;
            out.flush()?;
            out.write_all(b"then")?;
            Err(io::Error::other("no"))
        });
        assert!(matches!(finished, Finished::Streamed(202, Some(_))));
        assert_eq!(sink.chunks, [b"sent".to_vec(), b"then".to_vec()]);
        assert_eq!(sink.ended, Some(Some("Function.Failed".to_owned())));
    }

    #[test]
    fn a_broken_stream_fails_every_later_write_and_is_not_ended() {
        let mut sink = Recorder {
            fail_after: Some(1),
            ..Recorder::default()
        };
        let mut second = None;
        let finished = stream(&mut sink, |out| {
            out.write_all(b"one")?;
            out.flush()?;
            out.write_all(b"two")?;
            second = Some(out.flush().unwrap_err().kind());
            // A small write, which would only gather, fails too, as does a flush.
            let third = out.write_all(b"x").unwrap_err();
            assert_eq!(third.kind(), io::ErrorKind::BrokenPipe);
            assert!(out.flush().is_err());
            Ok(())
        });
        assert_eq!(second, Some(io::ErrorKind::BrokenPipe));
        assert!(matches!(finished, Finished::Broken(detail, None) if detail == "gone"));
        assert_eq!(sink.chunks.len(), 1);
        assert!(sink.ended.is_none());
    }

    #[test]
    fn the_content_type_is_set_before_the_first_write_only() {
        let mut sink = Recorder::default();
        stream(&mut sink, |out| {
            assert!(out.set_content_type("text\nplain").is_err());
            out.set_content_type("text/plain")?;
            out.write_all(b"x")?;
            let late = out.set_content_type("text/html").unwrap_err();
            assert!(
                late.to_string().contains("before the first write"),
                "{late}"
            );
            Ok(())
        });
        assert_eq!(sink.content_type, "text/plain");
    }

    #[test]
    fn a_buffered_handler_is_not_streamed() {
        let mut sink = Recorder::default();
        let mut buffer = Vec::new();
        let mut out = ResponseStream::new(&mut buffer, &mut sink);
        buffer_of(&mut out).extend_from_slice(b"{}");
        assert_eq!(out.buffered(), b"{}");
        assert!(matches!(
            out.finish(Outcome::Response),
            Finished::Buffered(Outcome::Response)
        ));
        assert!(sink.chunks.is_empty() && sink.ended.is_none());
    }

    fn buffer_of<'r>(out: &'r mut ResponseStream<'_>) -> &'r mut Vec<u8> {
        buffer(out)
    }
}
