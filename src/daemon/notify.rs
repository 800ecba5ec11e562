//! systemd's notify protocol: `READY=1` once the daemon is polling, `WATCHDOG=1` while
//! its loop is alive, `STOPPING=1` on the way out.
//!
//! The protocol is one datagram of `KEY=VALUE` lines to the Unix socket named in
//! `NOTIFY_SOCKET` (a path, or `@name` for an abstract socket). That is a few lines over
//! the standard library's `UnixDatagram`, so no crate is added for it. Without
//! `NOTIFY_SOCKET` (not started by systemd, or `Type=simple`) every call does nothing.

use std::time::Duration;

#[cfg(unix)]
use std::os::unix::net::{SocketAddr, UnixDatagram};

pub struct Notifier {
    #[cfg(unix)]
    target: Option<(UnixDatagram, SocketAddr)>,
}

impl Notifier {
    /// The notifier systemd asked for through the environment, or one that does nothing.
    pub fn from_env() -> Notifier {
        let Some(name) = std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty()) else {
            return Notifier::none();
        };
        match connect(&name) {
            Ok(target) => Notifier {
                #[cfg(unix)]
                target: Some(target),
            },
            Err(e) => {
                tracing::warn!(socket = %name.to_string_lossy(), error = %e, "cannot use NOTIFY_SOCKET; systemd will not hear from warta");
                Notifier::none()
            }
        }
    }

    fn none() -> Notifier {
        Notifier {
            #[cfg(unix)]
            target: None,
        }
    }

    pub fn is_active(&self) -> bool {
        #[cfg(unix)]
        {
            self.target.is_some()
        }
        #[cfg(not(unix))]
        {
            false
        }
    }

    /// Sends `state` (`READY=1`, …). A lost notification is logged, never fatal: systemd
    /// acts on the missing message itself (start timeout, watchdog).
    pub fn notify(&self, state: &str) {
        #[cfg(unix)]
        if let Some((socket, addr)) = &self.target
            && let Err(e) = socket.send_to_addr(state.as_bytes(), addr)
        {
            tracing::warn!(state, error = %e, "cannot notify systemd");
        }
        #[cfg(not(unix))]
        let _ = state;
    }
}

#[cfg(unix)]
fn connect(name: &std::ffi::OsStr) -> std::io::Result<(UnixDatagram, SocketAddr)> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    let addr = match bytes.strip_prefix(b"@") {
        #[cfg(target_os = "linux")]
        Some(abstract_name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(abstract_name)?
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "abstract sockets exist on Linux only",
            ));
        }
        None => SocketAddr::from_pathname(std::path::Path::new(name))?,
    };
    let socket = UnixDatagram::unbound()?;
    // A manager that stopped reading must not stall the poll loop that sends the watchdog.
    socket.set_nonblocking(true)?;
    Ok((socket, addr))
}

#[cfg(not(unix))]
fn connect(_: &std::ffi::OsStr) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the notify protocol needs Unix sockets",
    ))
}

/// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, as systemd advises, when the
/// watchdog is meant for this process (`WATCHDOG_PID` unset or ours).
pub fn watchdog_interval() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok()?;
    let pid = std::env::var("WATCHDOG_PID").ok();
    interval_from(&usec, pid.as_deref(), std::process::id())
}

fn interval_from(usec: &str, pid: Option<&str>, own_pid: u32) -> Option<Duration> {
    if let Some(pid) = pid
        && pid.trim().parse::<u32>().ok() != Some(own_pid)
    {
        return None;
    }
    let usec: u64 = usec.trim().parse().ok().filter(|&n| n > 0)?;
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_interval_is_half_of_watchdog_usec() {
        assert_eq!(
            interval_from("30000000", None, 7),
            Some(Duration::from_secs(15))
        );
        assert_eq!(
            interval_from("2000000", Some("7"), 7),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn watchdog_for_another_process_or_nonsense_is_ignored() {
        assert_eq!(interval_from("2000000", Some("8"), 7), None);
        assert_eq!(interval_from("0", None, 7), None);
        assert_eq!(interval_from("soon", None, 7), None);
    }

    #[cfg(unix)]
    #[test]
    fn notifications_arrive_as_datagrams_on_the_named_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let n = Notifier {
            target: Some(connect(path.as_os_str()).unwrap()),
        };
        assert!(n.is_active());
        n.notify("READY=1");
        let mut buf = [0u8; 64];
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn abstract_socket_names_start_with_an_at_sign() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("warta-test-{}", std::process::id());
        let server =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let n = Notifier {
            target: Some(connect(std::ffi::OsStr::new(&format!("@{name}"))).unwrap()),
        };
        n.notify("WATCHDOG=1");
        let mut buf = [0u8; 64];
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"WATCHDOG=1");
    }

    #[test]
    fn without_a_socket_nothing_happens() {
        let n = Notifier::none();
        assert!(!n.is_active());
        n.notify("READY=1");
    }
}
