//! Syntax diagnostics against Terraform's, on broken files made from valid
//! ones: the corpus's module and checkov `.tf` files, each changed once by a seeded
//! mutation (a brace, quote or `=` deleted, a token inserted, lines joined,
//! split, dropped or doubled, the file cut short), then read by
//! `terraform fmt` and by us. For every case the verdict (error or not) must
//! agree; the first error's line and summary are counted against the goals,
//! and its column against `terraform validate -json`, which gives one.
//!
//! `INFRARAG_MUTATIONS` sets how many cases (default 400, run in CI);
//! `INFRARAG_MUTATION_SEED` the seed; `INFRARAG_MUTATIONS_SHOW=N` prints N
//! disagreements with their files kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use infrarag::hcl;
use infrarag_tests::{corpus, files_with_ext, Rng};

const KINDS: [&str; 14] = [
    "delete `}`",
    "delete `{`",
    "delete `\"`",
    "delete `=`",
    "delete bracket",
    "insert token",
    "join lines",
    "split line",
    "delete line",
    "duplicate line",
    "swap lines",
    "cut file",
    "delete word",
    "insert word",
];

const TOKENS: [&str; 20] = [
    "}", "{", "=", "\"", ",", "(", ")", "[", "]", "x", "%", "$", "#", "/", ":", "?", "!", "\\",
    "<<", "${",
];

fn positions_of(src: &str, wanted: &[char]) -> Vec<usize> {
    src.char_indices()
        .filter(|(_, c)| wanted.contains(c))
        .map(|(i, _)| i)
        .collect()
}

fn line_starts(src: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(positions_of(src, &['\n']).into_iter().map(|i| i + 1))
        .filter(|&i| i < src.len())
        .collect()
}

fn line_at(src: &str, start: usize) -> &str {
    let end = src[start..].find('\n').map_or(src.len(), |e| start + e + 1);
    &src[start..end]
}

/// `src` changed by mutation `kind`, or `None` when it has nothing to change.
fn mutate(src: &str, kind: usize, rng: &mut Rng) -> Option<String> {
    let delete_at = |at: usize| {
        let len = src[at..].chars().next().map_or(0, char::len_utf8);
        format!("{}{}", &src[..at], &src[at + len..])
    };
    let insert_at = |at: usize, text: &str| format!("{}{text}{}", &src[..at], &src[at..]);
    let anywhere: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
    let lines = line_starts(src);
    Some(match kind {
        0 => delete_at(*rng.pick(&positions_of(src, &['}']))?),
        1 => delete_at(*rng.pick(&positions_of(src, &['{']))?),
        2 => delete_at(*rng.pick(&positions_of(src, &['"']))?),
        3 => delete_at(*rng.pick(&positions_of(src, &['=']))?),
        4 => delete_at(*rng.pick(&positions_of(src, &['[', ']', '(', ')']))?),
        5 => insert_at(*rng.pick(&anywhere)?, rng.pick(&TOKENS)?),
        6 => delete_at(*rng.pick(&positions_of(src, &['\n']))?),
        7 => insert_at(*rng.pick(&anywhere)?, "\n"),
        8 => {
            let start = *rng.pick(&lines)?;
            let line = line_at(src, start);
            format!("{}{}", &src[..start], &src[start + line.len()..])
        }
        9 => {
            let start = *rng.pick(&lines)?;
            insert_at(start, line_at(src, start))
        }
        10 => {
            let k = rng.below(lines.len().checked_sub(1)?);
            let (a, b) = (line_at(src, lines[k]), line_at(src, lines[k + 1]));
            if !b.ends_with('\n') {
                return None;
            }
            let end = lines[k] + a.len() + b.len();
            format!("{}{b}{a}{}", &src[..lines[k]], &src[end..])
        }
        11 => src[..*rng.pick(&anywhere)?].to_string(),
        12 => {
            let words: Vec<(usize, usize)> = src
                .char_indices()
                .filter(|(i, c)| {
                    c.is_ascii_alphabetic()
                        && !src[..*i]
                            .chars()
                            .next_back()
                            .is_some_and(|p| p.is_ascii_alphanumeric() || p == '_')
                })
                .map(|(i, _)| {
                    let len = src[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(src.len() - i);
                    (i, i + len)
                })
                .collect();
            let (s, e) = *rng.pick(&words)?;
            format!("{}{}", &src[..s], &src[e..])
        }
        _ => {
            let start = *rng.pick(&lines)?;
            let indent = line_at(src, start).len() - line_at(src, start).trim_start().len();
            insert_at(start + indent, "extra ")
        }
    })
    .filter(|changed| changed != src)
}

/// Terraform's first error in each file: (summary, line).
fn terraform_errors(dir: &Path) -> BTreeMap<String, (String, usize)> {
    let output = Command::new("terraform")
        .args(["fmt", "-no-color", "-check", "-list=false"])
        .arg(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run terraform (the syntax oracle): {e}"));
    let text = String::from_utf8_lossy(&output.stderr);
    let mut first = BTreeMap::new();
    let mut summary = None;
    for line in text.lines() {
        if let Some(s) = line.strip_prefix("Error: ") {
            summary = Some(s.to_string());
        } else if let Some(rest) = line.strip_prefix("  on ") {
            let Some((path, at)) = rest.split_once(" line ") else {
                continue;
            };
            let n: usize = at
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse().ok())
                .unwrap_or_else(|| panic!("terraform's position {rest:?}"));
            let name = Path::new(path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(s) = summary.take() {
                first.entry(name).or_insert((s, n));
            }
        }
    }
    first
}

/// Every error `terraform validate -json` reports in each file of `dir`:
/// (summary, line, column). It loads them all as one module, so it also
/// reports what the files do to each other; only the errors that
/// `terraform fmt` names are looked up here.
fn terraform_positions(dir: &Path) -> BTreeMap<String, Vec<(String, usize, usize)>> {
    let output = Command::new("terraform")
        .args(["validate", "-json", "-no-color"])
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run terraform validate: {e}"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("terraform validate -json: {e}"));
    let mut out: BTreeMap<String, Vec<(String, usize, usize)>> = BTreeMap::new();
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        let (Some(file), Some(line), Some(column)) = (
            d["range"]["filename"].as_str(),
            d["range"]["start"]["line"].as_u64(),
            d["range"]["start"]["column"].as_u64(),
        ) else {
            continue;
        };
        out.entry(file.to_string()).or_default().push((
            d["summary"].as_str().unwrap_or_default().to_string(),
            line as usize,
            column as usize,
        ));
    }
    out
}

struct Case {
    name: String,
    kind: &'static str,
    seed_file: PathBuf,
}

#[test]
fn syntax_errors_are_where_and_what_terraform_says() {
    let count = infrarag_tests::env_number("INFRARAG_MUTATIONS", 400) as usize;
    let seed = infrarag_tests::env_number("INFRARAG_MUTATION_SEED", 17);
    let show = infrarag_tests::env_number("INFRARAG_MUTATIONS_SHOW", 0) as usize;
    let root = corpus();
    let seeds: Vec<(PathBuf, String)> = ["modules", "checkov"]
        .iter()
        .flat_map(|dir| files_with_ext(&root.join(dir), ".tf"))
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?)))
        .filter(|(_, s)| (100..8000).contains(&s.len()))
        .collect();
    assert!(seeds.len() > 200, "only {} seed files", seeds.len());

    let dir = std::env::temp_dir().join(format!("infrarag-mutations-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("case directory");
    let mut rng = Rng(seed);
    let mut cases = Vec::new();
    while cases.len() < count {
        let (path, src) = rng.pick(&seeds).expect("seeds");
        let kind = rng.below(KINDS.len());
        let Some(text) = mutate(src, kind, &mut rng) else {
            continue;
        };
        let name = format!("case{:05}.tf", cases.len());
        std::fs::write(dir.join(&name), text).expect("case file");
        cases.push(Case {
            name,
            kind: KINDS[kind],
            seed_file: path.clone(),
        });
    }
    let theirs = terraform_errors(&dir);
    let positions = terraform_positions(&dir);

    let (mut verdict, mut errors, mut line, mut summary) = (0, 0, 0, 0);
    let (mut columns, mut column) = (0, 0);
    let mut misses: BTreeMap<String, usize> = BTreeMap::new();
    let mut shown = Vec::new();
    for case in &cases {
        let src = std::fs::read_to_string(dir.join(&case.name)).expect("case file");
        let parsed = hcl::parse(&src);
        let ours = parsed.diagnostics.iter().find(|d| d.is_error());
        let theirs = theirs.get(&case.name);
        if ours.is_some() == theirs.is_some() {
            verdict += 1;
        }
        let (Some(ours), Some((their_summary, their_line))) = (ours, theirs) else {
            if ours.is_some() != theirs.is_some() {
                shown.push(format!(
                    "{} ({}, from {}): terraform {theirs:?}, ours {:?}",
                    case.name,
                    case.kind,
                    case.seed_file.display(),
                    ours.map(|d| d.to_string())
                ));
            }
            continue;
        };
        errors += 1;
        let same_line = ours.span.start.line == *their_line;
        let same_summary = ours.summary == *their_summary;
        line += usize::from(same_line);
        summary += usize::from(same_summary);
        let their_column = positions
            .get(&case.name)
            .into_iter()
            .flatten()
            .find(|(s, l, _)| s == their_summary && l == their_line)
            .map(|(_, _, c)| *c);
        let same_column = their_column.is_none_or(|c| c == ours.span.start.column);
        if let Some(c) = their_column {
            columns += 1;
            column += usize::from(c == ours.span.start.column);
        }
        if !(same_line && same_summary && same_column) {
            *misses.entry(their_summary.clone()).or_default() += 1;
            shown.push(format!(
                "{} ({}): terraform {their_line}:{} {their_summary:?}; ours {}:{} {:?} ({})",
                case.name,
                case.kind,
                their_column.map_or("?".into(), |c| c.to_string()),
                ours.span.start.line,
                ours.span.start.column,
                ours.summary,
                ours.message
            ));
        }
    }
    println!(
        "{} mutated files (seed {seed}): verdict agrees on {verdict}; of the {errors} both reject, \
         first error line agrees on {line} ({:.1}%), summary on {summary} ({:.1}%); \
         of the {columns} columns terraform validate gives, {column} agree",
        cases.len(),
        100.0 * line as f64 / errors.max(1) as f64,
        100.0 * summary as f64 / errors.max(1) as f64,
    );
    for (s, n) in &misses {
        println!("  {n:4} differ where terraform says {s:?}");
    }
    for s in shown.iter().take(show) {
        println!("{s}");
    }
    if show == 0 {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("cases kept in {}", dir.display());
    }
    assert_eq!(
        verdict,
        cases.len(),
        "verdicts differ:\n{}",
        shown.join("\n")
    );
    assert!(
        line * 100 >= errors * 95,
        "first error line agrees on {line} of {errors}"
    );
    assert!(
        column * 100 >= columns * 95,
        "first error column agrees on {column} of {columns}"
    );
    assert!(
        summary * 100 >= errors * 90,
        "summary agrees on {summary} of {errors}"
    );
}
