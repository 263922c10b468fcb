//! Stores an order in DynamoDB and reads it back: the README's "Calling AWS services"
//! example, whole. DynamoDB because it is the service most functions call, and a write
//! read back shows the client built in `setup` at work across invocations.
//!
//! `TABLE` names the table; the SDK finds the region, credentials and endpoint where it
//! always does (`AWS_REGION`, `AWS_ACCESS_KEY_ID`…, `AWS_ENDPOINT_URL`).

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_core::{Context, lambda};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Order {
    id: String,
    total: u64,
}

#[derive(Serialize)]
struct Receipt {
    id: String,
    total: u64,
    stored_by: String,
}

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
    order: Order,
    ctx: &Context,
    clients: &Clients,
) -> Result<Receipt, lambda_core::Error> {
    clients
        .dynamo
        .put_item()
        .table_name(&clients.table)
        .item("id", AttributeValue::S(order.id.clone()))
        .item("total", AttributeValue::N(order.total.to_string()))
        .item("stored_by", AttributeValue::S(ctx.request_id.clone()))
        .send()
        .await?;
    let stored = clients
        .dynamo
        .get_item()
        .table_name(&clients.table)
        .key("id", AttributeValue::S(order.id))
        .consistent_read(true)
        .send()
        .await?;
    let item = stored.item().ok_or("the order just written is not there")?;
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(text) | AttributeValue::N(text)) => Ok(text.clone()),
        _ => Err(format!("the stored order has no `{name}`")),
    };
    Ok(Receipt {
        id: text("id")?,
        total: text("total")?.parse()?,
        stored_by: text("stored_by")?,
    })
}
