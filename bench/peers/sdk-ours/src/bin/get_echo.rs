//! Awaits one DynamoDB GetItem of the item `bench` in `TABLE`, then echoes the event.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_core::lambda;

struct Clients {
    dynamo: aws_sdk_dynamodb::Client,
    table: String,
}

async fn setup() -> Result<Clients, lambda_core::Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Ok(Clients {
        dynamo: aws_sdk_dynamodb::Client::new(&config),
        table: std::env::var("TABLE")?,
    })
}

#[lambda(init = setup)]
async fn handler(
    event: serde_json::Value,
    clients: &Clients,
) -> Result<serde_json::Value, lambda_core::Error> {
    let read = clients
        .dynamo
        .get_item()
        .table_name(&clients.table)
        .key("id", AttributeValue::S("bench".to_owned()))
        .send()
        .await?;
    read.item().ok_or("the item `bench` is missing")?;
    Ok(event)
}
