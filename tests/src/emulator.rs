//! The emulator built into every function, started with `--serve` and driven with
//! plain `curl`, as a user drives AWS's Runtime Interface Emulator.

use crate::Function;
use serde_json::Value;
use std::process::Command;

/// A function serving the Invoke endpoint.
pub struct Emulator {
    pub function: Function,
    /// The Invoke URL from its first line on standard error.
    pub url: String,
}

impl Emulator {
    /// Starts `binary --serve` on a free port and reads the address from its first line.
    pub fn start(binary: &str, env: &[(&str, &str)]) -> Emulator {
        let mut all = vec![("LAMBDA_EMULATOR_ADDRESS", "127.0.0.1:0")];
        all.extend_from_slice(env);
        Emulator::from_function(Function::start_with_args(binary, &["--serve"], &all))
    }

    /// An emulator already started, its URL read from its `listening on` line (the first
    /// line but for warnings about the settings), in text or JSON.
    pub fn from_function(function: Function) -> Emulator {
        const LISTENING: &str = "listening on ";
        let url_in = |line: &str| -> Option<String> {
            if let Some(url) = line.strip_prefix("lambda_core: listening on ") {
                return Some(url.to_owned());
            }
            let json: Value = serde_json::from_str(line).ok()?;
            Some(
                json["message"]
                    .as_str()?
                    .strip_prefix(LISTENING)?
                    .to_owned(),
            )
        };
        let line = function.wait_for_stderr_line(|line| url_in(line).is_some());
        let url = url_in(&line).unwrap_or_default();
        assert!(
            url.starts_with("http://127.0.0.1:")
                && url.ends_with("/2015-03-31/functions/function/invocations"),
            "{url}"
        );
        Emulator { function, url }
    }

    /// `host:port` of the Invoke endpoint.
    pub fn address(&self) -> &str {
        let rest = self.url.trim_start_matches("http://");
        &rest[..rest.find('/').unwrap_or(rest.len())]
    }

    pub fn invoke(&self, body: &str) -> InvokeReply {
        curl(&self.url, &["-XPOST", "-d", body])
    }
}

/// What `curl -i` printed, parsed.
pub struct InvokeReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl InvokeReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn is_function_error(&self) -> bool {
        self.header("x-amz-function-error") == Some("Unhandled")
    }
}

/// `curl -i` with a bounded time; the head and the body, parsed.
pub fn curl(url: &str, args: &[&str]) -> InvokeReply {
    let output = Command::new("curl")
        .args(["-s", "-S", "-i", "--max-time", "60", "-H", "Expect:"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| {
        panic!(
            "no answer: {text} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    InvokeReply {
        status,
        headers,
        body: body.to_owned(),
    }
}
