//! Hosts as the bindings describe them: a name that an OpenSSH config knows
//! (or `local`), or SSH options as one JSON object, read in one place.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::ssh::{HostKeys, Ssh, SshHost};
use super::ssh_config::SshConfig;
use super::transport::{Local, Transport};
use crate::error::{Error, Result};

/// SSH options by name (snake_case; Node's camelCase names are accepted
/// too). Only `hostname` is required; the rest default as
/// [`SshHost::new`] does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshOptions {
    /// The address to connect to.
    pub hostname: String,
    /// The TCP port (22).
    pub port: Option<u16>,
    /// The remote user (the local user).
    pub user: Option<String>,
    /// Key files offered in order (`~` expanded).
    #[serde(alias = "identityFiles")]
    pub identity_files: Option<Vec<String>>,
    /// What decrypts encrypted key files.
    pub passphrase: Option<String>,
    /// `true`: the agent at `SSH_AUTH_SOCK` (the default when it is set);
    /// `false`: none; a string: the agent's socket.
    pub agent: Option<Value>,
    /// The known_hosts file checked (`~/.ssh/known_hosts`).
    #[serde(alias = "knownHosts")]
    pub known_hosts: Option<String>,
    /// The one host key accepted, in OpenSSH form; overrides `known_hosts`.
    #[serde(alias = "hostKey")]
    pub host_key: Option<String>,
    /// Trust an unknown host on first use and record its key in
    /// `known_hosts`; a changed key is still refused.
    #[serde(alias = "trustOnFirstUse")]
    pub trust_on_first_use: Option<bool>,
    /// The jump host: options, or a name the OpenSSH config knows.
    pub jump: Option<Box<HostSpec>>,
    /// Seconds a connection may take (10).
    #[serde(alias = "connectTimeout")]
    pub connect_timeout: Option<f64>,
    /// Seconds between keepalive probes (15; 0: none).
    pub keepalive: Option<f64>,
    /// Commands run at once on the connection (8).
    #[serde(alias = "maxChannels")]
    pub max_channels: Option<usize>,
}

/// One host: `"local"`, a name the OpenSSH config resolves, or options.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HostSpec {
    /// `local` (this machine) or an OpenSSH config alias.
    Name(String),
    /// SSH options.
    Ssh(Box<SshOptions>),
}

impl HostSpec {
    /// Reads a host from a binding's value, naming `host` in the error.
    pub fn from_value(host: &str, value: Value) -> Result<HostSpec> {
        let invalid = |message: String| Error::InvalidArgument {
            name: "hosts".into(),
            message: format!("{host:?}: {message}"),
        };
        match value {
            Value::String(name) => Ok(HostSpec::Name(name)),
            Value::Object(_) => serde_json::from_value(value)
                .map(|o| HostSpec::Ssh(Box::new(o)))
                .map_err(|e| invalid(format!("{e}"))),
            other => Err(invalid(format!(
                "a host is \"local\", a name in the SSH config, or SSH options with at least \
                 `hostname`, not {other}"
            ))),
        }
    }

    /// The transport for host `name`: [`Local`] for `local`/`localhost`,
    /// else [`Ssh`] with settings from `config` or the options.
    pub fn transport(&self, name: &str, config: &SshConfig) -> Result<Arc<dyn Transport>> {
        match self {
            HostSpec::Name(n) if n == "local" || n == "localhost" => Ok(Arc::new(Local)),
            _ => Ok(Arc::new(Ssh::new(name, self.settings(config)?))),
        }
    }

    /// The SSH settings it stands for.
    pub fn settings(&self, config: &SshConfig) -> Result<SshHost> {
        match self {
            HostSpec::Name(alias) => config.host(alias),
            HostSpec::Ssh(o) => o.settings(config),
        }
    }
}

impl SshOptions {
    fn settings(&self, config: &SshConfig) -> Result<SshHost> {
        let invalid = |name: &str, message: String| Error::InvalidArgument {
            name: name.into(),
            message: format!("{}: {message}", self.hostname),
        };
        if self.hostname.is_empty() {
            return Err(invalid("hostname", "is empty".into()));
        }
        let mut host = SshHost::new(&self.hostname);
        if let Some(port) = self.port {
            host.port = port;
        }
        if let Some(user) = &self.user {
            host.user = user.clone();
        }
        if let Some(files) = &self.identity_files {
            host.identity_files = files.iter().map(|f| expand_home(f)).collect();
        }
        host.passphrase = self.passphrase.clone();
        match &self.agent {
            None | Some(Value::Bool(true)) | Some(Value::Null) => {}
            Some(Value::Bool(false)) => host.agent = None,
            Some(Value::String(socket)) => host.agent = Some(expand_home(socket)),
            Some(other) => {
                return Err(invalid(
                    "agent",
                    format!("is true, false or a socket path, not {other}"),
                ))
            }
        }
        let file = match &self.known_hosts {
            Some(path) => expand_home(path),
            None => match &host.host_keys {
                HostKeys::KnownHosts(p) | HostKeys::TrustOnFirstUse(p) => p.clone(),
                HostKeys::Pinned(_) => PathBuf::new(),
            },
        };
        host.host_keys = match (&self.host_key, self.trust_on_first_use.unwrap_or(false)) {
            (Some(key), false) => {
                super::ssh::parse_public_key(key).map_err(|e| invalid("host_key", e))?;
                HostKeys::Pinned(key.clone())
            }
            (Some(_), true) => {
                return Err(invalid(
                    "host_key",
                    "a pinned host key and trust_on_first_use exclude each other".into(),
                ))
            }
            (None, true) => HostKeys::TrustOnFirstUse(file),
            (None, false) => HostKeys::KnownHosts(file),
        };
        if let Some(jump) = &self.jump {
            host.jump = Some(Box::new(jump.settings(config)?));
        }
        let secs = |name: &str, s: f64| {
            crate::http::seconds(name, s).map_err(|e| invalid(name, e.to_string()))
        };
        if let Some(s) = self.connect_timeout {
            host.connect_timeout = secs("connect_timeout", s)?;
        }
        if let Some(s) = self.keepalive {
            host.keepalive = (s > 0.0).then(|| secs("keepalive", s)).transpose()?;
        }
        if let Some(n) = self.max_channels {
            if n == 0 {
                return Err(invalid("max_channels", "is at least 1".into()));
            }
            host.max_channels = n;
        }
        Ok(host)
    }
}

fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => super::ssh::home().join(rest),
        None => PathBuf::from(path),
    }
}

/// The OpenSSH config that names resolve in: the file at `path`, else
/// `~/.ssh/config` where it exists, else an empty one.
pub fn ssh_config(path: Option<PathBuf>) -> Result<SshConfig> {
    match path {
        Some(path) => SshConfig::read(path),
        None => {
            let default = super::ssh::home().join(".ssh/config");
            if default.is_file() {
                SshConfig::read(default)
            } else {
                Ok(SshConfig::default())
            }
        }
    }
}
