//! Awaits one DynamoDB GetItem of the item `bench` in `TABLE`, then echoes the event,
//! through AWS's `lambda_runtime`, with the client shared by reference as its
//! documentation shows.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, service_fn};

async fn handler(
    event: LambdaEvent<serde_json::Value>,
    dynamo: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<serde_json::Value, Error> {
    let read = dynamo
        .get_item()
        .table_name(table)
        .key("id", AttributeValue::S("bench".to_owned()))
        .send()
        .await?;
    read.item().ok_or("the item `bench` is missing")?;
    Ok(event.payload)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let table = std::env::var("TABLE")?;
    lambda_runtime::run(service_fn(|event| handler(event, &dynamo, &table))).await
}
