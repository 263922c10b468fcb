//! Sleeps 10 ms (an I/O-bound handler, such as one that calls another service), then
//! echoes the event, through `#[lambda]`.

#[lambda_core::lambda]
fn handler(event: serde_json::Value) -> serde_json::Value {
    std::thread::sleep(std::time::Duration::from_millis(10));
    event
}
