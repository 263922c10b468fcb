//! An API Gateway REST API (proxy integration) function that answers with the request
//! it received, rendered as text.
//!
//! ```sh
//! echo '{"httpMethod":"GET","path":"/hi","queryStringParameters":{"q":"1"}}' \
//!   | cargo run -q -p examples --bin echo
//! ```

use lambda_core::lambda;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What API Gateway sends for a proxy integration. Everything but the method and path
/// may be absent or `null`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProxyRequest {
    http_method: String,
    path: String,
    resource: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    multi_value_headers: Option<BTreeMap<String, Vec<String>>>,
    query_string_parameters: Option<BTreeMap<String, String>>,
    multi_value_query_string_parameters: Option<BTreeMap<String, Vec<String>>>,
    path_parameters: Option<BTreeMap<String, String>>,
    stage_variables: Option<BTreeMap<String, String>>,
    request_context: Option<serde_json::Value>,
    body: Option<String>,
    is_base64_encoded: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProxyResponse {
    status_code: u16,
    headers: BTreeMap<&'static str, &'static str>,
    body: String,
    is_base64_encoded: bool,
}

#[lambda]
fn handler(request: ProxyRequest) -> ProxyResponse {
    ProxyResponse {
        status_code: 200,
        headers: BTreeMap::from([("Content-Type", "text/plain")]),
        body: render(&request),
        is_base64_encoded: false,
    }
}

/// One line per part of the request that is present, in a fixed order.
fn render(request: &ProxyRequest) -> String {
    let mut text = format!("{} {}\n", request.http_method, request.path);
    let mut line = |name: &str, value: &dyn std::fmt::Debug| {
        let _ = writeln!(text, "{name}: {value:?}");
    };
    if let Some(resource) = &request.resource {
        line("resource", resource);
    }
    if let Some(headers) = &request.headers {
        line("headers", headers);
    }
    if let Some(headers) = &request.multi_value_headers {
        line("multiValueHeaders", headers);
    }
    if let Some(query) = &request.query_string_parameters {
        line("queryStringParameters", query);
    }
    if let Some(query) = &request.multi_value_query_string_parameters {
        line("multiValueQueryStringParameters", query);
    }
    if let Some(parameters) = &request.path_parameters {
        line("pathParameters", parameters);
    }
    if let Some(variables) = &request.stage_variables {
        line("stageVariables", variables);
    }
    if let Some(context) = &request.request_context {
        line("requestContext", &context.to_string());
    }
    if let Some(body) = &request.body {
        line("body", body);
    }
    if let Some(encoded) = request.is_base64_encoded {
        line("isBase64Encoded", &encoded);
    }
    text
}
