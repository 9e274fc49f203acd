//! How a command reaches a host: the [`Transport`] trait, commands given as
//! argv (quoted in one place, [`quote`]), and the [`Local`] transport.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A command to run: its argv (never a shell line), what to write to its
/// stdin, how long it may take and how much output is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The program and its arguments; each is passed as one argument,
    /// whatever bytes it holds (a file name need not be UTF-8).
    pub argv: Vec<OsString>,
    /// Written to the command's stdin, which is then closed.
    pub stdin: Option<Vec<u8>>,
    /// The longest the command may run before it is killed.
    pub timeout: Duration,
    /// Bytes of stdout (and of stderr) kept; the rest is read and dropped,
    /// and the output is marked truncated.
    pub max_output: usize,
}

impl Command {
    /// `argv` (strings, or `OsString`s for bytes that are not UTF-8) with
    /// no stdin, a 30 s timeout and 16 MiB of output.
    pub fn new<S: Into<OsString>>(argv: impl IntoIterator<Item = S>) -> Command {
        Command {
            argv: argv.into_iter().map(Into::into).collect(),
            stdin: None,
            timeout: Duration::from_secs(30),
            max_output: 16 << 20,
        }
    }

    /// Writes `bytes` to the command's stdin.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Command {
        self.stdin = Some(bytes.into());
        self
    }

    /// Gives up on the command after `timeout`: a local one is killed;
    /// over SSH the server is asked to kill it and its channel is closed
    /// (OpenSSH's sshd may let it run on).
    pub fn timeout(mut self, timeout: Duration) -> Command {
        self.timeout = timeout;
        self
    }

    /// Keeps at most `bytes` of each output stream.
    pub fn max_output(mut self, bytes: usize) -> Command {
        self.max_output = bytes;
        self
    }

    /// The command as one POSIX shell line, each argument quoted, for
    /// messages and the audit trail (bytes that are not UTF-8 replaced).
    pub fn line(&self) -> String {
        String::from_utf8_lossy(&self.line_bytes()).into_owned()
    }

    /// The command as one POSIX shell line, byte for byte: what a
    /// transport that can only send a line (SSH's exec) sends.
    pub fn line_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, arg) in self.argv.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.extend(quote_bytes(arg.as_bytes()));
        }
        out
    }
}

/// [`quote`] for an argument of any bytes.
pub fn quote_bytes(arg: &[u8]) -> Vec<u8> {
    let safe = |b: &u8| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(b);
    if !arg.is_empty() && arg.iter().all(safe) {
        return arg.to_vec();
    }
    let mut out = Vec::with_capacity(arg.len() + 2);
    out.push(b'\'');
    for &b in arg {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// `arg` as one word of a POSIX shell line, whatever it holds: spaces,
/// quotes, `$()`, `;`, newlines. Words made only of safe characters stay
/// as they are; any other is put in single quotes, a `'` in it written as
/// `'\''`.
pub fn quote(arg: &str) -> String {
    String::from_utf8_lossy(&quote_bytes(arg.as_bytes())).into_owned()
}

/// What a command gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The exit status; `None` when a signal ended the command.
    pub status: Option<i32>,
    /// Standard output, at most the command's `max_output` bytes.
    pub stdout: Vec<u8>,
    /// Standard error, at most the command's `max_output` bytes.
    pub stderr: Vec<u8>,
    /// Whether either stream was longer than `max_output`.
    pub truncated: bool,
}

impl Output {
    /// Standard output as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text, trimmed.
    pub fn error_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).trim().to_string()
    }
}

/// Why a transport could not give a command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The host could not be reached, or the connection broke: worth
    /// another try.
    Transport(String),
    /// The command ran past its timeout and was killed.
    TimedOut(Duration),
    /// The command could not be started (no such program, no permission).
    NotStarted(String),
    /// The host's key is not one the transport trusts (unknown or changed):
    /// not retried.
    HostKey {
        /// The SHA-256 fingerprint of the key the host offered.
        fingerprint: String,
        /// Why it was refused.
        message: String,
    },
    /// The host accepted none of the keys offered: not retried.
    Auth(String),
}

/// Runs commands on one host.
pub trait Transport: Send + Sync {
    /// Where commands run, for messages and the audit trail.
    fn host(&self) -> &str;

    /// Runs `command` and waits for its output, its timeout, or a failure.
    fn run(&self, command: &Command) -> std::result::Result<Output, Failure>;

    /// The bytes of the file at `path` on the host (at most `max` of them).
    fn read_file(&self, path: &str, max: usize) -> std::result::Result<Output, Failure> {
        self.run(&Command::new(["cat", "--", path]).max_output(max))
    }
}

/// Commands run on this machine, as child processes.
#[derive(Debug, Clone, Default)]
pub struct Local;

impl Transport for Local {
    fn host(&self) -> &str {
        "localhost"
    }

    fn run(&self, command: &Command) -> std::result::Result<Output, Failure> {
        let Some((program, args)) = command.argv.split_first() else {
            return Err(Failure::NotStarted("an empty argv".into()));
        };
        let mut child = Process::new(program)
            .args(args)
            .stdin(if command.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::NotStarted(format!("{}: {e}", program.to_string_lossy())))?;
        if let (Some(bytes), Some(mut pipe)) = (command.stdin.clone(), child.stdin.take()) {
            // A command that exits without reading its stdin closes the
            // pipe; that is its business, not a failure.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let stdout = drain(child.stdout.take(), command.max_output);
        let stderr = drain(child.stderr.take(), command.max_output);
        let status = wait(&mut child, command.timeout)?;
        let (stdout, cut_out) = stdout.recv().unwrap_or_default();
        let (stderr, cut_err) = stderr.recv().unwrap_or_default();
        Ok(Output {
            status,
            stdout,
            stderr,
            truncated: cut_out || cut_err,
        })
    }
}

/// Reads a pipe to its end on a thread of its own, keeping `max` bytes.
fn drain(pipe: Option<impl Read + Send + 'static>, max: usize) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut cut = false;
        if let Some(mut pipe) = pipe {
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
        let _ = tx.send((kept, cut));
    });
    rx
}

/// Waits for `child`, killing it after `timeout`.
fn wait(child: &mut Child, timeout: Duration) -> std::result::Result<Option<i32>, Failure> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.code()),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::TimedOut(timeout));
            }
            Ok(None) => std::thread::sleep(
                Duration::from_millis(2)
                    .max(timeout / 1000)
                    .min(Duration::from_millis(20)),
            ),
            Err(e) => return Err(Failure::Transport(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_arguments_stay_one_word() {
        for hostile in [
            "a b",
            "it's",
            "$(rm -rf /)",
            "a;b",
            "line\nbreak",
            "",
            "`x`",
            "*",
            "~",
        ] {
            let line = Command::new(["printf", "%s", hostile]).line();
            let out = Local
                .run(&Command::new(["sh", "-c", &line]))
                .expect("sh runs");
            assert_eq!(out.text(), hostile, "{line}");
        }
    }

    #[test]
    fn argv_reaches_the_program_as_given() {
        let odd = "semi;colon $(whoami) 'quoted'\nnewline";
        let out = Local.run(&Command::new(["printf", "%s", odd])).unwrap();
        assert_eq!((out.status, out.text().as_str()), (Some(0), odd));
    }

    #[test]
    fn bytes_that_are_not_utf8_pass_as_they_are() {
        use std::os::unix::ffi::OsStringExt;
        let name = OsString::from_vec(b"caf\xe9 'x'".to_vec());
        let command = Command::new([OsString::from("printf"), "%s".into(), name]);
        assert_eq!(
            command.line_bytes(),
            b"printf %s 'caf\xe9 '\\''x'\\'''".to_vec()
        );
        assert_eq!(command.line(), "printf %s 'caf\u{fffd} '\\''x'\\'''");
        let out = Local.run(&command).unwrap();
        assert_eq!(out.stdout, b"caf\xe9 'x'");
        // The quoted line, run by a real shell, gives the bytes back too.
        let line = OsString::from_vec(command.line_bytes());
        let out = Local
            .run(&Command::new([OsString::from("sh"), "-c".into(), line]))
            .unwrap();
        assert_eq!(out.stdout, b"caf\xe9 'x'");
    }

    #[test]
    fn stdin_timeout_and_output_limit() {
        let out = Local.run(&Command::new(["cat"]).stdin("fed in")).unwrap();
        assert_eq!(out.text(), "fed in");
        let slow = Command::new(["sleep", "5"]).timeout(Duration::from_millis(100));
        let started = Instant::now();
        assert_eq!(
            Local.run(&slow),
            Err(Failure::TimedOut(Duration::from_millis(100)))
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let big = Local
            .run(&Command::new(["head", "-c", "100000", "/dev/zero"]).max_output(1000))
            .unwrap();
        assert_eq!((big.stdout.len(), big.truncated), (1000, true));
    }

    #[test]
    fn a_missing_program_is_not_started() {
        let e = Local
            .run(&Command::new(["infrarag-no-such-program"]))
            .unwrap_err();
        assert!(matches!(e, Failure::NotStarted(m) if m.contains("infrarag-no-such-program")));
    }
}
