//! Events from standard input, answers on standard output, each through the supervisor:
//! the same function process and Runtime API as the Invoke endpoint uses.

use super::Supervisor;
use crate::log;
use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

/// Reads JSON events from standard input (one per line, or any whitespace-separated
/// sequence, such as one pretty-printed document), invokes the function with each, and
/// prints each response or error report as one line. Fails if any invocation failed.
#[allow(unsafe_code)]
pub(crate) fn run() -> ExitCode {
    // SAFETY: called from the generated `main` before anything starts a thread.
    let mut supervisor = match unsafe { Supervisor::start() } {
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
/// The parser reads the input as a stream and stops at the end of each document, so
/// every byte is parsed once, however the documents are laid out (a pretty-printed
/// document of 40 000 lines once cost a re-parse per line).
///
/// A malformed document is handed on as it stands (from its start to the end of the line
/// where it went wrong), so that decoding reports it as a bad event; reading resumes on
/// the next line.
pub(crate) struct EventReader<R> {
    source: Source<R>,
}

impl<R: BufRead> EventReader<R> {
    pub(crate) fn new(input: R) -> EventReader<R> {
        EventReader {
            source: Source {
                input,
                taken: Vec::new(),
                replay: Vec::new(),
                handed_out: 0,
            },
        }
    }

    /// The next document, or `None` at the end of the input.
    pub(crate) fn next_event(&mut self) -> io::Result<Option<Vec<u8>>> {
        // Bounded by the input: each round takes at least one byte of it.
        loop {
            match self.next_piece()? {
                // A form feed is white space to Rust, not to JSON: a piece of nothing
                // else is skipped, as white space between documents is.
                Some(piece) if piece.is_empty() => {}
                piece => return Ok(piece),
            }
        }
    }

    /// The next document, or the white space before the end of the input.
    fn next_piece(&mut self) -> io::Result<Option<Vec<u8>>> {
        self.source.taken.clear();
        let mut documents = serde_json::Deserializer::from_reader(&mut self.source)
            .into_iter::<serde_json::Value>();
        let parsed = documents.next();
        let end = documents.byte_offset();
        let taken = &mut self.source.taken;
        let end = match parsed {
            None => return Ok(None),
            Some(Ok(_)) => {
                // A number is known to end only at the byte after it: read again next time.
                let peeked = taken.split_off(end.min(taken.len()));
                self.source.replay.splice(..0, peeked);
                taken.len()
            }
            Some(Err(error)) if error.is_io() => return Err(error.into()),
            // Unfinished at the end of the input: hand on what there is.
            Some(Err(error)) if error.is_eof() => taken.len(),
            Some(Err(_)) => {
                // Hand out the broken document up to the end of its line.
                if taken.last() != Some(&b'\n') {
                    self.source.read_line()?;
                }
                self.source.taken.len()
            }
        };
        let taken = &self.source.taken;
        let start = taken
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(end);
        Ok(Some(taken[start..end].to_vec()))
    }

    /// How many bytes the parser has been handed in all: the input's length, give or
    /// take a byte read again after a number.
    #[cfg(test)]
    fn handed_out(&self) -> usize {
        self.source.handed_out
    }
}

/// The input as the parser reads it (a byte at a time), keeping the bytes of the current
/// document so that it can be handed on exactly as written.
struct Source<R> {
    input: R,
    /// What the parser has read of the current document.
    taken: Vec<u8>,
    /// Bytes read past the end of the previous document, read again first.
    replay: Vec<u8>,
    handed_out: usize,
}

impl<R: BufRead> Source<R> {
    /// Reads up to the end of the line, as taken.
    fn read_line(&mut self) -> io::Result<()> {
        let mut byte = [0];
        while self.read(&mut byte)? == 1 && byte[0] != b'\n' {}
        Ok(())
    }
}

impl<R: BufRead> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = if self.replay.is_empty() {
            let available = self.input.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            self.input.consume(n);
            n
        } else {
            let n = self.replay.len().min(out.len());
            out[..n].copy_from_slice(&self.replay[..n]);
            self.replay.drain(..n);
            n
        };
        self.taken.extend_from_slice(&out[..n]);
        self.handed_out += n;
        Ok(n)
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
        // Every byte once: the old reader parsed all pending bytes again after each line.
        assert!(
            reader.handed_out() <= input.len() + 2,
            "{} of {}",
            reader.handed_out(),
            input.len()
        );
    }

    #[test]
    fn empty_input_has_no_events() {
        assert!(events("").is_empty());
        assert!(events(" \n\t\n").is_empty());
    }
}
