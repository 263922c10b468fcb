//! The floor for a runtime on ureq's protocol engine: the JSON floor's loop, but each
//! request written and each answer parsed by `ureq-proto` (the sans-I/O HTTP/1.1 state
//! machine under ureq's `Agent`) on one `TcpStream` kept open, with no pool and no
//! configuration per request. The gap between this and the JSON floor is what the
//! protocol engine costs; the gap to the ureq floor, what the `Agent` adds.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::http::{Request, Response};

/// Bytes read from the stream and not yet consumed by the state machine.
struct Input {
    buffer: Vec<u8>,
    start: usize,
    end: usize,
}

impl Input {
    fn unread(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }

    fn consume(&mut self, amount: usize) {
        self.start += amount;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
    }

    /// Reads more from the stream, moving what is unread to the front first.
    fn fill(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        if self.end == self.buffer.len() {
            return Err(io::Error::other("a head larger than the input buffer"));
        }
        match stream.read(&mut self.buffer[self.end..])? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            read => {
                self.end += read;
                Ok(())
            }
        }
    }
}

struct Connection {
    stream: TcpStream,
    input: Input,
    output: Vec<u8>,
}

impl Connection {
    /// One request and its answer: `body` sent, the answer's body read into `answer`.
    fn exchange(
        &mut self,
        request: Request<()>,
        body: &[u8],
        answer: &mut Vec<u8>,
    ) -> io::Result<Response<()>> {
        let mut call = Call::new(request).map_err(io::Error::other)?.proceed();
        let written = call.write(&mut self.output).map_err(io::Error::other)?;
        self.stream.write_all(&self.output[..written])?;
        let mut call = match call.proceed().map_err(io::Error::other)? {
            Some(SendRequestResult::RecvResponse(call)) => call,
            Some(SendRequestResult::SendBody(mut call)) => {
                // Content-Length is set: the body goes straight from its buffer.
                self.stream.write_all(body)?;
                call.consume_direct_write(body.len())
                    .map_err(io::Error::other)?;
                call.proceed()
                    .ok_or_else(|| io::Error::other("the body was not sent whole"))?
            }
            _ => return Err(io::Error::other("expect: 100-continue is never sent")),
        };
        let response = loop {
            let (used, response) = call
                .try_response(self.input.unread(), false)
                .map_err(io::Error::other)?;
            self.input.consume(used);
            match response {
                Some(response) => break response,
                None => self.input.fill(&mut self.stream)?,
            }
        };
        answer.clear();
        let mut call = match call.proceed() {
            Some(RecvResponseResult::RecvBody(call)) => call,
            Some(RecvResponseResult::Cleanup(_)) => return Ok(response),
            _ => return Err(io::Error::other("a redirect")),
        };
        let mut chunk = [0_u8; 16 * 1024];
        while !call.can_proceed() {
            let (used, produced) = call
                .read(self.input.unread(), &mut chunk)
                .map_err(io::Error::other)?;
            self.input.consume(used);
            answer.extend_from_slice(&chunk[..produced]);
            if used == 0 && produced == 0 {
                self.input.fill(&mut self.stream)?;
            }
        }
        match call.proceed() {
            Some(RecvBodyResult::Cleanup(cleanup)) if !cleanup.must_close_connection() => {
                Ok(response)
            }
            _ => Err(io::Error::other("the connection cannot be kept")),
        }
    }
}

fn main() -> io::Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(io::Error::other)?;
    let base = format!("http://{api}/2018-06-01/runtime/invocation");
    let next = format!("{base}/next");
    let stream = TcpStream::connect(&api)?;
    stream.set_nodelay(true)?;
    let mut connection = Connection {
        stream,
        input: Input {
            buffer: vec![0; 16 * 1024],
            start: 0,
            end: 0,
        },
        output: vec![0; 8 * 1024],
    };
    let (mut event, mut encoded, mut ignored) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let request = Request::get(&next).body(()).map_err(io::Error::other)?;
        let response = connection.exchange(request, &[], &mut event)?;
        let id = response
            .headers()
            .get("lambda-runtime-aws-request-id")
            .and_then(|id| id.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let value: serde_json::Value = serde_json::from_slice(&event).map_err(io::Error::other)?;
        encoded.clear();
        serde_json::to_writer(&mut encoded, &value).map_err(io::Error::other)?;
        let request = Request::post(format!("{base}/{id}/response"))
            .header("content-type", "application/json")
            .header("content-length", encoded.len())
            .body(())
            .map_err(io::Error::other)?;
        connection.exchange(request, &encoded, &mut ignored)?;
    }
}
