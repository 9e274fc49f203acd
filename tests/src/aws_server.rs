//! An AWS API emulator for a test: moto's server, started by
//! `tests/servers/aws_server.py` on 127.0.0.1 and a free port.

use std::process::{Child, ChildStdin};

use serde_json::Value;

/// A running emulator; it stops when dropped.
pub struct AwsServer {
    /// Its URL, for every service.
    pub endpoint: String,
    /// What `--seed` created: ids by name (see the script).
    pub seed: Value,
    child: Option<(Child, ChildStdin)>,
}

impl AwsServer {
    /// Starts an emulator, with the drift scenario created when `seed` or
    /// `instances` (that many EC2 instances more). Panics (failing the test) when
    /// it cannot start: a drift test without its emulator has not passed.
    pub fn start(seed: bool, instances: usize) -> AwsServer {
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        if seed {
            args.push("--seed".into());
        }
        if instances > 0 {
            args.push("--instances".into());
            args.push(instances.to_string().into());
        }
        let (child, stdin, ready) = crate::start_server("aws_server.py", &args, "moto[server]");
        AwsServer {
            endpoint: ready["endpoint"].as_str().expect("endpoint").to_string(),
            seed: ready["seed"].clone(),
            child: Some((child, stdin)),
        }
    }
}

impl Drop for AwsServer {
    fn drop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}
