//! Events from standard input, answers on standard output, each through the supervisor:
//! the same function process and Runtime API as the Invoke endpoint uses.

use super::Supervisor;
use crate::log;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

/// Reads JSON events from standard input (one per line, or any whitespace-separated
/// sequence, such as one pretty-printed document), invokes the function with each, and
/// prints each response or error report as one line. Fails if any invocation failed.
pub(crate) fn run() -> ExitCode {
    let mut supervisor = match Supervisor::start() {
        Ok(supervisor) => supervisor,
        Err(error) => {
            log(format_args!("cannot start the emulator: {error}"));
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
                log(format_args!("could not read standard input: {error}"));
                return ExitCode::FAILURE;
            }
        };
        count += 1;
        let reply = supervisor.invoke(event, None);
        failed += usize::from(reply.function_error);
        if let Err(error) = print_line(&reply.body) {
            log(format_args!("could not write to standard output: {error}"));
            return ExitCode::FAILURE;
        }
    }
    if failed > 0 {
        log(format_args!("{failed} of {count} invocations failed"));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
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
/// A malformed document is handed on as it stands (from its start to the end of the line
/// where it went wrong), so that decoding reports it as a bad event; reading resumes on
/// the next line.
pub(crate) struct EventReader<R> {
    input: R,
    /// Bytes read but not yet handed out.
    pending: Vec<u8>,
    at_end: bool,
}

impl<R: BufRead> EventReader<R> {
    pub(crate) fn new(input: R) -> EventReader<R> {
        EventReader {
            input,
            pending: Vec::new(),
            at_end: false,
        }
    }

    /// The next document, or `None` at the end of the input.
    pub(crate) fn next_event(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            let start = self.pending.iter().position(|b| !b.is_ascii_whitespace());
            let Some(start) = start else {
                self.pending.clear();
                if self.at_end {
                    return Ok(None);
                }
                self.read_line()?;
                continue;
            };
            let mut documents = serde_json::Deserializer::from_slice(&self.pending[start..])
                .into_iter::<serde_json::Value>();
            match documents.next() {
                Some(Ok(_)) => {
                    let end = start + documents.byte_offset();
                    let event = self.pending[start..end].to_vec();
                    self.pending.drain(..end);
                    return Ok(Some(event));
                }
                // Incomplete: wait for more lines, unless there are none.
                Some(Err(error)) if error.is_eof() && !self.at_end => {
                    self.read_line()?;
                }
                Some(Err(_)) => {
                    // Hand out the broken document up to the end of its line.
                    let end = match self.pending[start..].iter().position(|&b| b == b'\n') {
                        Some(newline) => start + newline + 1,
                        None => self.pending.len(),
                    };
                    let event = self.pending[start..end].to_vec();
                    self.pending.drain(..end);
                    return Ok(Some(event));
                }
                // Not reached: `start` points at a byte that is not white space.
                None => {
                    self.pending.clear();
                    return Ok(None);
                }
            }
        }
    }

    fn read_line(&mut self) -> io::Result<()> {
        if self.input.read_until(b'\n', &mut self.pending)? == 0 {
            self.at_end = true;
        }
        Ok(())
    }
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
    fn empty_input_has_no_events() {
        assert!(events("").is_empty());
        assert!(events(" \n\t\n").is_empty());
    }
}
