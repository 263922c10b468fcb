//! One invocation, the same on Lambda and in a local run: call the handler with panics
//! caught and turn whatever happened into an [`Outcome`].

use crate::handler::Handler;
pub(crate) use crate::handler::Outcome;
use crate::{Context, Diagnostic, ResponseStream};
use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// The largest event the Invoke API accepts for a synchronous call, in bytes: 6 MiB, from
/// the service's "Request must be smaller than 6291456 bytes for the InvokeFunction
/// operation".
#[cfg_attr(not(feature = "emulator"), allow(dead_code))]
pub(crate) const REQUEST_LIMIT: usize = 6 * 1024 * 1024;

/// The largest response Lambda accepts, in bytes: 6 MiB plus 100, the `MaxPayloadSize`
/// of AWS's Runtime Interface Emulator, which is also the number in the service's own
/// "exceeded maximum allowed payload size (6291556 bytes)" message. Events are read up
/// to the same size.
pub(crate) const PAYLOAD_LIMIT: usize = 6 * 1024 * 1024 + 100;

/// Calls `handler` for one event. Panics, including panics inside the error's `Display`
/// or the response's `Serialize`, become a `Runtime.Panic` report, and a buffered
/// response over the payload limit becomes `Function.ResponseSizeTooLarge` without being
/// sent (a stream's limit is the service's to enforce: it has changed, and will).
pub(crate) fn invoke<S>(
    handler: &impl Handler<S>,
    event: &[u8],
    context: &Context,
    state: &S,
    response: &mut ResponseStream<'_>,
) -> Outcome {
    match catch_panic(|| handler(event, context, state, response)) {
        Ok(Outcome::Response)
            if !response.is_streaming() && response.buffered().len() > PAYLOAD_LIMIT =>
        {
            Outcome::Error(Diagnostic::new(
                "Function.ResponseSizeTooLarge",
                response_too_large_message(response.buffered().len()),
            ))
        }
        Ok(outcome) => outcome,
        Err(report) => Outcome::Error(report),
    }
}

/// Lambda's words for a response of `size` bytes over the payload limit.
pub(crate) fn response_too_large_message(size: usize) -> String {
    format!(
        "Response payload size ({size} bytes) exceeded maximum allowed payload size ({PAYLOAD_LIMIT} bytes)."
    )
}

/// Runs the user's `init` once, with panics caught.
pub(crate) fn init<S>(init: impl FnOnce() -> Result<S, Diagnostic>) -> Result<S, Diagnostic> {
    catch_panic(init).and_then(|result| result)
}

thread_local! {
    /// Where the last panic on this thread happened, recorded by the panic hook for the
    /// report's `stackTrace`.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, Diagnostic> {
    install_panic_hook();
    PANIC_LOCATION.with(|location| location.borrow_mut().take());
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let location = PANIC_LOCATION.with(|location| location.borrow_mut().take());
        Diagnostic::new("Runtime.Panic", panic_message(&*payload))
            .with_stack_trace(location.into_iter().collect())
    })
}

/// Replaces the default panic hook, which prints several lines, with one that prints one
/// line (`panicked at src/main.rs:4:5: boom`) and records the location for the report.
/// Installed once, at start (and before `init` runs in any case), so that a panic
/// anywhere in the process is one line in the configured format, and a hook the user
/// sets in `init` wins.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_else(|| "an unknown location".to_owned());
            let thread = std::thread::current();
            let thread = thread.name().unwrap_or("unnamed");
            crate::log_at(
                crate::logging::Level::Error,
                format_args!(
                    "thread '{thread}' panicked at {location}: {}",
                    panic_message(info.payload())
                ),
            );
            // `try_with`: a panic while thread-locals are torn down must not panic again.
            let _ = PANIC_LOCATION.try_with(|cell| {
                if let Ok(mut slot) = cell.try_borrow_mut() {
                    *slot = Some(location);
                }
            });
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "the handler panicked with a value that is not a string".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink no buffered handler uses.
    struct NoStream;

    impl crate::stream::Sink for NoStream {
        fn send(&mut self, _: &str, _: &[u8]) -> std::io::Result<()> {
            unreachable!("a buffered handler streamed")
        }

        fn end(&mut self, _: &str, _: Option<&Diagnostic>) -> Result<u16, String> {
            unreachable!("a buffered handler streamed")
        }
    }

    /// Runs `write` as a handler that writes `size` bytes of response, or panics.
    fn run(size: Option<usize>) -> (Outcome, Vec<u8>) {
        let mut response = Vec::new();
        let outcome = invoke(
            &|_: &[u8], _: &Context, _: &(), out: &mut ResponseStream<'_>| match size {
                Some(size) => {
                    crate::stream::buffer(out).resize(size, b' ');
                    Outcome::Response
                }
                None => panic!("boom {}", 7),
            },
            b"{}",
            &Context::default(),
            &(),
            &mut ResponseStream::new(&mut response, &mut NoStream),
        );
        (outcome, response)
    }

    #[test]
    fn a_panic_becomes_a_report_with_its_location() {
        let (Outcome::Error(report), _) = run(None) else {
            panic!("no report")
        };
        assert_eq!(report.error_type, "Runtime.Panic");
        assert_eq!(report.error_message, "boom 7");
        assert_eq!(report.stack_trace.len(), 1);
        assert!(
            report.stack_trace[0].starts_with("lambda-core/src/invoke.rs:"),
            "{:?}",
            report.stack_trace
        );
    }

    #[test]
    fn an_oversized_response_is_not_sent() {
        let (Outcome::Error(report), _) = run(Some(PAYLOAD_LIMIT + 1)) else {
            panic!("no report")
        };
        assert_eq!(report.error_type, "Function.ResponseSizeTooLarge");
        assert!(
            report.error_message.contains("6291556 bytes"),
            "{}",
            report.error_message
        );
        let (Outcome::Response, body) = run(Some(PAYLOAD_LIMIT)) else {
            panic!("refused a response at the limit")
        };
        assert_eq!(body.len(), PAYLOAD_LIMIT);
    }

    #[test]
    fn a_panicking_init_is_an_error() {
        let report = init::<()>(|| panic!("no config")).unwrap_err();
        assert_eq!(report.error_type, "Runtime.Panic");
        assert_eq!(report.error_message, "no config");
    }
}
