//! An S3 event notification function: one line per object created or removed. S3 sends
//! each key URL-encoded (`red flower.jpg` arrives as `red+flower.jpg`), so it is decoded
//! before use.
//!
//! ```sh
//! cargo run -q -p examples --bin s3_notification < tests/events/s3.json
//! ```

use aws_lambda_events::event::s3::S3Event;
use lambda_core::lambda;

#[lambda]
fn handler(event: S3Event) {
    for record in event.records {
        let object = record.s3.object;
        let size = object.size.map(|size| format!(" ({size} bytes)"));
        println!(
            "{}: s3://{}/{}{}",
            record.event_name.unwrap_or_default(),
            record.s3.bucket.name.unwrap_or_default(),
            decode_key(&object.key.unwrap_or_default()),
            size.unwrap_or_default(),
        );
    }
}

/// An S3 event's object key as stored: `+` is a space and `%XX` a byte.
fn decode_key(key: &str) -> String {
    let mut bytes = Vec::with_capacity(key.len());
    let mut rest = key.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail.get(..2).and_then(|hex| std::str::from_utf8(hex).ok());
        match (byte, hex.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(decoded)) => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            (b'+', _) => {
                bytes.push(b' ');
                rest = tail;
            }
            (other, _) => {
                bytes.push(other);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
