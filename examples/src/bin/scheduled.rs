//! A function run on a schedule by an EventBridge rule: the event says when it fired,
//! and the function does the day's work for that date.
//!
//! ```sh
//! cargo run -q -p examples --bin scheduled < tests/events/scheduled.json
//! ```

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_core::lambda;

#[lambda]
fn handler(event: EventBridgeEvent) -> Result<String, String> {
    if event.detail_type != "Scheduled Event" {
        return Err(format!("not a scheduled event: {}", event.detail_type));
    }
    let day = event.time.ok_or("the event has no time")?.date_naive();
    let resources = event.resources.unwrap_or_default();
    let rule = resources.first().and_then(|arn| arn.rsplit('/').next());
    Ok(format!("report for {day}, rule {}", rule.unwrap_or("?")))
}
