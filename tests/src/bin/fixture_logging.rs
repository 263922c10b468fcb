//! Logs through both facades. `FIXTURE_OWN_LOGGERS=1` makes `init` install loggers of its
//! own with the usual panicking one-liners, as a user who brings their own does.

use lambda_core::{Context, lambda};
use lambda_tests::InFlight;
use serde::Deserialize;

#[derive(Deserialize)]
struct Command {
    /// Wait until this many invocations have been in flight at once (20 s at most).
    #[serde(default)]
    meet: usize,
    then: Then,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Then {
    Answer,
    Fail,
    Panic,
}

/// The user's own `log` logger: one plain line per record.
struct OwnLogger;

impl log::Log for OwnLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        eprintln!("own-log: {} {}", record.level(), record.args());
    }

    fn flush(&self) {}
}

static OWN_LOGGER: OwnLogger = OwnLogger;

fn setup() -> InFlight {
    if std::env::var("FIXTURE_OWN_LOGGERS").as_deref() == Ok("1") {
        // The one-liners users write; each panics if a logger was installed already.
        log::set_logger(&OWN_LOGGER).expect("no logger before init");
        log::set_max_level(log::LevelFilter::Trace);
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
    }
    log::info!("setting up");
    tracing::info!("setting up with tracing");
    InFlight::default()
}

#[lambda(init = setup)]
fn handler(command: Command, ctx: &Context, in_flight: &InFlight) -> Result<String, String> {
    let _entered = in_flight.enter();
    if !in_flight.wait_for(command.meet) {
        return Err(format!(
            "{} invocations were never in flight at once",
            command.meet
        ));
    }
    let id = &ctx.request_id;
    log::info!(order = 7, paid = true; "log handling {id}");
    log::warn!("log warning {id}");
    log::debug!("log detail {id}");
    tracing::info!(order = 8, "tracing handling {id}");
    match command.then {
        Then::Answer => Ok(format!("answered {id}")),
        Then::Fail => Err(format!("{id} failed on purpose")),
        Then::Panic => panic!("{id} panicked on purpose"),
    }
}
