//! A streamed `/response`, written on the client's connection by hand: ureq-proto sends
//! no request trailers, and the error of a stream that fails midway goes in trailers.
//!
//! It goes on the connection if an exchange ended on it within the last second (the poll
//! that brought the event, for a handler that streams at once: its window already open),
//! else on a new one: a stream cannot be sent again once its first chunk is gone. Each
//! write may wait for the reader until the invocation's deadline: a slow caller slows
//! the stream down, and does not end it. The connection is closed after the stream, as
//! the Runtime API asks, and after any failure.

use crate::Diagnostic;
use crate::client::{Client, POST_PHASE_TIMEOUT, USER_AGENT};
use crate::connection::Failure;
use crate::stream::Sink;
use std::fmt::Write as _;
use std::io::{self, IoSlice};
use std::time::{Duration, Instant, SystemTime};

/// The [`Sink`] of a streaming handler on Lambda: it begins the post with the first
/// chunk, and closes the connection at its end.
pub(crate) struct StreamedPost<'c> {
    client: &'c mut Client,
    request_id: &'c str,
    invocation_id: Option<&'c str>,
    deadline: Option<SystemTime>,
    /// When its writes, and the wait for the answer, give up: set when it begins.
    until: Option<Instant>,
}

impl<'c> StreamedPost<'c> {
    /// The streamed answer to `request_id` on `client`'s connection. Its writes may wait
    /// for the reader until `deadline`, at most Lambda's longest invocation (90 minutes,
    /// on Managed Instances), and that long when the deadline is unknown; the wait is
    /// measured when the stream begins, so that a buffered handler pays no clock read.
    pub(crate) fn new(
        client: &'c mut Client,
        request_id: &'c str,
        invocation_id: Option<&'c str>,
        deadline: Option<SystemTime>,
    ) -> StreamedPost<'c> {
        StreamedPost {
            client,
            request_id,
            invocation_id,
            deadline,
            until: None,
        }
    }

    /// Writes the head, once: the stream has begun when `until` is set.
    fn begin(&mut self, content_type: &str) -> Result<Instant, Failure> {
        const LONGEST_INVOCATION: Duration = Duration::from_secs(90 * 60);
        if let Some(until) = self.until {
            return Ok(until);
        }
        // Bounded, as the deadline comes from the network: no `Instant` overflow.
        let wait = self
            .deadline
            .map_or(LONGEST_INVOCATION, |deadline| {
                deadline
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO)
            })
            .clamp(POST_PHASE_TIMEOUT, LONGEST_INVOCATION);
        let until = Instant::now() + wait;
        self.until = Some(until);
        let mut head = format!(
            "POST {}{}/response HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nContent-Type: {content_type}\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n",
            self.client.invocation_target, self.request_id, self.client.host
        );
        if let Some(invocation_id) = self.invocation_id {
            let _ = write!(head, "Lambda-Runtime-Invocation-Id: {invocation_id}\r\n");
        }
        head.push_str("\r\n");
        let connection = &mut self.client.connection;
        connection.open_fresh(Duration::from_secs(1))?;
        connection.write_raw(&mut [IoSlice::new(head.as_bytes())], until)?;
        Ok(until)
    }
}

impl Sink for StreamedPost<'_> {
    fn send(&mut self, content_type: &str, bytes: &[u8]) -> io::Result<()> {
        let until = self.begin(content_type).map_err(broken_pipe)?;
        let size = format!("{:x}\r\n", bytes.len());
        let mut chunk = [size.as_bytes(), bytes, b"\r\n"].map(IoSlice::new);
        let sent = self.client.connection.write_raw(&mut chunk, until);
        sent.map_err(broken_pipe)
    }

    fn end(&mut self, content_type: &str, error: Option<&Diagnostic>) -> Result<u16, String> {
        let until = self.begin(content_type).map_err(Failure::detail)?;
        let trailers = match error {
            None => String::new(),
            Some(report) => format!(
                "Lambda-Runtime-Function-Error-Type: {}\r\nLambda-Runtime-Function-Error-Body: {}\r\n",
                report.header_value(),
                crate::base64::encode(&trailer_report(report))
            ),
        };
        let mut last = [b"0\r\n", trailers.as_bytes(), b"\r\n"].map(IoSlice::new);
        let sent = self.client.connection.write_raw(&mut last, until);
        let ended = sent.and_then(|()| self.client.connection.read_status(until));
        self.client.connection.close();
        ended.map_err(Failure::detail)
    }
}

/// The report's JSON for a trailer: whole when it is at most 8 KiB, else its type and the
/// start of its message. A trailer is a header line, and servers bound those (the
/// emulator, as Lambda's, at 64 KiB for all of them).
fn trailer_report(report: &Diagnostic) -> Vec<u8> {
    const MOST: usize = 8 * 1024;
    let json = report.to_json();
    if json.len() <= MOST {
        return json;
    }
    let message = &report.error_message;
    let mut cut = message.len().min(MOST / 2);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    let ellipsis = if cut < message.len() { "…" } else { "" };
    Diagnostic::new(
        report.error_type.clone(),
        format!("{}{ellipsis}", &message[..cut]),
    )
    .to_json()
}

/// A failure of a streamed post as the error the handler's write returns.
fn broken_pipe(failure: Failure) -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, failure.detail())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_report_is_cut_to_fit_a_trailer() {
        let small = Diagnostic::new("Function.Small", "short");
        assert_eq!(trailer_report(&small), small.to_json());
        let large = Diagnostic::new("Function.Large", "é".repeat(50_000))
            .with_stack_trace(vec!["frame".repeat(1000); 10]);
        let json = trailer_report(&large);
        assert!(json.len() <= 8 * 1024, "{}", json.len());
        let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(report["errorType"], "Function.Large");
        assert!(report["errorMessage"].as_str().unwrap().ends_with("é…"));
    }
}
