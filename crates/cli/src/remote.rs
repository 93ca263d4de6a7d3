//! The thin client of `assent serve`: when `ASSENT_URL` is set, or `$ASSENT_HOME/assent.sock`
//! exists, front ends send their question to the server instead of deciding in process.
//!
//! Why a hand-written HTTP/1.1 exchange and not hyper's client: the hook's allow path must
//! cost about one process start, and a hyper client needs a tokio runtime (threads, a
//! reactor) before the first byte goes out. Here it is one blocking request with
//! `Connection: close` over a Unix socket or plain TCP, and one bounded response read back.
//! The server is `assent serve` (hyper), so the response shapes are few: a status line,
//! headers, and a body framed by `Content-Length`, chunked encoding, or the end of the stream.
//!
//! Never: decide anything, parse policy, build a regex, or read a principal from anything but
//! the token. Every failure (no server, no token, a refusal, a malformed answer) is returned
//! as an error, and callers turn it into deny.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Largest response read (the hook's answer is one JSON line; a listing can be longer).
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;
/// Longest time to connect and to send the request.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, as given in the URL (also the `Host` header).
    Tcp(String),
}

/// A configured server and the token to present to it.
#[derive(Debug, Clone)]
pub struct Remote {
    pub endpoint: Endpoint,
    token: Option<String>,
}

/// A response: status and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Remote {
    /// The server to use, if one is configured: `ASSENT_URL` (`http://host:port` or
    /// `unix:/path/to/socket`), else the socket in Assent's home when it exists. `None`:
    /// decide in process. `Some(Err)`: a server is configured but unusable (callers deny).
    pub fn configured(assent_home: &std::path::Path) -> Option<Result<Remote, String>> {
        let endpoint = match std::env::var("ASSENT_URL") {
            Ok(url) if !url.trim().is_empty() => parse_url(url.trim()),
            Ok(_) | Err(std::env::VarError::NotPresent) => {
                let sock = assent_home.join("assent.sock");
                // A socket left by a server that died still names a server: callers then
                // fail closed until it is restarted or the file removed.
                if std::fs::symlink_metadata(&sock).is_err() {
                    return None;
                }
                Ok(Endpoint::Unix(sock))
            }
            Err(std::env::VarError::NotUnicode(_)) => Err("ASSENT_URL is not valid UTF-8".into()),
        };
        Some(endpoint.map(|endpoint| Remote {
            endpoint,
            token: token(assent_home),
        }))
    }

    /// Where the server is, for messages.
    pub fn describe(&self) -> String {
        match &self.endpoint {
            Endpoint::Unix(p) => format!("the server at {}", p.display()),
            Endpoint::Tcp(a) => format!("the server at http://{a}"),
        }
    }

    /// Sends one request and reads the whole response. `within` bounds the whole exchange,
    /// however slowly the server writes (a hook waiting for a person passes its deadline).
    pub fn request(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&[u8]>,
        within: Duration,
    ) -> Result<Response, String> {
        let deadline = std::time::Instant::now() + within;
        let token = self.token.as_deref().ok_or(
            "no token for the server: set ASSENT_TOKEN or write one to $ASSENT_HOME/token (`assent token create`)",
        )?;
        if !valid_header_value(token) {
            return Err("the token holds characters a header cannot carry".into());
        }
        let host = match &self.endpoint {
            Endpoint::Unix(_) => "localhost",
            Endpoint::Tcp(a) => a.as_str(),
        };
        let mut head = format!(
            "{method} {path_and_query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\nConnection: close\r\n"
        );
        if let Some(b) = body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        if let Some(b) = body {
            message.extend_from_slice(b);
        }
        let unreachable = |e: std::io::Error| {
            format!(
                "{} cannot be reached ({e}): start `assent serve`, or unset ASSENT_URL (a socket left in Assent's home by a server that stopped counts as a server until it is removed)",
                self.describe()
            )
        };
        let raw = match &self.endpoint {
            Endpoint::Unix(p) => {
                let mut s = std::os::unix::net::UnixStream::connect(p).map_err(unreachable)?;
                s.set_write_timeout(Some(IO_TIMEOUT)).map_err(unreachable)?;
                exchange(&mut s, &message, deadline, |s, t| {
                    s.set_read_timeout(Some(t))
                })
            }
            Endpoint::Tcp(a) => {
                let mut s = connect_tcp(a).map_err(unreachable)?;
                s.set_nodelay(true).map_err(unreachable)?;
                s.set_write_timeout(Some(IO_TIMEOUT)).map_err(unreachable)?;
                exchange(&mut s, &message, deadline, |s, t| {
                    s.set_read_timeout(Some(t))
                })
            }
        }
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                format!(
                    "{} went away before answering (connection reset: the server stopped or crashed)",
                    self.describe()
                )
            }
            _ => format!("{} failed to answer ({e})", self.describe()),
        })?;
        if raw.is_empty() {
            // The connection ended with nothing written: the server stopped (or was killed)
            // while the request was open.
            return Err(format!(
                "{} went away before answering (the connection closed with no answer: the server stopped or crashed)",
                self.describe()
            ));
        }
        parse_response(&raw).map_err(|e| format!("{} answered garbage ({e})", self.describe()))
    }
}

impl Remote {
    /// One JSON exchange for the approver and exec commands: the parsed body of a 2xx answer,
    /// else an error naming the server, the status and the problem's detail.
    pub fn json(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
        within: Duration,
    ) -> Result<serde_json::Value, String> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = self.request(method, path_and_query, bytes.as_deref(), within)?;
        if !(200..300).contains(&r.status) {
            return Err(format!(
                "{} refused ({}: {})",
                self.describe(),
                r.status,
                problem_detail(&r.body)
            ));
        }
        serde_json::from_slice(&r.body)
            .map_err(|e| format!("{} answered garbage ({e})", self.describe()))
    }
}

/// The bearer token: `ASSENT_TOKEN`, else the first line of `$ASSENT_HOME/token`.
fn token(assent_home: &std::path::Path) -> Option<String> {
    if let Ok(t) = std::env::var("ASSENT_TOKEN") {
        let t = t.trim();
        if !t.is_empty() {
            return Some(t.to_string());
        }
    }
    let text = std::fs::read_to_string(assent_home.join("token")).ok()?;
    let t = text.lines().next()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn valid_header_value(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// `http://host:port[/]` or `unix:/path` (also `unix:///path`). Anything else is refused:
/// TLS is not spoken here (put the server behind a local socket or a tunnel).
pub fn parse_url(url: &str) -> Result<Endpoint, String> {
    if let Some(path) = url.strip_prefix("unix:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if !path.starts_with('/') {
            return Err(format!(
                "ASSENT_URL `{url}`: a unix: URL needs an absolute path"
            ));
        }
        return Ok(Endpoint::Unix(PathBuf::from(path)));
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!(
            "ASSENT_URL `{url}` is not http://HOST:PORT or unix:/PATH (https is not supported by the client)"
        ));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty()
        || authority.contains(['/', '?', '#', '@'])
        || !valid_header_value(authority)
        || authority.contains(' ')
    {
        return Err(format!(
            "ASSENT_URL `{url}`: expected http://HOST:PORT with no path"
        ));
    }
    let with_port = match authority.rsplit_once(':') {
        Some((_, port)) if !port.contains(']') => {
            port.parse::<u16>()
                .map_err(|_| format!("ASSENT_URL `{url}`: bad port"))?;
            authority.to_string()
        }
        _ => format!("{authority}:80"),
    };
    Ok(Endpoint::Tcp(with_port))
}

fn connect_tcp(authority: &str) -> std::io::Result<std::net::TcpStream> {
    use std::net::ToSocketAddrs;
    let mut last = None;
    for addr in authority.to_socket_addrs()? {
        match std::net::TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("the host has no address")))
}

/// Writes `message`, then reads until the server closes the stream, giving up at `deadline`.
fn exchange<S: Read + Write>(
    s: &mut S,
    message: &[u8],
    deadline: std::time::Instant,
    set_read_timeout: impl Fn(&S, Duration) -> std::io::Result<()>,
) -> std::io::Result<Vec<u8>> {
    s.write_all(message)?;
    s.flush()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no complete answer in time",
            ));
        }
        set_read_timeout(s, left)?;
        let n = match s.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(raw);
        }
        raw.extend_from_slice(buf.get(..n).unwrap_or_default());
        if raw.len() as u64 > MAX_RESPONSE {
            return Err(std::io::Error::other("response too large"));
        }
    }
}

/// Parses one HTTP/1.1 response read to the end of the stream.
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let (head, rest) = raw.split_at(end);
    let body = rest.get(4..).unwrap_or_default();
    let head = std::str::from_utf8(head).map_err(|_| "headers are not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(format!("not an HTTP response (`{}`)", short(status_line)));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or("bad status code")?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("malformed header")?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value.parse().map_err(|_| "bad Content-Length")?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting Content-Length".into());
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") {
                return Err(format!("unsupported Transfer-Encoding `{}`", short(value)));
            }
            chunked = true;
        }
    }
    let body = if chunked {
        if length.is_some() {
            return Err("both Content-Length and chunked".into());
        }
        dechunk(body)?
    } else if let Some(n) = length {
        body.get(..n)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let (size_line, rest) = data.split_at(eol);
        let size_text = std::str::from_utf8(size_line).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        let rest = rest.get(2..).ok_or("truncated chunk")?;
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        let next = size.checked_add(2).ok_or("bad chunk size")?;
        if rest.get(size..next) != Some(b"\r\n".as_slice()) {
            return Err("chunk not followed by CRLF".into());
        }
        data = rest.get(next..).ok_or("truncated chunk")?;
    }
}

/// At most 80 characters of `s`, for messages about malformed input.
fn short(s: &str) -> String {
    assent_core::text::escape_line(&s.chars().take(80).collect::<String>())
}

/// The `detail` of a problem+json body, else a short excerpt of the body.
pub fn problem_detail(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
        .map(|d| short(&d))
        .unwrap_or_else(|| short(text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:8470"),
            Ok(Endpoint::Tcp("127.0.0.1:8470".into()))
        );
        assert_eq!(
            parse_url("http://localhost/"),
            Ok(Endpoint::Tcp("localhost:80".into()))
        );
        assert_eq!(
            parse_url("http://[::1]:8470"),
            Ok(Endpoint::Tcp("[::1]:8470".into()))
        );
        assert_eq!(
            parse_url("unix:///tmp/a.sock"),
            Ok(Endpoint::Unix("/tmp/a.sock".into()))
        );
        assert_eq!(
            parse_url("unix:/tmp/a.sock"),
            Ok(Endpoint::Unix("/tmp/a.sock".into()))
        );
        for bad in [
            "https://x:1",
            "http://",
            "http://a:b",
            "http://a:1/v1",
            "http://u@a:1",
            "unix:rel.sock",
            "ftp://x",
            "http://a:1\r\nX: y",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn responses() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, b"hi".as_slice()));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n1;x=y\r\n!\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"hi!");
        let r = parse_response(b"HTTP/1.0 401 Unauthorized\r\n\r\n{\"detail\":\"no\"}").unwrap();
        assert_eq!((r.status, problem_detail(&r.body)), (401, "no".to_string()));
        for bad in [
            b"".as_slice(),
            b"garbage",
            b"HTTP/1.1 200 OK\r\n",
            b"SSH-2.0 x\r\n\r\n",
            b"HTTP/1.1 999 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhi",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nhi!",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nhi",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhi",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        ] {
            assert!(
                parse_response(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
