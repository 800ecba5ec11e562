//! Proxies for the tests, on loopback: an HTTP forward proxy (absolute-form requests for
//! http: targets) and a SOCKS5 server (no authentication, CONNECT only). Each records the
//! targets it was asked for and relays bytes both ways until either side closes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

pub struct Proxy {
    pub addr: std::net::SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// The targets asked for so far: "host:port" for SOCKS5, the request URL for HTTP.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    pub fn http() -> Proxy {
        Self::start(|client, asked| {
            let mut reader = BufReader::new(client.try_clone()?);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let mut lines = head.lines();
            let first = lines.next().unwrap_or_default().to_string();
            let mut parts = first.split_whitespace();
            let (method, target) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
            asked.lock().unwrap().push(target.to_string());
            let url = url::Url::parse(target).map_err(std::io::Error::other)?;
            let mut upstream = TcpStream::connect((
                url.host_str().unwrap_or_default(),
                url.port_or_known_default().unwrap_or(80),
            ))?;
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            let mut request = format!("{method} {path} HTTP/1.1\r\n");
            for l in lines.filter(|l| !l.to_ascii_lowercase().starts_with("proxy-")) {
                if l.to_ascii_lowercase().starts_with("connection:") {
                    continue;
                }
                request.push_str(l);
                request.push_str("\r\n");
            }
            request.push_str("Connection: close\r\n\r\n");
            upstream.write_all(request.as_bytes())?;
            relay(reader.into_inner(), upstream);
            Ok(())
        })
    }

    pub fn socks5() -> Proxy {
        Self::start(|mut client, asked| {
            let mut greeting = [0u8; 2];
            client.read_exact(&mut greeting)?;
            let mut methods = vec![0u8; usize::from(greeting[1])];
            client.read_exact(&mut methods)?;
            client.write_all(&[5, 0])?;
            let mut head = [0u8; 4];
            client.read_exact(&mut head)?;
            let host = match head[3] {
                1 => {
                    let mut ip = [0u8; 4];
                    client.read_exact(&mut ip)?;
                    std::net::Ipv4Addr::from(ip).to_string()
                }
                3 => {
                    let mut len = [0u8; 1];
                    client.read_exact(&mut len)?;
                    let mut name = vec![0u8; usize::from(len[0])];
                    client.read_exact(&mut name)?;
                    String::from_utf8_lossy(&name).into_owned()
                }
                _ => return Err(std::io::Error::other("address type not supported here")),
            };
            let mut port = [0u8; 2];
            client.read_exact(&mut port)?;
            let port = u16::from_be_bytes(port);
            asked.lock().unwrap().push(format!("{host}:{port}"));
            let upstream = TcpStream::connect((host.as_str(), port))?;
            client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
            relay(client, upstream);
            Ok(())
        })
    }

    fn start(
        serve: impl Fn(TcpStream, &Mutex<Vec<String>>) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = asked.clone();
        let serve = Arc::new(serve);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (serve, log) = (serve.clone(), log.clone());
                thread::spawn(move || {
                    let _ = serve(stream, &log);
                });
            }
        });
        Proxy { addr, asked }
    }
}

/// Copies both ways until one side closes.
fn relay(client: TcpStream, upstream: TcpStream) {
    let (mut c_read, mut u_write) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let forward = thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = std::io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Both);
    let _ = forward.join();
}
