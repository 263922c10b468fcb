//! The emulator built into every function: run the binary without AWS and it serves the
//! Invoke endpoint of AWS's Runtime Interface Emulator, or reads events from standard
//! input. Either way it starts the same binary again as a child process against a real
//! Runtime API on loopback, so the function runs the loop it runs on Lambda.

mod http;
mod ids;
mod sandbox;
mod stdin;
mod supervisor;

use crate::invoke::REQUEST_LIMIT;
use crate::log;
use http::{Request, Response};
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

pub(crate) use stdin::{EventReader, run as run_stdin};
pub(crate) use supervisor::Supervisor;

/// Where the Invoke endpoint listens unless `LAMBDA_EMULATOR_ADDRESS` says otherwise:
/// the address the usual `docker run -p 9000:8080` of the RIE gives.
const DEFAULT_ADDRESS: &str = "127.0.0.1:9000";
const INVOKE_PREFIX: &str = "/2015-03-31/functions/";

/// Serves `POST /2015-03-31/functions/function/invocations` until the process is
/// stopped. The first line on standard error names the bound address.
pub(crate) fn serve() -> ExitCode {
    let address =
        std::env::var("LAMBDA_EMULATOR_ADDRESS").unwrap_or_else(|_| DEFAULT_ADDRESS.to_owned());
    let listener = match TcpListener::bind(&address) {
        Ok(listener) => listener,
        Err(error) => {
            log(format_args!(
                "cannot listen on {address} (set LAMBDA_EMULATOR_ADDRESS to another address): {error}"
            ));
            return ExitCode::FAILURE;
        }
    };
    let bound = match listener.local_addr() {
        Ok(bound) => bound,
        Err(error) => {
            log(format_args!("cannot read the bound address: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let supervisor = match Supervisor::start() {
        Ok(supervisor) => Arc::new(Mutex::new(supervisor)),
        Err(error) => {
            log(format_args!("cannot start the emulator: {error}"));
            return ExitCode::FAILURE;
        }
    };
    log(format_args!(
        "listening on http://{bound}{INVOKE_PREFIX}function/invocations"
    ));
    http::serve(
        listener,
        REQUEST_LIMIT,
        Arc::new(move |request| invoke(&supervisor, request)),
    );
    ExitCode::SUCCESS
}

/// One Invoke call. Calls wait their turn: the function serves one at a time.
fn invoke(supervisor: &Mutex<Supervisor>, request: Request) -> Response {
    let is_invoke = request
        .path
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    if !is_invoke {
        return Response::json(
            404,
            r#"{"errorType":"ResourceNotFoundException","errorMessage":"the Invoke path is POST /2015-03-31/functions/function/invocations"}"#,
        );
    }
    if request.method != "POST" {
        return Response::json(
            405,
            r#"{"errorType":"MethodNotAllowed","errorMessage":"Invoke takes POST"}"#,
        );
    }
    if request.oversized.is_some() {
        return Response::json(
            413,
            format!(
                r#"{{"errorType":"RequestTooLargeException","errorMessage":"Request must be smaller than {REQUEST_LIMIT} bytes for the InvokeFunction operation"}}"#
            ),
        );
    }
    // The Invoke API carries the client context base64-encoded; Lambda hands the
    // function the JSON.
    let client_context = request.header("x-amz-client-context").map(|encoded| {
        match ids::decode_base64(encoded).and_then(|json| String::from_utf8(json).ok()) {
            Some(json) => json,
            None => encoded.to_owned(),
        }
    });
    let reply = supervisor
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .invoke(request.body, client_context);
    let mut response = Response::new(200, reply.body)
        .header("content-type", reply.content_type)
        .header("x-amzn-requestid", reply.request_id)
        .header("x-amz-executed-version", "$LATEST");
    if reply.function_error {
        response = response.header("x-amz-function-error", "Unhandled");
    }
    response
}
