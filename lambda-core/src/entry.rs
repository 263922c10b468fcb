//! The program entry the generated `main` calls: it chooses the mode from the
//! environment and starts its loop. On Lambda that is the invocation loop in
//! [`runtime`](crate::runtime); locally, the emulator, which starts this same binary again
//! as a child against a Runtime API of its own, so the child runs the Lambda loop too.

use crate::cli::{self, Asked};
use crate::config::Config;
use crate::handler::Handler;
use crate::logging::Level;
use crate::pollers::Pollers;
use crate::{Diagnostic, runtime};
use std::process::ExitCode;

/// The generated `main`: runs as a Lambda runtime when `AWS_LAMBDA_RUNTIME_API` is set,
/// and as its own emulator otherwise.
///
/// `pollers` is what the generated code found out about the state's type (see
/// `pollers.rs`).
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

/// Reads the command line first: `--help` prints what the binary can do locally, an
/// unknown flag is refused (exit 2). Then serves the Invoke endpoint when asked to
/// (`--serve`) or when a person is at the terminal, and otherwise invokes the function
/// with the events on standard input.
fn run_locally(config: &Config) -> ExitCode {
    let binary = std::env::args()
        .next()
        .and_then(|path| {
            std::path::Path::new(&path)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "bootstrap".to_owned());
    match cli::parse(std::env::args_os().skip(1)) {
        Asked::Help => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(cli::help(&binary).as_bytes());
            ExitCode::SUCCESS
        }
        Asked::Unknown(flag) => {
            crate::log_at(Level::Fatal, format_args!("{}", cli::unknown(&flag)));
            ExitCode::from(2)
        }
        Asked::Serve => emulate(config, true),
        Asked::Default => emulate(config, false),
    }
}

#[cfg(feature = "emulator")]
fn emulate(config: &Config, serve: bool) -> ExitCode {
    use std::io::IsTerminal;
    if serve || std::io::stdin().is_terminal() {
        crate::emulator::serve(config)
    } else {
        crate::emulator::run_stdin(config)
    }
}

#[cfg(not(feature = "emulator"))]
fn emulate(_: &Config, _: bool) -> ExitCode {
    crate::log_at(
        Level::Fatal,
        format_args!(
            "AWS_LAMBDA_RUNTIME_API is not set, and this binary was built without the `emulator` feature that runs it locally"
        ),
    );
    ExitCode::FAILURE
}
