//! The binary's command line, read only when it runs locally (on Lambda it never parses
//! its arguments). Flags choose the mode; positional arguments are ignored, as a
//! container's `CMD` may pass a handler name.

use std::ffi::OsString;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Asked {
    /// `--serve`: the Invoke endpoint, whatever standard input is.
    Serve,
    /// No flag: the mode standard input chooses.
    Default,
    /// `--help` or `-h`.
    Help,
    /// A flag this binary does not know.
    Unknown(String),
}

/// The flags, in order of appearance; the first that decides wins.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Asked {
    let mut asked = Asked::Default;
    for arg in args {
        let arg = arg.to_string_lossy();
        match &*arg {
            "--help" | "-h" => return Asked::Help,
            "--serve" => asked = Asked::Serve,
            flag if flag.starts_with('-') && flag != "-" => return Asked::Unknown(flag.to_owned()),
            _ => {}
        }
    }
    asked
}

/// The one line for an unknown flag.
pub(crate) fn unknown(flag: &str) -> String {
    format!("unknown flag {flag:?}; the flags are --serve and --help (-h)")
}

/// What `--help` prints on standard output.
pub(crate) fn help(binary: &str) -> String {
    let local = if cfg!(feature = "emulator") {
        format!(
            "Locally (AWS_LAMBDA_RUNTIME_API unset) it is its own emulator:
  {binary} < events.json   invoke it with each JSON event on standard input; each answer
                           is one line on standard output; exit 1 if any failed
  {binary} --serve         serve the Invoke endpoint, as AWS's Runtime Interface
                           Emulator does (also when standard input is a terminal):
                           POST /2015-03-31/functions/function/invocations
  {binary} --help, -h      this text

Variables read locally (default):
  LAMBDA_EMULATOR_ADDRESS       where --serve listens (127.0.0.1:9000)
  AWS_LAMBDA_FUNCTION_TIMEOUT   the timeout, 1 to 900 seconds (300)
  AWS_LAMBDA_MAX_CONCURRENCY    serve that many invocations at once, as Lambda Managed
                                Instances do (unset: one at a time)
  AWS_LAMBDA_LOG_FORMAT         Text or JSON (Text; JSON with AWS_LAMBDA_MAX_CONCURRENCY)
  AWS_LAMBDA_LOG_LEVEL          TRACE, DEBUG, INFO, WARN, ERROR or FATAL (INFO)
  AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION,
  AWS_REGION                    passed to the function (the binary's name, 3008,
                                $LATEST, us-east-1)
"
        )
    } else {
        "Built without the `emulator` feature, it does not run locally.\n".to_owned()
    };
    format!(
        "{binary}: an AWS Lambda function (lambda-core {})

On Lambda (AWS_LAMBDA_RUNTIME_API set) it serves invocations and reads no arguments.
{local}",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_of(args: &[&str]) -> Asked {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn flags_choose_and_positional_arguments_are_ignored() {
        assert_eq!(parse_of(&[]), Asked::Default);
        assert_eq!(parse_of(&["bootstrap.handler"]), Asked::Default);
        assert_eq!(parse_of(&["--serve"]), Asked::Serve);
        assert_eq!(parse_of(&["--serve", "-h"]), Asked::Help);
        assert_eq!(parse_of(&["--help"]), Asked::Help);
        assert_eq!(
            parse_of(&["--verbose", "--help"]),
            Asked::Unknown("--verbose".to_owned())
        );
        assert_eq!(
            unknown("-x"),
            "unknown flag \"-x\"; the flags are --serve and --help (-h)"
        );
    }
}
