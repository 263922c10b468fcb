//! JSON in and out of the handler: the event decoded into the handler's type, the
//! response encoded into the runtime's reused buffer, each failure a report.

use crate::Diagnostic;
use crate::diagnostic::short_type_name;
use crate::invoke::Outcome;

/// Decodes the event, or says why it could not be (`Runtime.InvalidEvent`).
pub fn decode<T: serde::de::DeserializeOwned>(event: &[u8]) -> Result<T, Outcome> {
    serde_json::from_slice(event).map_err(|error| {
        let type_name = short_type_name(std::any::type_name::<T>());
        Outcome::Error(Diagnostic::new(
            "Runtime.InvalidEvent",
            format!("could not decode the event as {type_name}: {error}"),
        ))
    })
}

/// Encodes the handler's response into `out` (empty, and reused from one invocation to
/// the next), or says why it could not be (`Runtime.InvalidResponse`).
pub fn encode<U: serde::Serialize + ?Sized>(response: &U, out: &mut Vec<u8>) -> Outcome {
    match serde_json::to_writer(&mut *out, response) {
        Ok(()) => Outcome::Response,
        Err(error) => {
            let type_name = short_type_name(std::any::type_name::<U>());
            Outcome::Error(Diagnostic::new(
                "Runtime.InvalidResponse",
                format!("could not encode the response {type_name} as JSON: {error}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_encode_failures_are_reports() {
        let Err(Outcome::Error(report)) = decode::<u8>(b"\"x\"") else {
            panic!()
        };
        assert_eq!(report.error_type, "Runtime.InvalidEvent");
        assert!(
            report
                .error_message
                .starts_with("could not decode the event as u8: invalid type"),
            "{}",
            report.error_message
        );
        let map: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let Outcome::Error(report) = encode(&map, &mut Vec::new()) else {
            panic!()
        };
        assert_eq!(report.error_type, "Runtime.InvalidResponse");
        assert!(
            report.error_message.contains("key must be a string"),
            "{}",
            report.error_message
        );
    }

    #[test]
    fn deeply_nested_events_are_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        let Err(Outcome::Error(report)) = decode::<serde_json::Value>(deep.as_bytes()) else {
            panic!()
        };
        assert!(
            report.error_message.contains("recursion limit exceeded"),
            "{}",
            report.error_message
        );
    }
}
