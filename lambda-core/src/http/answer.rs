//! An `http::Response` into the JSON its source expects (see the module's doc for the
//! shapes and the text-or-base64 rule).

use super::{Response, ResponseBody, Source};
use crate::diagnostic::Diagnostic;
use crate::http_form::HttpResponse;
use crate::invoke::Outcome;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// What the response needs to know of the request.
#[derive(Clone, Copy, Debug)]
pub struct HttpAnswer {
    pub(super) source: Source,
    /// The request came with `multiValueHeaders` (v1 and ALB), so the response uses
    /// them too.
    pub(super) multi_value_headers: bool,
}

impl<B: ResponseBody> HttpResponse<HttpAnswer> for Response<B> {
    fn answer(self, answer: HttpAnswer, out: &mut Vec<u8>) -> Outcome {
        let cookies = self.headers().get_all(SET_COOKIE).iter().count();
        if answer.source == Source::Alb && !answer.multi_value_headers && cookies > 1 {
            crate::log(format_args!(
                "this ALB target group takes one value per header: only the last of {cookies} set-cookie headers is sent; turn on multi-value headers on the target group to send them all"
            ));
        }
        let json = Json {
            answer,
            status: self.status(),
            headers: self.headers(),
            body: self.body().as_bytes(),
        };
        match serde_json::to_writer(&mut *out, &json) {
            Ok(()) => Outcome::Response,
            Err(error) => Outcome::Error(Diagnostic::new(
                "Runtime.InvalidResponse",
                format!("could not encode the HTTP response: {error}"),
            )),
        }
    }
}

/// The response as its source's JSON, written field by field in this order.
struct Json<'a> {
    answer: HttpAnswer,
    status: StatusCode,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let source = self.answer.source;
        let cookies_apart = matches!(source, Source::ApiGatewayHttp | Source::FunctionUrl);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("statusCode", &self.status.as_u16())?;
        if source == Source::Alb {
            let description = match self.status.canonical_reason() {
                Some(reason) => format!("{} {reason}", self.status.as_u16()),
                None => self.status.as_u16().to_string(),
            };
            map.serialize_entry("statusDescription", &description)?;
        }
        let headers = Headers {
            map: self.headers,
            lists: self.answer.multi_value_headers,
            skip: if cookies_apart {
                is_set_cookie
            } else {
                |_| false
            },
        };
        match self.answer.multi_value_headers {
            true => map.serialize_entry("multiValueHeaders", &headers)?,
            false => map.serialize_entry("headers", &headers)?,
        }
        if cookies_apart && self.headers.contains_key(SET_COOKIE) {
            let cookies = Values(&SET_COOKIE, self.headers.get_all(SET_COOKIE));
            map.serialize_entry("cookies", &cookies)?;
        }
        match text_body(self.headers, self.body) {
            Some(text) => {
                map.serialize_entry("body", text)?;
                map.serialize_entry("isBase64Encoded", &false)?;
            }
            None => {
                map.serialize_entry("body", &crate::base64::encode(self.body))?;
                map.serialize_entry("isBase64Encoded", &true)?;
            }
        }
        map.end()
    }
}

/// Writes the head of a streamed HTTP response into `out`: the JSON prelude (status,
/// headers, each `set-cookie` in `cookies`), then the eight NUL bytes that end it, as
/// AWS's Node.js runtime writes them (`HttpResponseStream`); returns the prelude's
/// length. JSON text holds no NUL.
/// A `content-length` is left out: the length of a stream is not known ahead, and
/// cargo-lambda's function URL closes the connection on one.
pub(crate) fn write_stream_head(
    head: &http::response::Parts,
    out: &mut Vec<u8>,
) -> Result<usize, String> {
    let json = StreamHead {
        status: head.status,
        headers: &head.headers,
    };
    let start = out.len();
    serde_json::to_writer(&mut *out, &json).map_err(|error| {
        out.truncate(start);
        format!("the HTTP head cannot be sent: {error}")
    })?;
    let prelude = out.len() - start;
    out.extend_from_slice(&[0; 8]);
    Ok(prelude)
}

/// The prelude of a streamed HTTP response.
struct StreamHead<'a> {
    status: StatusCode,
    headers: &'a HeaderMap,
}

impl Serialize for StreamHead<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("statusCode", &self.status.as_u16())?;
        let headers = Headers {
            map: self.headers,
            lists: false,
            skip: |name| name == SET_COOKIE || name == http::header::CONTENT_LENGTH,
        };
        map.serialize_entry("headers", &headers)?;
        // Always, if empty: cargo-lambda's function URL refuses a prelude without it.
        let cookies = Values(&SET_COOKIE, self.headers.get_all(SET_COOKIE));
        map.serialize_entry("cookies", &cookies)?;
        map.end()
    }
}

/// The body as text, if the rule in the module's doc lets it go as text.
fn text_body<'a>(headers: &HeaderMap, body: &'a [u8]) -> Option<&'a str> {
    let text = std::str::from_utf8(body).ok()?;
    if body.is_empty() {
        return Some(text);
    }
    let encoded = headers
        .get(CONTENT_ENCODING)
        .is_some_and(|encoding| !encoding.as_bytes().eq_ignore_ascii_case(b"identity"));
    let textual = match headers.get(CONTENT_TYPE) {
        None => true,
        Some(content_type) => is_textual(content_type),
    };
    (textual && !encoded).then_some(text)
}

/// `text/*`, a JSON, XML, JavaScript or form type.
fn is_textual(content_type: &HeaderValue) -> bool {
    let Ok(content_type) = content_type.to_str() else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind == "text"
        || subtype.ends_with("+json")
        || subtype.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/x-www-form-urlencoded"
        )
}

/// The headers as one JSON object: each name once, with a list of its values, or
/// (`lists` false) its values joined with `, ` (`set-cookie`: its last value); those
/// `skip` names are left out.
struct Headers<'a> {
    map: &'a HeaderMap,
    lists: bool,
    skip: fn(&HeaderName) -> bool,
}

fn is_set_cookie(name: &HeaderName) -> bool {
    name == SET_COOKIE
}

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for name in self.map.keys() {
            if (self.skip)(name) {
                continue;
            }
            let values = self.map.get_all(name);
            if self.lists {
                map.serialize_entry(name.as_str(), &Values(name, values))?;
            } else if name == SET_COOKIE {
                // Cookies cannot be joined with commas: the last one goes.
                if let Some(last) = values.iter().next_back() {
                    map.serialize_entry(name.as_str(), utf8(name, last)?)?;
                }
            } else {
                let mut joined = String::new();
                for value in values {
                    if !joined.is_empty() {
                        joined.push_str(", ");
                    }
                    joined.push_str(utf8(name, value)?);
                }
                map.serialize_entry(name.as_str(), &joined)?;
            }
        }
        map.end()
    }
}

/// A header's values as a JSON list.
struct Values<'a>(&'a HeaderName, http::header::GetAll<'a, HeaderValue>);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(None)?;
        for value in self.1.iter() {
            list.serialize_element(utf8(self.0, value)?)?;
        }
        list.end()
    }
}

/// A header value as JSON text, which cannot carry bytes that are not UTF-8.
fn utf8<'a, E: serde::ser::Error>(name: &HeaderName, value: &'a HeaderValue) -> Result<&'a str, E> {
    std::str::from_utf8(value.as_bytes())
        .map_err(|_| E::custom(format_args!("the value of header `{name}` is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_or_binary_by_content_type() {
        let with = |content_type: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
            headers
        };
        for textual in [
            "text/html; charset=utf-8",
            "application/json",
            "application/problem+json",
            "image/svg+xml",
            "Application/XML",
            "application/x-www-form-urlencoded",
        ] {
            assert_eq!(text_body(&with(textual), b"x"), Some("x"), "{textual}");
        }
        for binary in [
            "image/png",
            "application/octet-stream",
            "application/pdf",
            "nonsense",
        ] {
            assert_eq!(text_body(&with(binary), b"x"), None, "{binary}");
        }
        assert_eq!(text_body(&HeaderMap::new(), b"x"), Some("x"));
        assert_eq!(text_body(&HeaderMap::new(), b"\xff"), None);
        assert_eq!(text_body(&with("image/png"), b""), Some(""));
        let mut gzip = with("text/plain");
        gzip.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(text_body(&gzip, b"x"), None);
    }

    #[test]
    fn a_stream_head_is_json_then_eight_nul_bytes() {
        let (head, ()) = Response::builder()
            .status(201)
            .header("content-type", "text/plain")
            .header("x-tag", "a")
            .header("x-tag", "b")
            .header("content-length", "9")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body(())
            .unwrap()
            .into_parts();
        let mut out = b"kept".to_vec();
        let prelude = write_stream_head(&head, &mut out).unwrap();
        let expected = br#"kept{"statusCode":201,"headers":{"content-type":"text/plain","x-tag":"a, b"},"cookies":["a=1","b=2"]}"#;
        assert_eq!(out[..out.len() - 8], expected[..]);
        assert_eq!(out[out.len() - 8..], [0; 8]);
        assert_eq!(prelude, expected.len() - 4);

        let (plain, ()) = Response::new(()).into_parts();
        let mut out = Vec::new();
        write_stream_head(&plain, &mut out).unwrap();
        let expected = br#"{"statusCode":200,"headers":{},"cookies":[]}"#;
        assert_eq!(out[..out.len() - 8], expected[..]);

        let mut bad = Response::new(());
        bad.headers_mut()
            .insert("x-bin", HeaderValue::from_bytes(b"\xff").unwrap());
        let mut out = b"kept".to_vec();
        let error = write_stream_head(&bad.into_parts().0, &mut out).unwrap_err();
        assert!(error.contains("`x-bin` is not UTF-8"), "{error}");
        assert_eq!(out, b"kept");
    }
}
