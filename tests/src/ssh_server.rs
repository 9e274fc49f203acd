//! Starts the asyncssh test server (`tests/servers/ssh_server.py`) on
//! 127.0.0.1 for a test, with generated host and client keys.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin};

/// A running server; it stops when dropped (its stdin closes).
pub struct SshServer {
    /// Its ports, one per simulated host.
    pub ports: Vec<u16>,
    /// Its host key, in OpenSSH form.
    pub host_key: String,
    /// Where the client keys are: `id_ed25519`, `id_ecdsa`, `id_rsa`,
    /// `id_encrypted` (passphrase [`PASSPHRASE`]) and the refused
    /// `id_stranger`.
    pub keys: PathBuf,
    child: Child,
    _stdin: ChildStdin,
}

/// The passphrase of `id_encrypted`.
pub const PASSPHRASE: &str = "correct horse";

/// The Python with asyncssh: `INFRARAG_PYTHON`, else the repository's
/// `.venv` that `make test` makes.
pub fn python() -> PathBuf {
    std::env::var_os("INFRARAG_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

impl SshServer {
    /// Starts a server with `ports` ports, its keys under `dir`. Panics
    /// (failing the test) when it cannot start: an SSH test that has no
    /// server has not passed.
    pub fn start(dir: &Path, ports: usize) -> SshServer {
        let keys = dir.join("keys");
        let (child, stdin, ready) = crate::start_server(
            "ssh_server.py",
            &[
                "--ports".into(),
                ports.to_string().into(),
                "--host-key".into(),
                dir.join("host_key").into(),
                "--keys".into(),
                keys.clone().into(),
            ],
            "asyncssh",
        );
        SshServer {
            ports: ready["ports"]
                .as_array()
                .expect("ports")
                .iter()
                .map(|p| p.as_u64().expect("a port") as u16)
                .collect(),
            host_key: ready["host_key"].as_str().expect("host_key").to_string(),
            keys,
            child,
            _stdin: stdin,
        }
    }

    /// The path of client key `name` (`id_ed25519`, ...).
    pub fn key(&self, name: &str) -> PathBuf {
        self.keys.join(name)
    }

    /// A known_hosts file at `path` that records the server's key for
    /// every port.
    pub fn known_hosts(&self, path: &Path) -> PathBuf {
        let lines: String = self
            .ports
            .iter()
            .map(|p| format!("[127.0.0.1]:{p} {}\n", self.host_key))
            .collect();
        std::fs::write(path, lines).expect("write known_hosts");
        path.to_path_buf()
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
