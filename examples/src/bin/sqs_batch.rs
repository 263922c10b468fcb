//! An SQS function that reports partial batch failures: each message should hold an
//! order; one that does not goes back in `batchItemFailures`, so that SQS retries only
//! it (the event source mapping needs `ReportBatchItemFailures`).
//!
//! ```sh
//! cargo run -q -p examples --bin sqs_batch < tests/events/sqs.json
//! ```

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_core::lambda;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: u64,
    quantity: u32,
}

#[lambda]
fn handler(event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let body = message.body.as_deref().unwrap_or_default();
        match serde_json::from_str::<Order>(body) {
            Ok(order) => println!("order {}: {} items", order.id, order.quantity),
            Err(error) => {
                let id = message.message_id.unwrap_or_default();
                eprintln!("message {id} is not an order: {error}");
                response.add_failure(id);
            }
        }
    }
    response
}
