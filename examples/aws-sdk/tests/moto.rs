//! The example against moto's DynamoDB on loopback, through the real runtime loop and the
//! mock Runtime API: a real AWS service emulator someone else wrote, started and stopped
//! by its PID. tests/aws-sdk.sh installs moto into a virtual environment and names its
//! `moto_server` in `MOTO_SERVER`.
//!
//! The function reaches moto through a counting TCP relay, so that the connections it
//! opened can be counted: a client built once in init keeps its connections across
//! invocations.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use lambda_tests::{Event, Function, MockRuntimeApi, Recorded, posts};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{self, BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const ORDERS: &str = env!("CARGO_BIN_EXE_orders");
const PATIENCE: Duration = Duration::from_secs(60);

/// moto's server on a free loopback port, stopped by its PID when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let server = std::env::var("MOTO_SERVER").unwrap_or_else(|_| {
            panic!("MOTO_SERVER names no moto_server; run this test through tests/aws-sdk.sh")
        });
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {server}: {error}"));
        let moto = Moto { child, port };
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto never listened on {port}");
            thread::sleep(Duration::from_millis(50));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A relay to moto that counts the connections the function opens to it.
///
/// moto answers every request with `Connection: close`, which would make any client
/// open a connection per request. The relay keeps the function's connections open
/// instead: it reads one request at a time, sends it to moto on a fresh connection, and
/// answers with moto's response minus its `Connection` header (moto's responses carry
/// `Content-Length`). So the count is the number of connections the SDK's pool opened.
struct Relay {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Relay {
    fn to(moto: &Moto) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a relay port");
        let port = listener.local_addr().expect("its address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        let upstream = moto.port;
        // Ends with the test process; it only ever talks to loopback.
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                thread::spawn(move || relay_requests(client, upstream));
            }
        });
        Relay { port, connections }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Serves one client connection until it closes or fails.
fn relay_requests(client: TcpStream, upstream: u16) {
    let _ = client.set_read_timeout(Some(PATIENCE));
    let mut reader = io::BufReader::new(match client.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut client = client;
    while let Some(request) = read_message(&mut reader) {
        let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        let _ = server.set_read_timeout(Some(PATIENCE));
        let mut response = Vec::new();
        if server.write_all(&request).is_err() || server.read_to_end(&mut response).is_err() {
            return;
        }
        let Some(end) = find(&response, b"\r\n\r\n") else {
            return;
        };
        let head = String::from_utf8_lossy(&response[..end]);
        let mut kept: String = head
            .split("\r\n")
            .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
            .map(|line| format!("{line}\r\n"))
            .collect();
        kept.push_str("\r\n");
        if client.write_all(kept.as_bytes()).is_err()
            || client.write_all(&response[end + 4..]).is_err()
        {
            return;
        }
    }
}

/// One HTTP/1.1 request with a `Content-Length` body (or none), as the SDK sends them.
fn read_message(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut length = 0;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some(value) = text.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        message.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    message.extend_from_slice(&body);
    Some(message)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The environment of the function and of the test's own client: nothing beyond
/// loopback, no files, no instance metadata.
fn aws_env(endpoint: &str, table: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", String::new()),
        ("AWS_SHARED_CREDENTIALS_FILE", String::new()),
        ("TABLE", table.to_owned()),
    ]
}

/// The test's own DynamoDB client, straight to moto, on a runtime of its own.
fn with_dynamo<T>(moto: &Moto, work: impl AsyncFnOnce(aws_sdk_dynamodb::Client) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let credentials =
            aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "test");
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .endpoint_url(format!("http://127.0.0.1:{}", moto.port))
            .build();
        work(aws_sdk_dynamodb::Client::from_conf(config)).await
    })
}

fn create_table(moto: &Moto, table: &str) {
    with_dynamo(moto, async |dynamo| {
        dynamo
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("an attribute"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("a key"),
            )
            .send()
            .await
            .expect("moto creates the table");
    });
}

/// Who stored the order `id`, read by the test itself.
fn stored_by(moto: &Moto, table: &str, id: &str) -> Option<String> {
    with_dynamo(moto, async |dynamo| {
        let read = dynamo
            .get_item()
            .table_name(table)
            .key("id", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .expect("moto reads the item");
        match read.item()?.get("stored_by")? {
            AttributeValue::S(text) => Some(text.clone()),
            _ => None,
        }
    })
}

fn order(id: &str, total: u64) -> Event {
    Event::new(id, json!({"id": id, "total": total}).to_string())
}

fn answered_id(post: &Recorded) -> &str {
    post.path.rsplit('/').nth(1).unwrap_or_default()
}

/// Runs the function with `extra` environment against a fresh mock, `ids` as orders.
fn serve_orders(relay: &Relay, table: &str, extra: &[(&str, &str)], ids: &[&str]) -> Vec<Recorded> {
    let env = aws_env(&relay.endpoint(), table);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    let mock = MockRuntimeApi::start();
    let function = Function::against(ORDERS, &mock.address(), &env);
    let pollers = extra
        .iter()
        .find(|(name, _)| *name == "AWS_LAMBDA_MAX_CONCURRENCY")
        .map_or(1, |(_, n)| n.parse().unwrap_or(1));
    // Init (the SDK's config) is done once every poller waits.
    mock.wait_for_polls(pollers);
    for (total, id) in ids.iter().enumerate() {
        mock.push_event(order(id, total as u64));
    }
    let requests = mock.wait_for_posts(ids.len());
    let output = function.stop();
    assert_eq!(output.stderr, "", "a good run logs nothing");
    requests
}

fn assert_stored(moto: &Moto, table: &str, requests: &[Recorded], ids: &[&str]) {
    let posts = posts(requests);
    assert_eq!(posts.len(), ids.len(), "{requests:#?}");
    let mut answered = HashSet::new();
    for post in posts {
        let id = answered_id(post);
        assert!(
            post.path.ends_with("/response"),
            "{}: {}",
            post.path,
            post.body_text()
        );
        let total = ids
            .iter()
            .position(|known| *known == id)
            .expect("an order id");
        assert_eq!(
            post.body_json(),
            json!({"id": id, "total": total, "stored_by": id}),
            "the receipt is what DynamoDB gave back"
        );
        assert_eq!(
            stored_by(moto, table, id).as_deref(),
            Some(id),
            "not in the table"
        );
        answered.insert(id.to_owned());
    }
    assert_eq!(answered.len(), ids.len());
}

#[test]
fn orders_are_stored_and_read_back_through_the_client_built_in_init_across_invocations() {
    let moto = Moto::start();
    create_table(&moto, "orders-one");
    let relay = Relay::to(&moto);
    let ids = ["o-1", "o-2", "o-3", "o-4", "o-5"];
    let requests = serve_orders(&relay, "orders-one", &[], &ids);
    assert_stored(&moto, "orders-one", &requests, &ids);
    // Ten requests, a put and a get per order. Fewer connections than orders means some
    // order was sent on a connection an earlier invocation opened: the client (and its
    // pool) outlived the invocation. It is one connection on a quiet machine; hyper may
    // open one more when a request starts before the last connection is back in the
    // pool, so the count is not pinned.
    let connections = relay.connections();
    assert!(
        (1..ids.len()).contains(&connections),
        "{connections} connections for {} orders: the client built in init was not reused",
        ids.len()
    );
}

#[test]
fn with_four_pollers_the_client_built_in_init_serves_all_of_them() {
    let moto = Moto::start();
    create_table(&moto, "orders-four");
    let relay = Relay::to(&moto);
    let ids = ["p-1", "p-2", "p-3", "p-4", "p-5", "p-6", "p-7", "p-8"];
    let requests = serve_orders(
        &relay,
        "orders-four",
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")],
        &ids,
    );
    assert_stored(&moto, "orders-four", &requests, &ids);
    // Sixteen requests (a put and a get per order). Four in flight at once open about
    // four connections, and one still being returned to the pool when the next request
    // starts may add one; a client per invocation would open at least eight.
    let connections = relay.connections();
    assert!(
        (1..ids.len()).contains(&connections),
        "{connections} connections for {} orders from 4 pollers sharing one client",
        ids.len()
    );
}

#[test]
fn a_service_error_is_reported_under_the_services_error_code() {
    let moto = Moto::start();
    let relay = Relay::to(&moto);
    let env = aws_env(&relay.endpoint(), "no-such-table");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mock = MockRuntimeApi::start();
    mock.push_event(order("missing", 1));
    let (requests, output) = mock.run_until_posts(ORDERS, &env, 1);
    let posts = posts(&requests);
    assert!(
        posts[0].path.ends_with("/missing/error"),
        "{}",
        posts[0].path
    );
    let report: Value = posts[0].body_json();
    assert_eq!(report["errorType"], "ResourceNotFoundException", "{report}");
    assert!(
        report["errorMessage"]
            .as_str()
            .is_some_and(|message| message.contains("ResourceNotFoundException")),
        "{report}"
    );
    assert!(
        output.stderr.contains("missing: ResourceNotFoundException"),
        "{}",
        output.stderr
    );
}
