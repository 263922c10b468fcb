//! A function URL that streams its answer: one line per number up to `?count=` (5 by
//! default), each sent as soon as it is computed, so the caller reads the first line
//! while the rest are still being worked out. Set the function URL's invoke mode to
//! `RESPONSE_STREAM`.
//!
//! ```sh
//! cargo run -q -p examples --bin stream_lines < tests/events/http/function-url.json
//! ```

use lambda_core::http::{Request, Response, query_pairs};
use lambda_core::{ResponseStream, lambda};
use std::io::Write;

/// The most lines one request may ask for.
const MOST: u64 = 10_000;

#[lambda(http, stream)]
fn handler(request: Request<()>, out: &mut ResponseStream) -> std::io::Result<()> {
    let count = query_pairs(request.uri())
        .into_iter()
        .find(|(key, _)| key == "count")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(5)
        .min(MOST);
    out.send_head(Response::builder().header("content-type", "text/plain; charset=utf-8"))?;
    for n in 1..=count {
        writeln!(out, "{n}: {} steps to 1", collatz_steps(n))?;
        // Send the line now, rather than when 64 KiB have gathered.
        out.flush()?;
    }
    Ok(())
}

/// The work behind each line: how many Collatz steps take `n` to 1.
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n > 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}
