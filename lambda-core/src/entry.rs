//! The program entry the generated `main` calls: it chooses the mode from the
//! environment and starts its loop. On Lambda that is the invocation loop in
//! [`runtime`](crate::runtime); locally, the emulator, which starts this same binary again
//! as a child against a Runtime API of its own, so the child runs the Lambda loop too.

use crate::config::Config;
use crate::handler::Handler;
use crate::pollers::Pollers;
use crate::{Diagnostic, runtime};
use std::process::ExitCode;

/// The generated `main`: runs as a Lambda runtime when `AWS_LAMBDA_RUNTIME_API` is set,
/// and as its own emulator otherwise.
/// `pollers` is what the generated code found out about the state's type (see
/// [`crate::pollers`]).
pub fn run<S, H: Handler<S>>(
    init: impl FnOnce() -> Result<S, Diagnostic>,
    shutdown: Option<fn()>,
    pollers: impl Pollers<S, H>,
    handler: H,
) -> ExitCode {
    crate::logging::configure(Config::logging_from_env());
    crate::invoke::install_panic_hook();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            crate::log_at(crate::logging::Level::Fatal, format_args!("{error}"));
            return ExitCode::FAILURE;
        }
    };
    #[cfg(feature = "emulator")]
    if let Some(emulator_pid) = config.emulator_pid {
        crate::emulator::end_with_emulator(emulator_pid);
    }
    for warning in &config.warnings {
        crate::log(format_args!("{warning}"));
    }
    match &config.runtime_api {
        Some(runtime_api) => runtime::run(&config, runtime_api, init, shutdown, pollers, handler),
        None => run_locally(&config),
    }
}

/// Serves the Invoke endpoint when asked to (`--serve`) or when a person is at the
/// terminal; otherwise invokes the function with the events on standard input.
#[cfg(feature = "emulator")]
fn run_locally(config: &Config) -> ExitCode {
    use std::io::IsTerminal;
    let serve = std::env::args_os().skip(1).any(|arg| arg == "--serve");
    if serve || std::io::stdin().is_terminal() {
        crate::emulator::serve(config)
    } else {
        crate::emulator::run_stdin(config)
    }
}

#[cfg(not(feature = "emulator"))]
fn run_locally(_: &Config) -> ExitCode {
    crate::log_at(
        crate::logging::Level::Fatal,
        format_args!(
            "AWS_LAMBDA_RUNTIME_API is not set, and this binary was built without the `emulator` feature that runs it locally"
        ),
    );
    ExitCode::FAILURE
}
