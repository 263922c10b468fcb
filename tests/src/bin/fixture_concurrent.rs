//! For the Managed Instances tests: each invocation first waits until `meet` invocations
//! have been in flight at once (or gives up after a while), then answers, fails, panics,
//! or holds until a file exists, as `then` says. Its answer says what it saw.

use lambda_core::{Context, lambda};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long an invocation waits for the others before it answers `"met": false`.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Deserialize)]
struct Command {
    meet: usize,
    then: Then,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Then {
    Answer,
    Fail,
    Panic,
    /// Says `holding <request id>` on standard error, waits until the file at this path
    /// exists (or gives up after a while), then answers.
    HoldUntil(String),
}

/// Invocations in flight now, and the most there have been at once.
#[derive(Default)]
struct InFlight {
    counts: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, (usize, usize)> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts this invocation in until the guard drops (also on a panic).
    fn enter(&self) -> Entered<'_> {
        let mut counts = self.lock();
        counts.0 += 1;
        counts.1 = counts.1.max(counts.0);
        self.changed.notify_all();
        Entered(self)
    }

    /// Whether `count` invocations were in flight at once before [`PATIENCE`] ran out.
    fn wait_for(&self, count: usize) -> bool {
        let deadline = Instant::now() + PATIENCE;
        let mut counts = self.lock();
        while counts.1 < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            counts = self
                .changed
                .wait_timeout(counts, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }
}

struct Entered<'a>(&'a InFlight);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.lock().0 -= 1;
    }
}

fn setup() -> InFlight {
    InFlight::default()
}

#[lambda(init = setup)]
fn handler(command: Command, ctx: &Context, in_flight: &InFlight) -> Result<Value, String> {
    let _entered = in_flight.enter();
    let met = in_flight.wait_for(command.meet);
    if let Then::HoldUntil(path) = &command.then {
        eprintln!("holding {}", ctx.request_id);
        let deadline = Instant::now() + PATIENCE;
        while !std::path::Path::new(path).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    match command.then {
        Then::Answer | Then::HoldUntil(_) => Ok(json!({
            "request_id": ctx.request_id,
            "xray_trace_id": ctx.xray_trace_id,
            "trace_env": std::env::var("_X_AMZN_TRACE_ID").ok(),
            "met": met,
            "thread": std::thread::current().name(),
        })),
        Then::Fail => Err(format!("{} failed on purpose", ctx.request_id)),
        Then::Panic => panic!("{} panicked on purpose", ctx.request_id),
    }
}
