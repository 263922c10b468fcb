//! The opt-in shutdown hook (`#[lambda(shutdown = on_shutdown)]`).
//!
//! Lambda sends SIGTERM before ending the process only when an extension is registered,
//! and SIGKILL 500 ms later. So the runtime registers an internal extension with no
//! events, parks a helper thread on its event stream (as Lambda expects of a registered
//! extension), and on SIGTERM runs the hook and exits 0.

use crate::client::Client;
use crate::config::RuntimeApi;
use crate::error::RuntimeError as Error;
use crate::{log, signal};
use std::thread;

/// The name the internal extension registers under.
const EXTENSION_NAME: &str = "lambda-core-shutdown-hook";

/// Registers the extension (on `client`, the main poller's) and starts the two helper
/// threads, the waiting one with a client of its own. SIGTERM must already be blocked
/// (see [`signal::block_sigterm`]).
pub(crate) fn start(client: &mut Client, api: &RuntimeApi, hook: fn()) -> Result<(), Error> {
    let identifier = client.register_extension(EXTENSION_NAME)?;
    let mut parked = Client::new(api)?;
    thread::Builder::new()
        .name("lambda-extension".to_owned())
        .spawn(move || park(&mut parked, &identifier))
        .map_err(|error| spawn_error("extension", &error))?;
    thread::Builder::new()
        .name("lambda-sigterm".to_owned())
        .spawn(move || on_sigterm(hook))
        .map_err(|error| spawn_error("SIGTERM", &error))?;
    Ok(())
}

/// Waits on the extension's event stream. Registered for no events, it is never
/// answered on Lambda; an answer anyway (an emulator) is polled again, a bounded number
/// of times, and a failure ends the wait with one line.
fn park(client: &mut Client, identifier: &str) {
    const MOST_ANSWERS: usize = 1000;
    for _ in 0..MOST_ANSWERS {
        if let Err(error) = client.wait_for_extension_event(identifier) {
            log(format_args!(
                "stopped waiting for extension events: {error}"
            ));
            return;
        }
    }
    log(format_args!(
        "stopped waiting for extension events: {MOST_ANSWERS} answers to a wait Lambda never answers"
    ));
}

fn on_sigterm(hook: fn()) {
    match signal::wait_for_sigterm() {
        Ok(()) => {
            if std::panic::catch_unwind(hook).is_err() {
                log(format_args!("the shutdown hook panicked"));
            }
            std::process::exit(0);
        }
        Err(error) => log(format_args!("cannot wait for SIGTERM: {error}")),
    }
}

fn spawn_error(which: &str, error: &std::io::Error) -> Error {
    Error::ShutdownHook {
        detail: format!("cannot start the {which} helper thread: {error}"),
    }
}
