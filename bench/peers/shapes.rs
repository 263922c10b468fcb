// The typed events of the benchmark, shared by every peer that decodes into types.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An API Gateway REST proxy request, every field present (`null` where absent), so that
/// decoding and encoding it again gives the same JSON value.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyRequest {
    pub resource: Option<String>,
    pub path: Option<String>,
    pub http_method: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub multi_value_headers: Option<BTreeMap<String, Vec<String>>>,
    pub query_string_parameters: Option<BTreeMap<String, String>>,
    pub multi_value_query_string_parameters: Option<BTreeMap<String, Vec<String>>>,
    pub path_parameters: Option<BTreeMap<String, String>>,
    pub stage_variables: Option<BTreeMap<String, String>>,
    pub request_context: Option<RequestContext>,
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    pub account_id: String,
    pub resource_id: String,
    pub stage: String,
    pub request_id: String,
    pub request_time: String,
    pub request_time_epoch: u64,
    pub identity: Identity,
    pub path: String,
    pub resource_path: String,
    pub http_method: String,
    pub api_id: String,
    pub protocol: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub source_ip: String,
    pub user_agent: String,
}

/// One of the ~10 000 small objects of the array-shaped large event.
#[derive(Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub sku: String,
    pub name: String,
    pub price: f64,
    pub in_stock: bool,
    pub tags: Vec<String>,
}
