//! Starts OpenSSH's `sshd` on 127.0.0.1 for a test, with its own host key,
//! configuration and authorized keys, logging in as the current user.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where OpenSSH's server is, when the machine has it.
pub const SSHD: &str = "/usr/sbin/sshd";

/// A running sshd; it stops when dropped.
pub struct Sshd {
    /// Its port.
    pub port: u16,
    /// Its host key, in OpenSSH form.
    pub host_key: String,
    /// The private key it accepts (Ed25519).
    pub client_key: PathBuf,
    child: Child,
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

impl Sshd {
    /// Starts sshd with its files under `dir`. Panics (failing the test)
    /// when it cannot start.
    pub fn start(dir: &Path) -> Sshd {
        std::fs::create_dir_all(dir).expect("sshd dir");
        // sshd checks that its privilege-separation directory exists.
        let _ = std::fs::create_dir_all("/run/sshd");
        let host = dir.join("host_ed25519");
        let client = dir.join("id_ed25519");
        keygen(&host);
        keygen(&client);
        std::fs::copy(client.with_extension("pub"), dir.join("authorized_keys"))
            .expect("authorized_keys");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {keys}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             StrictModes no\nUsePAM no\nPidFile {pid}\nMaxSessions 32\nMaxStartups 64\n",
            host = host.display(),
            keys = dir.join("authorized_keys").display(),
            pid = dir.join("sshd.pid").display(),
        );
        let config_path = dir.join("sshd_config");
        std::fs::write(&config_path, config).expect("sshd_config");
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{SSHD} did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let host_key = std::fs::read_to_string(host.with_extension("pub")).expect("host key");
        Sshd {
            port,
            host_key: host_key.trim().to_string(),
            client_key: client,
            child,
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
