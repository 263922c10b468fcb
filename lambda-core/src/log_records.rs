//! The `log` facade's records as lines (the `log` feature): `log::info!` and the like
//! become one line each, with the invocation's request id, and `key = value` pairs as
//! fields.

use crate::logging::{self, Level, Line, Value};
use log::kv::{Error, Key, VisitSource};

struct Records;

static RECORDS: Records = Records;

fn level(level: log::Level) -> Level {
    match level {
        log::Level::Trace => Level::Trace,
        log::Level::Debug => Level::Debug,
        log::Level::Info => Level::Info,
        log::Level::Warn => Level::Warn,
        log::Level::Error => Level::Error,
    }
}

impl log::Log for Records {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        logging::enabled_for(level(metadata.level()), metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut fields = Fields(Vec::new());
        let _ = record.key_values().visit(&mut fields);
        Line {
            level: level(record.level()),
            logger: record.target(),
            message: record.args(),
            fields: fields.0,
        }
        .write();
    }

    fn flush(&self) {}
}

struct Fields(Vec<(String, Value)>);

impl<'kvs> VisitSource<'kvs> for Fields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: log::kv::Value<'kvs>) -> Result<(), Error> {
        let value = if let Some(number) = value.to_i64() {
            Value::Json(number.to_string())
        } else if let Some(number) = value.to_u64() {
            Value::Json(number.to_string())
        } else if let Some(flag) = value.to_bool() {
            Value::Json(flag.to_string())
        } else {
            Value::Text(logging::display(&value))
        };
        self.0.push((key.as_str().to_owned(), value));
        Ok(())
    }
}

/// Installs this logger, unless the process has one already (the user's, installed in
/// `init`), which then keeps every record.
pub(crate) fn install() {
    if log::set_logger(&RECORDS).is_ok() {
        log::set_max_level(match logging::settings().level {
            Level::Trace => log::LevelFilter::Trace,
            Level::Debug => log::LevelFilter::Debug,
            Level::Info => log::LevelFilter::Info,
            Level::Warn => log::LevelFilter::Warn,
            Level::Error | Level::Fatal => log::LevelFilter::Error,
        });
    }
}
