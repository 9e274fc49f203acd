//! The Terraform files in a model's answer: its ```hcl / ```terraform code
//! blocks, named by the fence (```hcl main.tf) or put in `main.tf`.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

/// A file the model wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    /// Relative, `/`-separated, ending in `.tf` or `.tf.json`.
    pub path: String,
    /// The file's content.
    pub text: String,
}

fn fence() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?ms)^[ \t]*```[ \t]*(?:hcl|terraform|tf)\b([^\n]*)\n(.*?)^[ \t]*```")
            .expect("fence pattern")
    })
}

/// A safe relative file name from a fence's info string (`main.tf`,
/// `title="net/vpc.tf"`, `file=x.tf`), if it holds one.
fn name_in(info: &str) -> Option<String> {
    let word = info
        .split_whitespace()
        .map(|w| {
            let w = w.rsplit('=').next().unwrap_or(w);
            w.trim_matches(|c| c == '"' || c == '\'' || c == ':')
        })
        .find(|w| crate::terraform::is_config_file(w))?;
    let safe = !word.starts_with('/')
        && !word.contains('\\')
        && word.split('/').all(|p| !p.is_empty() && p != "..");
    safe.then(|| word.to_string())
}

/// The files of `answer`, in order of first appearance. Blocks naming the
/// same file, and blocks naming none (which go to `main.tf`), are joined.
pub fn files(answer: &str) -> Vec<GeneratedFile> {
    let mut out: Vec<GeneratedFile> = Vec::new();
    for c in fence().captures_iter(answer) {
        let path = name_in(&c[1]).unwrap_or_else(|| "main.tf".into());
        let text = c[2].trim_end().to_string() + "\n";
        match out.iter_mut().find(|f| f.path == path) {
            Some(f) => {
                f.text.push('\n');
                f.text.push_str(&text);
            }
            None => out.push(GeneratedFile { path, text }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_by_fence_and_joins_the_rest() {
        let answer = "Intro\n```hcl\na = 1\n```\ntext\n```terraform title=\"net/vpc.tf\"\nb = 2\n```\n```python\nx\n```\n  ```tf\nc = 3\n  ```\n```hcl ../../etc/passwd.tf\nd = 4\n```\n";
        let got = files(answer);
        assert_eq!(
            got,
            vec![
                GeneratedFile {
                    path: "main.tf".into(),
                    text: "a = 1\n\nc = 3\n\nd = 4\n".into()
                },
                GeneratedFile {
                    path: "net/vpc.tf".into(),
                    text: "b = 2\n".into()
                },
            ]
        );
        assert!(files("no code").is_empty());
    }
}
