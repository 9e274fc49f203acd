//! Finds the shared test corpus for the conformance tests and compares JSON
//! values the way python-hcl2's own tests do (`assertDictEqual`).

pub mod aws_server;
pub mod pg_server;
pub mod replay;
pub mod ssh_server;
pub mod sshd;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The corpus root: `INFRARAG_CORPUS`, else `../shared/corpus` beside the
/// repository. Panics (failing the test) when it is missing: a conformance
/// test that cannot see its fixtures has not passed.
pub fn corpus() -> PathBuf {
    let root = std::env::var_os("INFRARAG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    assert!(
        root.join("README.md").is_file(),
        "the test corpus is missing at {} (set INFRARAG_CORPUS)",
        root.display()
    );
    root
}

/// Every directory under `root` (itself included) that holds `.tf` files,
/// in path order: each is a Terraform module, as checkov and tflint walk.
pub fn module_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.extension().is_some_and(|x| x == "tf"))
    {
        out.push(dir.to_path_buf());
    }
    for p in entries.into_iter().filter(|p| p.is_dir()) {
        walk(&p, out);
    }
}

/// An empty directory of the test's own, `infrarag-{suite}-{name}-{pid}`
/// under the temporary directory.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("infrarag-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the tree at `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Starts one of the Python test servers (`tests/servers/{script}`) with
/// `args` and reads the JSON line it prints when ready. Panics (failing the
/// test) when it cannot start; `needs` names what `make test` installs for
/// it. The server stops when its standard input closes.
pub fn start_server(
    script: &str,
    args: &[std::ffi::OsString],
    needs: &str,
) -> (std::process::Child, std::process::ChildStdin, Value) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let python = ssh_server::python();
    let mut child = Command::new(&python)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("servers")
                .join(script),
        )
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {script} with {} ({e}); `make test` installs {needs} in .venv",
                python.display()
            )
        });
    let stdin = child.stdin.take().expect("piped stdin");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{script}'s first line: {e}"));
    let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
        panic!("{script} did not start (it printed {line:?}: {e}); is {needs} installed in .venv?")
    });
    (child, stdin, ready)
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Equality as Python's `==` on the decoded JSON: dict key order ignored,
/// list order significant, `1 == 1.0`.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| py_eq(v, w))
        }
        (Value::Number(x), Value::Number(y)) => {
            x.to_string() == y.to_string() || x.as_f64().is_some_and(|f| Some(f) == y.as_f64())
        }
        _ => a == b,
    }
}

/// The first differing path between two values, for failure messages.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{path}.{k}: only in ours")),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k}: only in expected"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, &format!("{path}[{i}]"))),
        _ if py_eq(a, b) => None,
        _ => Some(format!("{path}: ours {a} != expected {b}")),
    }
}

/// A whole number from the environment (a differential's case count,
/// seed or how many misses to show), or `default` when unset or not one.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every file under `dir` with the extension, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    files_where(dir, |p| p.to_string_lossy().ends_with(ext))
}

/// Every file under `dir` that `keep` accepts, sorted.
pub fn files_where(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// splitmix64: the same cases for the same seed, on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Runs Terraform (the oracle) in `dir` with `args`, offline and without
/// the machine's CLI configuration, and returns its standard output;
/// panics (failing the test) when it cannot run or fails.
pub fn terraform(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run terraform (the oracle): {e}"));
    assert!(
        out.status.success(),
        "terraform {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
