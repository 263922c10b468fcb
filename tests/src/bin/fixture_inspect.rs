//! Answers with everything the runtime told it, for the context tests.

use lambda_core::{Context, lambda};
use serde_json::{Value, json};

#[lambda]
fn handler(event: Value, ctx: &Context) -> Value {
    let identity = ctx.identity.as_ref();
    json!({
        "event": event,
        "request_id": ctx.request_id,
        "deadline_ms": ctx.deadline_ms,
        "remaining_is_zero": ctx.remaining_time().map(|left| left.is_zero()),
        "invoked_function_arn": ctx.invoked_function_arn,
        "xray_trace_id": ctx.xray_trace_id,
        "trace_env": std::env::var("_X_AMZN_TRACE_ID").ok(),
        "client_context": ctx.client_context,
        "identity_id": identity.and_then(|i| i.identity_id.clone()),
        "identity_pool_id": identity.and_then(|i| i.identity_pool_id.clone()),
        "tenant_id": ctx.tenant_id,
        "invocation_id": ctx.invocation_id,
        "function": {
            "name": ctx.function.name,
            "memory_size_mb": ctx.function.memory_size_mb,
            "version": ctx.function.version,
            "log_group_name": ctx.function.log_group_name,
            "log_stream_name": ctx.function.log_stream_name,
        },
    })
}
