//! Events from standard input, answers on standard output, each through the supervisor:
//! the same function process and Runtime API as the Invoke endpoint uses.

use super::Supervisor;
use super::answers::error_json;
use super::pieces::StreamError;
use super::supervisor::{Invoke, Refused, Relay};
use crate::config::Config;
use crate::log;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

/// Reads JSON events from standard input (one per line, or any whitespace-separated
/// sequence, such as one pretty-printed document), invokes the function with each, and
/// prints each response or error report as one line. Fails if any invocation failed.
#[allow(unsafe_code)]
pub(crate) fn run(config: &Config) -> ExitCode {
    // SAFETY: called from the generated `main` before anything starts a thread.
    let supervisor = match unsafe { Supervisor::start(config) } {
        Ok(supervisor) => supervisor,
        Err(error) => {
            crate::log_at(
                crate::logging::Level::Fatal,
                format_args!("cannot start the emulator: {error}"),
            );
            return ExitCode::FAILURE;
        }
    };
    let stdin = io::stdin();
    let mut events = EventReader::new(stdin.lock());
    let (mut count, mut failed) = (0_usize, 0_usize);
    loop {
        let event = match events.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(error) => {
                crate::log_at(
                    crate::logging::Level::Fatal,
                    format_args!("could not read standard input: {error}"),
                );
                return ExitCode::FAILURE;
            }
        };
        count += 1;
        let invoke = Invoke {
            payload: event,
            client_context: None,
            tenant_id: None,
        };
        // One at a time, so only abandoned invocations (timed out in Managed Instances
        // mode, still running) can fill the concurrency.
        let (body, function_error) = match supervisor.invoke(invoke, || false, &mut PrintStream) {
            // The stream is printed already, and its line ended.
            Ok(reply) if reply.streamed => {
                failed += usize::from(reply.function_error);
                continue;
            }
            Ok(reply) => (reply.body, reply.function_error),
            Err(Refused::CallerGone) => continue,
            Err(Refused::Throttled { concurrency }) => (
                error_json(
                    "TooManyRequestsException",
                    &format!(
                        "all {concurrency} of AWS_LAMBDA_MAX_CONCURRENCY are held by invocations that timed out"
                    ),
                ),
                true,
            ),
        };
        failed += usize::from(function_error);
        if let Err(error) = print_line(&body) {
            crate::log_at(
                crate::logging::Level::Fatal,
                format_args!("could not write to standard output: {error}"),
            );
            return ExitCode::FAILURE;
        }
    }
    if count == 0 {
        crate::log_at(crate::logging::Level::Fatal, format_args!("{NO_EVENT}"));
        return ExitCode::FAILURE;
    }
    if failed > 0 {
        log(format_args!("{failed} of {count} invocations failed"));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Standard input held no event: nothing was invoked, which is not a success (a script
/// that pipes an empty file should hear of it).
pub(crate) const NO_EVENT: &str = "no event was read from standard input; pipe JSON events into it, one per line (echo '{\"name\":\"world\"}' | ./bootstrap), or run it with --serve for the Invoke endpoint";

/// A streamed response on standard output: its chunks as they come, then the end of
/// its line, and the error report on a line of its own if it ended with one.
struct PrintStream;

impl Relay for PrintStream {
    fn begin(&mut self, _: &str, _: &str, _: std::time::Instant) -> io::Result<()> {
        Ok(())
    }

    fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(data)?;
        out.flush()
    }

    fn end(&mut self, error: Option<&StreamError>) -> io::Result<()> {
        print_line(b"")?;
        match error {
            None => Ok(()),
            // On one line whatever the function sent: JSON made compact, else a report
            // of our own.
            Some(error) => {
                let report = crate::base64::decode(&error.body)
                    .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
                    .and_then(|json| serde_json::to_vec(&json).ok())
                    .unwrap_or_else(|| {
                        error_json(&error.error_type, "the error report is not base64 JSON")
                    });
                print_line(&report)
            }
        }
    }
}

fn print_line(line: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(line)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Splits a byte stream into JSON documents as soon as each is complete, so that an
/// event typed at a terminal is answered when its line ends.
///
/// A small scanner follows brackets and strings over each byte once, to see where a
/// document ends; the document is then parsed once. While one is unfinished it is also
/// parsed when a line ends and it has doubled in length since the last try, so that a
/// malformed line is answered at once without re-parsing a long document after every
/// line (a pretty-printed document of 40 000 lines once cost a parse per line).
///
/// A malformed document is handed on as it stands, so that decoding reports it as a bad
/// event: up to its closing bracket when its brackets balance, else to the end of the
/// line where it went wrong; reading resumes after it.
pub(crate) struct EventReader<R> {
    input: R,
    /// Bytes read but not yet handed out.
    pending: Vec<u8>,
    at_end: bool,
    scan: Scan,
    /// How long the unfinished document was when it was last parsed.
    tried: usize,
    /// How many bytes were parsed in all, to show the work stays linear.
    #[cfg(test)]
    parsed: usize,
}

/// Where the scanner is in `pending`: the document starts at `start`, bytes before `at`
/// have been looked at.
#[derive(Default)]
struct Scan {
    start: Option<usize>,
    at: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl<R: BufRead> EventReader<R> {
    pub(crate) fn new(input: R) -> EventReader<R> {
        EventReader {
            input,
            pending: Vec::new(),
            at_end: false,
            scan: Scan::default(),
            tried: 0,
            #[cfg(test)]
            parsed: 0,
        }
    }

    /// The next document, or `None` at the end of the input.
    pub(crate) fn next_event(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = self.scan_to_end() {
                let start = self.scan.start.unwrap_or(end);
                return Ok(Some(self.hand_out(start, end)));
            }
            let Some(start) = self.scan.start else {
                // Only white space so far.
                self.pending.clear();
                self.scan = Scan::default();
                if self.at_end {
                    return Ok(None);
                }
                self.read_line()?;
                continue;
            };
            if self.at_end {
                // Unfinished at the end of the input: hand on what there is.
                return Ok(Some(self.hand_out_as_is(start, self.pending.len())));
            }
            let length = self.pending.len() - start;
            if self.pending.ends_with(b"\n") && length >= 2 * self.tried.max(1) {
                self.tried = length;
                if let Some(end) = self.broken_line_end(start) {
                    return Ok(Some(self.hand_out_as_is(start, end)));
                }
            }
            self.read_line()?;
        }
    }

    /// Scans the new bytes; `Some(end)` once the current document is complete.
    fn scan_to_end(&mut self) -> Option<usize> {
        let scan = &mut self.scan;
        while scan.at < self.pending.len() {
            let byte = self.pending[scan.at];
            scan.at += 1;
            let Some(_) = scan.start else {
                if !is_json_space(byte) {
                    scan.start = Some(scan.at - 1);
                    match byte {
                        b'{' | b'[' => scan.depth = 1,
                        b'"' => scan.in_string = true,
                        // A stray closing bracket: a document of one byte, which fails.
                        b'}' | b']' => return Some(scan.at),
                        _ => {}
                    }
                }
                continue;
            };
            if scan.in_string {
                match (scan.escaped, byte) {
                    (true, _) => scan.escaped = false,
                    (false, b'\\') => scan.escaped = true,
                    (false, b'"') => {
                        scan.in_string = false;
                        if scan.depth == 0 {
                            return Some(scan.at);
                        }
                    }
                    _ => {}
                }
            } else if scan.depth == 0 {
                // A number or literal ends before the first byte that cannot continue it.
                if is_json_space(byte) || b"{}[],:\"".contains(&byte) {
                    scan.at -= 1;
                    return Some(scan.at);
                }
            } else {
                match byte {
                    b'"' => scan.in_string = true,
                    b'{' | b'[' => scan.depth += 1,
                    b'}' | b']' => {
                        scan.depth -= 1;
                        if scan.depth == 0 {
                            return Some(scan.at);
                        }
                    }
                    _ => {}
                }
            }
        }
        // A number or literal ends with the input too.
        let scalar = self.scan.start.is_some() && self.scan.depth == 0 && !self.scan.in_string;
        (scalar && self.at_end).then_some(self.pending.len())
    }

    /// Hands out `pending[start..end]` if it parses, else up to the end of the line where
    /// it went wrong; forgets what it hands out.
    fn hand_out(&mut self, start: usize, end: usize) -> Vec<u8> {
        match self.parse(start, end) {
            Ok(()) => self.hand_out_as_is(start, end),
            Err(error) => {
                let end = self.error_line_end(start, &error).max(end);
                self.hand_out_as_is(start, end)
            }
        }
    }

    fn hand_out_as_is(&mut self, start: usize, end: usize) -> Vec<u8> {
        let event = self.pending[start..end].to_vec();
        self.pending.drain(..end);
        self.scan = Scan::default();
        self.tried = 0;
        event
    }

    /// Where the line ends on which the unfinished document at `start` went wrong, if it
    /// has already gone wrong.
    fn broken_line_end(&mut self, start: usize) -> Option<usize> {
        let end = self.pending.len();
        match self.parse(start, end) {
            Err(error) if !error.is_eof() => Some(self.error_line_end(start, &error)),
            _ => None,
        }
    }

    fn parse(&mut self, start: usize, end: usize) -> Result<(), serde_json::Error> {
        #[cfg(test)]
        {
            self.parsed += end - start;
        }
        // `Value` rather than `IgnoredAny`: the runtime links the `Value` parser already.
        serde_json::from_slice::<serde_json::Value>(&self.pending[start..end]).map(drop)
    }

    /// The end of the line (after its newline) of the error's position.
    fn error_line_end(&self, start: usize, error: &serde_json::Error) -> usize {
        let document = &self.pending[start..];
        let line_start = document
            .split_inclusive(|&b| b == b'\n')
            .take(error.line().saturating_sub(1))
            .map(<[u8]>::len)
            .sum::<usize>();
        match document[line_start..].iter().position(|&b| b == b'\n') {
            Some(newline) => start + line_start + newline + 1,
            None => self.pending.len(),
        }
    }

    fn read_line(&mut self) -> io::Result<()> {
        if self.input.read_until(b'\n', &mut self.pending)? == 0 {
            self.at_end = true;
        }
        Ok(())
    }
}

/// JSON's white space (a form feed is not, unlike `u8::is_ascii_whitespace`).
fn is_json_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(input: &str) -> Vec<String> {
        let mut reader = EventReader::new(input.as_bytes());
        let mut events = Vec::new();
        for _ in 0..100 {
            match reader.next_event().unwrap() {
                Some(event) => events.push(String::from_utf8(event).unwrap()),
                None => return events,
            }
        }
        panic!("the reader did not reach the end");
    }

    #[test]
    fn one_document_per_line() {
        assert_eq!(
            events("{\"a\":1}\n\n[2]\n\"three\"\n"),
            [r#"{"a":1}"#, "[2]", r#""three""#]
        );
    }

    #[test]
    fn one_pretty_printed_document() {
        assert_eq!(
            events("{\n  \"a\": [\n    1\n  ]\n}\n"),
            ["{\n  \"a\": [\n    1\n  ]\n}"]
        );
    }

    #[test]
    fn several_documents_on_one_line_and_no_final_newline() {
        assert_eq!(events("{} {}\n7"), ["{}", "{}", "7"]);
    }

    #[test]
    fn a_broken_line_is_handed_on_and_reading_resumes() {
        assert_eq!(
            events("{\"a\":}\n{\"b\":2}\n"),
            ["{\"a\":}\n", r#"{"b":2}"#]
        );
    }

    #[test]
    fn an_unfinished_document_at_the_end_is_handed_on() {
        assert_eq!(events("{\"a\":1}\n{\"b\":"), [r#"{"a":1}"#, r#"{"b":"#]);
    }

    #[test]
    fn a_number_ends_at_the_byte_after_it_and_that_byte_is_kept() {
        assert_eq!(events("7 8\n-1.5[1]\n"), ["7", "8", "-1.5", "[1]"]);
    }

    #[test]
    fn a_large_pretty_printed_document_is_parsed_once() {
        let lines: Vec<String> = (0..40_000).map(|i| format!("  {i},")).collect();
        let document = format!("[\n{}\n  0\n]\n", lines.join("\n"));
        let input = format!("{document}{{\"after\":1}}\n");
        let mut reader = EventReader::new(input.as_bytes());
        let first = reader.next_event().unwrap().unwrap();
        assert_eq!(first, document.trim_end().as_bytes());
        assert_eq!(reader.next_event().unwrap().unwrap(), br#"{"after":1}"#);
        assert_eq!(reader.next_event().unwrap(), None);
        // Each byte parsed a few times at most: the old reader parsed all pending bytes
        // again after each line, 40 000 times here.
        assert!(
            reader.parsed <= 4 * input.len(),
            "{} bytes parsed for {}",
            reader.parsed,
            input.len()
        );
    }

    #[test]
    fn a_malformed_line_is_answered_before_the_next_line_is_read() {
        /// Gives one line, then fails the test if asked for more: as at a terminal.
        struct OneLine(Option<&'static [u8]>);
        impl std::io::Read for OneLine {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let line = self.0.take().expect("read past the first line");
                out[..line.len()].copy_from_slice(line);
                Ok(line.len())
            }
        }
        let input = io::BufReader::new(OneLine(Some(b"{\"a\" x\n")));
        let mut reader = EventReader::new(input);
        assert_eq!(reader.next_event().unwrap().unwrap(), b"{\"a\" x\n");
    }

    #[test]
    fn a_malformed_document_is_one_event_however_it_is_laid_out() {
        assert_eq!(
            events("{\n  \"a\": 1,\n  \"b\" 2\n}\n[3]\n"),
            ["{\n  \"a\": 1,\n  \"b\" 2\n}", "[3]"]
        );
        assert_eq!(
            events("{\"a\" x\n{\"b\":2}\n"),
            ["{\"a\" x\n", r#"{"b":2}"#]
        );
        assert_eq!(events("\u{c}\n7\n"), ["\u{c}\n", "7"]);
        assert_eq!(events("\"a\\\"b\" 7{}"), [r#""a\"b""#, "7", "{}"]);
    }

    #[test]
    fn empty_input_has_no_events() {
        assert!(events("").is_empty());
        assert!(events(" \n\t\n").is_empty());
    }
}
