//! An HTTP event from any source into an `http::Request`: the fields read in one pass
//! (maps in the event's order, which `serde_json::Value` would sort), the source
//! recognised, then the request built, every misfit a one-line `Runtime.InvalidEvent`.

use super::answer::HttpAnswer;
use super::query::{Keep, push_encoded};
use super::{Request, RequestBody, Source};
use crate::Shown;
use crate::diagnostic::Diagnostic;
use crate::http_form::HttpRequest;
use crate::invoke::Outcome;
use http::{HeaderName, HeaderValue, Method};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

/// What the source said about the request beyond HTTP, in the request's extensions:
/// `request.extensions().get::<RequestContext>()`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestContext {
    /// Which service sent the request.
    pub source: Source,
    /// The event's `requestContext` as sent (`null` if it had none): the request id,
    /// the caller's identity, the authorizer's claims. Deserialize it into your own
    /// type, or `aws_lambda_events`' context type for the source, to read it typed.
    pub json: serde_json::Value,
    /// `pathParameters` (API Gateway), in the event's order; empty if there are none.
    pub path_parameters: Vec<(String, String)>,
}

/// The sources, as an error message names them.
const SOURCES: &str = "an API Gateway REST API (v1) or HTTP API (v2), an ALB or a function URL";

impl<B: RequestBody> HttpRequest for Request<B> {
    type Answer = HttpAnswer;

    fn from_event(event: &[u8]) -> Result<(Self, HttpAnswer), Outcome> {
        decode(event).map_err(|misfit| {
            let message = match misfit {
                Misfit::Unrecognised(problem) => {
                    format!("the event is not an HTTP request from {SOURCES}: {problem}")
                }
                Misfit::Invalid(source, problem) => {
                    format!(
                        "the {} event is not a valid HTTP request: {problem}",
                        source.name()
                    )
                }
                Misfit::Body(problem) => problem.to_owned(),
            };
            Outcome::Error(Diagnostic::new("Runtime.InvalidEvent", message))
        })
    }
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::ApiGatewayRest => "API Gateway REST API",
            Source::ApiGatewayHttp => "API Gateway HTTP API",
            Source::Alb => "ALB",
            Source::FunctionUrl => "function URL",
        }
    }
}

/// Why an event could not be the handler's request.
enum Misfit {
    /// It is not an event from any HTTP source (or not JSON of the right shape).
    Unrecognised(String),
    /// It is from this source, but a field does not hold what HTTP allows.
    Invalid(Source, String),
    /// The body does not fit the handler's body type.
    Body(&'static str),
}

fn decode<B: RequestBody>(bytes: &[u8]) -> Result<(Request<B>, HttpAnswer), Misfit> {
    let event: Fields =
        serde_json::from_slice(bytes).map_err(|error| Misfit::Unrecognised(error.to_string()))?;
    let (source, method, path) = recognise(&event).map_err(Misfit::Unrecognised)?;
    let invalid = |problem: String| Misfit::Invalid(source, problem);
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| {
        invalid(format!(
            "the method {:?} is not an HTTP method",
            Shown(method)
        ))
    })?;
    let uri = uri(source, path, &event).map_err(invalid)?;
    let mut request = Request::builder().method(method).uri(uri);
    let headers = (request.headers_mut()).ok_or_else(|| invalid("no headers".to_owned()))?;
    let too_many = |_| invalid(format!("more than {} headers", MOST_HEADERS));
    for (name, values) in header_lists(&event) {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("the header name {:?} is not valid", Shown(name))))?;
        for value in values {
            let value = HeaderValue::from_str(value)
                .map_err(|_| invalid(format!("the value of header `{name}` is not valid")))?;
            headers.try_append(name.clone(), value).map_err(too_many)?;
        }
    }
    if let Some(cookies) = event.cookies.as_ref().filter(|cookies| !cookies.is_empty()) {
        let value = HeaderValue::from_str(&cookies.join("; "))
            .map_err(|_| invalid("a cookie in `cookies` is not a valid header value".to_owned()))?;
        headers
            .try_append(http::header::COOKIE, value)
            .map_err(too_many)?;
    }
    let body = match (event.body, event.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(body), Some(true)) => crate::base64::decode(&body).ok_or_else(|| {
            invalid("`body` is flagged `isBase64Encoded` but is not base64".to_owned())
        })?,
        (Some(body), _) => body.into_bytes(),
    };
    let body = B::from_bytes(body).map_err(Misfit::Body)?;
    let context = RequestContext {
        source,
        json: event.request_context.unwrap_or_default(),
        path_parameters: event.path_parameters.unwrap_or_default(),
    };
    let request = request
        .extension(context)
        .body(body)
        .map_err(|error| invalid(error.to_string()))?;
    let answer = HttpAnswer {
        source,
        // API Gateway REST APIs take `multiValueHeaders` whatever the request had; an
        // ALB only when its target group is set to (which its requests show).
        multi_value_headers: source == Source::ApiGatewayRest
            || event.multi_value_headers.is_some(),
    };
    Ok((request, answer))
}

/// The most headers a request may have (the `http` crate's limit).
const MOST_HEADERS: usize = 32 * 1024;

/// Which source sent the event, its method and its path; or the first thing that does
/// not fit any source.
fn recognise(event: &Fields) -> Result<(Source, &str, &str), String> {
    let context = event.request_context.as_ref();
    let in_context = |key: &str| context.and_then(|context| context.get(key));
    if in_context("http").is_some() || event.version.as_deref() == Some("2.0") {
        let name = "an HTTP API (v2) or function URL event";
        let method = in_context("http")
            .and_then(|http| http.get("method"))
            .and_then(|method| method.as_str())
            .ok_or_else(|| format!("{name} needs `requestContext.http.method`"))?;
        let path = (event.raw_path.as_deref()).ok_or_else(|| format!("{name} needs `rawPath`"))?;
        let domain = in_context("domainName").and_then(|domain| domain.as_str());
        let source = match domain {
            Some(domain) if domain.contains(".lambda-url.") => Source::FunctionUrl,
            _ => Source::ApiGatewayHttp,
        };
        Ok((source, method, path))
    } else if let Some(method) = event.http_method.as_deref() {
        let (source, name) = match in_context("elb") {
            Some(_) => (Source::Alb, "an ALB event"),
            None => (Source::ApiGatewayRest, "a REST API (v1) event"),
        };
        let path = (event.path.as_deref()).ok_or_else(|| format!("{name} needs `path`"))?;
        Ok((source, method, path))
    } else {
        Err(
            "no `requestContext.http` (HTTP API, function URL) and no `httpMethod` (REST API, ALB)"
                .to_owned(),
        )
    }
}

/// The path and query as one URI: v2 and function URLs carry the query as the client
/// sent it (`rawQueryString`); ALB carries its parameters undecoded, and REST APIs
/// decoded (encoded again here). Errors say what is wrong with the path.
fn uri(source: Source, path: &str, event: &Fields) -> Result<http::Uri, String> {
    if !path.starts_with('/') {
        return Err(format!(
            "the path {:?} does not start with `/`",
            Shown(path)
        ));
    }
    let mut uri = String::with_capacity(path.len() + 64);
    // HTTP APIs hand over the path decoded (`rawPath`, and `path` in payload format 1.0),
    // so a `%` in it is a percent sign; the other sources keep the client's escapes.
    let decoded = source == Source::ApiGatewayHttp || event.version.as_deref() == Some("1.0");
    push_encoded(
        &mut uri,
        path,
        if decoded {
            Keep::DecodedPath
        } else {
            Keep::Path
        },
    );
    let keep = match source {
        Source::ApiGatewayRest => Keep::Unreserved,
        _ => Keep::Query,
    };
    match source {
        Source::ApiGatewayHttp | Source::FunctionUrl => {
            if let Some(query) = event.raw_query_string.as_deref().filter(|q| !q.is_empty()) {
                uri.push('?');
                push_encoded(&mut uri, query, Keep::Query);
            }
        }
        Source::ApiGatewayRest | Source::Alb => {
            let mut separator = '?';
            for (key, values) in lists(
                &event.multi_value_query_string_parameters,
                &event.query_string_parameters,
            ) {
                for value in values {
                    uri.push(separator);
                    separator = '&';
                    push_encoded(&mut uri, key, keep);
                    uri.push('=');
                    push_encoded(&mut uri, value, keep);
                }
            }
        }
    }
    http::Uri::try_from(uri).map_err(|error| format!("the path and query are not a URI: {error}"))
}

/// Every header with its values: `multiValueHeaders` if the event has it, which holds
/// them all, or else `headers`.
fn header_lists(event: &Fields) -> impl Iterator<Item = (&str, Vec<&str>)> {
    lists(&event.multi_value_headers, &event.headers)
}

/// A multi-value map if there is one, or else the single-value one.
fn lists<'a>(
    multi: &'a Option<Vec<(String, Vec<String>)>>,
    single: &'a Option<Vec<(String, String)>>,
) -> Box<dyn Iterator<Item = (&'a str, Vec<&'a str>)> + 'a> {
    match (multi, single) {
        (Some(multi), _) => Box::new(
            multi
                .iter()
                .map(|(key, values)| (key.as_str(), values.iter().map(String::as_str).collect())),
        ),
        (None, Some(single)) => Box::new(
            single
                .iter()
                .map(|(key, value)| (key.as_str(), vec![value.as_str()])),
        ),
        (None, None) => Box::new(std::iter::empty()),
    }
}

/// The fields of an HTTP event the runtime reads, from any source; the others are
/// skipped unread. `null` is the same as absent.
#[derive(Default)]
struct Fields {
    version: Option<String>,
    http_method: Option<String>,
    path: Option<String>,
    raw_path: Option<String>,
    raw_query_string: Option<String>,
    headers: Option<Vec<(String, String)>>,
    multi_value_headers: Option<Vec<(String, Vec<String>)>>,
    query_string_parameters: Option<Vec<(String, String)>>,
    multi_value_query_string_parameters: Option<Vec<(String, Vec<String>)>>,
    cookies: Option<Vec<String>>,
    path_parameters: Option<Vec<(String, String)>>,
    body: Option<String>,
    is_base64_encoded: Option<bool>,
    request_context: Option<serde_json::Value>,
}

impl<'de> de::Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fields, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        /// The field's value, an error in it named by the field.
        fn value<'de, T: de::Deserialize<'de>, A: MapAccess<'de>>(
            map: &mut A,
            name: &str,
        ) -> Result<T, A::Error> {
            map.next_value()
                .map_err(|error| de::Error::custom(format_args!("`{name}`: {error}")))
        }
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<Key>()? {
            let f = &mut fields;
            match key {
                Key::Version => f.version = value(&mut map, "version")?,
                Key::HttpMethod => f.http_method = value(&mut map, "httpMethod")?,
                Key::Path => f.path = value(&mut map, "path")?,
                Key::RawPath => f.raw_path = value(&mut map, "rawPath")?,
                Key::RawQueryString => f.raw_query_string = value(&mut map, "rawQueryString")?,
                Key::Headers => f.headers = pairs(value(&mut map, "headers")?),
                Key::MultiValueHeaders => {
                    f.multi_value_headers = pairs(value(&mut map, "multiValueHeaders")?)
                }
                Key::QueryStringParameters => {
                    f.query_string_parameters = pairs(value(&mut map, "queryStringParameters")?)
                }
                Key::MultiValueQueryStringParameters => {
                    f.multi_value_query_string_parameters =
                        pairs(value(&mut map, "multiValueQueryStringParameters")?)
                }
                Key::Cookies => f.cookies = value(&mut map, "cookies")?,
                Key::PathParameters => {
                    f.path_parameters = pairs(value(&mut map, "pathParameters")?)
                }
                Key::Body => f.body = value(&mut map, "body")?,
                Key::IsBase64Encoded => f.is_base64_encoded = value(&mut map, "isBase64Encoded")?,
                Key::RequestContext => f.request_context = value(&mut map, "requestContext")?,
                Key::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// A map's entries in the event's order.
struct Pairs<V>(Vec<(String, V)>);

fn pairs<V>(pairs: Option<Pairs<V>>) -> Option<Vec<(String, V)>> {
    pairs.map(|Pairs(pairs)| pairs)
}

impl<'de, V: de::Deserialize<'de>> de::Deserialize<'de> for Pairs<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: de::Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = Pairs<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<V>, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = map.next_entry()? {
                    pairs.push(entry);
                }
                Ok(Pairs(pairs))
            }
        }

        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

/// The top-level keys the runtime reads, matched without allocating.
enum Key {
    Version,
    HttpMethod,
    Path,
    RawPath,
    RawQueryString,
    Headers,
    MultiValueHeaders,
    QueryStringParameters,
    MultiValueQueryStringParameters,
    Cookies,
    PathParameters,
    Body,
    IsBase64Encoded,
    RequestContext,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "version" => Key::Version,
                    "httpMethod" => Key::HttpMethod,
                    "path" => Key::Path,
                    "rawPath" => Key::RawPath,
                    "rawQueryString" => Key::RawQueryString,
                    "headers" => Key::Headers,
                    "multiValueHeaders" => Key::MultiValueHeaders,
                    "queryStringParameters" => Key::QueryStringParameters,
                    "multiValueQueryStringParameters" => Key::MultiValueQueryStringParameters,
                    "cookies" => Key::Cookies,
                    "pathParameters" => Key::PathParameters,
                    "body" => Key::Body,
                    "isBase64Encoded" => Key::IsBase64Encoded,
                    "requestContext" => Key::RequestContext,
                    _ => Key::Other,
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(outcome: Outcome) -> String {
        match outcome {
            Outcome::Error(report) => format!("{}: {}", report.error_type, report.error_message),
            Outcome::Response => panic!("no error"),
        }
    }

    #[test]
    fn a_body_that_does_not_fit_the_body_type_says_which_type_would() {
        let event = br#"{"httpMethod":"POST","path":"/","body":"/w==","isBase64Encoded":true}"#;
        let Err(outcome) = Request::<String>::from_event(event) else {
            panic!("decoded")
        };
        assert_eq!(
            message(outcome),
            "Runtime.InvalidEvent: the request body is not UTF-8 text; take the request as `Request<Vec<u8>>`"
        );
        let (request, _) = Request::<Vec<u8>>::from_event(event).expect("bytes fit");
        assert_eq!(request.body(), &[0xff]);
        assert!(Request::<()>::from_event(event).is_ok());
    }
}
