//! The floors' Runtime API loop: hand-written keep-alive HTTP/1.1 over one `TcpStream`.
//! Each floor includes this file and differs only in what it does to the event body, so
//! the gap between them is exactly that step.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Polls `/next` forever; `respond` turns each event body, in place, into the response.
pub fn serve(mut respond: impl FnMut(&mut Vec<u8>) -> io::Result<()>) -> io::Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(io::Error::other)?;
    let stream = TcpStream::connect(&api)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut body = Vec::new();
    let next = format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n");
    loop {
        writer.write_all(next.as_bytes())?;
        let (id, length) = read_head(&mut reader)?;
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        respond(&mut body)?;
        let head = format!(
            "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        writer.write_all(head.as_bytes())?;
        writer.write_all(&body)?;
        let (_, length) = read_head(&mut reader)?;
        io::copy(&mut (&mut reader).take(length as u64), &mut io::sink())?;
    }
}

/// The request id and content length from a response head.
fn read_head(reader: &mut impl BufRead) -> io::Result<(String, usize)> {
    let (mut id, mut length) = (String::new(), 0);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Ok((id, length));
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                id = value.trim().to_owned();
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(io::Error::other)?;
            }
        }
    }
}
