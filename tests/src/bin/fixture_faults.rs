//! Does what the event says: answer, fail, panic, or produce what cannot be sent.

use lambda_core::{Diagnose, Diagnostic, lambda};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

#[derive(Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
enum Command {
    Answer { with: serde_json::Value },
    Fail,
    FailOutOfStock,
    Panic,
    PanicInDisplay,
    Unencodable,
    Oversized { bytes: usize },
    Exit { code: i32 },
    Sleep { ms: u64 },
}

#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Json(serde_json::Value),
    Text(String),
    NotJson(HashMap<(u8, u8), u8>),
}

#[derive(Debug)]
enum FaultError {
    Payment(std::io::Error),
    OutOfStock(u32),
    DisplayPanics,
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultError::Payment(_) => f.write_str("payment failed"),
            FaultError::OutOfStock(id) => write!(f, "item {id} is out of stock"),
            FaultError::DisplayPanics => panic!("display panicked"),
        }
    }
}

impl std::error::Error for FaultError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FaultError::Payment(cause) => Some(cause),
            _ => None,
        }
    }
}

/// The report is the default one except for stock errors, which get their own type.
impl Diagnose for FaultError {
    fn diagnostic(&self) -> Diagnostic {
        let report = Diagnostic::from_error(self);
        match self {
            FaultError::OutOfStock(_) => report.with_error_type("OutOfStock"),
            _ => report,
        }
    }
}

#[lambda]
fn handler(command: Command) -> Result<Answer, FaultError> {
    match command {
        Command::Answer { with } => Ok(Answer::Json(with)),
        Command::Fail => Err(FaultError::Payment(std::io::Error::other("card declined"))),
        Command::FailOutOfStock => Err(FaultError::OutOfStock(7)),
        Command::Panic => panic!("the handler panicked"),
        Command::PanicInDisplay => Err(FaultError::DisplayPanics),
        Command::Unencodable => Ok(Answer::NotJson(HashMap::from([((1, 2), 3)]))),
        Command::Oversized { bytes } => Ok(Answer::Text("x".repeat(bytes))),
        Command::Exit { code } => std::process::exit(code),
        Command::Sleep { ms } => {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            Ok(Answer::Text("slept".to_owned()))
        }
    }
}
