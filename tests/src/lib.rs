//! Test support: a mock Lambda Runtime API and a handle on a function process.
//!
//! Written for the tests and independent of `lambda-core`: std networking on
//! `127.0.0.1:0`, every wait bounded in time, every loop bounded in count.

mod emulator;
mod function;
mod mock;

pub use emulator::{Emulator, InvokeReply, curl};
pub use function::{Function, Output};
pub use mock::{Event, MockRuntimeApi, PostReply, Recorded, Reply};

/// How long any test waits for anything before it fails.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);
