//! The events, fixed so that no peer can win on an empty event: a realistic API Gateway
//! proxy request for the warm phase; a proxy request with a 1 MiB base64 body, and an
//! array of 10 000 small objects, for the large phase. Every field of the typed shapes
//! (`bench/peers/shapes.rs`) is present, so a typed echo gives back the same JSON.

use serde_json::{Value, json};

/// A proxy request of about 1.5 KB; `n` varies the request ids and the body.
pub fn proxy_request(n: usize, body: String) -> Value {
    let request_id = format!("c6af9ac6-7b61-11e6-9a41-{n:012x}");
    json!({
        "resource": "/orders/{id}",
        "path": format!("/orders/{n}"),
        "httpMethod": "POST",
        "headers": {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate, br",
            "Content-Type": "application/json",
            "Host": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "X-Amzn-Trace-Id": format!("Root=1-5e66d96f-{n:024x}"),
            "X-Forwarded-For": "203.0.113.17, 198.51.100.4",
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https"
        },
        "multiValueHeaders": {
            "Accept": ["application/json"],
            "X-Forwarded-For": ["203.0.113.17, 198.51.100.4"],
            "X-Forwarded-Proto": ["https"]
        },
        "queryStringParameters": {"include": "items", "currency": "EUR"},
        "multiValueQueryStringParameters": {"include": ["items"], "currency": ["EUR"]},
        "pathParameters": {"id": n.to_string()},
        "stageVariables": {"table": "orders-prod"},
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "us4z18",
            "stage": "prod",
            "requestId": request_id,
            "requestTime": "24/Nov/2026:06:30:00 +0000",
            "requestTimeEpoch": 1795501800000_u64 + n as u64,
            "identity": {"sourceIp": "203.0.113.17", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)"},
            "path": format!("/prod/orders/{n}"),
            "resourcePath": "/orders/{id}",
            "httpMethod": "POST",
            "apiId": "abcdef1234",
            "protocol": "HTTP/1.1"
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// A warm-phase event.
pub fn small(n: usize) -> Vec<u8> {
    let body = format!(
        r#"{{"order":{n},"items":[{{"sku":"A-1","qty":2}},{{"sku":"B-7","qty":1}}],"note":"leave at the door"}}"#
    );
    to_bytes(&proxy_request(n, body))
}

/// A proxy request whose body is a 1 MiB base64 string.
pub fn large_string(n: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: String = (0..1024 * 1024)
        .map(|i| ALPHABET[(i * 7 + n) % 64] as char)
        .collect();
    let mut event = proxy_request(n, body);
    event["isBase64Encoded"] = json!(true);
    to_bytes(&event)
}

/// An array of 10 000 small objects, about 1 MiB.
pub fn large_items(n: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..10_000)
        .map(|i| {
            json!({
                "id": n * 10_000 + i,
                "sku": format!("SKU-{:08}-EU", n * 10_000 + i),
                "name": format!("item number {i}"),
                "price": (i % 100) as f64 + 0.5,
                "in_stock": i % 3 != 0,
                "tags": ["red", "small"]
            })
        })
        .collect();
    to_bytes(&Value::Array(items))
}

fn to_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_as_documented() {
        let small = small(7).len();
        assert!((1000..=2048).contains(&small), "{small}");
        let string = large_string(0).len();
        assert!(
            (1024 * 1024..1024 * 1024 + 4096).contains(&string),
            "{string}"
        );
        let items = large_items(0).len();
        assert!((900_000..1_300_000).contains(&items), "{items}");
    }
}
