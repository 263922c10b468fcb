//! Configuration, read once from the environment at start-up.

use crate::error::RuntimeError as Error;
use crate::logging;
use std::sync::Arc;

/// The variable through which the built-in emulator tells a function process that it
/// started it, and its PID.
pub(crate) const EMULATOR_PID: &str = "_LAMBDA_EMULATOR_PID";

/// The variables Lambda sets for every function that the emulator sets for its function
/// process too, unless the user did.
#[cfg(feature = "emulator")]
pub(crate) const LAMBDA_DEFAULTS: [&str; 8] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

/// The variable that Lambda Managed Instances set to how many invocations a process
/// serves at once.
pub(crate) const CONCURRENCY: &str = "AWS_LAMBDA_MAX_CONCURRENCY";

/// The most pollers a process starts: the service's own maximum for
/// `PerExecutionEnvironmentMaxConcurrency`, so that no real setting is cut. Each costs
/// a thread (its stack is virtual memory until used) and a connection.
pub(crate) const MOST_POLLERS: u32 = 1600;

/// `AWS_LAMBDA_MAX_CONCURRENCY`, checked: 1 to [`MOST_POLLERS`]; anything else is a
/// warning and 1, or the cap.
pub(crate) fn parse_concurrency(value: &str, warnings: &mut Vec<String>) -> u32 {
    let digits = value.trim();
    // A number too large even for a u64 is still a number: the cap, not 1.
    let parsed = match digits.parse::<u64>() {
        Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(u64::MAX),
        parsed => parsed,
    };
    match parsed {
        Ok(0) | Err(_) => {
            warnings.push(format!(
                "{CONCURRENCY}={value:?} is not a positive whole number; counting it as 1"
            ));
            1
        }
        Ok(slots) if slots <= u64::from(MOST_POLLERS) => slots as u32,
        Ok(_) => {
            warnings.push(format!(
                "{CONCURRENCY}={digits} is more than the {MOST_POLLERS} invocations one process serves at once here; serving {MOST_POLLERS}"
            ));
            MOST_POLLERS
        }
    }
}

/// The logging settings. JSON is the default on Lambda Managed Instances, where text
/// cannot be chosen (`AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances`), and for
/// the emulator in that mode (`AWS_LAMBDA_MAX_CONCURRENCY` set), as AWS's RIE has it.
fn logging_settings(
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> logging::Settings {
    let defaults = logging::Settings::default();
    let text = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    let managed = text("AWS_LAMBDA_INITIALIZATION_TYPE")
        .is_some_and(|kind| kind.trim() == "lambda-managed-instances")
        || (text("AWS_LAMBDA_RUNTIME_API").is_none() && lookup(CONCURRENCY).is_some());
    let format = match text("AWS_LAMBDA_LOG_FORMAT") {
        None if managed => logging::Format::Json,
        None => defaults.format,
        Some(value) if value.trim().eq_ignore_ascii_case("json") => logging::Format::Json,
        Some(value) if value.trim().eq_ignore_ascii_case("text") => logging::Format::Text,
        Some(value) => {
            warnings.push(format!(
                "AWS_LAMBDA_LOG_FORMAT={value:?} is neither Text nor JSON; using {}",
                if managed { "JSON" } else { "Text" }
            ));
            if managed {
                logging::Format::Json
            } else {
                defaults.format
            }
        }
    };
    let level = match text("AWS_LAMBDA_LOG_LEVEL") {
        None => defaults.level,
        Some(value) => logging::Level::parse(&value).unwrap_or_else(|| {
            warnings.push(format!(
                "AWS_LAMBDA_LOG_LEVEL={value:?} is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL; using INFO"
            ));
            defaults.level
        }),
    };
    let dependencies = text("LAMBDA_LOG_DEPENDENCIES")
        .is_some_and(|value| matches!(value.trim(), "1" | "true" | "TRUE" | "True"));
    logging::Settings {
        format,
        level,
        dependencies,
    }
}

/// What the process needs to know, read from the environment once and checked once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// `AWS_LAMBDA_RUNTIME_API`, checked; `None` means "not running on Lambda".
    pub(crate) runtime_api: Option<RuntimeApi>,
    /// `AWS_LAMBDA_MAX_CONCURRENCY` (Lambda Managed Instances): how many invocations
    /// may run at once; 1 when unset or not a positive whole number.
    pub(crate) concurrency: u32,
    /// Whether this is Lambda Managed Instances (`AWS_LAMBDA_INITIALIZATION_TYPE` says
    /// so, or `AWS_LAMBDA_MAX_CONCURRENCY` > 1), where a timed-out invocation is not
    /// stopped.
    pub(crate) managed_instances: bool,
    /// How lines are written: `AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`,
    /// `LAMBDA_LOG_DEPENDENCIES` (in effect from [`Config::logging_from_env`]; the
    /// emulator passes these to its function process).
    #[cfg_attr(not(feature = "emulator"), allow(dead_code))]
    pub(crate) logging: logging::Settings,
    /// The function's own settings, shared with every [`Context`](crate::Context).
    pub(crate) function: Arc<FunctionInfo>,
    /// What only a local run reads.
    #[cfg(feature = "emulator")]
    pub(crate) local: LocalSettings,
    /// `_LAMBDA_EMULATOR_PID`: this process was started by the built-in emulator, whose
    /// PID this is.
    #[cfg_attr(not(feature = "emulator"), allow(dead_code))]
    pub(crate) emulator_pid: Option<u32>,
    /// One line for each value that was set but unusable, and what was used instead.
    pub(crate) warnings: Vec<String>,
}

/// The settings of a local run, from the variables AWS's Runtime Interface Emulator
/// reads, with its defaults.
#[cfg(feature = "emulator")]
#[derive(Debug, Clone)]
pub(crate) struct LocalSettings {
    /// `LAMBDA_EMULATOR_ADDRESS`: where the Invoke endpoint listens.
    pub(crate) address: String,
    /// `AWS_LAMBDA_FUNCTION_TIMEOUT`, in whole seconds from 1 to 900 (default 300).
    pub(crate) timeout_secs: u64,
    /// `AWS_REGION` (default `us-east-1`).
    pub(crate) region: String,
    /// Which of [`LAMBDA_DEFAULTS`] the user set: those are passed on as they are.
    pub(crate) user_set: Vec<&'static str>,
    /// `AWS_LAMBDA_MAX_CONCURRENCY`, whose presence switches the emulator to Lambda
    /// Managed Instances mode, as it switches AWS's Runtime Interface Emulator.
    pub(crate) concurrency: Option<u32>,
}

#[cfg(feature = "emulator")]
impl Default for LocalSettings {
    fn default() -> LocalSettings {
        LocalSettings {
            address: "127.0.0.1:9000".to_owned(),
            timeout_secs: 300,
            region: "us-east-1".to_owned(),
            user_set: Vec::new(),
            concurrency: None,
        }
    }
}

/// The function's settings from the reserved Lambda environment variables.
///
/// Every field is optional so that the same binary runs on a laptop or in CI, where none
/// of them is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionInfo {
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in megabytes.
    pub memory_size_mb: Option<u32>,
    /// `AWS_LAMBDA_FUNCTION_VERSION`, such as `$LATEST`.
    pub version: Option<String>,
    /// `AWS_LAMBDA_LOG_GROUP_NAME`.
    pub log_group_name: Option<String>,
    /// `AWS_LAMBDA_LOG_STREAM_NAME`.
    pub log_stream_name: Option<String>,
}

impl Config {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Only the logging settings (their warnings come with [`Config::from_env`]): known
    /// first, so that even a configuration error is written in the right format.
    pub(crate) fn logging_from_env() -> logging::Settings {
        logging_settings(&|name: &str| std::env::var(name).ok(), &mut Vec::new())
    }

    /// Reads the variables through `lookup`, so tests need not touch the environment. An
    /// unusable `AWS_LAMBDA_RUNTIME_API` is an error: the process cannot do its job. Any
    /// other unusable value is a warning and its default.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let text = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let number = |name: &str| text(name).and_then(|value| value.trim().parse().ok());
        let mut warnings = Vec::new();
        let runtime_api = text("AWS_LAMBDA_RUNTIME_API")
            .map(|value| RuntimeApi::parse(&value))
            .transpose()?;
        // Each value is read, and warned about, only by the process that uses it: the
        // concurrency on Lambda, the local settings by the emulator (not again by the
        // function process it starts).
        let on_lambda = runtime_api.is_some();
        let concurrency = match lookup(CONCURRENCY).filter(|_| on_lambda) {
            None => 1,
            Some(value) => parse_concurrency(&value, &mut warnings),
        };
        #[cfg(feature = "emulator")]
        let local = if on_lambda {
            LocalSettings::default()
        } else {
            let defaults = LocalSettings::default();
            let timeout_secs = match text("AWS_LAMBDA_FUNCTION_TIMEOUT") {
                None => defaults.timeout_secs,
                Some(value) => match value.trim().parse() {
                    // Lambda's own limit; larger values would also overflow a deadline.
                    Ok(secs @ 1..=900) => secs,
                    _ => {
                        warnings.push(format!(
                            "AWS_LAMBDA_FUNCTION_TIMEOUT={value:?} is not a whole number of seconds from 1 to 900; using 300"
                        ));
                        defaults.timeout_secs
                    }
                },
            };
            LocalSettings {
                address: text("LAMBDA_EMULATOR_ADDRESS").unwrap_or(defaults.address),
                timeout_secs,
                region: text("AWS_REGION").unwrap_or(defaults.region),
                user_set: LAMBDA_DEFAULTS
                    .into_iter()
                    .filter(|name| lookup(name).is_some())
                    .collect(),
                concurrency: lookup(CONCURRENCY)
                    .map(|value| parse_concurrency(&value, &mut warnings)),
            }
        };
        let logging = logging_settings(&lookup, &mut warnings);
        let managed_instances = concurrency > 1
            || text("AWS_LAMBDA_INITIALIZATION_TYPE")
                .is_some_and(|kind| kind.trim() == "lambda-managed-instances");
        Ok(Config {
            runtime_api,
            concurrency,
            managed_instances,
            logging,
            emulator_pid: number(EMULATOR_PID),
            function: Arc::new(FunctionInfo {
                name: text("AWS_LAMBDA_FUNCTION_NAME"),
                memory_size_mb: number("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
                version: text("AWS_LAMBDA_FUNCTION_VERSION"),
                log_group_name: text("AWS_LAMBDA_LOG_GROUP_NAME"),
                log_stream_name: text("AWS_LAMBDA_LOG_STREAM_NAME"),
            }),
            #[cfg(feature = "emulator")]
            local,
            warnings,
        })
    }
}

/// `AWS_LAMBDA_RUNTIME_API`, checked: a host, a TCP port and a base path, from which it
/// builds every URL the runtime calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuntimeApi {
    /// A host name, an IPv4 address, or an IPv6 address in brackets.
    host: String,
    /// The TCP port (80 when the value names none).
    port: u16,
    /// The base path, empty or `/…` with no trailing `/` (cargo-lambda's `/.rt`).
    path: String,
}

impl RuntimeApi {
    /// Checks a value of `AWS_LAMBDA_RUNTIME_API`.
    ///
    /// AWS sets the variable to a bare `host:port`; `cargo lambda watch` hands out a URL
    /// with a scheme and a path prefix (`http://127.0.0.1:9000/.rt`). Both are accepted.
    /// Only plain HTTP is: the Runtime API is a loopback service and this crate carries
    /// no TLS.
    pub(crate) fn parse(value: &str) -> Result<RuntimeApi, Error> {
        let invalid = |reason| Error::InvalidRuntimeApi {
            value: without_credentials(value),
            reason,
        };
        let (host, port, path) = parse_parts(value).map_err(invalid)?;
        Ok(RuntimeApi {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The host (an IPv6 address in brackets) and port to connect to.
    pub(crate) fn address(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// `http://host:port[/prefix]`, to which `/2018-06-01/…` and `/2020-01-01/…` are
    /// appended.
    pub(crate) fn root(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.path)
    }

    /// A URL of the Runtime API: `path` under `/2018-06-01`.
    pub(crate) fn runtime_url(&self, path: &str) -> String {
        format!("{}/2018-06-01{path}", self.root())
    }

    /// The head of a request to `path` under `/2018-06-01`: its request line's target,
    /// and its `Host`.
    pub(crate) fn runtime_target(&self, path: &str) -> (String, String) {
        let target = format!("{}/2018-06-01{path}", self.path);
        (target, format!("{}:{}", self.host, self.port))
    }

    /// A URL of the Extensions API: `path` under `/2020-01-01`.
    pub(crate) fn extensions_url(&self, path: &str) -> String {
        format!("{}/2020-01-01{path}", self.root())
    }
}

/// The host, port and base path of a value of `AWS_LAMBDA_RUNTIME_API`, or what is
/// wrong with it; see [`RuntimeApi::parse`].
fn parse_parts(value: &str) -> Result<(&str, u16, &str), &'static str> {
    let trimmed = value.trim();
    // Every request's head must fit the client's 8 KiB output buffer with the URL in it.
    if trimmed.len() > 4096 {
        return Err("it is longer than 4096 bytes");
    }
    let rest = match trimmed.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => {
            return Err("only http:// is supported (the Runtime API is plain HTTP)");
        }
        None => trimmed,
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let path = path.trim_end_matches('/');
    if authority.is_empty() {
        return Err("it names no host");
    }
    if authority.contains('@') {
        return Err("it carries credentials, which the Runtime API never takes");
    }
    if !authority.bytes().all(is_authority_byte) {
        return Err("the host:port part has characters an address cannot have");
    }
    let (host, port) = split_port(authority)?;
    if !path.bytes().all(is_path_byte) {
        return Err("the path part has characters a URL path cannot have");
    }
    Ok((host, port, path))
}

/// The host and the port after it, which must be a TCP port (`1..=65535`): a resolver
/// given anything else would quietly fall back to port 80. No port means 80.
fn split_port(authority: &str) -> Result<(&str, u16), &'static str> {
    let host_end = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.find(']') {
            Some(close) => close + 2,
            None => return Err("its IPv6 address has no closing ]"),
        },
        None => authority.find(':').unwrap_or(authority.len()),
    };
    let (host, after_host) = authority.split_at(host_end);
    let digits = match after_host.strip_prefix(':') {
        Some(digits) => digits,
        None if after_host.is_empty() => return Ok((host, 80)),
        None => return Err("only a :port may follow the IPv6 address"),
    };
    // `u16::from_str` takes a leading `+`; a port is digits only.
    match digits.parse::<u16>() {
        Ok(port @ 1..) if digits.bytes().all(|b| b.is_ascii_digit()) => Ok((host, port)),
        _ => Err("its port is not a number from 1 to 65535"),
    }
}

/// The value with any `user:password@` replaced by `***@`, fit to print.
fn without_credentials(value: &str) -> String {
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (&value[..scheme.len() + 3], rest),
        None => ("", value),
    };
    // The last `@` anywhere: a password may hold a `/`, and no valid value has an `@`.
    match rest.rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => value.to_owned(),
    }
}

/// Host names, IPv4 and bracketed IPv6 addresses, and a port.
fn is_authority_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b':' | b'[' | b']')
}

/// Unreserved characters, percent escapes and segment separators; no query or fragment.
fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~' | b'/' | b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(value: &str) -> Result<String, Error> {
        RuntimeApi::parse(value).map(|api| api.root())
    }

    #[test]
    fn bare_host_and_port_as_aws_sets_it() {
        let base = root("127.0.0.1:9001").unwrap();
        assert_eq!(base, "http://127.0.0.1:9001");
    }

    #[test]
    fn url_with_base_path_as_cargo_lambda_sets_it() {
        let base = root("http://127.0.0.1:9000/.rt").unwrap();
        assert_eq!(base, "http://127.0.0.1:9000/.rt");
        let base = root("HTTP://localhost:9000/.rt/fn/").unwrap();
        assert_eq!(base, "http://localhost:9000/.rt/fn");
    }

    #[test]
    fn ipv6_address() {
        let base = root("[::1]:9001").unwrap();
        assert_eq!(base, "http://[::1]:9001");
    }

    #[test]
    fn rejects_what_is_not_a_plain_http_address() {
        for value in [
            "https://x:1",
            "",
            "   ",
            "http://",
            "/path",
            "a b:1",
            "h:1/?q",
            "h:1/#f",
        ] {
            let error = root(value).unwrap_err();
            assert!(
                matches!(error, Error::InvalidRuntimeApi { .. }),
                "{value:?}"
            );
        }
    }

    #[test]
    fn rejects_a_port_that_is_not_a_tcp_port() {
        for value in [
            "127.0.0.1:99999",
            "127.0.0.1:abc",
            "127.0.0.1:",
            "127.0.0.1:0",
            "127.0.0.1:+80",
            "127.0.0.1:1:2",
            "[::1]:",
            "[::1]x",
            "[::1",
            "http://localhost:65536/.rt",
        ] {
            match root(value) {
                Err(Error::InvalidRuntimeApi { reason, .. }) => assert!(
                    reason.contains("port") || reason.contains("IPv6"),
                    "{value:?}: {reason}"
                ),
                other => panic!("{value:?}: {other:?}"),
            }
        }
        assert!(root("127.0.0.1:65535").is_ok());
        assert!(root("localhost").is_ok());
        assert!(root("[::1]").is_ok());
    }

    #[test]
    fn a_runtime_api_over_4096_bytes_is_refused() {
        let longest = format!("127.0.0.1:9001/{}", "p".repeat(4096 - 15));
        assert!(root(&longest).is_ok());
        match root(&format!("{longest}p")) {
            Err(Error::InvalidRuntimeApi { reason, .. }) => {
                assert_eq!(reason, "it is longer than 4096 bytes");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn never_prints_credentials() {
        for value in [
            "http://user:secret@127.0.0.1:1",
            "user:secret@127.0.0.1:1",
            "http://user:secret@127.0.0.1:1/.rt",
            "https://user:secret@127.0.0.1:1",
            "http://user:sec/ret@127.0.0.1:1",
        ] {
            let error = root(value).unwrap_err().to_string();
            assert!(!error.contains("sec"), "{error}");
            assert!(error.contains("***@127.0.0.1:1"), "{error}");
        }
    }

    #[test]
    fn missing_optional_variables_are_none_not_a_panic() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.runtime_api, None);
        assert_eq!(config.concurrency, 1);
        assert!(config.warnings.is_empty());
        assert_eq!(*config.function, FunctionInfo::default());
    }

    #[test]
    fn a_concurrency_that_is_not_a_positive_number_is_one_line_and_counts_as_1() {
        for value in ["0", "abc", "", " ", "-2", "1.5"] {
            let config = Config::from_lookup(|name| match name {
                "AWS_LAMBDA_MAX_CONCURRENCY" => Some(value.to_owned()),
                "AWS_LAMBDA_RUNTIME_API" => Some("127.0.0.1:9001".to_owned()),
                _ => None,
            })
            .unwrap();
            assert_eq!(config.concurrency, 1, "{value:?}");
            assert_eq!(
                config.warnings,
                [format!(
                    "AWS_LAMBDA_MAX_CONCURRENCY={value:?} is not a positive whole number; counting it as 1"
                )]
            );
        }
    }

    #[test]
    fn log_format_and_level_read_in_any_case_with_json_the_default_on_managed_instances() {
        let settings = |pairs: &[(&str, &str)]| {
            let mut warnings = Vec::new();
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            let lookup = move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            (logging_settings(&lookup, &mut warnings), warnings)
        };
        let (json, none) = settings(&[
            ("AWS_LAMBDA_LOG_FORMAT", "json"),
            ("AWS_LAMBDA_LOG_LEVEL", "debug"),
        ]);
        assert_eq!(
            (json.format, json.level, none.len()),
            (logging::Format::Json, logging::Level::Debug, 0)
        );
        let (managed, _) = settings(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "lambda-managed-instances"),
        ]);
        assert_eq!(managed.format, logging::Format::Json);
        let (emulated, _) = settings(&[("AWS_LAMBDA_MAX_CONCURRENCY", "4")]);
        assert_eq!(
            emulated.format,
            logging::Format::Json,
            "the emulator's Managed Instances mode"
        );
        let (chosen, _) = settings(&[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
            ("AWS_LAMBDA_LOG_FORMAT", "TEXT"),
        ]);
        assert_eq!(chosen.format, logging::Format::Text);
        let (fallback, warnings) = settings(&[
            ("AWS_LAMBDA_LOG_FORMAT", "yaml"),
            ("AWS_LAMBDA_LOG_LEVEL", "loud"),
        ]);
        assert_eq!(
            (fallback.format, fallback.level),
            (logging::Format::Text, logging::Level::Info)
        );
        assert_eq!(
            warnings,
            [
                "AWS_LAMBDA_LOG_FORMAT=\"yaml\" is neither Text nor JSON; using Text",
                "AWS_LAMBDA_LOG_LEVEL=\"loud\" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL; using INFO",
            ]
        );
        let (plain, _) = settings(&[("LAMBDA_LOG_DEPENDENCIES", "1")]);
        assert!(plain.dependencies);
    }

    #[test]
    fn a_concurrency_over_the_cap_is_one_line_and_the_cap() {
        let mut warnings = Vec::new();
        assert_eq!(parse_concurrency("1600", &mut warnings), 1600);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(parse_concurrency(" 99999999999 ", &mut warnings), 1600);
        assert_eq!(
            warnings,
            [
                "AWS_LAMBDA_MAX_CONCURRENCY=99999999999 is more than the 1600 invocations one process serves at once here; serving 1600"
            ]
        );
    }

    #[test]
    fn each_value_is_checked_only_by_the_process_that_uses_it() {
        let lookup = |on_lambda: bool| {
            move |name: &str| match name {
                "AWS_LAMBDA_MAX_CONCURRENCY" => Some("0".to_owned()),
                "AWS_LAMBDA_FUNCTION_TIMEOUT" => Some("forever".to_owned()),
                "AWS_LAMBDA_RUNTIME_API" if on_lambda => Some("127.0.0.1:9001".to_owned()),
                _ => None,
            }
        };
        let on_lambda = Config::from_lookup(lookup(true)).unwrap();
        assert_eq!(on_lambda.warnings.len(), 1, "{:?}", on_lambda.warnings);
        assert!(on_lambda.warnings[0].starts_with("AWS_LAMBDA_MAX_CONCURRENCY="));
        #[cfg(feature = "emulator")]
        {
            // The emulator uses the concurrency too (Managed Instances mode), and passes
            // the checked value on, so its function process does not warn again.
            let local = Config::from_lookup(lookup(false)).unwrap();
            assert_eq!(local.warnings.len(), 2, "{:?}", local.warnings);
            assert!(local.warnings[0].starts_with("AWS_LAMBDA_FUNCTION_TIMEOUT="));
            assert!(local.warnings[1].starts_with("AWS_LAMBDA_MAX_CONCURRENCY="));
            assert_eq!(local.local.concurrency, Some(1));
        }
    }

    #[test]
    fn the_runtime_api_keeps_its_parts_and_builds_its_urls() {
        let api = RuntimeApi::parse("[::1]:9001").unwrap();
        assert_eq!(
            (api.host.as_str(), api.port, api.path.as_str()),
            ("[::1]", 9001, "")
        );
        let api = RuntimeApi::parse("localhost/.rt/").unwrap();
        assert_eq!(
            (api.host.as_str(), api.port, api.path.as_str()),
            ("localhost", 80, "/.rt")
        );
        let api = RuntimeApi::parse("http://127.0.0.1:9000/.rt").unwrap();
        assert_eq!(api.root(), "http://127.0.0.1:9000/.rt");
        assert_eq!(
            api.runtime_url("/runtime/invocation/next"),
            "http://127.0.0.1:9000/.rt/2018-06-01/runtime/invocation/next"
        );
        assert_eq!(
            api.extensions_url("/extension/register"),
            "http://127.0.0.1:9000/.rt/2020-01-01/extension/register"
        );
        let error = Config::from_lookup(|name| {
            (name == "AWS_LAMBDA_RUNTIME_API").then(|| "127.0.0.1:0".to_owned())
        })
        .unwrap_err();
        assert!(matches!(error, Error::InvalidRuntimeApi { .. }));
    }

    #[test]
    fn reads_every_variable() {
        let config = Config::from_lookup(|name| {
            Some(
                match name {
                    "AWS_LAMBDA_RUNTIME_API" => "127.0.0.1:9001",
                    "AWS_LAMBDA_MAX_CONCURRENCY" => "4",
                    "AWS_LAMBDA_FUNCTION_NAME" => "orders",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" => "128",
                    "AWS_LAMBDA_FUNCTION_VERSION" => "$LATEST",
                    "AWS_LAMBDA_LOG_GROUP_NAME" => "/aws/lambda/orders",
                    "AWS_LAMBDA_LOG_STREAM_NAME" => "2026/11/24/[$LATEST]abc",
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .unwrap();
        assert_eq!(
            config.runtime_api.as_ref().map(RuntimeApi::root).as_deref(),
            Some("http://127.0.0.1:9001")
        );
        assert_eq!(config.concurrency, 4);
        assert_eq!(config.function.name.as_deref(), Some("orders"));
        assert_eq!(config.function.memory_size_mb, Some(128));
        assert_eq!(config.function.version.as_deref(), Some("$LATEST"));
        assert_eq!(
            config.function.log_group_name.as_deref(),
            Some("/aws/lambda/orders")
        );
        assert_eq!(
            config.function.log_stream_name.as_deref(),
            Some("2026/11/24/[$LATEST]abc")
        );
    }

    #[test]
    fn unparsable_memory_size_is_none() {
        let config = Config::from_lookup(|name| {
            (name == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE").then(|| "lots".to_owned())
        })
        .unwrap();
        assert_eq!(config.function.memory_size_mb, None);
    }
}
