//! Lambda Managed Instances: `AWS_LAMBDA_MAX_CONCURRENCY` = N invocations in flight in
//! one process, ours (N OS threads) beside lambda_runtime's `run_concurrent` (N tokio
//! tasks), on the same work and the same libc, in the same run.

use crate::measure::{self, Phase};
use std::fmt::Write;
use std::path::Path;

/// An I/O-bound handler (it sleeps 10 ms) at these concurrencies.
const SLEEP_LEVELS: [usize; 4] = [1, 4, 8, 16];
/// The CPU-bound echo at these; the machine has 2 cores.
const ECHO_LEVELS: [usize; 3] = [1, 2, 4];

/// The binaries of one runtime: a handler that sleeps 10 ms, and the echo.
pub struct Binaries<'a> {
    pub label: &'a str,
    pub sleep: &'a Path,
    pub echo: &'a Path,
}

/// One row: a runtime at one concurrency on one kind of work.
pub struct Row {
    pub work: &'static str,
    pub label: String,
    pub concurrency: usize,
    pub phase: Phase,
}

/// Runs every level for both runtimes, interleaved so that a noisy moment hits both.
/// `sleep_events` per poller for the sleeping handler (each takes 10 ms); `echo_events`
/// in all for the echo.
pub fn measure(
    runtimes: &[Binaries<'_>],
    events: &[Vec<u8>],
    sleep_events_per_poller: usize,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for concurrency in SLEEP_LEVELS {
        let count = (sleep_events_per_poller * concurrency).min(events.len());
        for runtime in runtimes {
            eprintln!(
                "bench: concurrency {concurrency}, sleeping handler: {}",
                runtime.label
            );
            let phase = measure::phase_with(runtime.sleep, &events[..count], Some(concurrency))?;
            rows.push(Row {
                work: "sleep 10 ms",
                label: runtime.label.to_owned(),
                concurrency,
                phase,
            });
        }
    }
    for concurrency in ECHO_LEVELS {
        for runtime in runtimes {
            eprintln!("bench: concurrency {concurrency}, echo: {}", runtime.label);
            let phase = measure::phase_with(runtime.echo, events, Some(concurrency))?;
            rows.push(Row {
                work: "echo",
                label: runtime.label.to_owned(),
                concurrency,
                phase,
            });
        }
    }
    Ok(rows)
}

/// The table, and each target judged on numbers of this run. `ours` and `theirs` are the
/// two labels.
pub fn render(rows: &[Row], ours: &str, theirs: &str) -> String {
    let mut out = String::from(
        "\n### Concurrency (Lambda Managed Instances)\n\n| work | runtime | N | inv/s | p50 µs | p99 µs | CPU µs/inv | peak RSS MiB | TCP conns |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let phase = &row.phase;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {} |",
            row.work,
            row.label,
            row.concurrency,
            phase.per_second,
            micros(measure::percentile(&phase.latencies, 0.5)),
            micros(measure::percentile(&phase.latencies, 0.99)),
            micros(phase.cpu_per_invocation),
            phase.peak_rss_kib as f64 / 1024.0,
            phase.connections,
        );
    }
    let find = |work: &str, label: &str, n: usize| {
        rows.iter()
            .find(|row| row.work == work && row.label == label && row.concurrency == n)
            .map(|row| &row.phase)
    };
    let mut verdicts = String::from("\n| target | measured | met |\n|---|---|---|\n");
    let mut line = |name: String, measured: String, met: bool| {
        let _ = writeln!(
            verdicts,
            "| {name} | {measured} | {} |",
            if met { "yes" } else { "**no**" }
        );
    };
    if let (Some(one), Some(eight)) = (find("sleep 10 ms", ours, 1), find("sleep 10 ms", ours, 8)) {
        let ratio = eight.per_second / one.per_second;
        line(
            "sleep: ours N = 8 ≥ 7 × ours N = 1".to_owned(),
            format!("{ratio:.2} ×"),
            ratio >= 7.0,
        );
    }
    for (work, levels, floor) in [
        ("sleep 10 ms", &SLEEP_LEVELS[..], 0.95),
        ("echo", &ECHO_LEVELS[..], 1.2),
    ] {
        for &n in levels {
            if let (Some(a), Some(b)) = (find(work, ours, n), find(work, theirs, n)) {
                let ratio = a.per_second / b.per_second;
                line(
                    format!("{work}: ours ≥ {floor} × lambda_runtime at N = {n}"),
                    format!("{ratio:.2} ×"),
                    ratio >= floor,
                );
            }
        }
    }
    if let (Some(one), Some(two)) = (find("echo", ours, 1), find("echo", ours, 2)) {
        let ratio = two.per_second / one.per_second;
        line(
            "echo: ours N = 2 ≥ 1.3 × ours N = 1".to_owned(),
            format!("{ratio:.2} ×"),
            ratio >= 1.3,
        );
        let cpu = two.cpu_per_invocation.as_secs_f64() / one.cpu_per_invocation.as_secs_f64();
        line(
            "echo: ours CPU µs/inv at N = 2 ≤ 1.15 × N = 1".to_owned(),
            format!(
                "{:.1} vs {:.1} µs ({cpu:.2} ×)",
                micros(two.cpu_per_invocation),
                micros(one.cpu_per_invocation)
            ),
            cpu <= 1.15,
        );
    }
    if let (Some(a), Some(b)) = (
        find("sleep 10 ms", ours, 16),
        find("sleep 10 ms", theirs, 16),
    ) {
        line(
            "peak RSS at N = 16 ≤ lambda_runtime's".to_owned(),
            format!(
                "{:.1} MiB vs {:.1} MiB",
                a.peak_rss_kib as f64 / 1024.0,
                b.peak_rss_kib as f64 / 1024.0
            ),
            a.peak_rss_kib <= b.peak_rss_kib,
        );
    }
    let ours_rows: Vec<&Row> = rows.iter().filter(|row| row.label == ours).collect();
    let connections: Vec<String> = ours_rows
        .iter()
        .map(|row| format!("{}→{}", row.concurrency, row.phase.connections))
        .collect();
    line(
        "ours: TCP connections = N".to_owned(),
        connections.join(", "),
        ours_rows
            .iter()
            .all(|row| row.phase.connections == row.concurrency),
    );
    let _ = write!(
        out,
        "\nSleeping handler: {} events per poller; echo: the warm events, about 1.5 KB each. Ours sleeps with `std::thread::sleep` on N OS threads; lambda_runtime awaits `tokio::time::sleep` in N tasks of `run_concurrent`. Both musl, the same release profile.\n{verdicts}",
        rows.iter()
            .find(|row| row.work == "sleep 10 ms")
            .map_or(0, |row| row.phase.latencies.len() / row.concurrency.max(1)),
    );
    out
}

fn micros(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
