//! `echo_value` with mimalloc as the global allocator: what another allocator is worth
//! on musl, whose own malloc is slow, against what it costs in bytes.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[lambda_core::lambda]
fn handler(event: serde_json::Value) -> serde_json::Value {
    event
}
