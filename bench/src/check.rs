//! Checks every answer of a run against its event, after the run, off the measured path.

use crate::mock::Answer;

/// Every event answered exactly once, on `/response`, with the same JSON value.
pub fn check(events: &[Vec<u8>], answers: &[Answer]) -> Result<(), String> {
    let mut seen = vec![false; events.len()];
    for answer in answers {
        let Some(event) = events.get(answer.index) else {
            return Err(format!(
                "an answer for event {}, which was never sent",
                answer.index
            ));
        };
        if std::mem::replace(&mut seen[answer.index], true) {
            return Err(format!("event {} was answered twice", answer.index));
        }
        if !answer.ok {
            return Err(format!(
                "event {} was answered with an error: {}",
                answer.index,
                String::from_utf8_lossy(&answer.body)
            ));
        }
        if answer.body != *event && !same_json(&answer.body, event) {
            return Err(format!(
                "event {} was answered with other JSON",
                answer.index
            ));
        }
    }
    match seen.iter().position(|answered| !answered) {
        Some(index) => Err(format!("event {index} was never answered")),
        None => Ok(()),
    }
}

fn same_json(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn answer(index: usize, ok: bool, body: &str) -> Answer {
        Answer {
            index,
            ok,
            body: body.as_bytes().to_vec(),
            length: body.len(),
            first_payload_at: None,
            read_at: Instant::now(),
        }
    }

    fn events() -> Vec<Vec<u8>> {
        vec![br#"{"a":1,"b":[true]}"#.to_vec(), b"2".to_vec()]
    }

    #[test]
    fn accepts_the_same_json_in_another_key_order() {
        let answers = [
            answer(1, true, "2"),
            answer(0, true, r#"{"b":[true],"a":1}"#),
        ];
        assert_eq!(check(&events(), &answers), Ok(()));
    }

    #[test]
    fn finds_missing_duplicate_wrong_and_error_answers() {
        assert_eq!(
            check(&events(), &[answer(0, true, r#"{"a":1,"b":[true]}"#)]),
            Err("event 1 was never answered".into())
        );
        let twice = [answer(1, true, "2"), answer(1, true, "2")];
        assert_eq!(
            check(&events(), &twice),
            Err("event 1 was answered twice".into())
        );
        let wrong = [answer(1, true, "3")];
        assert_eq!(
            check(&events(), &wrong),
            Err("event 1 was answered with other JSON".into())
        );
        let error = [answer(1, false, "{}")];
        assert_eq!(
            check(&events(), &error),
            Err("event 1 was answered with an error: {}".into())
        );
        let unknown = [answer(7, true, "2")];
        assert_eq!(
            check(&events(), &unknown),
            Err("an answer for event 7, which was never sent".into())
        );
    }
}
