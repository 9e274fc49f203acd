//! The SSH transport against a real SSH server (asyncssh, started here on
//! 127.0.0.1 with generated keys): key types, host-key checking, faults,
//! jump hosts, OpenSSH config, and the service's limits seen at the server.

use infrarag_tests::scratch;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use infrarag::collect::{
    Caller, CollectionService, Command, CommandCollector, Failure, HostKeys, Record, Ssh,
    SshConfig, SshHost, Transport,
};
use infrarag::Error;
use infrarag_tests::ssh_server::{SshServer, PASSPHRASE};
use serde_json::Value;

/// A host on the server's `port`, pinned to its key, offering `key` only.
fn host(server: &SshServer, port: u16, key: &str) -> SshHost {
    SshHost::new("127.0.0.1")
        .port(port)
        .user("tester")
        .identity_file(server.key(key))
        .agent(None)
        .host_keys(HostKeys::Pinned(server.host_key.clone()))
        .connect_timeout(Duration::from_secs(10))
}

fn text(ssh: &Ssh, argv: &[&str]) -> String {
    let out = ssh.run(&Command::new(argv.iter().copied())).unwrap();
    assert_eq!(out.status, Some(0), "{argv:?}: {}", out.error_text());
    out.text()
}

fn stats(ssh: &Ssh) -> Value {
    serde_json::from_str(&text(ssh, &["infrarag-test-stats"])).unwrap()
}

#[test]
fn each_key_type_logs_in_and_argv_arrives_word_for_word() {
    let dir = scratch("ssh", "keys");
    let server = SshServer::start(&dir, 1);
    let port = server.ports[0];
    for key in ["id_ed25519", "id_ecdsa", "id_rsa"] {
        let ssh = Ssh::new("h", host(&server, port, key));
        assert_eq!(text(&ssh, &["echo", key]), format!("{key}\n"));
    }
    let encrypted = Ssh::new(
        "h",
        host(&server, port, "id_encrypted").passphrase(PASSPHRASE),
    );
    assert_eq!(text(&encrypted, &["echo", "unlocked"]), "unlocked\n");

    // Each hostile word reaches the program as one argument, unexpanded.
    let hostile = [
        "two words",
        "it's",
        "\"double\"",
        "$(touch /tmp/infrarag-pwned)",
        "`id`",
        "a; rm -rf /",
        "line\nbreak",
        "$HOME",
        "*",
        "",
        "ünïcødé",
    ];
    let ssh = Ssh::new("h", host(&server, port, "id_ed25519"));
    let mut argv = vec!["printf", "[%s]\\n"];
    argv.extend(hostile);
    let expected: String = hostile.iter().map(|w| format!("[{w}]\n")).collect();
    assert_eq!(text(&ssh, &argv), expected);
    assert!(!Path::new("/tmp/infrarag-pwned").exists());

    // stdin, exit status, stderr, a missing program, the output limit.
    let out = ssh
        .run(&Command::new(["sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"]).stdin("shout\n"))
        .unwrap();
    assert_eq!(
        (out.status, out.text().as_str(), out.error_text().as_str()),
        (Some(3), "SHOUT\n", "oops")
    );
    let out = ssh
        .run(&Command::new(["infrarag-no-such-program"]))
        .unwrap();
    assert_eq!(out.status, Some(127));
    let out = ssh
        .run(&Command::new(["head", "-c", "100000", "/dev/zero"]).max_output(1000))
        .unwrap();
    assert_eq!((out.stdout.len(), out.truncated), (1000, true));
    assert_eq!(ssh.connections(), 1, "every command reused one connection");
}

#[test]
fn host_keys_are_checked_and_a_wrong_user_key_is_an_auth_error() {
    let dir = scratch("ssh", "hostkeys");
    let server = SshServer::start(&dir, 1);
    let port = server.ports[0];
    let base = || host(&server, port, "id_ed25519");

    let known = server.known_hosts(&dir.join("known_hosts"));
    let ssh = Ssh::new("h", base().host_keys(HostKeys::KnownHosts(known)));
    assert_eq!(text(&ssh, &["echo", "known"]), "known\n");

    // Unknown: an empty known_hosts file.
    let empty = dir.join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let ssh = Ssh::new("h", base().host_keys(HostKeys::KnownHosts(empty)));
    match ssh.run(&Command::new(["true"])) {
        Err(Failure::HostKey {
            fingerprint,
            message,
        }) => {
            assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
            assert!(message.contains("unknown"), "{message}");
            assert_eq!(
                fingerprint,
                infrarag::collect::fingerprint(&server.host_key).unwrap()
            );
        }
        other => panic!("an unknown host key was not refused: {other:?}"),
    }

    // Changed: another key of the same type recorded for the host.
    let other_key = std::fs::read_to_string(server.key("id_stranger.pub")).unwrap();
    let changed = dir.join("changed_known_hosts");
    std::fs::write(&changed, format!("[127.0.0.1]:{port} {other_key}")).unwrap();
    for keys in [
        HostKeys::KnownHosts(changed.clone()),
        HostKeys::TrustOnFirstUse(changed.clone()),
    ] {
        let ssh = Ssh::new("h", base().host_keys(keys));
        match ssh.run(&Command::new(["true"])) {
            Err(Failure::HostKey { message, .. }) => {
                assert!(message.contains("CHANGED"), "{message}")
            }
            other => panic!("a changed host key was not refused: {other:?}"),
        }
    }
    // Pinned to the wrong key.
    let ssh = Ssh::new("h", base().host_keys(HostKeys::Pinned(other_key.clone())));
    assert!(matches!(
        ssh.run(&Command::new(["true"])),
        Err(Failure::HostKey { .. })
    ));

    // Trust on first use records the key, then holds to it.
    let tofu = dir.join("tofu_known_hosts");
    let ssh = Ssh::new(
        "h",
        base().host_keys(HostKeys::TrustOnFirstUse(tofu.clone())),
    );
    assert_eq!(text(&ssh, &["echo", "first"]), "first\n");
    let recorded = std::fs::read_to_string(&tofu).unwrap();
    assert!(
        recorded
            .trim_start()
            .starts_with(&format!("[127.0.0.1]:{port} ssh-ed25519 ")),
        "{recorded}"
    );
    let ssh = Ssh::new("h", base().host_keys(HostKeys::KnownHosts(tofu)));
    assert_eq!(text(&ssh, &["echo", "again"]), "again\n");

    // The wrong user key, and an encrypted key without its passphrase.
    for key in ["id_stranger", "id_encrypted"] {
        let ssh = Ssh::new("h", host(&server, port, key));
        match ssh.run(&Command::new(["true"])) {
            Err(Failure::Auth(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("{key}: expected an auth failure, got {other:?}"),
        }
    }

    // Through the service: typed errors, audited, never retried.
    let service = CollectionService::builder()
        .host(
            "stranger",
            Arc::new(Ssh::new("stranger", host(&server, port, "id_stranger"))),
        )
        .host(
            "impostor",
            Arc::new(Ssh::new(
                "impostor",
                base().host_keys(HostKeys::Pinned(other_key)),
            )),
        )
        .retries(3, Duration::from_millis(10))
        .build()
        .unwrap();
    let caller = Caller::new("test", "faults");
    let before = stats_connections(&server, port);
    let e = service.collect("stranger", "system", &caller).unwrap_err();
    assert_eq!((e.code(), e.class_name()), ("AUTH_ERROR", "AuthError"));
    let e = service.collect("impostor", "system", &caller).unwrap_err();
    assert_eq!(
        (e.code(), e.class_name()),
        ("HOST_KEY_ERROR", "HostKeyError")
    );
    assert!(e.fields()["fingerprint"]
        .as_str()
        .unwrap()
        .starts_with("SHA256:"));
    let audit = service.store().audit(&Default::default()).unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|a| a.error.is_some()));
    // Counted after: the two collections and the first stats connection.
    assert_eq!(
        stats_connections(&server, port),
        before + 2 + 1,
        "host-key and auth failures were retried"
    );
}

/// Connections the server accepted on `port`, asked over a fresh one
/// (which counts itself).
fn stats_connections(server: &SshServer, port: u16) -> u64 {
    let ssh = Ssh::new("stats", host(server, port, "id_ed25519"));
    stats(&ssh)["connections"][port.to_string()]
        .as_u64()
        .unwrap()
        - 1
}

#[test]
fn a_hung_command_times_out_and_a_dropped_connection_reconnects() {
    let dir = scratch("ssh", "faults");
    let server = SshServer::start(&dir, 1);
    let ssh = Ssh::new("h", host(&server, server.ports[0], "id_ed25519"));
    assert_eq!(text(&ssh, &["echo", "up"]), "up\n");

    let started = Instant::now();
    let marker = dir.join("still-running");
    let script = format!("sleep 5; touch {}", marker.display());
    let hung = ssh.run(&Command::new(["sh", "-c", &script]).timeout(Duration::from_millis(500)));
    assert_eq!(hung, Err(Failure::TimedOut(Duration::from_millis(500))));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(text(&ssh, &["echo", "still usable"]), "still usable\n");
    assert_eq!(
        ssh.connections(),
        1,
        "the timeout closed the channel, not the connection"
    );

    match ssh.run(&Command::new(["infrarag-test-drop"])) {
        Err(Failure::Transport(message)) => assert!(message.contains("closed"), "{message}"),
        other => panic!("a dropped connection was not a transport failure: {other:?}"),
    }
    assert_eq!(text(&ssh, &["echo", "back"]), "back\n");
    assert_eq!(ssh.connections(), 2, "the next command reconnected");

    // The server ended the timed-out command with its channel.
    std::thread::sleep(Duration::from_millis(5500).saturating_sub(started.elapsed()));
    assert!(!marker.exists(), "the timed-out command went on running");

    // No server at all: a transport failure, within the connect timeout.
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = nobody.local_addr().unwrap().port();
    drop(nobody);
    let ssh = Ssh::new("gone", host(&server, port, "id_ed25519"));
    assert!(matches!(
        ssh.run(&Command::new(["true"])),
        Err(Failure::Transport(_))
    ));
}

#[test]
fn two_hundred_collections_on_twenty_hosts_hold_the_per_host_limit() {
    let dir = scratch("ssh", "load");
    let server = SshServer::start(&dir, 20);
    let mut builder = CollectionService::builder().max_per_host(3).max_total(64);
    for (i, &port) in server.ports.iter().enumerate() {
        // The transport would allow 8 channels; the service's limit holds.
        builder = builder.host(
            format!("h{i}"),
            Arc::new(Ssh::new(format!("h{i}"), host(&server, port, "id_ed25519"))),
        );
    }
    for m in 0..10 {
        let collector = CommandCollector::new(
            format!("m{m}"),
            vec![Command::new(["sh", "-c", "sleep 0.1; echo $PPID"])],
            |outputs: &[infrarag::collect::Output]| {
                Ok(vec![Record {
                    kind: "pid".into(),
                    data: outputs[0].text().trim().into(),
                }])
            },
        );
        builder = builder.method(Arc::new(collector), Some(Duration::ZERO));
    }
    let service = builder.build().unwrap();
    let failures: Vec<Error> = std::thread::scope(|s| {
        let calls: Vec<_> = (0..200)
            .map(|i| {
                let service = &service;
                s.spawn(move || {
                    let caller = Caller::new("load", format!("call {i}"));
                    service.collect(&format!("h{}", i % 20), &format!("m{}", i / 20), &caller)
                })
            })
            .collect();
        calls
            .into_iter()
            .filter_map(|c| c.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{failures:?}");
    let audit = service.store().audit(&Default::default()).unwrap();
    assert_eq!(audit.len(), 200);
    let stats_ssh = Ssh::new("stats", host(&server, server.ports[0], "id_ed25519"));
    let seen = stats(&stats_ssh);
    for port in &server.ports {
        let most = seen["max_sessions"][port.to_string()].as_u64().unwrap();
        assert!(
            (2..=3).contains(&most),
            "port {port}: {most} sessions at once"
        );
        // One connection per host, shared by its concurrent channels.
        let connections = seen["connections"][port.to_string()].as_u64().unwrap();
        let expected = if *port == server.ports[0] { 2 } else { 1 };
        assert_eq!(connections, expected, "port {port}");
    }
}

#[test]
fn a_jump_host_and_openssh_config_reach_the_target() {
    let dir = scratch("ssh", "jump");
    let server = SshServer::start(&dir, 2);
    let (jump_port, target_port) = (server.ports[0], server.ports[1]);
    let known = server.known_hosts(&dir.join("known_hosts"));
    let config = format!(
        "Host bastion\n  HostName 127.0.0.1\n  Port {jump_port}\n\n\
         Host target\n  HostName 127.0.0.1\n  Port {target_port}\n  ProxyJump bastion\n\n\
         Host *\n  User tester\n  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n",
        key = server.key("id_ecdsa").display(),
        known = known.display(),
    );
    let config = SshConfig::parse(&config, None).unwrap();
    let target = config.host("target").unwrap();
    assert_eq!(target.jump.as_ref().unwrap().port, jump_port);
    let ssh = Ssh::new("target", target);
    assert_eq!(text(&ssh, &["echo", "through"]), "through\n");
    let direct = Ssh::new("bastion", config.host("bastion").unwrap());
    let seen = stats(&direct);
    assert_eq!(seen["forwarded"][jump_port.to_string()], 1, "{seen}");
    assert_eq!(seen["connections"][target_port.to_string()], 1, "{seen}");
}

#[test]
fn the_agents_keys_log_in() {
    if !Path::new("/usr/bin/ssh-agent").exists() && std::env::var_os("CI").is_none() {
        eprintln!("SKIPPED: /usr/bin/ssh-agent is not installed");
        return;
    }
    let dir = scratch("ssh", "agent");
    let server = SshServer::start(&dir, 1);
    let socket = dir.join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = std::process::Command::new("ssh-add")
        .arg(server.key("id_rsa"))
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .expect("ssh-add");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut settings = host(&server, server.ports[0], "id_stranger").agent(Some(socket));
    settings.identity_files.clear();
    let ssh = Ssh::new("h", settings);
    let result = ssh.run(&Command::new(["echo", "agent"]));
    let _ = agent.kill();
    let _ = agent.wait();
    assert_eq!(result.unwrap().text(), "agent\n");
}

#[test]
fn the_system_method_runs_over_ssh() {
    let dir = scratch("ssh", "system");
    let server = SshServer::start(&dir, 1);
    let ssh = Arc::new(Ssh::new(
        "box",
        host(&server, server.ports[0], "id_ed25519"),
    ));
    let service = CollectionService::builder()
        .host("box", ssh)
        .build()
        .unwrap();
    let caller = Caller::new("test", "system over ssh");
    let got = service.collect("box", "system", &caller).unwrap();
    let kinds: Vec<&str> = got.records.iter().map(|r| r.kind.as_str()).collect();
    for kind in ["cpu", "memory", "load", "uptime", "filesystem"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let audit = service.store().audit(&Default::default()).unwrap();
    assert!(
        audit[0].commands.iter().any(|c| c == "cat /proc/meminfo"),
        "{:?}",
        audit[0].commands
    );
}

/// The same transport against OpenSSH's own server, where the machine has
/// it (`make test` installs openssh-server where apt can).
#[test]
fn openssh_sshd_serves_the_transport_too() {
    use infrarag_tests::sshd::{Sshd, SSHD};
    if !Path::new(SSHD).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{SSHD} is missing; make test installs openssh-server"
        );
        eprintln!("SKIPPED: {SSHD} is not installed");
        return;
    }
    let dir = scratch("ssh", "openssh");
    let sshd = Sshd::start(&dir.join("sshd"));
    let host = || {
        SshHost::new("127.0.0.1")
            .port(sshd.port)
            .identity_file(&sshd.client_key)
            .agent(None)
            .host_keys(HostKeys::Pinned(sshd.host_key.clone()))
    };
    let ssh = Arc::new(Ssh::new("openssh", host()));
    let hostile = ["two words", "it's", "$(id)", "a; b", "line\nbreak", ""];
    let mut argv = vec!["printf", "[%s]\\n"];
    argv.extend(hostile);
    let expected: String = hostile.iter().map(|w| format!("[{w}]\n")).collect();
    assert_eq!(text(&ssh, &argv), expected);
    let out = ssh
        .run(&Command::new(["sh", "-c", "cat; echo oops >&2; exit 3"]).stdin("in\n"))
        .unwrap();
    assert_eq!(
        (out.status, out.text().as_str(), out.error_text().as_str()),
        (Some(3), "in\n", "oops")
    );

    // A file name that is not UTF-8 arrives byte for byte.
    use std::os::unix::ffi::OsStringExt;
    let name = std::ffi::OsString::from_vec(b"caf\xe9 $(id)".to_vec());
    let out = ssh
        .run(&Command::new([
            std::ffi::OsString::from("printf"),
            "%s".into(),
            name,
        ]))
        .unwrap();
    assert_eq!(out.stdout, b"caf\xe9 $(id)");

    // Twenty commands at once share the one connection, eight channels at
    // a time (sshd's MaxSessions is 32).
    std::thread::scope(|s| {
        for i in 0..20 {
            let ssh = ssh.clone();
            s.spawn(move || assert_eq!(text(&ssh, &["echo", &i.to_string()]), format!("{i}\n")));
        }
    });
    assert_eq!(ssh.connections(), 1);

    // A hung command times out and the host stays usable. (OpenSSH's
    // sshd neither kills a command without a terminal on a signal request
    // nor when its channel closes: it may run on there.)
    let started = Instant::now();
    let hung = ssh.run(&Command::new(["sleep", "3"]).timeout(Duration::from_millis(500)));
    assert_eq!(hung, Err(Failure::TimedOut(Duration::from_millis(500))));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(text(&ssh, &["echo", "usable"]), "usable\n");
    assert_eq!(ssh.connections(), 1);

    // A wrong host key, and a key sshd does not know.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let stranger = Sshd::start(&other);
    let wrong = Ssh::new(
        "x",
        host().host_keys(HostKeys::Pinned(stranger.host_key.clone())),
    );
    assert!(matches!(
        wrong.run(&Command::new(["true"])),
        Err(Failure::HostKey { .. })
    ));
    let mut settings = host();
    settings.identity_files = vec![stranger.client_key.clone()];
    let refused = Ssh::new("x", settings);
    assert!(matches!(
        refused.run(&Command::new(["true"])),
        Err(Failure::Auth(_))
    ));

    // The system method through the service.
    let service = CollectionService::builder()
        .host("openssh", ssh.clone())
        .build()
        .unwrap();
    let got = service
        .collect("openssh", "system", &Caller::new("test", "sshd"))
        .unwrap();
    assert!(got.records.iter().any(|r| r.kind == "memory"));
}
