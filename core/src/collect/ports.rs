//! The `ports` method: listening sockets from `ss -tulpnH`, with the
//! processes that hold them.

use serde::Serialize;

use super::{
    parsed, record, require_success, scan, Collector, Command, Parsed, Problem, Record, Runner,
};

/// A process holding a socket, from ss's `users:((...))` column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketProcess {
    /// The process's name.
    pub name: String,
    /// Its id.
    pub pid: u32,
    /// The socket's file descriptor in it.
    pub fd: u32,
}

/// One line of `ss -tulpn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Socket {
    /// `tcp` or `udp`.
    pub protocol: String,
    /// `LISTEN`, `UNCONN`, ...
    pub state: String,
    /// Bytes queued for the process to read.
    pub recv_q: u64,
    /// Bytes queued to send, or (listening) the backlog.
    pub send_q: u64,
    /// The local address, without brackets (`0.0.0.0`, `::`, `127.0.0.53%lo`).
    pub local_address: String,
    /// The local port; `None` for `*`.
    pub local_port: Option<u16>,
    /// The peer's address.
    pub peer_address: String,
    /// The peer's port; `None` for `*`.
    pub peer_port: Option<u16>,
    /// The processes holding it (empty when ss cannot see them).
    pub processes: Vec<SocketProcess>,
}

/// `address:port`, IPv6 in brackets; `*` ports are `None`.
fn endpoint(n: usize, text: &str) -> Parsed<(String, Option<u16>)> {
    let (address, port) = text
        .rsplit_once(':')
        .ok_or_else(|| (n, format!("{text:?} is not address:port")))?;
    let address = address.trim_start_matches('[');
    let address = if address.contains(']') {
        address.replace(']', "")
    } else {
        address.to_string()
    };
    let port = match port {
        "*" => None,
        p => Some(p.parse().map_err(|_| (n, format!("{p:?} is not a port")))?),
    };
    Ok((address, port))
}

/// `users:(("name",pid=1,fd=3),("other",pid=2,fd=4))`.
fn processes(n: usize, text: &str) -> Parsed<Vec<SocketProcess>> {
    let Some(inner) = text
        .strip_prefix("users:(")
        .and_then(|t| t.strip_suffix(')'))
    else {
        return Err((n, format!("{text:?} is not a users:(...) column")));
    };
    let mut out = Vec::new();
    let mut rest = inner;
    while let Some(start) = rest.find("((").or_else(|| rest.find('(')) {
        rest = rest[start..].trim_start_matches('(');
        // The name is quoted and may hold commas or parentheses.
        let Some(quoted) = rest.strip_prefix('"') else {
            return Err((n, format!("process name {rest:?} is not quoted")));
        };
        let name_end = quoted
            .find('"')
            .ok_or_else(|| (n, "unterminated process name".to_string()))?;
        let name = quoted[..name_end].to_string();
        rest = &quoted[name_end + 1..];
        let end = rest
            .find(')')
            .ok_or_else(|| (n, "unterminated process entry".to_string()))?;
        let (mut pid, mut fd) = (None, None);
        for kv in rest[..end].split(',').filter(|s| !s.is_empty()) {
            match kv.split_once('=') {
                Some(("pid", v)) => pid = v.parse().ok(),
                Some(("fd", v)) => fd = v.parse().ok(),
                _ => {}
            }
        }
        let (Some(pid), Some(fd)) = (pid, fd) else {
            return Err((n, format!("process {name:?} without pid and fd")));
        };
        out.push(SocketProcess { name, pid, fd });
        rest = &rest[end + 1..];
    }
    Ok(out)
}

/// `ss -tulpn` output, with or without its header line (`-H`).
pub fn parse_ss(text: &str) -> Parsed<Vec<Socket>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut fields = scan::Fields::new(line);
        let f: [&str; 6] = std::array::from_fn(|_| fields.word().unwrap_or_default());
        if f[0].is_empty() || f[0] == "Netid" {
            continue;
        }
        if f[5].is_empty() {
            let count = scan::fields::<0>(line).1;
            return Err((n, format!("{count} columns, at least 6 expected")));
        }
        let (local_address, local_port) = endpoint(n, f[4])?;
        let (peer_address, peer_port) = endpoint(n, f[5])?;
        // After the peer come the processes and, with -e, more details.
        let rest = fields.rest();
        let procs = match rest.find("users:(") {
            Some(start) => {
                let column = &rest[start..];
                let end = column.find("))").map_or(column.len(), |e| e + 2);
                processes(n, &column[..end])?
            }
            None => Vec::new(),
        };
        out.push(Socket {
            protocol: f[0].to_string(),
            state: f[1].to_string(),
            recv_q: scan::uint(f[2])
                .ok_or_else(|| (n, format!("{:?} is not a queue size", f[2])))?,
            send_q: scan::uint(f[3])
                .ok_or_else(|| (n, format!("{:?} is not a queue size", f[3])))?,
            local_address,
            local_port,
            peer_address,
            peer_port,
            processes: procs,
        });
    }
    Ok(out)
}

/// The `ports` method: `ss -tulpnH`.
#[derive(Debug, Clone, Default)]
pub struct Ports;

impl Collector for Ports {
    fn name(&self) -> &str {
        "ports"
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let command = Command::new(["ss", "-tulpnH"]);
        let output = run(&command)?;
        require_success(&command, &output)?;
        let sockets = parsed(&command, parse_ss(&output.text()))?;
        Ok(sockets.iter().map(|s| record("socket", s)).collect())
    }
}
