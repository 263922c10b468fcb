//! Lambda's own log lines and the numbers in them: in text, `START`, `END` and
//! `REPORT`; in JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`), the platform records
//! `platform.initStart`, `platform.start`, `platform.runtimeDone` and `platform.report`,
//! shaped as Lambda writes them. Either way they are not filtered by
//! `AWS_LAMBDA_LOG_LEVEL`, which is for the function's own lines.

use super::settings::Settings;
use crate::logging::{self, Format, Timestamp, push_json_string};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// Writes one line to standard error, in one write, so that the function process's
/// lines on the same pipe cannot split it. A closed standard error loses it rather than
/// stopping the emulator, as `eprintln!` would by panicking.
fn write_line(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

fn json_mode() -> bool {
    logging::settings().format == Format::Json
}

/// `{"time":…,"type":"platform.<kind>","record":{record}}`, `record` already JSON.
fn platform_record(kind: &str, record: &str) {
    write_line(&format!(
        r#"{{"time":"{}","type":"platform.{kind}","record":{{{record}}}}}"#,
        Timestamp::now()
    ));
}

fn json_text(text: &str) -> String {
    let mut out = String::new();
    push_json_string(&mut out, text);
    out
}

/// A new function process: `platform.initStart` in JSON (text mode has no line for it).
pub(crate) fn init_start(settings: &Settings, managed_instances: bool) {
    if json_mode() {
        let kind = if managed_instances {
            "lambda-managed-instances"
        } else {
            "on-demand"
        };
        platform_record(
            "initStart",
            &format!(
                r#""initializationType":"{kind}","phase":"init","functionName":{},"functionVersion":{}"#,
                json_text(&settings.function_name),
                json_text(&settings.version)
            ),
        );
    }
}

/// `START RequestId: … Version: …`, or `platform.start`.
pub(crate) fn start(request_id: &str, version: &str) {
    if json_mode() {
        platform_record(
            "start",
            &format!(
                r#""requestId":{},"version":{}"#,
                json_text(request_id),
                json_text(version)
            ),
        );
    } else {
        write_line(&format!("START RequestId: {request_id} Version: {version}"));
    }
}

/// What the end of an invocation reports.
pub(crate) struct Report<'a> {
    pub(crate) request_id: &'a str,
    /// `success`, `error`, `failure` or `timeout`.
    pub(crate) status: &'static str,
    pub(crate) duration: Duration,
    pub(crate) produced_bytes: usize,
    pub(crate) memory_mb: &'a str,
    pub(crate) peak_mb: Option<u64>,
    /// The process's init duration, on its first report.
    pub(crate) init: Option<Duration>,
}

impl Report<'_> {
    /// `END` and `REPORT`, or `platform.runtimeDone` and `platform.report`.
    pub(crate) fn write(&self) {
        let id = self.request_id;
        let billed = micros(self.duration).div_ceil(1000);
        if !json_mode() {
            let mut line = format!(
                "END RequestId: {id}\nREPORT RequestId: {id}\tDuration: {} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB",
                Millis(self.duration),
                self.memory_mb
            );
            if let Some(peak) = self.peak_mb {
                let _ = write!(line, "\tMax Memory Used: {peak} MB");
            }
            if let Some(init) = self.init {
                let _ = write!(line, "\tInit Duration: {} ms", Millis(init));
            }
            write_line(&line);
            return;
        }
        let (id, status) = (json_text(id), self.status);
        let duration = Millis(self.duration);
        platform_record(
            "runtimeDone",
            &format!(
                r#""requestId":{id},"status":"{status}","metrics":{{"durationMs":{duration},"producedBytes":{}}}"#,
                self.produced_bytes
            ),
        );
        let memory: u64 = self.memory_mb.parse().unwrap_or(0);
        let mut metrics = format!(
            r#""durationMs":{duration},"billedDurationMs":{billed},"memorySizeMB":{memory}"#
        );
        if let Some(peak) = self.peak_mb {
            let _ = write!(metrics, r#","maxMemoryUsedMB":{peak}"#);
        }
        if let Some(init) = self.init {
            let _ = write!(metrics, r#","initDurationMs":{}"#, Millis(init));
        }
        platform_record(
            "report",
            &format!(r#""requestId":{id},"status":"{status}","metrics":{{{metrics}}}"#),
        );
    }
}

/// The process's peak resident memory (`VmHWM`), in whole megabytes rounded up.
pub(crate) fn peak_memory_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.div_ceil(1024))
}

/// Milliseconds with two decimals, as Lambda prints durations (`1.73`), in integer
/// arithmetic: float formatting would add several KiB to every function binary.
pub(crate) struct Millis(pub(crate) Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hundredths = micros(self.0) / 10;
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// Whole microseconds and milliseconds as `u64` (saturating, past half a million years):
/// `Duration` gives `u128`, whose formatting and division would add over 1 KiB to every
/// function binary.
pub(crate) fn micros(duration: Duration) -> u64 {
    duration.as_micros().try_into().unwrap_or(u64::MAX)
}

pub(crate) fn millis(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_lambda_prints_them() {
        assert_eq!(Millis(Duration::from_micros(1_734)).to_string(), "1.73");
        assert_eq!(Millis(Duration::from_micros(40)).to_string(), "0.04");
        assert_eq!(Millis(Duration::from_secs(3)).to_string(), "3000.00");
    }
}
