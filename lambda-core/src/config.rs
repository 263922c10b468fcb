//! Configuration, read once from the environment at start-up.

use crate::error::RuntimeError as Error;
use std::sync::Arc;

/// What the process needs to know, read from the environment once and checked once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// `AWS_LAMBDA_RUNTIME_API`, checked; `None` means "not running on Lambda".
    pub(crate) runtime_api: Option<RuntimeApi>,
    /// `AWS_LAMBDA_MAX_CONCURRENCY` (Lambda Managed Instances): how many invocations
    /// may run at once; 1 when unset or not a positive whole number.
    pub(crate) concurrency: u32,
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
}

#[cfg(feature = "emulator")]
impl Default for LocalSettings {
    fn default() -> LocalSettings {
        LocalSettings {
            address: "127.0.0.1:9000".to_owned(),
            timeout_secs: 300,
            region: "us-east-1".to_owned(),
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
        let concurrency = match lookup("AWS_LAMBDA_MAX_CONCURRENCY") {
            None => 1,
            Some(value) => match value.trim().parse::<u32>() {
                Ok(slots @ 1..) => slots,
                _ => {
                    warnings.push(format!(
                        "AWS_LAMBDA_MAX_CONCURRENCY={value:?} is not a positive whole number; counting it as 1"
                    ));
                    1
                }
            },
        };
        #[cfg(feature = "emulator")]
        let local = {
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
            }
        };
        Ok(Config {
            runtime_api,
            concurrency,
            emulator_pid: number("_LAMBDA_EMULATOR_PID"),
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
    /// `http://host:port[/prefix]`, to which `/2018-06-01/…` and `/2020-01-01/…` are
    /// appended.
    root: String,
}

impl RuntimeApi {
    /// Checks a value of `AWS_LAMBDA_RUNTIME_API`.
    ///
    /// AWS sets the variable to a bare `host:port`; `cargo lambda watch` hands out a URL
    /// with a scheme and a path prefix (`http://127.0.0.1:9000/.rt`). Both are accepted.
    /// Only plain HTTP is: the Runtime API is a loopback service and this crate carries
    /// no TLS.
    pub(crate) fn parse(value: &str) -> Result<RuntimeApi, Error> {
        runtime_api_base(value).map(|root| RuntimeApi { root })
    }

    /// `http://host:port[/prefix]`.
    #[cfg_attr(not(any(test, feature = "fuzz")), allow(dead_code))]
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// A URL of the Runtime API: `path` under `/2018-06-01`.
    pub(crate) fn runtime_url(&self, path: &str) -> String {
        format!("{}/2018-06-01{path}", self.root)
    }

    /// A URL of the Extensions API: `path` under `/2020-01-01`.
    pub(crate) fn extensions_url(&self, path: &str) -> String {
        format!("{}/2020-01-01{path}", self.root)
    }
}

/// The root URL (`http://host:port[/prefix]`) from a value of `AWS_LAMBDA_RUNTIME_API`;
/// see [`RuntimeApi::parse`].
fn runtime_api_base(value: &str) -> Result<String, Error> {
    let invalid = |reason| Error::InvalidRuntimeApi {
        value: without_credentials(value),
        reason,
    };
    let trimmed = value.trim();
    let rest = match trimmed.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => {
            return Err(invalid(
                "only http:// is supported (the Runtime API is plain HTTP)",
            ));
        }
        None => trimmed,
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let path = path.trim_end_matches('/');
    if authority.is_empty() {
        return Err(invalid("it names no host"));
    }
    if authority.contains('@') {
        return Err(invalid(
            "it carries credentials, which the Runtime API never takes",
        ));
    }
    if !authority.bytes().all(is_authority_byte) {
        return Err(invalid(
            "the host:port part has characters an address cannot have",
        ));
    }
    check_port(authority).map_err(invalid)?;
    if !path.bytes().all(is_path_byte) {
        return Err(invalid(
            "the path part has characters a URL path cannot have",
        ));
    }
    Ok(format!("http://{authority}{path}"))
}

/// The port after the host, if any, must be a TCP port (`1..=65535`): a resolver given
/// anything else would quietly fall back to port 80.
fn check_port(authority: &str) -> Result<(), &'static str> {
    let after_host = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((_, after)) => after,
            None => return Err("its IPv6 address has no closing ]"),
        },
        None => authority.find(':').map_or("", |colon| &authority[colon..]),
    };
    let port = match after_host.strip_prefix(':') {
        Some(port) => port,
        None if after_host.is_empty() => return Ok(()),
        None => return Err("only a :port may follow the IPv6 address"),
    };
    match port.parse::<u16>() {
        Ok(1..) if port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
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

    #[test]
    fn bare_host_and_port_as_aws_sets_it() {
        let base = runtime_api_base("127.0.0.1:9001").unwrap();
        assert_eq!(base, "http://127.0.0.1:9001");
    }

    #[test]
    fn url_with_base_path_as_cargo_lambda_sets_it() {
        let base = runtime_api_base("http://127.0.0.1:9000/.rt").unwrap();
        assert_eq!(base, "http://127.0.0.1:9000/.rt");
        let base = runtime_api_base("HTTP://localhost:9000/.rt/fn/").unwrap();
        assert_eq!(base, "http://localhost:9000/.rt/fn");
    }

    #[test]
    fn ipv6_address() {
        let base = runtime_api_base("[::1]:9001").unwrap();
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
            let error = runtime_api_base(value).unwrap_err();
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
            match runtime_api_base(value) {
                Err(Error::InvalidRuntimeApi { reason, .. }) => assert!(
                    reason.contains("port") || reason.contains("IPv6"),
                    "{value:?}: {reason}"
                ),
                other => panic!("{value:?}: {other:?}"),
            }
        }
        assert!(runtime_api_base("127.0.0.1:65535").is_ok());
        assert!(runtime_api_base("localhost").is_ok());
        assert!(runtime_api_base("[::1]").is_ok());
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
            let error = runtime_api_base(value).unwrap_err().to_string();
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
            let config = Config::from_lookup(|name| {
                (name == "AWS_LAMBDA_MAX_CONCURRENCY").then(|| value.to_owned())
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
    fn the_runtime_api_builds_its_urls() {
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
            config.runtime_api.as_ref().map(RuntimeApi::root),
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
