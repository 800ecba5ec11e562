//! Running the `warta` binary: a clean environment, a time limit, captured output, and the one
//! check every run gets (no panic or backtrace text on stderr, whatever the exit code).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long one short command may take before the test gives up on it.
pub const RUN_LIMIT: Duration = Duration::from_secs(90);

/// `warta` with an environment that cannot leak in from the developer's shell.
pub fn warta() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warta"));
    for var in [
        "WARTA_CONFIG",
        "RUST_LOG",
        "RUST_BACKTRACE",
        "RUST_LIB_BACKTRACE",
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// The outcome of one finished run.
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "warta {:?}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "unexpected exit status\n{self:?}");
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        self.expect_code(0)
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e})\n{self:?}"))
    }

    #[track_caller]
    pub fn ndjson(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("line is not JSON ({e}): {l}\n{self:?}"))
            })
            .collect()
    }

    /// stderr names `culprit` (case-insensitive).
    #[track_caller]
    pub fn stderr_names(&self, culprit: &str) -> &Run {
        assert!(
            self.stderr.to_lowercase().contains(&culprit.to_lowercase()),
            "stderr does not name {culprit:?}\n{self:?}"
        );
        self
    }
}

/// The check every test makes on every stderr it sees.
#[track_caller]
pub fn assert_no_panic(what: &str, stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{what}: stderr shows a panic\n{stderr}"
    );
}

fn drain(mut pipe: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buf);
    let handle = thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&chunk[..n]),
            }
        }
    });
    (buf, handle)
}

fn text(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// Runs `cmd` to completion (killing it past `limit`), feeding `stdin` if given.
#[track_caller]
pub fn run_command(mut cmd: Command, stdin: Option<&[u8]>, limit: Duration) -> Run {
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn warta (is the binary built?)");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let bytes = bytes.to_vec();
        thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let (out, out_thread) = drain(child.stdout.take().expect("stdout piped"));
    let (err, err_thread) = drain(child.stderr.take().expect("stderr piped"));
    let status = wait_limit(&mut child, limit);
    let _ = out_thread.join();
    let _ = err_thread.join();
    let run = Run {
        args,
        code: status.and_then(|s| s.code()),
        stdout: text(&out),
        stderr: text(&err),
    };
    assert!(
        status.is_some(),
        "warta did not finish within {limit:?}\n{run:?}"
    );
    assert_no_panic(&format!("warta {:?}", run.args), &run.stderr);
    run
}

/// Waits for `child` up to `limit`; kills it and returns None past the limit.
pub fn wait_limit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if start.elapsed() < limit => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Sends a signal with the `kill` command, as an operator would.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// A long-running warta (daemon, or a fetch to be interrupted) whose output is collected in the
/// background. Killed on drop if still running, so a failing test leaves no process behind.
pub struct Background {
    pub child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Background {
    pub fn spawn(mut cmd: Command) -> Background {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn warta (is the binary built?)");
        let (out, _) = drain(child.stdout.take().expect("stdout piped"));
        let (err, _) = drain(child.stderr.take().expect("stderr piped"));
        Background { child, out, err }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        text(&self.out)
    }

    pub fn stderr(&self) -> String {
        text(&self.err)
    }

    pub fn still_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM while it still runs, then the contract's clean stop: exit 0 within 10 s.
    #[track_caller]
    pub fn stop_cleanly(&mut self) {
        assert!(
            self.still_running(),
            "it stopped by itself\n{}",
            self.stderr()
        );
        send_signal(self.pid(), "TERM");
        let status = self.wait(Duration::from_secs(10));
        assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", self.stderr());
    }

    /// Waits up to `limit` for the exit; returns its code (None: killed by a signal or timed out).
    pub fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        wait_limit(&mut self.child, limit)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `path` as the string a user would type.
pub fn arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
