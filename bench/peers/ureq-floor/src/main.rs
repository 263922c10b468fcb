//! The floor for any runtime built on ureq: the JSON floor's loop, but over a ureq
//! `Agent` configured as lambda-core configures it (plain TCP connector, the address
//! resolved once, no proxy, no global timeout, per-phase post timeouts, buffers reused).
//! What this peer cannot reach, no ureq-based runtime can.

use std::io::Read;
use std::net::ToSocketAddrs;
use std::time::Duration;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{NextTimeout, TcpConnector};

/// The Runtime API's addresses, looked up once at start.
#[derive(Debug)]
struct Resolved(ResolvedSocketAddrs);

impl Resolver for Resolved {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        Ok(self.0.clone())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let base = format!("http://{api}/2018-06-01/runtime/invocation");
    let next = format!("{base}/next");
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build();
    let mut addresses = ResolvedSocketAddrs::from_fn(|_| ([0, 0, 0, 0], 0).into());
    for address in api.to_socket_addrs()? {
        if addresses.try_push(address).is_err() {
            break;
        }
    }
    let agent = ureq::Agent::with_parts(config, TcpConnector::default(), Resolved(addresses));
    let phase = Some(Duration::from_secs(5));
    let (mut event, mut encoded) = (Vec::new(), Vec::new());
    loop {
        let mut response = agent.get(&next).call()?;
        let id = response
            .headers()
            .get("lambda-runtime-aws-request-id")
            .and_then(|id| id.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        event.clear();
        response.body_mut().with_config().limit(7 << 20).reader().read_to_end(&mut event)?;
        let value: serde_json::Value = serde_json::from_slice(&event)?;
        encoded.clear();
        serde_json::to_writer(&mut encoded, &value)?;
        let mut posted = agent
            .post(format!("{base}/{id}/response"))
            .config()
            .timeout_send_request(phase)
            .timeout_send_body(phase)
            .timeout_recv_response(phase)
            .timeout_recv_body(phase)
            .build()
            .header("content-type", "application/json")
            .send(&encoded[..])?;
        std::io::copy(&mut posted.body_mut().as_reader(), &mut std::io::sink())?;
    }
}
