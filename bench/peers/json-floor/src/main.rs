//! The floor for any serde runtime: the raw floor's loop, but each event is decoded
//! into a `serde_json::Value` and encoded again.

#[path = "../../floor_loop.rs"]
mod floor_loop;

use std::io;

fn main() -> io::Result<()> {
    let mut encoded = Vec::new();
    floor_loop::serve(|body| {
        let event: serde_json::Value = serde_json::from_slice(body).map_err(io::Error::other)?;
        encoded.clear();
        serde_json::to_writer(&mut encoded, &event).map_err(io::Error::other)?;
        // A swap, not a copy: both buffers keep their capacity for the next event.
        std::mem::swap(body, &mut encoded);
        Ok(())
    })
}
