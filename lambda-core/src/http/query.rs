//! The request's query: percent-encoding a path and query into a URI, and reading the
//! query back as pairs.

use std::fmt::Write;

/// The query string's `key=value` pairs, in order, repeated keys kept, each decoded
/// once (`%XX` and `+` for a space; bytes that are not UTF-8 become U+FFFD). A pair
/// without `=` has an empty value.
///
/// ```
/// use lambda_core::http::{query_pairs, Uri};
///
/// let uri: Uri = "/search?q=rust+lambda&tag=a%26b&tag=c".parse().unwrap();
/// assert_eq!(
///     query_pairs(&uri),
///     [("q", "rust lambda"), ("tag", "a&b"), ("tag", "c")]
///         .map(|(k, v)| (k.to_owned(), v.to_owned()))
/// );
/// ```
pub fn query_pairs(uri: &http::Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(key), decode_component(value))
        })
        .collect()
}

/// `%XX` and `+` decoded; a `%` not followed by two hex digits is kept as it is.
fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = (byte == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? << 4 | hex(*bytes.get(i + 2)?)?))
            .flatten();
        match (byte, escaped) {
            (_, Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (other, None) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into())
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|value| value as u8)
}

/// How much of a text is taken as it is when it goes into a URI.
#[derive(Clone, Copy)]
pub(super) enum Keep {
    /// A path as the client sent it: everything a URI path can hold, `%` included, so
    /// that an escape in it is not encoded twice.
    Path,
    /// A path the source decoded (HTTP APIs): as [`Keep::Path`], but a `%` is a percent
    /// sign, encoded as `%25`.
    DecodedPath,
    /// A query string, or a query key or value, as the client sent it: as for a path,
    /// and `?`.
    Query,
    /// A decoded query key or value (API Gateway REST APIs decode them): only the
    /// unreserved characters, so that `&`, `=`, `+` and `%` in it survive the trip.
    Unreserved,
}

/// Appends `text` to `out`, percent-encoding every byte `keep` does not allow.
pub(super) fn push_encoded(out: &mut String, text: &str, keep: Keep) {
    for &byte in text.as_bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        let kept = match keep {
            Keep::Unreserved => unreserved,
            Keep::Path | Keep::DecodedPath | Keep::Query => {
                unreserved
                    || (byte == b'?' && matches!(keep, Keep::Query))
                    || (byte == b'%' && !matches!(keep, Keep::DecodedPath))
                    || matches!(
                        byte,
                        b'!' | b'$'
                            | b'&'
                            | b'\''
                            | b'('
                            | b')'
                            | b'*'
                            | b'+'
                            | b','
                            | b';'
                            | b'='
                            | b':'
                            | b'@'
                            | b'/'
                    )
            }
        };
        if kept {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(text: &str, keep: Keep) -> String {
        let mut out = String::new();
        push_encoded(&mut out, text, keep);
        out
    }

    #[test]
    fn decodes_each_component_once() {
        let uri: http::Uri = "/p?a=1&b=x%2520y&c&=d&e=%zz%4&f=%C3%A9+%2B"
            .parse()
            .unwrap();
        let pairs = query_pairs(&uri);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(
            pairs,
            [
                ("a", "1"),
                ("b", "x%20y"),
                ("c", ""),
                ("", "d"),
                ("e", "%zz%4"),
                ("f", "é +")
            ]
        );
        assert_eq!(query_pairs(&"/p".parse().unwrap()), []);
        assert_eq!(decode_component("%FF"), "\u{FFFD}");
    }

    #[test]
    fn encodes_what_a_uri_cannot_hold() {
        assert_eq!(
            encoded("/a b/é/%20/{x}?#", Keep::Path),
            "/a%20b/%C3%A9/%20/%7Bx%7D%3F%23"
        );
        assert_eq!(encoded("a=b c&d=?/#", Keep::Query), "a=b%20c&d=?/%23");
        assert_eq!(encoded("/100%/a b?", Keep::DecodedPath), "/100%25/a%20b%3F");
        assert_eq!(
            encoded("a&b=c+d%e f", Keep::Unreserved),
            "a%26b%3Dc%2Bd%25e%20f"
        );
    }

    #[test]
    fn decoding_undoes_strict_encoding() {
        for text in ["a&b", "x=y", "1+1", "100%", "é ü", "~-._"] {
            let uri: http::Uri = format!("/?k={}", encoded(text, Keep::Unreserved))
                .parse()
                .unwrap();
            assert_eq!(query_pairs(&uri), [("k".to_owned(), text.to_owned())]);
        }
    }
}
