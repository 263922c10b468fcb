//! The phases: cold start, warm throughput and latency, large payloads; and what the
//! kernel says about the process (peak RSS, CPU time).

use crate::check::check;
use crate::mock::{Mock, Run};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any phase may take before the run fails.
const PHASE_LIMIT: Duration = Duration::from_secs(300);
/// Linux reports CPU time in clock ticks of `USER_HZ`, which is 100 on every mainstream
/// kernel configuration.
const TICKS_PER_SECOND: u64 = 100;

/// Cold starts: from just before `spawn()` to the first `GET /next` head, and to the
/// first response body.
pub struct Cold {
    pub to_next: Vec<Duration>,
    pub to_response: Vec<Duration>,
}

pub fn cold(binary: &Path, runs: usize, event: &[u8]) -> Result<Cold, String> {
    cold_with_env(binary, runs, event, &[])
}

/// [`cold`], with `env` added to the function's environment.
pub fn cold_with_env(
    binary: &Path,
    runs: usize,
    event: &[u8],
    env: &[(String, String)],
) -> Result<Cold, String> {
    let mut cold = Cold {
        to_next: Vec::new(),
        to_response: Vec::new(),
    };
    for _ in 0..runs {
        let events = [event.to_vec()];
        let mock = Mock::start(&events).map_err(|error| error.to_string())?;
        let started = Instant::now();
        let mut child = spawn(binary, &mock, None, env)?;
        let answered = wait_while_running(&mock, &mut child, 1)?;
        stop(&mut child);
        let run = mock.finish();
        if !answered {
            return Err(format!(
                "{} did not answer its first event",
                binary.display()
            ));
        }
        check(&events, &run.answers)?;
        let first_next = run.first_next.ok_or("no /next")?;
        cold.to_next.push(first_next - started);
        cold.to_response.push(run.answers[0].read_at - started);
    }
    Ok(cold)
}

/// One process through a list of events.
pub struct Phase {
    pub per_second: f64,
    pub latencies: Vec<Duration>,
    pub peak_rss_kib: u64,
    pub cpu_per_invocation: Duration,
    pub connections: usize,
}

/// Runs `events` through a fresh process, then checks every answer.
pub fn phase(binary: &Path, events: &[Vec<u8>]) -> Result<Phase, String> {
    phase_with(binary, events, None)
}

/// [`phase`], with `AWS_LAMBDA_MAX_CONCURRENCY` set to `concurrency` when given.
pub fn phase_with(
    binary: &Path,
    events: &[Vec<u8>],
    concurrency: Option<usize>,
) -> Result<Phase, String> {
    phase_with_env(binary, events, concurrency, &[])
}

/// [`phase_with`], with `env` added to the function's environment.
pub fn phase_with_env(
    binary: &Path,
    events: &[Vec<u8>],
    concurrency: Option<usize>,
    env: &[(String, String)],
) -> Result<Phase, String> {
    let mock = Mock::start(events).map_err(|error| error.to_string())?;
    let mut child = spawn(binary, &mock, concurrency, env)?;
    let answered = wait_while_running(&mock, &mut child, events.len())?;
    let peak_rss_kib = peak_rss_kib(child.id());
    let cpu = cpu_time(child.id());
    stop(&mut child);
    let run = mock.finish();
    if !answered {
        return Err(format!(
            "{}: {} of {} events answered",
            binary.display(),
            run.answers.len(),
            events.len()
        ));
    }
    check(events, &run.answers)?;
    let (per_second, latencies) = timing(&run)?;
    Ok(Phase {
        per_second,
        latencies,
        peak_rss_kib: peak_rss_kib.ok_or("no VmHWM in /proc")?,
        cpu_per_invocation: cpu.ok_or("no CPU time in /proc")? / events.len() as u32,
        connections: run.connections,
    })
}

/// How many times the runtime allocates per invocation: `binary` is `count_allocations`,
/// which answers each event with the count since its previous call (one turn of the
/// loop). The median over the second half of `events`, once buffers have grown.
pub fn allocations(binary: &Path, events: &[Vec<u8>]) -> Result<u64, String> {
    let mock = Mock::start(events).map_err(|error| error.to_string())?;
    let mut child = spawn(binary, &mock, None, &[])?;
    let answered = wait_while_running(&mock, &mut child, events.len())?;
    stop(&mut child);
    let run = mock.finish();
    if !answered {
        return Err(format!("{}: not every event answered", binary.display()));
    }
    let mut counts = Vec::new();
    for answer in run.answers.iter().filter(|a| a.index >= events.len() / 2) {
        let text = String::from_utf8_lossy(&answer.body);
        counts.push(
            text.parse::<u64>()
                .map_err(|_| format!("{}: answered {text:?}", binary.display()))?,
        );
    }
    counts.sort_unstable();
    counts
        .get(counts.len() / 2)
        .copied()
        .ok_or_else(|| "no answers".to_owned())
}

/// Waits for `count` answers, for [`PHASE_LIMIT`] at most, but fails at once if the
/// function exits first.
pub fn wait_while_running(mock: &Mock, child: &mut Child, count: usize) -> Result<bool, String> {
    let deadline = Instant::now() + PHASE_LIMIT;
    while Instant::now() < deadline {
        if mock.wait_for_answers(count, Duration::from_millis(100)) {
            return Ok(true);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the function exited ({status}) before answering; its stderr is in {}",
                log_path().display()
            ));
        }
    }
    Ok(false)
}

/// Where each function's standard error goes (overwritten by the next start).
fn log_path() -> std::path::PathBuf {
    crate::build::Paths::new().out.join("function.log")
}

/// Invocations per second from the first event written to the last answer read, and
/// each invocation's latency (event written → answer read).
fn timing(run: &Run) -> Result<(f64, Vec<Duration>), String> {
    let mut latencies = Vec::with_capacity(run.answers.len());
    for answer in &run.answers {
        let written = run
            .written
            .get(answer.index)
            .copied()
            .flatten()
            .ok_or("an answer to an event never written")?;
        latencies.push(answer.read_at.saturating_duration_since(written));
    }
    let first = run
        .written
        .iter()
        .flatten()
        .min()
        .ok_or("no event written")?;
    let last = run
        .answers
        .iter()
        .map(|a| a.read_at)
        .max()
        .ok_or("no answer")?;
    let seconds = last
        .saturating_duration_since(*first)
        .as_secs_f64()
        .max(1e-9);
    latencies.sort();
    Ok((run.answers.len() as f64 / seconds, latencies))
}

/// Starts the function; under `BENCH_WRAPPER` (a command and its arguments, such as
/// `/usr/bin/strace -c -o /tmp/calls`) when profiling.
pub fn spawn(
    binary: &Path,
    mock: &Mock,
    concurrency: Option<usize>,
    env: &[(String, String)],
) -> Result<Child, String> {
    let wrapper = std::env::var("BENCH_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    command.env_clear();
    command.envs(env.iter().map(|(name, value)| (name, value)));
    if let Some(concurrency) = concurrency {
        command.env("AWS_LAMBDA_MAX_CONCURRENCY", concurrency.to_string());
    }
    let log = std::fs::File::create(log_path())
        .map_err(|error| format!("{}: {error}", log_path().display()))?;
    command
        .env("AWS_LAMBDA_RUNTIME_API", mock.address())
        // What Lambda always sets; lambda_runtime panics without them.
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|error| format!("start {}: {error}", binary.display()))
}

/// Kills the function; when profiling, first gives it up to a minute to exit by itself
/// (the mock then ends the run with a `500`), so the profiler can write its report.
pub fn stop(child: &mut Child) {
    if std::env::var_os("BENCH_WRAPPER").is_some() {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `VmHWM` from `/proc/<pid>/status`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `utime + stime` from `/proc/<pid>/stat`, read before the process is reaped.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let (utime, stime): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// The value at `fraction` (0.5 for the median) of a sorted list.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_sorted_list() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&values, 0.5), Duration::from_micros(51));
        assert_eq!(percentile(&values, 0.99), Duration::from_micros(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn reads_this_process_from_proc() {
        assert!(peak_rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(cpu_time(std::process::id()).is_some());
    }
}
