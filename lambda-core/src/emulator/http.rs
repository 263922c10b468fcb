//! Just enough HTTP/1.1 server for the emulator: keep-alive, `Content-Length` and
//! chunked request bodies, and every answer with a `Content-Length`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

/// The largest request head accepted.
const HEAD_LIMIT: usize = 64 * 1024;

pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Lower-case names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The body was over the limit and was not read (`body` is empty): its size, or
    /// the limit plus one where a chunked body does not say. The connection is closed
    /// after the answer.
    pub(crate) oversized: Option<usize>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
    /// Close the connection after this answer (its request body was not read).
    pub(crate) close: bool,
}

impl Response {
    pub(crate) fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
            close: false,
        }
    }

    pub(crate) fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, body).header("content-type", "application/json")
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// Why no request could be read.
pub(crate) enum ReadError {
    /// The peer closed the connection, or it broke.
    Closed,
    /// Not HTTP/1.1 as this server reads it.
    Malformed,
}

/// Serves every connection on its own thread; `answer` may block (a long poll). A
/// connection that no thread can be started for is closed: its client sees it drop.
pub(crate) fn serve(
    listener: TcpListener,
    body_limit: usize,
    answer: Arc<dyn Fn(Request) -> Response + Send + Sync>,
) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let answer = Arc::clone(&answer);
        let _ =
            thread::Builder::new().spawn(move || serve_connection(stream, body_limit, &*answer));
    }
}

fn serve_connection(
    stream: TcpStream,
    body_limit: usize,
    answer: &(dyn Fn(Request) -> Response + Send + Sync),
) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let response = match read_request(&mut reader, body_limit) {
            Ok(request) if request.oversized.is_some() => Response {
                close: true,
                ..answer(request)
            },
            Ok(request) => answer(request),
            Err(ReadError::Closed) => return,
            Err(ReadError::Malformed) => Response {
                close: true,
                ..Response::new(400, "bad request")
            },
        };
        if write_response(&mut writer, &response).is_err() || response.close {
            return;
        }
    }
}

pub(crate) fn read_request(
    reader: &mut impl BufRead,
    body_limit: usize,
) -> Result<Request, ReadError> {
    let mut head_size = 0;
    let request_line = read_line(reader, &mut head_size)?;
    if request_line.is_empty() {
        return Err(ReadError::Closed);
    }
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(_version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed);
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut head_size)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or(ReadError::Malformed)?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
        oversized: None,
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        match read_chunked(reader, body_limit)? {
            Some(body) => request.body = body,
            None => request.oversized = Some(body_limit + 1),
        }
    } else {
        let length: usize = match request.header("content-length") {
            Some(value) => value.parse().map_err(|_| ReadError::Malformed)?,
            None => 0,
        };
        if length > body_limit {
            request.oversized = Some(length);
        } else {
            request.body = vec![0; length];
            reader
                .read_exact(&mut request.body)
                .map_err(|_| ReadError::Closed)?;
        }
    }
    Ok(request)
}

/// The body, or `None` once it grows past the limit.
fn read_chunked(
    reader: &mut impl BufRead,
    body_limit: usize,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut body = Vec::new();
    let mut head_size = 0;
    loop {
        let line = read_line(reader, &mut head_size)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| ReadError::Malformed)?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(reader, &mut head_size)?.is_empty() {}
            return Ok(Some(body));
        }
        if body.len() + size > body_limit {
            return Ok(None);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|_| ReadError::Closed)?;
        read_line(reader, &mut head_size)?;
        head_size = 0;
    }
}

/// One CRLF-terminated line, counted against the head limit.
fn read_line(reader: &mut impl BufRead, head_size: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let limit = (HEAD_LIMIT - (*head_size).min(HEAD_LIMIT)) as u64;
    let read = reader
        .by_ref()
        .take(limit + 1)
        .read_until(b'\n', &mut line)
        .map_err(|_| ReadError::Closed)?;
    *head_size += read;
    if read == 0 {
        return Err(ReadError::Closed);
    }
    if !line.ends_with(b"\n") {
        return Err(if *head_size > HEAD_LIMIT {
            ReadError::Malformed
        } else {
            ReadError::Closed
        });
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

pub(crate) fn write_response(out: &mut impl Write, response: &Response) -> io::Result<()> {
    use std::fmt::Write as _;
    let status = response.status;
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in &response.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "content-length: {}\r\n", response.body.len());
    if response.close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(&response.body)?;
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str, limit: usize) -> Result<Request, ReadError> {
        read_request(&mut raw.as_bytes(), limit)
    }

    #[test]
    fn reads_a_request_with_a_length() {
        let request = read(
            "POST /a HTTP/1.1\r\nContent-Length: 2\r\nX-Y: z\r\n\r\n{}",
            10,
        )
        .ok()
        .unwrap();
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/a")
        );
        assert_eq!(request.header("x-y"), Some("z"));
        assert_eq!(request.body, b"{}");
    }

    #[test]
    fn reads_a_chunked_request() {
        let raw = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\n3;x=y\r\na\":\r\n2\r\n1}\r\n0\r\n\r\n";
        assert_eq!(read(raw, 100).ok().unwrap().body, br#"{"a":1}"#);
    }

    #[test]
    fn marks_bodies_over_the_limit_without_reading_them() {
        let request = read("POST /a HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 10)
            .ok()
            .unwrap();
        assert_eq!((request.oversized, request.body.len()), (Some(11), 0));
        let chunked = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n";
        assert_eq!(read(chunked, 10).ok().unwrap().oversized, Some(11));
    }

    #[test]
    fn refuses_what_is_not_http() {
        assert!(matches!(
            read("hello\r\n\r\n", 10),
            Err(ReadError::Malformed)
        ));
        assert!(matches!(
            read("GET / HTTP/1.1\r\nno colon\r\n\r\n", 10),
            Err(ReadError::Malformed)
        ));
        assert!(matches!(
            read("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 10),
            Err(ReadError::Malformed)
        ));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(HEAD_LIMIT));
        assert!(matches!(read(&huge, 10), Err(ReadError::Malformed)));
        assert!(matches!(read("", 10), Err(ReadError::Closed)));
    }

    #[test]
    fn writes_a_length_on_every_answer() {
        let mut out = Vec::new();
        write_response(&mut out, &Response::json(202, "{}")).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
        );
    }
}
