//! Answers its event, or fails when the event is `"fail"`.

#[lambda_core::lambda]
fn handler(event: String) -> Result<String, String> {
    match event.as_str() {
        "fail" => Err("failed on purpose".to_owned()),
        _ => Ok(event),
    }
}
