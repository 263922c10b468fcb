//! Response streaming against lambda_runtime's, in the same run: each streams 10 MiB
//! (an HTTP prelude, then 160 pieces of 64 KiB) to the benchmark's Runtime API, which
//! times the first byte of payload and the end of the stream from the moment it wrote
//! the event.

use crate::measure::{self, percentile};
use crate::mock::Mock;
use std::path::Path;
use std::time::Duration;

/// What each stream carries past its prelude.
const PAYLOAD: usize = 10 * 1024 * 1024;

/// One runtime's streams.
pub struct Streamed {
    pub label: &'static str,
    /// Median time from the event written to the first byte of payload.
    pub first_byte: Duration,
    /// Median payload throughput, MiB/s, from the event written to the stream's end.
    pub mib_per_second: f64,
}

/// Streams `invocations` times through `binary` (after one that warms it up).
pub fn measure(label: &'static str, binary: &Path, invocations: usize) -> Result<Streamed, String> {
    let events: Vec<Vec<u8>> = (0..=invocations).map(|_| b"{}".to_vec()).collect();
    let mock = Mock::start(&events).map_err(|error| error.to_string())?;
    let mut child = measure::spawn(binary, &mock, None, &[])?;
    let answered = measure::wait_while_running(&mock, &mut child, events.len())?;
    measure::stop(&mut child);
    let run = mock.finish();
    if !answered {
        return Err(format!(
            "{label}: {} of {} streams ended",
            run.answers.len(),
            events.len()
        ));
    }
    let (mut first_bytes, mut rates) = (Vec::new(), Vec::new());
    for answer in run.answers.iter().filter(|answer| answer.index > 0) {
        let written = run.written[answer.index].ok_or("an answer to an event never written")?;
        let payload = answer.length.saturating_sub(payload_offset(&answer.body));
        if !answer.ok || payload != PAYLOAD {
            return Err(format!(
                "{label}: a stream carried {payload} bytes, not {PAYLOAD}"
            ));
        }
        let first = answer.first_payload_at.ok_or("a stream with no payload")?;
        first_bytes.push(first.saturating_duration_since(written));
        let took = answer
            .read_at
            .saturating_duration_since(written)
            .as_secs_f64();
        rates.push(Duration::from_secs_f64(took));
    }
    first_bytes.sort();
    rates.sort();
    let median_took = percentile(&rates, 0.5).as_secs_f64().max(1e-9);
    Ok(Streamed {
        label,
        first_byte: percentile(&first_bytes, 0.5),
        mib_per_second: PAYLOAD as f64 / 1024.0 / 1024.0 / median_took,
    })
}

/// Where the payload starts: past the prelude's 8 NUL bytes.
fn payload_offset(body: &[u8]) -> usize {
    body.windows(8)
        .position(|window| window == [0; 8])
        .map_or(0, |at| at + 8)
}

/// The table and its two verdicts (ours against lambda_runtime's, when it ran).
pub fn render(rows: &[Streamed]) -> String {
    let mut out = String::from(
        "\n## Streaming 10 MiB\n\n| runtime | first byte of payload (median) | throughput (median) |\n| --- | --- | --- |\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.2} ms | {:.0} MiB/s |\n",
            row.label,
            row.first_byte.as_secs_f64() * 1000.0,
            row.mib_per_second
        ));
    }
    if let [ours, theirs] = rows {
        let verdict = |met: bool| if met { "met" } else { "missed" };
        out.push_str(&format!(
            "\nFirst byte no later than lambda_runtime's: {} ({:.2}×). Throughput ≥ lambda_runtime's: {} ({:.2}×).\n",
            verdict(ours.first_byte <= theirs.first_byte),
            ours.first_byte.as_secs_f64() / theirs.first_byte.as_secs_f64().max(1e-9),
            verdict(ours.mib_per_second >= theirs.mib_per_second),
            ours.mib_per_second / theirs.mib_per_second.max(1e-9),
        ));
    }
    out
}
