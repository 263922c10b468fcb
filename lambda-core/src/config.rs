//! Configuration, read once from the environment at start-up.

use crate::error::RuntimeError as Error;
use std::sync::Arc;

/// What the runtime needs to know, read from the environment once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// `AWS_LAMBDA_RUNTIME_API` as given; `None` means "not running on Lambda".
    pub(crate) runtime_api: Option<String>,
    /// `AWS_LAMBDA_MAX_CONCURRENCY` (Lambda Managed Instances), when it is a number.
    pub(crate) max_concurrency: Option<u32>,
    /// The function's own settings, shared with every [`Context`](crate::Context).
    pub(crate) function: Arc<FunctionInfo>,
    /// `_LAMBDA_EMULATOR_PID`: this process was started by the built-in emulator, whose
    /// PID this is.
    #[cfg_attr(not(feature = "emulator"), allow(dead_code))]
    pub(crate) emulator_pid: Option<u32>,
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
    pub(crate) fn from_env() -> Config {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`, so tests need not touch the environment.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        let text = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let number = |name: &str| text(name).and_then(|value| value.trim().parse().ok());
        Config {
            runtime_api: text("AWS_LAMBDA_RUNTIME_API"),
            max_concurrency: number("AWS_LAMBDA_MAX_CONCURRENCY"),
            emulator_pid: number("_LAMBDA_EMULATOR_PID"),
            function: Arc::new(FunctionInfo {
                name: text("AWS_LAMBDA_FUNCTION_NAME"),
                memory_size_mb: number("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
                version: text("AWS_LAMBDA_FUNCTION_VERSION"),
                log_group_name: text("AWS_LAMBDA_LOG_GROUP_NAME"),
                log_stream_name: text("AWS_LAMBDA_LOG_STREAM_NAME"),
            }),
        }
    }
}

/// Builds the root URL of the Runtime and Extensions APIs (`http://host:port[/prefix]`,
/// to which `/2018-06-01/...` and `/2020-01-01/...` are appended) from
/// `AWS_LAMBDA_RUNTIME_API`.
///
/// AWS sets the variable to a bare `host:port`; `cargo lambda watch` hands out a URL with
/// a scheme and a path prefix (`http://127.0.0.1:9000/.rt`). Both are accepted. Only
/// plain HTTP is: the Runtime API is a loopback service and this crate carries no TLS.
pub(crate) fn runtime_api_base(value: &str) -> Result<String, Error> {
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
        let config = Config::from_lookup(|_| None);
        assert_eq!(config.runtime_api, None);
        assert_eq!(*config.function, FunctionInfo::default());
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
        });
        assert_eq!(config.runtime_api.as_deref(), Some("127.0.0.1:9001"));
        assert_eq!(config.max_concurrency, Some(4));
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
        });
        assert_eq!(config.function.memory_size_mb, None);
    }
}
