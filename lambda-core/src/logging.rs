//! Every line the process writes on standard error: the runtime's own messages, the
//! records of the `log` and `tracing` facades (features of the same names), and the
//! emulator's platform lines. One `write` per line, in the format Lambda's advanced
//! logging controls ask for: `AWS_LAMBDA_LOG_FORMAT` (text, or one JSON object per
//! line, which CloudWatch can filter by `level`) and `AWS_LAMBDA_LOG_LEVEL`.
//!
//! Each line written during an invocation carries its request id (and tenant id): the
//! poller that serves it marks its own thread for the call ([`Invocation::enter`]), so
//! concurrent pollers each stamp their own.

use std::cell::RefCell;
use std::fmt::{self, Display, Write as _};
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// A line's level, lowest first. `Fatal` is only the runtime's last line before it
/// exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// The name Lambda filters on.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }

    /// `AWS_LAMBDA_LOG_LEVEL`'s values, in any case.
    pub(crate) fn parse(value: &str) -> Option<Level> {
        [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
            Level::Fatal,
        ]
        .into_iter()
        .find(|level| level.name().eq_ignore_ascii_case(value.trim()))
    }
}

/// `AWS_LAMBDA_LOG_FORMAT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Format {
    #[default]
    Text,
    Json,
}

/// How this process writes its lines, decided once at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) format: Format,
    /// Lines below this level are not written (`Fatal` always is).
    pub(crate) level: Level,
    /// `LAMBDA_LOG_DEPENDENCIES=1`: the records of the runtime's own dependencies (its
    /// HTTP client) below `WARN` are written too, for debugging the runtime itself.
    pub(crate) dependencies: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            format: Format::Text,
            level: Level::Info,
            dependencies: false,
        }
    }
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets how lines are written, once, before the first line; later calls change nothing.
pub(crate) fn configure(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

pub(crate) fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Whether a line of `level` is written.
pub(crate) fn enabled(level: Level) -> bool {
    level == Level::Fatal || level >= settings().level
}

/// The targets of the runtime's own dependencies, whose records below `WARN` are
/// dropped unless [`Settings::dependencies`] asks for them.
const DEPENDENCIES: [&str; 2] = ["ureq_proto", "http"];

/// Whether a facade's record of `level` from `target` is written.
#[cfg_attr(not(any(feature = "log", feature = "tracing")), allow(dead_code))]
pub(crate) fn enabled_for(level: Level, target: &str) -> bool {
    if !enabled(level) {
        return false;
    }
    let crate_name = target.split("::").next().unwrap_or(target);
    level >= Level::Warn || settings().dependencies || !DEPENDENCIES.contains(&crate_name)
}

/// The invocation the current thread is serving.
struct Current {
    request_id: String,
    tenant_id: Option<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Marks the current thread as serving an invocation until dropped: every line written
/// meanwhile carries its ids.
pub(crate) struct Invocation(());

impl Invocation {
    pub(crate) fn enter(request_id: &str, tenant_id: Option<&str>) -> Invocation {
        CURRENT.with(|current| {
            *current.borrow_mut() = Some(Current {
                request_id: request_id.to_owned(),
                tenant_id: tenant_id.map(str::to_owned),
            });
        });
        Invocation(())
    }
}

impl Drop for Invocation {
    fn drop(&mut self) {
        // `try_with`: a thread being torn down has nothing left to mark.
        let _ = CURRENT.try_with(|current| current.borrow_mut().take());
    }
}

/// A value of an extra field: text, or JSON written as it is (a number, `true`).
pub(crate) enum Value {
    Text(String),
    Json(String),
}

/// One line: its level, who wrote it, the message, and extra fields.
pub(crate) struct Line<'a> {
    pub(crate) level: Level,
    /// `lambda_core` for the runtime's own lines, else the record's target.
    pub(crate) logger: &'a str,
    pub(crate) message: &'a dyn Display,
    pub(crate) fields: Vec<(String, Value)>,
}

/// The keys every JSON line may have; a record's own fields never overwrite them.
const RESERVED: [&str; 6] = [
    "timestamp",
    "level",
    "message",
    "logger",
    "requestId",
    "tenantId",
];

impl Line<'_> {
    /// Writes the line if its level is enabled, in the configured format, in one write.
    pub(crate) fn write(&self) {
        if enabled(self.level) {
            self.write_always();
        }
    }

    /// Writes the line whatever the level: for a line the user needs to use the process
    /// at all (the emulator's address).
    pub(crate) fn write_always(&self) {
        let line = match settings().format {
            Format::Json => self.json(),
            Format::Text => self.text(),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    fn json(&self) -> String {
        let mut line = String::with_capacity(160);
        line.push('{');
        push_json_field(&mut line, "timestamp", &Timestamp::now());
        push_json_field(&mut line, "level", &self.level.name());
        push_json_field(&mut line, "message", self.message);
        push_json_field(&mut line, "logger", &self.logger);
        if let Some((request_id, tenant_id)) = current_ids() {
            push_json_field(&mut line, "requestId", &request_id);
            if let Some(tenant_id) = tenant_id {
                push_json_field(&mut line, "tenantId", &tenant_id);
            }
        }
        let mut written: Vec<&str> = Vec::new();
        for (key, value) in &self.fields {
            // The line's own keys, and a key a record repeats, are written once.
            if RESERVED.contains(&key.as_str()) || written.contains(&key.as_str()) {
                continue;
            }
            written.push(key);
            match value {
                Value::Text(text) => push_json_field(&mut line, key, text),
                Value::Json(json) => {
                    push_key(&mut line, key);
                    line.push_str(json);
                }
            }
        }
        line.push_str("}\n");
        line
    }

    /// The runtime's own lines as they always were (`lambda_core: …`); a facade's record
    /// as `[LEVEL]`, the time, the request id when there is one, the message, and any
    /// fields as `key=value`.
    fn text(&self) -> String {
        let mut line = if self.logger == RUNTIME {
            format!("{RUNTIME}: {}", self.message)
        } else {
            let mut line = format!("[{}]\t{}\t", self.level.name(), Timestamp::now());
            if let Some((request_id, _)) = current_ids() {
                let _ = write!(line, "{request_id}\t");
            }
            let _ = write!(line, "{}", self.message);
            line
        };
        if self.logger != RUNTIME {
            for (key, value) in &self.fields {
                let (Value::Text(value) | Value::Json(value)) = value;
                let _ = write!(line, " {key}={value}");
            }
        }
        // One line, whatever the message held.
        let mut line = line.replace('\r', "\\r").replace('\n', "\\n");
        line.push('\n');
        line
    }
}

/// The request and tenant ids of the invocation this thread serves, if any.
fn current_ids() -> Option<(String, Option<String>)> {
    CURRENT
        .try_with(|current| {
            let current = current.try_borrow().ok()?;
            let current = current.as_ref()?;
            Some((current.request_id.clone(), current.tenant_id.clone()))
        })
        .ok()
        .flatten()
}

/// The logger name of the runtime's own lines.
pub(crate) const RUNTIME: &str = "lambda_core";

/// Writes one of the runtime's own messages at `level`.
pub(crate) fn runtime_line(level: Level, message: fmt::Arguments<'_>) {
    Line {
        level,
        logger: RUNTIME,
        message: &message,
        fields: Vec::new(),
    }
    .write();
}

/// The runtime's line for an error report, `{prefix}: {errorType}: {errorMessage}`; in
/// JSON mode with `errorType`, `errorMessage` and `stackTrace` as fields, as the managed
/// runtimes log a failed invocation.
pub(crate) fn report_line(level: Level, prefix: &str, report: &crate::Diagnostic) {
    let message = format_args!("{prefix}: {}: {}", report.error_type, report.error_message);
    let fields = match settings().format {
        Format::Text => Vec::new(),
        Format::Json => vec![
            (
                "errorType".to_owned(),
                Value::Text(report.error_type.clone()),
            ),
            (
                "errorMessage".to_owned(),
                Value::Text(report.error_message.clone()),
            ),
            (
                "stackTrace".to_owned(),
                Value::Json(serde_json::to_string(&report.stack_trace).unwrap_or_default()),
            ),
        ],
    };
    Line {
        level,
        logger: RUNTIME,
        message: &message,
        fields,
    }
    .write();
}

fn push_key(line: &mut String, key: &str) {
    if !line.ends_with('{') {
        line.push(',');
    }
    push_json_string(line, key);
    line.push(':');
}

fn push_json_field(line: &mut String, key: &str, value: &dyn Display) {
    push_key(line, key);
    push_json_string(line, &display(value));
}

/// `value` as text; a `Display` that fails leaves what it wrote, where `to_string` would
/// panic inside the user's `log::info!`.
pub(crate) fn display(value: &dyn Display) -> String {
    let mut text = String::new();
    let _ = write!(text, "{value}");
    text
}

/// `text` as a JSON string, escaped as JSON requires.
pub(crate) fn push_json_string(line: &mut String, text: &str) {
    line.push('"');
    for c in text.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(line, "\\u{:04x}", c as u32);
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

/// An RFC 3339 time in UTC with milliseconds (`2026-12-02T17:30:00.123Z`), as Lambda
/// requires of a JSON line's `timestamp`, without a date crate.
pub(crate) struct Timestamp(SystemTime);

impl Timestamp {
    pub(crate) fn now() -> Timestamp {
        Timestamp(SystemTime::now())
    }
}

impl Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = self.0.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = since.as_secs();
        let (days, rest) = (seconds / 86_400, seconds % 86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60,
            since.subsec_millis()
        )
    }
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc_3339_in_utc() {
        let at = |seconds: u64, millis: u64| {
            Timestamp(UNIX_EPOCH + Duration::from_millis(seconds * 1000 + millis)).to_string()
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_796_232_600, 123), "2026-12-02T17:30:00.123Z");
        assert_eq!(at(4_102_444_799, 999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!(Level::parse("debug"), Some(Level::Debug));
        assert_eq!(Level::parse(" Warn "), Some(Level::Warn));
        assert_eq!(Level::parse("FATAL"), Some(Level::Fatal));
        assert_eq!(Level::parse("verbose"), None);
    }

    #[test]
    fn a_json_line_escapes_and_keeps_its_own_keys() {
        let message = "a \"quoted\"\nline\u{1}";
        let line = Line {
            level: Level::Info,
            logger: "shop",
            message: &message,
            fields: vec![
                ("level".to_owned(), Value::Text("forged".to_owned())),
                ("order".to_owned(), Value::Json("7".to_owned())),
                ("who".to_owned(), Value::Text("ann".to_owned())),
            ],
        };
        let _invocation = Invocation::enter("req-1", Some("tenant-1"));
        let json: serde_json::Value = serde_json::from_str(&line.json()).unwrap();
        assert_eq!(json["level"], "INFO");
        assert_eq!(json["message"], message);
        assert_eq!(json["logger"], "shop");
        assert_eq!(json["requestId"], "req-1");
        assert_eq!(json["tenantId"], "tenant-1");
        assert_eq!(json["order"], 7);
        assert_eq!(json["who"], "ann");
        assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn dependencies_are_quiet_below_warn() {
        assert!(!enabled_for(Level::Info, "ureq_proto::client"));
        assert!(!enabled_for(Level::Info, "http"));
        assert!(enabled_for(Level::Warn, "ureq_proto"));
        // A handler's own ureq is the user's, not the runtime's.
        assert!(enabled_for(Level::Info, "ureq::unversioned::transport"));
        assert!(enabled_for(Level::Info, "shop::orders"));
        assert!(
            !enabled_for(Level::Debug, "shop::orders"),
            "INFO by default"
        );
    }
}
