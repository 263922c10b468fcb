//! A DynamoDB stream function: each order shipped (a new image whose status is
//! `shipped`) is announced; a record whose image is not an order goes back in
//! `batchItemFailures`, by its sequence number, so that Lambda retries from it (the event
//! source mapping needs `ReportBatchItemFailures`).
//!
//! ```sh
//! cargo run -q -p examples --bin dynamodb_stream < tests/events/dynamodb.json
//! ```

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_core::lambda;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: String,
    status: String,
}

#[lambda]
fn handler(event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in event.records {
        if record.event_name == "REMOVE" {
            continue;
        }
        match serde_dynamo::from_item::<_, Order>(record.change.new_image) {
            Ok(order) if order.status == "shipped" => println!("order {} shipped", order.id),
            Ok(_) => {}
            Err(error) => {
                eprintln!("record {} is not an order: {error}", record.event_id);
                // The response types are `#[non_exhaustive]`: start from `default()`.
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number;
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}
