//! Hosts from OpenSSH client configuration (`~/.ssh/config` syntax): the
//! `Host` blocks' HostName, User, Port, IdentityFile, ProxyJump and host-key
//! settings, resolved for one alias the way `ssh -G` resolves them.

use std::path::PathBuf;
use std::time::Duration;

use super::ssh::{HostKeys, SshHost};
use crate::error::{Error, Result};

/// An OpenSSH client configuration, read once and asked for hosts by
/// alias.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    blocks: Vec<Block>,
    path: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct Block {
    patterns: Vec<String>,
    settings: Vec<(String, Vec<String>, usize)>,
}

/// The settings read; anything else in a block is ignored, as are `Match`
/// blocks, which need a running ssh to evaluate.
const KNOWN: &[&str] = &[
    "hostname",
    "user",
    "port",
    "identityfile",
    "proxyjump",
    "userknownhostsfile",
    "stricthostkeychecking",
    "connecttimeout",
    "serveraliveinterval",
    "identitiesonly",
];

impl SshConfig {
    /// Parses configuration text. `path` names it in errors.
    pub fn parse(text: &str, path: Option<PathBuf>) -> Result<SshConfig> {
        let mut blocks = vec![Block {
            patterns: vec!["*".into()],
            settings: Vec::new(),
        }];
        let mut in_match = false;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (keyword, value) = split_keyword(line);
            let keyword = keyword.to_ascii_lowercase();
            let words = words(value).map_err(|message| invalid(&path, n + 1, &message))?;
            match keyword.as_str() {
                "host" => {
                    if words.is_empty() {
                        return Err(invalid(&path, n + 1, "`Host` names no pattern"));
                    }
                    in_match = false;
                    blocks.push(Block {
                        patterns: words,
                        settings: Vec::new(),
                    });
                }
                "match" => in_match = true,
                _ if in_match || !KNOWN.contains(&keyword.as_str()) => {}
                _ => {
                    if words.is_empty() {
                        return Err(invalid(&path, n + 1, &format!("`{keyword}` has no value")));
                    }
                    let block = blocks
                        .last_mut()
                        .expect("the implicit first block is never removed");
                    block.settings.push((keyword, words, n + 1));
                }
            }
        }
        Ok(SshConfig { blocks, path })
    }

    /// Reads and parses the file at `path`.
    pub fn read(path: impl Into<PathBuf>) -> Result<SshConfig> {
        let path = path.into();
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        SshConfig::parse(&text, Some(path))
    }

    /// The aliases its `Host` lines name outright (no wildcards, no
    /// negations), in order.
    pub fn aliases(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for pattern in self.blocks.iter().flat_map(|b| &b.patterns) {
            if !pattern.contains(['*', '?', '!']) && !out.contains(pattern) {
                out.push(pattern.clone());
            }
        }
        out
    }

    /// The host `alias` stands for: for each setting the first value of
    /// the blocks that match it (IdentityFile values add up), on top of
    /// [`SshHost::new`]'s defaults. A `ProxyJump` host is resolved the same
    /// way; a chain `a,b` goes through `a`, then `b`.
    pub fn host(&self, alias: &str) -> Result<SshHost> {
        self.resolve(alias, 0)
    }

    fn resolve(&self, alias: &str, depth: usize) -> Result<SshHost> {
        if depth > 8 {
            return Err(invalid(
                &self.path,
                0,
                &format!("ProxyJump for `{alias}` loops"),
            ));
        }
        let mut first: Vec<(String, &[String], usize)> = Vec::new();
        let mut identities = Vec::new();
        for block in self.blocks.iter().filter(|b| matches(&b.patterns, alias)) {
            for (keyword, value, line) in &block.settings {
                if keyword == "identityfile" {
                    identities.push((value.join(" "), *line));
                } else if first.iter().all(|(k, _, _)| k != keyword) {
                    first.push((keyword.clone(), value, *line));
                }
            }
        }
        let get = |k: &str| {
            first
                .iter()
                .find(|(key, _, _)| key == k)
                .map(|(_, v, l)| (v.join(" "), *l))
        };
        let hostname = get("hostname")
            .map(|(v, _)| v.replace("%h", alias))
            .unwrap_or_else(|| alias.to_string());
        let mut host = SshHost::new(hostname);
        if let Some((port, line)) = get("port") {
            host.port = port.parse().map_err(|_| {
                invalid(
                    &self.path,
                    line,
                    &format!("`Port {port}` is not a port number"),
                )
            })?;
        }
        if let Some((user, _)) = get("user") {
            host.user = user.to_string();
        }
        if !identities.is_empty() {
            host.identity_files = identities
                .iter()
                .map(|(v, _)| expand(v, &host.hostname, &host.user, host.port))
                .collect();
        }
        if get("identitiesonly").is_some_and(|(v, _)| v.eq_ignore_ascii_case("yes")) {
            host.agent = None;
        }
        // OpenSSH reads every file named; new keys go to the first.
        let known_hosts = first
            .iter()
            .find(|(k, _, _)| k == "userknownhostsfile")
            .map(|(_, v, _)| expand(&v[0], &host.hostname, &host.user, host.port));
        let strict = get("stricthostkeychecking").map(|(v, l)| (v.to_ascii_lowercase(), l));
        let file = known_hosts.unwrap_or_else(|| match &host.host_keys {
            HostKeys::KnownHosts(p) | HostKeys::TrustOnFirstUse(p) => p.clone(),
            HostKeys::Pinned(_) => PathBuf::new(),
        });
        host.host_keys = match strict {
            None => HostKeys::KnownHosts(file),
            Some((v, _)) if v == "yes" || v == "ask" => HostKeys::KnownHosts(file),
            Some((v, _)) if v == "accept-new" => HostKeys::TrustOnFirstUse(file),
            Some((v, line)) => {
                return Err(invalid(
                    &self.path,
                    line,
                    &format!(
                        "`StrictHostKeyChecking {v}` would accept any host key; \
                         use `accept-new` to record unknown keys on first use"
                    ),
                ))
            }
        };
        if let Some((secs, line)) = get("connecttimeout") {
            let secs: u64 = secs.parse().map_err(|_| {
                invalid(
                    &self.path,
                    line,
                    &format!("`ConnectTimeout {secs}` is not a number of seconds"),
                )
            })?;
            host.connect_timeout = Duration::from_secs(secs);
        }
        if let Some((secs, line)) = get("serveraliveinterval") {
            let secs: u64 = secs.parse().map_err(|_| {
                invalid(
                    &self.path,
                    line,
                    &format!("`ServerAliveInterval {secs}` is not a number of seconds"),
                )
            })?;
            host.keepalive = (secs > 0).then(|| Duration::from_secs(secs));
        }
        if let Some((jumps, line)) = get("proxyjump") {
            if !jumps.eq_ignore_ascii_case("none") {
                let mut through: Option<SshHost> = None;
                for hop in jumps.split(',') {
                    let mut next = self.hop(hop.trim(), line, depth)?;
                    if let Some(previous) = through.take() {
                        next.jump = Some(Box::new(previous));
                    }
                    through = Some(next);
                }
                host.jump = through.map(Box::new);
            }
        }
        Ok(host)
    }

    /// One `ProxyJump` hop: `[user@]host[:port]`, the host resolved as an
    /// alias of its own.
    fn hop(&self, hop: &str, line: usize, depth: usize) -> Result<SshHost> {
        let (user, rest) = match hop.rsplit_once('@') {
            Some((user, rest)) => (Some(user), rest),
            None => (None, hop),
        };
        let (name, port) = match rest.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') => {
                let port = port.parse::<u16>().map_err(|_| {
                    invalid(
                        &self.path,
                        line,
                        &format!("`ProxyJump {hop}`: `{port}` is not a port"),
                    )
                })?;
                (name, Some(port))
            }
            _ => (rest, None),
        };
        if name.is_empty() {
            return Err(invalid(
                &self.path,
                line,
                &format!("`ProxyJump {hop}` names no host"),
            ));
        }
        let mut host = self.resolve(name, depth + 1)?;
        if let Some(user) = user {
            host.user = user.to_string();
        }
        if let Some(port) = port {
            host.port = port;
        }
        Ok(host)
    }
}

fn invalid(path: &Option<PathBuf>, line: usize, message: &str) -> Error {
    let at = match path {
        Some(p) => format!("{}:{line}", p.display()),
        None => format!("line {line}"),
    };
    Error::InvalidArgument {
        name: "ssh_config".into(),
        message: format!("{at}: {message}"),
    }
}

/// `Keyword value` or `Keyword=value`.
fn split_keyword(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    (keyword, rest)
}

/// The value's words; double quotes group words with spaces.
fn words(value: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            break;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return Err("a quote is not closed".into());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        out.push(word);
    }
    Ok(out)
}

/// Whether `alias` matches a `Host` line: some pattern matches and no
/// negated one does.
fn matches(patterns: &[String], alias: &str) -> bool {
    let mut any = false;
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob(negated, alias) {
                return false;
            }
        } else if glob(pattern, alias) {
            any = true;
        }
    }
    any
}

/// OpenSSH's patterns: `*` any run of characters, `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    crate::validate::policy::iam::glob(pattern.as_bytes(), text.as_bytes())
}

/// `~` and the tokens `%h`, `%p`, `%r`, `%u`, `%%` in a path.
fn expand(value: &str, hostname: &str, user: &str, port: u16) -> PathBuf {
    let home = super::ssh::home().to_string_lossy().into_owned();
    let value = match value.strip_prefix('~') {
        Some(rest) => format!("{home}{rest}"),
        None => value.to_string(),
    };
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(hostname),
            Some('p') => out.push_str(&port.to_string()),
            Some('r') => out.push_str(user),
            Some('u') => out.push_str(&super::ssh::local_user()),
            Some('d') => out.push_str(&home),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    PathBuf::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
# hand-written, checked against `ssh -G` (OpenSSH 9.2)
Host bastion
    HostName 10.0.0.1
    User jump
    Port 2222

Host web? !web9
    HostName %h.internal
    ProxyJump bastion
    IdentityFile ~/.ssh/web_%r

Host db
    HostName=db.internal
    ProxyJump ops@bastion:2200,web1
    StrictHostKeyChecking accept-new
    UserKnownHostsFile "/etc/ssh/known hosts"

Host *
    User admin
    IdentityFile ~/.ssh/id_shared
    Port 22
"#;

    fn config() -> SshConfig {
        SshConfig::parse(CONFIG, Some("config".into())).unwrap()
    }

    #[test]
    fn first_value_wins_and_identities_add_up() {
        let web = config().host("web1").unwrap();
        assert_eq!(web.hostname, "web1.internal");
        assert_eq!(web.user, "admin");
        assert_eq!(web.port, 22);
        let home = std::env::var("HOME").unwrap();
        assert_eq!(
            web.identity_files,
            vec![
                PathBuf::from(format!("{home}/.ssh/web_admin")),
                PathBuf::from(format!("{home}/.ssh/id_shared")),
            ]
        );
        let bastion = web.jump.as_deref().unwrap();
        assert_eq!(
            (
                bastion.hostname.as_str(),
                bastion.user.as_str(),
                bastion.port
            ),
            ("10.0.0.1", "jump", 2222)
        );
    }

    #[test]
    fn negated_patterns_exclude() {
        let web9 = config().host("web9").unwrap();
        assert_eq!(web9.hostname, "web9");
        assert!(web9.jump.is_none());
    }

    #[test]
    fn a_jump_chain_goes_through_each_hop_in_order() {
        let db = config().host("db").unwrap();
        assert_eq!(db.hostname, "db.internal");
        assert_eq!(
            db.host_keys,
            HostKeys::TrustOnFirstUse(PathBuf::from("/etc/ssh/known hosts"))
        );
        let last = db.jump.as_deref().unwrap();
        assert_eq!(last.hostname, "web1.internal");
        let first = last.jump.as_deref().unwrap();
        assert_eq!(
            (first.hostname.as_str(), first.user.as_str(), first.port),
            ("10.0.0.1", "ops", 2200)
        );
        assert_eq!(config().aliases(), vec!["bastion", "db"]);
    }

    #[test]
    fn bad_values_name_their_line() {
        let e = SshConfig::parse("Host a\n  Port ssh\n", Some("cfg".into()))
            .unwrap()
            .host("a")
            .unwrap_err();
        assert!(e.to_string().contains("cfg:2"), "{e}");
        let e = SshConfig::parse("Host a\n  StrictHostKeyChecking no\n", None)
            .unwrap()
            .host("a")
            .unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("accept-new"),
            "{e}"
        );
        let e = SshConfig::parse("Host a\n  ProxyJump a\n", None)
            .unwrap()
            .host("a")
            .unwrap_err();
        assert!(e.to_string().contains("loops"), "{e}");
        assert!(SshConfig::parse("Host\n", None).is_err());
        assert!(SshConfig::parse("User \"open\n", None).is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("web*", "web12"));
        assert!(glob("w?b", "web"));
        assert!(!glob("w?b", "weeb"));
        assert!(glob("*.example.com", "a.b.example.com"));
        assert!(!glob("*.example.com", "example.com"));
    }
}
