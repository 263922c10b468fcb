//! Test support: a mock Lambda Runtime API and a handle on a function process.
//!
//! Written for the tests and independent of `lambda-core`: std networking on
//! `127.0.0.1:0`, every wait bounded in time, every loop bounded in count.

mod cargo;
mod emulator;
mod function;
mod in_flight;
mod mock;
mod rng;

pub use cargo::{CargoOutput, cargo, cargo_build};
pub use emulator::{Emulator, InvokeReply, curl};
pub use function::{Function, Output, children, is_running};
pub use in_flight::InFlight;
pub use mock::{Event, MockRuntimeApi, PostReply, Recorded, RegisterReply, Reply};
pub use rng::Rng;

/// The event that makes `fixture_faults` answer with `value`.
pub fn answer(value: serde_json::Value) -> String {
    serde_json::json!({"do": "answer", "with": value}).to_string()
}

/// The posts among `requests`, in order.
pub fn posts(requests: &[Recorded]) -> Vec<&Recorded> {
    requests.iter().filter(|r| r.method == "POST").collect()
}

/// How long any test waits for anything before it fails.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);
