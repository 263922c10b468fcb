//! The function's settings in a local run, and the environment every function process
//! inherits from the emulator.

use crate::config::{CONCURRENCY, Config, EMULATOR_PID};
use std::net::SocketAddr;
use std::path::Path;

/// The function's settings, from the configuration, with the defaults of AWS's Runtime
/// Interface Emulator.
pub(crate) struct Settings {
    /// `AWS_LAMBDA_FUNCTION_TIMEOUT`, in whole seconds from 1 to 900 (default 300).
    pub(crate) timeout_secs: u64,
    /// `AWS_LAMBDA_FUNCTION_NAME` (default: the binary's name).
    pub(crate) function_name: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (default 3008).
    pub(crate) memory_mb: String,
    /// `AWS_LAMBDA_FUNCTION_VERSION` (default `$LATEST`).
    pub(crate) version: String,
    /// `AWS_REGION` (default `us-east-1`).
    pub(crate) region: String,
}

impl Settings {
    pub(crate) fn new(config: &Config, program: &Path) -> Settings {
        let function = &config.function;
        let binary = program
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned());
        Settings {
            timeout_secs: config.local.timeout_secs,
            function_name: function
                .name
                .clone()
                .or(binary)
                .unwrap_or_else(|| "function".to_owned()),
            memory_mb: function
                .memory_size_mb
                .map_or_else(|| "3008".to_owned(), |mb| mb.to_string()),
            version: function
                .version
                .clone()
                .unwrap_or_else(|| "$LATEST".to_owned()),
            region: config.local.region.clone(),
        }
    }
}

/// Sets what every function process inherits: the sandbox's address and secret path in
/// `AWS_LAMBDA_RUNTIME_API`, the checked `AWS_LAMBDA_MAX_CONCURRENCY` in Managed
/// Instances mode, and Lambda's standard variables unless the user set them.
/// Setting them here rather than on each `Command` keeps std's per-command environment
/// map (about 12 KiB of code) out of every function binary.
///
/// # Safety
///
/// No other thread may run: `std::env::set_var` is unsound while another thread may read
/// the environment.
#[allow(unsafe_code)]
pub(crate) unsafe fn set_function_environment(
    s: &Settings,
    user_set: &[&str],
    sandbox: SocketAddr,
    secret: &str,
    concurrency: Option<u32>,
    logging: crate::logging::Settings,
) {
    let log_group = format!("/aws/lambda/{}", s.function_name);
    let initialization_type = match concurrency {
        Some(_) => "lambda-managed-instances",
        None => "on-demand",
    };
    let defaults = [
        ("AWS_LAMBDA_FUNCTION_NAME", s.function_name.as_str()),
        ("AWS_LAMBDA_FUNCTION_VERSION", &s.version),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", &s.memory_mb),
        ("AWS_LAMBDA_LOG_GROUP_NAME", &log_group),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", initialization_type),
        ("AWS_REGION", &s.region),
        ("AWS_DEFAULT_REGION", &s.region),
    ];
    // SAFETY: no other thread runs, as this function's contract says.
    unsafe {
        std::env::set_var("AWS_LAMBDA_RUNTIME_API", format!("{sandbox}/{secret}"));
        std::env::set_var(EMULATOR_PID, std::process::id().to_string());
        // Checked once, here: the function process gets the values this emulator uses,
        // so it neither warns about them again nor picks another format.
        if let Some(concurrency) = concurrency {
            std::env::set_var(CONCURRENCY, concurrency.to_string());
        }
        let format = match logging.format {
            crate::logging::Format::Json => "JSON",
            crate::logging::Format::Text => "Text",
        };
        std::env::set_var("AWS_LAMBDA_LOG_FORMAT", format);
        std::env::set_var("AWS_LAMBDA_LOG_LEVEL", logging.level.name());
        for (name, value) in defaults {
            if !user_set.contains(&name) {
                std::env::set_var(name, value);
            }
        }
    }
}
