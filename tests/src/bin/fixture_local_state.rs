//! A function whose state is not `Sync`: it counts its invocations in a `Cell`.

use lambda_core::lambda;
use serde_json::{Value, json};
use std::cell::Cell;

struct Counter {
    calls: Cell<u64>,
}

fn setup() -> Counter {
    Counter {
        calls: Cell::new(0),
    }
}

#[lambda(init = setup)]
fn handler(_event: Value, counter: &Counter) -> Value {
    counter.calls.set(counter.calls.get() + 1);
    json!({"calls": counter.calls.get(), "thread": std::thread::current().name()})
}
