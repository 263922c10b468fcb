//! A streaming function whose event says what to stream: `{"do": "chunks"}` and the
//! like (see `handler`), so that a test can check each case on the wire.

use lambda_core::http::Response;
use lambda_core::{Context, ResponseStream, lambda};
use serde_json::Value;
use std::io::Write;
use std::time::{Duration, Instant};

#[lambda(stream)]
fn handler(
    event: Value,
    ctx: &Context,
    out: &mut ResponseStream,
) -> Result<(), lambda_core::Error> {
    let number = |name: &str| event[name].as_u64().unwrap_or(0);
    match event["do"].as_str().unwrap_or_default() {
        // Three chunks, each flushed, in a content type of our own.
        "chunks" => {
            out.set_content_type("text/plain")?;
            for piece in ["a", "bb", "ccc"] {
                out.write_all(piece.as_bytes())?;
                out.flush()?;
            }
        }
        "empty" => {}
        // A stream that begins after a second and a bit of work.
        "late" => {
            std::thread::sleep(Duration::from_millis(1100));
            out.write_all(b"late")?;
        }
        // An HTTP head, then the body in two chunks.
        "http" => {
            out.send_head(
                Response::builder()
                    .status(201)
                    .header("content-type", "text/plain")
                    .header("set-cookie", "a=1"),
            )?;
            out.write_all(b"hello ")?;
            out.flush()?;
            out.write_all(b"world")?;
        }
        "fail_first" => {
            out.write_all(b"never sent")?;
            return Err("the stream could not start".into());
        }
        "fail_after" => {
            out.write_all(b"partial")?;
            out.flush()?;
            out.write_all(b" and more")?;
            return Err("the source failed midway".into());
        }
        "panic_after" => {
            out.write_all(b"partial")?;
            out.flush()?;
            panic!("midway");
        }
        // `mib` MiB of a repeating pattern, written 64 KiB at a time.
        "mib" => {
            let pattern: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
            for _ in 0..number("mib") * 16 {
                if let Err(error) = out.write_all(&pattern) {
                    // The caller went away: say so, as a user's function would.
                    eprintln!("fixture: {}: write failed: {error}", ctx.request_id);
                    return Err(error.into());
                }
            }
        }
        // A first line, then nothing until the file `until` exists (the test creates it
        // once it has read the line), then a last line.
        "wait" => {
            writeln!(out, "first")?;
            out.flush()?;
            let until = event["until"].as_str().unwrap_or_default();
            let deadline = Instant::now() + Duration::from_secs(20);
            while !std::path::Path::new(until).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            writeln!(out, "last")?;
        }
        other => return Err(format!("unknown case {other:?}").into()),
    }
    Ok(())
}
