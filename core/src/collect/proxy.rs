//! The `proxy` method: SWAG / nginx site configurations (`*.subdomain.conf`,
//! `*.subfolder.conf`) read into their directive tree, then into what a
//! platform asks of a site: names, ports, upstreams, authentication, and a
//! content hash that changes when the file does.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{parsed, record, require_success, Collector, Command, Parsed, Problem, Record, Runner};

/// One directive of an nginx configuration, as crossplane lays it out: a
/// comment is the directive `#` with its `comment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// The directive's name, or `#` for a comment.
    pub directive: String,
    /// The 1-based line it starts on.
    pub line: usize,
    /// Its arguments, quotes removed (an `if`'s parentheses too).
    pub args: Vec<String>,
    /// The directives of its block, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Vec<Directive>>,
    /// A comment's text after the `#`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

enum Token {
    Word(String, usize),
    Comment(String, usize),
    Semicolon(usize),
    Open(usize),
    Close(usize),
}

fn tokens(text: &str) -> Parsed<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                chars.next();
                let mut comment = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    comment.push(c);
                    chars.next();
                }
                out.push(Token::Comment(comment, line));
            }
            ';' => {
                chars.next();
                out.push(Token::Semicolon(line));
            }
            '{' => {
                chars.next();
                out.push(Token::Open(line));
            }
            '}' => {
                chars.next();
                out.push(Token::Close(line));
            }
            '"' | '\'' => {
                let start = line;
                chars.next();
                let mut word = String::new();
                loop {
                    match chars.next() {
                        None => return Err((start, "an unterminated quoted string".into())),
                        Some(q) if q == c => break,
                        Some('\\') => {
                            // An escaped quote loses its backslash; other
                            // escapes are kept for nginx to read.
                            match chars.next() {
                                Some(n) if n == c => word.push(n),
                                Some(n) => {
                                    word.push('\\');
                                    word.push(n);
                                }
                                None => {
                                    return Err((start, "an unterminated quoted string".into()))
                                }
                            }
                        }
                        Some(ch) => {
                            if ch == '\n' {
                                line += 1;
                            }
                            word.push(ch);
                        }
                    }
                }
                out.push(Token::Word(word, start));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || ch == ';' || ch == '"' || ch == '\'' {
                        break;
                    }
                    // `${name}` is part of a word, not a block.
                    if ch == '{' && !word.ends_with('$') || ch == '}' && !word.contains("${") {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                    if ch == '\\' {
                        if let Some(n) = chars.next() {
                            word.push(n);
                        }
                    }
                }
                out.push(Token::Word(word, line));
            }
        }
    }
    Ok(out)
}

/// An nginx configuration's directives, nested by block, comments kept,
/// `include`s not followed.
pub fn parse_nginx(text: &str) -> Parsed<Vec<Directive>> {
    let tokens = tokens(text)?;
    let mut at = 0;
    let tree = block(&tokens, &mut at, false)?;
    Ok(tree)
}

fn block(tokens: &[Token], at: &mut usize, nested: bool) -> Parsed<Vec<Directive>> {
    let mut out = Vec::new();
    while *at < tokens.len() {
        match &tokens[*at] {
            Token::Close(line) => {
                if !nested {
                    return Err((*line, "a `}` closes no block".into()));
                }
                *at += 1;
                return Ok(out);
            }
            Token::Comment(text, line) => {
                out.push(Directive {
                    directive: "#".into(),
                    line: *line,
                    args: Vec::new(),
                    block: None,
                    comment: Some(text.clone()),
                });
                *at += 1;
            }
            Token::Semicolon(line) | Token::Open(line) => {
                return Err((*line, "a directive without a name".into()));
            }
            Token::Word(name, line) => {
                let (name, line) = (name.clone(), *line);
                *at += 1;
                let mut args = Vec::new();
                // Comments between a directive's words come after it.
                let mut comments = Vec::new();
                loop {
                    match tokens.get(*at) {
                        None => {
                            return Err((line, format!("`{name}` is not ended by `;` or a block")))
                        }
                        Some(Token::Word(w, _)) => args.push(w.clone()),
                        Some(Token::Comment(c, l)) => comments.push(Directive {
                            directive: "#".into(),
                            line: *l,
                            args: Vec::new(),
                            block: None,
                            comment: Some(c.clone()),
                        }),
                        Some(Token::Semicolon(_)) => {
                            *at += 1;
                            if name == "if" {
                                unparen(&mut args);
                            }
                            out.push(Directive {
                                directive: name,
                                line,
                                args,
                                block: None,
                                comment: None,
                            });
                            break;
                        }
                        Some(Token::Open(_)) => {
                            *at += 1;
                            if name == "if" {
                                unparen(&mut args);
                            }
                            let inner = block(tokens, at, true)?;
                            out.push(Directive {
                                directive: name,
                                line,
                                args,
                                block: Some(inner),
                                comment: None,
                            });
                            break;
                        }
                        Some(Token::Close(l)) => {
                            return Err((*l, format!("`{name}` is not ended by `;` before `}}`")))
                        }
                    }
                    *at += 1;
                }
                out.extend(comments);
            }
        }
    }
    if nested {
        return Err((
            tokens.last().map_or(1, token_line),
            "a block is not closed".into(),
        ));
    }
    Ok(out)
}

fn token_line(t: &Token) -> usize {
    match t {
        Token::Word(_, l)
        | Token::Comment(_, l)
        | Token::Semicolon(l)
        | Token::Open(l)
        | Token::Close(l) => *l,
    }
}

/// `if ( $a = b )` reads as `$a`, `=`, `b`, as nginx (and crossplane) read it.
fn unparen(args: &mut Vec<String>) {
    if let Some(first) = args.first_mut() {
        if let Some(rest) = first.strip_prefix('(') {
            *first = rest.trim_start().to_string();
        }
    }
    if let Some(last) = args.last_mut() {
        if let Some(rest) = last.strip_suffix(')') {
            *last = rest.trim_end().to_string();
        }
    }
    args.retain(|a| !a.is_empty());
}

/// Where one location sends its requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upstream {
    /// The location's match (`/`, `~ (/grafana)?/api`).
    pub location: String,
    /// `$upstream_app`: the container or host.
    pub app: Option<String>,
    /// `$upstream_port`.
    pub port: Option<u16>,
    /// `$upstream_proto`: `http` or `https`.
    pub proto: Option<String>,
    /// The `proxy_pass` (or `grpc_pass`) target as written.
    pub proxy_pass: Option<String>,
}

/// What a site configuration file sets up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxySite {
    /// The file's path.
    pub file: String,
    /// `subdomain`, `subfolder`, or `other`, from the file's name.
    pub kind: String,
    /// SHA-256 of the file's bytes: a changed file is a new snapshot.
    pub content_hash: String,
    /// `server_name`s.
    pub server_names: Vec<String>,
    /// Ports `listen` names.
    pub listen_ports: Vec<u16>,
    /// Each proxied location.
    pub upstreams: Vec<Upstream>,
    /// The authentication in force, from includes that are not commented
    /// out (`authelia`, `authentik`, `ldap`, `tinyauth`) and `auth_basic`
    /// (`basic`).
    pub auth: Vec<String>,
}

/// A site file's directives, read into what it sets up.
pub fn proxy_site(file: &str, text: &str) -> Parsed<ProxySite> {
    let tree = parse_nginx(text)?;
    let name = file.rsplit('/').next().unwrap_or(file);
    let kind = if name.contains(".subdomain.conf") {
        "subdomain"
    } else if name.contains(".subfolder.conf") {
        "subfolder"
    } else {
        "other"
    };
    let mut site = ProxySite {
        file: file.to_string(),
        kind: kind.into(),
        content_hash: format!("{:x}", Sha256::digest(text.as_bytes())),
        server_names: Vec::new(),
        listen_ports: Vec::new(),
        upstreams: Vec::new(),
        auth: Vec::new(),
    };
    visit(&tree, None, &mut site);
    site.listen_ports.sort_unstable();
    site.listen_ports.dedup();
    site.auth.sort();
    site.auth.dedup();
    Ok(site)
}

fn visit(tree: &[Directive], location: Option<&mut Upstream>, site: &mut ProxySite) {
    let mut here = location;
    for d in tree.iter().filter(|d| d.directive != "#") {
        let arg = |i: usize| d.args.get(i).cloned();
        match d.directive.as_str() {
            "server_name" => site.server_names.extend(d.args.iter().cloned()),
            "listen" => {
                if let Some(port) = d
                    .args
                    .first()
                    .and_then(|a| a.rsplit(':').next())
                    .and_then(|p| p.parse().ok())
                {
                    site.listen_ports.push(port);
                }
            }
            "include" => {
                let target = arg(0).unwrap_or_default();
                for scheme in ["authelia", "authentik", "ldap", "tinyauth"] {
                    if target.contains(&format!("/{scheme}-")) {
                        site.auth.push(scheme.into());
                    }
                }
            }
            "auth_basic" if arg(0).as_deref() != Some("off") => site.auth.push("basic".into()),
            "set" => {
                if let Some(up) = here.as_deref_mut() {
                    match arg(0).as_deref() {
                        Some("$upstream_app") => up.app = arg(1),
                        Some("$upstream_port") => up.port = arg(1).and_then(|p| p.parse().ok()),
                        Some("$upstream_proto") => up.proto = arg(1),
                        _ => {}
                    }
                }
            }
            "proxy_pass" | "grpc_pass" => {
                if let Some(up) = here.as_deref_mut() {
                    up.proxy_pass = arg(0);
                }
            }
            "location" => {
                let mut up = Upstream {
                    location: d.args.join(" "),
                    app: None,
                    port: None,
                    proto: None,
                    proxy_pass: None,
                };
                visit(d.block.as_deref().unwrap_or(&[]), Some(&mut up), site);
                if up.proxy_pass.is_some() || up.app.is_some() {
                    site.upstreams.push(up);
                }
            }
            _ => {
                if let Some(block) = &d.block {
                    visit(block, here.as_deref_mut(), site);
                }
            }
        }
    }
}

/// The `proxy` method: the `*.subdomain.conf` and `*.subfolder.conf` files
/// of `dir` (default SWAG's `/config/nginx/proxy-confs`), and the files
/// `nginx_conf` includes (default SWAG's `/config/nginx/nginx.conf`, when
/// the host has it) that define a `server`.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// The directory of site files.
    pub dir: String,
    /// The main configuration whose includes are followed: at its top and
    /// `http` levels, and so on in what they include, four deep. Includes
    /// inside `server` and `location` blocks are snippets (TLS, auth),
    /// not sites, and are not read.
    pub nginx_conf: Option<String>,
}

impl Default for Proxy {
    fn default() -> Self {
        Proxy {
            dir: "/config/nginx/proxy-confs".into(),
            nginx_conf: Some("/config/nginx/nginx.conf".into()),
        }
    }
}

/// The targets of `include` at the top and `http` levels of `tree`.
fn site_includes(tree: &[Directive], out: &mut Vec<String>) {
    for d in tree {
        match d.directive.as_str() {
            "include" => out.extend(d.args.first().cloned()),
            "http" => site_includes(d.block.as_deref().unwrap_or(&[]), out),
            _ => {}
        }
    }
}

fn defines_server(tree: &[Directive]) -> bool {
    tree.iter().any(|d| match d.directive.as_str() {
        "server" => true,
        "http" => defines_server(d.block.as_deref().unwrap_or(&[])),
        _ => false,
    })
}

impl Proxy {
    /// The files an `include` names: itself, or for a wildcard in the
    /// file name, what `find` lists in its directory. A relative path is
    /// nginx's: relative to the main configuration's directory.
    fn expand(
        &self,
        target: &str,
        base: &str,
        run: &mut Runner<'_>,
    ) -> std::result::Result<Vec<String>, Problem> {
        let path = if target.starts_with('/') {
            target.to_string()
        } else {
            format!("{base}/{target}")
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or((".", path.as_str()));
        if !name.contains(['*', '?', '[']) {
            return Ok(vec![path]);
        }
        let find = Command::new(["find", dir, "-maxdepth", "1", "-type", "f", "-name", name]);
        let output = run(&find)?;
        require_success(&find, &output)?;
        let mut files: Vec<String> = output.text().lines().map(str::to_string).collect();
        files.sort();
        Ok(files)
    }

    /// Sites defined by what `nginx_conf` includes, besides `seen`.
    fn included(
        &self,
        seen: &mut std::collections::BTreeSet<String>,
        run: &mut Runner<'_>,
    ) -> std::result::Result<Vec<Record>, Problem> {
        let Some(conf) = &self.nginx_conf else {
            return Ok(Vec::new());
        };
        let base = conf
            .rsplit_once('/')
            .map(|(d, _)| d)
            .unwrap_or(".")
            .to_string();
        let mut out = Vec::new();
        let mut queue = vec![(conf.clone(), 0)];
        while let Some((file, depth)) = queue.pop() {
            if !seen.insert(file.clone()) {
                continue;
            }
            let cat = Command::new(["cat", "--", &file]);
            let output = run(&cat)?;
            if file == *conf && output.status != Some(0) {
                // A host without the main configuration has its site
                // files only.
                return Ok(out);
            }
            require_success(&cat, &output)?;
            let text = output.text();
            let tree = parsed(&cat, parse_nginx(&text))?;
            if file != *conf && defines_server(&tree) {
                out.push(record(
                    "proxy_site",
                    &parsed(&cat, proxy_site(&file, &text))?,
                ));
            }
            if depth < 4 {
                let mut targets = Vec::new();
                site_includes(&tree, &mut targets);
                for target in targets {
                    for path in self.expand(&target, &base, run)?.into_iter().rev() {
                        queue.push((path, depth + 1));
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Collector for Proxy {
    fn name(&self) -> &str {
        "proxy"
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let find = Command::new([
            "find",
            &self.dir,
            "-maxdepth",
            "1",
            "-type",
            "f",
            "(",
            "-name",
            "*.subdomain.conf",
            "-o",
            "-name",
            "*.subfolder.conf",
            ")",
        ]);
        let output = run(&find)?;
        require_success(&find, &output)?;
        let mut files: Vec<String> = output.text().lines().map(str::to_string).collect();
        files.sort();
        let mut out = Vec::with_capacity(files.len());
        for file in &files {
            let cat = Command::new(["cat", "--", file]);
            let output = run(&cat)?;
            require_success(&cat, &output)?;
            let site = parsed(&cat, proxy_site(file, &output.text()))?;
            out.push(record("proxy_site", &site));
        }
        let mut seen = files.into_iter().collect();
        out.extend(self.included(&mut seen, run)?);
        Ok(out)
    }
}
