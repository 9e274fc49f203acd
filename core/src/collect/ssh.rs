//! Commands over SSH: an [`SshHost`] (where and as whom, which host keys are
//! trusted) and the [`Ssh`] transport, one reused connection per host.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use russh::client::{self, Handle, Handler};
use russh::keys::agent::client::AgentClient;
use russh::keys::known_hosts::{known_host_keys_path, learn_known_hosts_path};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::ChannelMsg;
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

use super::transport::{Command, Failure, Output, Transport};

/// Which host keys a connection accepts. Keys are checked on every
/// connection; nothing is trusted unless asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeys {
    /// Only the keys an OpenSSH known_hosts file records for the host
    /// (`[name]:port` when the port is not 22; hashed names too).
    KnownHosts(PathBuf),
    /// Only this key, in OpenSSH form (`ssh-ed25519 AAAA...`).
    Pinned(String),
    /// The known_hosts file's keys; a host it does not know yet is trusted
    /// and its key recorded there (OpenSSH's `accept-new`). A changed key
    /// is still refused.
    TrustOnFirstUse(PathBuf),
}

/// How to reach one host over SSH: its address, the user, the keys to
/// offer, the host keys to accept, and an optional jump host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshHost {
    /// The address to connect to (a name or an IP).
    pub hostname: String,
    /// The TCP port.
    pub port: u16,
    /// The remote user.
    pub user: String,
    /// Private key files offered in order (OpenSSH, PEM or PKCS#8;
    /// Ed25519, ECDSA or RSA).
    pub identity_files: Vec<PathBuf>,
    /// What decrypts encrypted key files.
    pub passphrase: Option<String>,
    /// The socket of an ssh-agent whose keys are offered after the files
    /// (by default `SSH_AUTH_SOCK`'s).
    pub agent: Option<PathBuf>,
    /// Which host keys are accepted.
    pub host_keys: HostKeys,
    /// The host the connection goes through (OpenSSH's `ProxyJump`).
    pub jump: Option<Box<SshHost>>,
    /// The longest a connection (with its authentication) may take.
    pub connect_timeout: Duration,
    /// How often an idle connection is probed; three unanswered probes
    /// close it. `None` sends none.
    pub keepalive: Option<Duration>,
    /// Commands run at once on the connection; more wait for a channel.
    pub max_channels: usize,
}

impl SshHost {
    /// `hostname` on port 22 as the local user, offering `~/.ssh/id_ed25519`,
    /// `id_ecdsa` and `id_rsa` where they exist and the agent's keys, and
    /// accepting only the host keys in `~/.ssh/known_hosts`.
    pub fn new(hostname: impl Into<String>) -> SshHost {
        let home = home();
        let identity_files = ["id_ed25519", "id_ecdsa", "id_rsa"]
            .iter()
            .map(|name| home.join(".ssh").join(name))
            .filter(|path| path.exists())
            .collect();
        SshHost {
            hostname: hostname.into(),
            port: 22,
            user: local_user(),
            identity_files,
            passphrase: None,
            agent: std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from),
            host_keys: HostKeys::KnownHosts(home.join(".ssh").join("known_hosts")),
            jump: None,
            connect_timeout: Duration::from_secs(10),
            keepalive: Some(Duration::from_secs(15)),
            max_channels: 8,
        }
    }

    /// Connects to `port`.
    pub fn port(mut self, port: u16) -> SshHost {
        self.port = port;
        self
    }

    /// Logs in as `user`.
    pub fn user(mut self, user: impl Into<String>) -> SshHost {
        self.user = user.into();
        self
    }

    /// Offers only the key in `path` (call again to add more).
    pub fn identity_file(mut self, path: impl Into<PathBuf>) -> SshHost {
        if self.identity_files.iter().all(|p| !is_default_identity(p)) {
            self.identity_files.push(path.into());
        } else {
            self.identity_files = vec![path.into()];
        }
        self
    }

    /// Decrypts encrypted key files with `passphrase`.
    pub fn passphrase(mut self, passphrase: impl Into<String>) -> SshHost {
        self.passphrase = Some(passphrase.into());
        self
    }

    /// Offers the keys of the agent listening at `socket` (`None`: no
    /// agent).
    pub fn agent(mut self, socket: Option<PathBuf>) -> SshHost {
        self.agent = socket;
        self
    }

    /// Which host keys are accepted.
    pub fn host_keys(mut self, host_keys: HostKeys) -> SshHost {
        self.host_keys = host_keys;
        self
    }

    /// Connects through `jump`.
    pub fn jump(mut self, jump: SshHost) -> SshHost {
        self.jump = Some(Box::new(jump));
        self
    }

    /// Gives up on a connection after `timeout`.
    pub fn connect_timeout(mut self, timeout: Duration) -> SshHost {
        self.connect_timeout = timeout;
        self
    }

    /// Probes an idle connection every `interval` (`None`: never).
    pub fn keepalive(mut self, interval: Option<Duration>) -> SshHost {
        self.keepalive = interval;
        self
    }

    /// Runs at most `n` commands at once on the connection (at least 1).
    pub fn max_channels(mut self, n: usize) -> SshHost {
        self.max_channels = n.max(1);
        self
    }

    fn address(&self) -> String {
        format!("{}@{}:{}", self.user, self.hostname, self.port)
    }
}

/// The user's home directory (`/` when `HOME` is unset), where `~` and the
/// default key, known_hosts and config files are.
pub(super) fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The local user's name, the default remote user.
pub(super) fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".into())
}

fn is_default_identity(path: &Path) -> bool {
    let ssh = home().join(".ssh");
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .any(|name| path == ssh.join(name))
}

/// The runtime every SSH connection lives on: two worker threads, started
/// on first use. Callers block on a channel, never on the runtime, so a
/// transport may be used from inside another async runtime.
fn runtime() -> std::result::Result<&'static Runtime, Failure> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("infrarag-ssh")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Failure::Transport(format!("cannot start the SSH runtime: {e}")))
}

/// Commands on one host over SSH. The connection is opened on the first
/// command, shared by concurrent commands (each on its own channel, at
/// most [`SshHost::max_channels`] at once), and opened again after it drops.
pub struct Ssh {
    name: String,
    host: Arc<SshHost>,
    state: Arc<State>,
}

struct State {
    connection: tokio::sync::Mutex<Option<Connection>>,
    channels: Semaphore,
    connects: AtomicU64,
}

#[derive(Clone)]
struct Connection {
    handle: Arc<Handle<Client>>,
    // The jump host's connection carries this one; it lives as long.
    _through: Option<Box<Connection>>,
}

impl Ssh {
    /// The transport for `host`, called `name` in messages and the audit
    /// trail. Nothing connects until the first command.
    pub fn new(name: impl Into<String>, host: SshHost) -> Ssh {
        let channels = Semaphore::new(host.max_channels.max(1));
        Ssh {
            name: name.into(),
            host: Arc::new(host),
            state: Arc::new(State {
                connection: tokio::sync::Mutex::new(None),
                channels,
                connects: AtomicU64::new(0),
            }),
        }
    }

    /// The settings it connects with.
    pub fn settings(&self) -> &SshHost {
        &self.host
    }

    /// How many connections it has opened so far (reconnections included).
    pub fn connections(&self) -> u64 {
        self.state.connects.load(Ordering::Relaxed)
    }

    /// Connects now (if not connected), so that a wrong host key or key
    /// shows before the first collection.
    pub fn connect(&self) -> std::result::Result<(), Failure> {
        let (host, state) = (self.host.clone(), self.state.clone());
        block(async move { connected(&host, &state).await.map(|_| ()) })
    }
}

impl std::fmt::Debug for Ssh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ssh")
            .field("name", &self.name)
            .field("host", &self.host.address())
            .finish()
    }
}

impl Transport for Ssh {
    fn host(&self) -> &str {
        &self.name
    }

    fn run(&self, command: &Command) -> std::result::Result<Output, Failure> {
        if command.argv.is_empty() {
            return Err(Failure::NotStarted("an empty argv".into()));
        }
        let (host, state, command) = (self.host.clone(), self.state.clone(), command.clone());
        block(async move { run(&host, &state, &command).await })
    }
}

/// Runs `work` on the SSH runtime and waits for it on this thread.
fn block<T: Send + 'static>(
    work: impl std::future::Future<Output = std::result::Result<T, Failure>> + Send + 'static,
) -> std::result::Result<T, Failure> {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime()?.spawn(async move {
        let _ = tx.send(work.await);
    });
    rx.recv()
        .unwrap_or_else(|_| Err(Failure::Transport("the SSH runtime stopped".into())))
}

async fn run(
    host: &SshHost,
    state: &State,
    command: &Command,
) -> std::result::Result<Output, Failure> {
    let _channel_permit = state
        .channels
        .acquire()
        .await
        .map_err(|_| Failure::Transport("the transport was closed".into()))?;
    let line = command.line();
    let deadline = tokio::time::Instant::now() + command.timeout;
    let opened = tokio::time::timeout_at(deadline, async {
        let connection = connected(host, state).await?;
        match connection.handle.channel_open_session().await {
            Ok(channel) => Ok(channel),
            // The connection died since its last use: one new one.
            Err(_) => {
                forget(state, &connection).await;
                let connection = connected(host, state).await?;
                connection.handle.channel_open_session().await.map_err(|e| {
                    Failure::Transport(format!("{}: cannot open a channel: {e}", host.address()))
                })
            }
        }
    })
    .await;
    let mut channel = match opened {
        Ok(result) => result?,
        Err(_) => return Err(Failure::TimedOut(command.timeout)),
    };
    let exchange = async {
        channel
            .exec(true, command.line_bytes())
            .await
            .map_err(|e| Failure::Transport(format!("{}: exec: {e}", host.address())))?;
        if let Some(bytes) = &command.stdin {
            // A command that exits without reading its stdin is its business.
            let _ = channel.data(&bytes[..]).await;
        }
        let _ = channel.eof().await;
        let mut output = Output {
            status: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            truncated: false,
        };
        let mut ended = false;
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Data { data } => keep(
                    &mut output.stdout,
                    &data,
                    command.max_output,
                    &mut output.truncated,
                ),
                ChannelMsg::ExtendedData { data, ext: 1 } => keep(
                    &mut output.stderr,
                    &data,
                    command.max_output,
                    &mut output.truncated,
                ),
                ChannelMsg::ExitStatus { exit_status } => {
                    output.status = Some(exit_status as i32);
                    ended = true;
                }
                ChannelMsg::ExitSignal { .. } => ended = true,
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        if ended {
            Ok(output)
        } else {
            Err(Failure::Transport(format!(
                "{}: the connection closed before `{line}` finished",
                host.address()
            )))
        }
    };
    match tokio::time::timeout_at(deadline, exchange).await {
        Ok(result) => result,
        Err(_) => {
            // Asks the server to kill the command, then closes its channel;
            // the connection stays for other commands. OpenSSH's sshd does
            // neither for a command without a terminal: it may run on
            // there (tests/tests/collect_ssh.rs, the sshd test).
            let _ = channel.signal(russh::Sig::KILL).await;
            let _ = channel.close().await;
            Err(Failure::TimedOut(command.timeout))
        }
    }
}

fn keep(into: &mut Vec<u8>, data: &[u8], max: usize, truncated: &mut bool) {
    let room = max.saturating_sub(into.len());
    into.extend_from_slice(&data[..data.len().min(room)]);
    *truncated |= data.len() > room;
}

/// The open connection, or a new one.
async fn connected(host: &SshHost, state: &State) -> std::result::Result<Connection, Failure> {
    let mut slot = state.connection.lock().await;
    if let Some(connection) = slot.as_ref() {
        if !connection.handle.is_closed() {
            return Ok(connection.clone());
        }
    }
    let connection = open(host).await?;
    state.connects.fetch_add(1, Ordering::Relaxed);
    *slot = Some(connection.clone());
    Ok(connection)
}

/// Drops `dead` from the slot, unless another caller already replaced it.
async fn forget(state: &State, dead: &Connection) {
    let mut slot = state.connection.lock().await;
    if slot
        .as_ref()
        .is_some_and(|c| Arc::ptr_eq(&c.handle, &dead.handle))
    {
        *slot = None;
    }
}

/// Connects to `host` (through its jump host, if any) and logs in.
fn open(
    host: &SshHost,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = std::result::Result<Connection, Failure>> + Send + '_>,
> {
    Box::pin(async move {
        let config = Arc::new(client::Config {
            keepalive_interval: host.keepalive,
            keepalive_max: 3,
            inactivity_timeout: None,
            // Without it each command waited ~40 ms on Nagle's algorithm
            // against delayed ACKs (benches/peers/collect_ssh.py).
            nodelay: true,
            ..Default::default()
        });
        let refusal = Arc::new(Mutex::new(None));
        let handler = Client {
            host_keys: host.host_keys.clone(),
            hostname: host.hostname.clone(),
            port: host.port,
            refusal: refusal.clone(),
        };
        let address = host.address();
        let connecting = async {
            let (handle, through) = match &host.jump {
                None => {
                    let handle =
                        client::connect(config, (host.hostname.as_str(), host.port), handler).await;
                    (handle, None)
                }
                Some(jump) => {
                    let through = open(jump).await?;
                    let stream = through
                        .handle
                        .channel_open_direct_tcpip(
                            host.hostname.clone(),
                            u32::from(host.port),
                            "127.0.0.1",
                            0,
                        )
                        .await
                        .map_err(|e| {
                            Failure::Transport(format!(
                                "{address}: the jump host {} cannot reach it: {e}",
                                jump.address()
                            ))
                        })?
                        .into_stream();
                    (
                        client::connect_stream(config, stream, handler).await,
                        Some(Box::new(through)),
                    )
                }
            };
            let mut handle = handle.map_err(|e| {
                let refused = refusal.lock().map(|mut r| r.take()).unwrap_or(None);
                match refused {
                    Some((fingerprint, message)) => Failure::HostKey {
                        fingerprint,
                        message: format!("{address}: {message}"),
                    },
                    None => Failure::Transport(format!("{address}: {e}")),
                }
            })?;
            authenticate(host, &mut handle).await?;
            Ok(Connection {
                handle: Arc::new(handle),
                _through: through,
            })
        };
        match tokio::time::timeout(host.connect_timeout, connecting).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Transport(format!(
                "{address}: no connection within {:.1} s",
                host.connect_timeout.as_secs_f64()
            ))),
        }
    })
}

/// Offers the key files, then the agent's keys; the first accepted wins.
async fn authenticate(
    host: &SshHost,
    handle: &mut Handle<Client>,
) -> std::result::Result<(), Failure> {
    let address = host.address();
    let transport = |e: russh::Error| Failure::Transport(format!("{address}: {e}"));
    let mut tried = Vec::new();
    for path in &host.identity_files {
        let key = match russh::keys::load_secret_key(path, host.passphrase.as_deref()) {
            Ok(key) => key,
            Err(russh::keys::Error::KeyIsEncrypted) => {
                tried.push(format!(
                    "{} (encrypted; no passphrase given)",
                    path.display()
                ));
                continue;
            }
            Err(e) => {
                tried.push(format!("{} ({e})", path.display()));
                continue;
            }
        };
        let hash = rsa_hash(handle, &address).await?;
        let result = handle
            .authenticate_publickey(
                host.user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(transport)?;
        if result.success() {
            return Ok(());
        }
        tried.push(format!("{} (refused)", path.display()));
    }
    if let Some(socket) = &host.agent {
        match AgentClient::connect_uds(socket).await {
            Ok(mut agent) => {
                let identities = agent.request_identities().await.unwrap_or_default();
                for identity in identities {
                    let russh::keys::agent::AgentIdentity::PublicKey { key, comment } = identity
                    else {
                        continue;
                    };
                    let hash = rsa_hash(handle, &address).await?;
                    match handle
                        .authenticate_publickey_with(host.user.clone(), key, hash, &mut agent)
                        .await
                    {
                        Ok(result) if result.success() => return Ok(()),
                        Ok(_) => tried.push(format!("agent key {comment} (refused)")),
                        Err(e) => tried.push(format!("agent key {comment} ({e})")),
                    }
                }
            }
            Err(e) => tried.push(format!("the agent ({e})")),
        }
    }
    let tried = if tried.is_empty() {
        "no key was offered".to_string()
    } else {
        format!("tried {}", tried.join(", "))
    };
    Err(Failure::Auth(format!(
        "{address}: the server accepted no key: {tried}"
    )))
}

/// The hash an RSA key signs with: the best both sides support.
async fn rsa_hash(
    handle: &Handle<Client>,
    address: &str,
) -> std::result::Result<Option<HashAlg>, Failure> {
    handle
        .best_supported_rsa_hash()
        .await
        .map(Option::flatten)
        .map_err(|e| Failure::Transport(format!("{address}: {e}")))
}

/// Checks the server's key against the host-key policy and says why it
/// refused one, which russh's own error does not.
struct Client {
    host_keys: HostKeys,
    hostname: String,
    port: u16,
    refusal: Arc<Mutex<Option<(String, String)>>>,
}

impl Client {
    fn verdict(&self, key: &PublicKey) -> std::result::Result<(), String> {
        let pinned_or_file = match &self.host_keys {
            HostKeys::Pinned(pinned) => {
                let pinned = parse_public_key(pinned)
                    .map_err(|e| format!("the pinned host key does not parse: {e}"))?;
                return if pinned.key_data() == key.key_data() {
                    Ok(())
                } else {
                    Err(format!(
                        "the host key {} is not the pinned key {}",
                        key.fingerprint(HashAlg::Sha256),
                        pinned.fingerprint(HashAlg::Sha256)
                    ))
                };
            }
            HostKeys::KnownHosts(path) | HostKeys::TrustOnFirstUse(path) => path,
        };
        let known = known_host_keys_path(&self.hostname, self.port, pinned_or_file)
            .map_err(|e| format!("{}: {e}", pinned_or_file.display()))?;
        if known.iter().any(|(_, k)| k.key_data() == key.key_data()) {
            return Ok(());
        }
        if let Some((line, _)) = known.iter().find(|(_, k)| k.algorithm() == key.algorithm()) {
            return Err(format!(
                "the host key CHANGED: {} is not the key recorded at {}:{line}",
                key.fingerprint(HashAlg::Sha256),
                pinned_or_file.display()
            ));
        }
        if let HostKeys::TrustOnFirstUse(path) = &self.host_keys {
            if known.is_empty() {
                return learn_known_hosts_path(&self.hostname, self.port, key, path)
                    .map_err(|e| format!("cannot record the host key in {}: {e}", path.display()));
            }
        }
        Err(format!(
            "the host key {} is unknown: {} has no {} key for it",
            key.fingerprint(HashAlg::Sha256),
            pinned_or_file.display(),
            key.algorithm()
        ))
    }
}

impl Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server else {
            let message = "the server offered a host certificate; only plain host keys are checked"
                .to_string();
            if let Ok(mut r) = self.refusal.lock() {
                *r = Some((String::new(), message));
            }
            return Ok(false);
        };
        match self.verdict(key) {
            Ok(()) => Ok(true),
            Err(message) => {
                if let Ok(mut r) = self.refusal.lock() {
                    *r = Some((key.fingerprint(HashAlg::Sha256).to_string(), message));
                }
                Ok(false)
            }
        }
    }
}

/// A public key in OpenSSH form (`ssh-ed25519 AAAA... comment`), or its
/// base64 part alone.
pub fn parse_public_key(text: &str) -> std::result::Result<PublicKey, String> {
    let text = text.trim();
    if let Ok(key) = PublicKey::from_openssh(text) {
        return Ok(key);
    }
    russh::keys::parse_public_key_base64(text).map_err(|e| e.to_string())
}

/// The SHA-256 fingerprint of a public key in OpenSSH form, as
/// `ssh-keygen -l` prints it (`SHA256:...`).
pub fn fingerprint(public_key: &str) -> std::result::Result<String, String> {
    Ok(parse_public_key(public_key)?
        .fingerprint(HashAlg::Sha256)
        .to_string())
}
