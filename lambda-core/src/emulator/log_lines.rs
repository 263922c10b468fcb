//! Lambda's own log lines (START, END, REPORT) and the numbers in them.

use std::time::Duration;

/// Writes Lambda's own log lines (START, END, REPORT) to standard error as they are, with
/// no runtime prefix. A closed standard error loses them rather than stopping the
/// emulator, as `eprintln!` would by panicking.
pub(crate) fn lambda_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    // One write, so that the function process's lines on the same pipe cannot split it.
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
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
