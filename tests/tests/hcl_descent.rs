//! The hand-written parser against tree-sitter-hcl, its reference: on every
//! native-syntax file of the corpus and every tree-sitter-hcl test case,
//! where the hand-written parser accepts the input, its tree and diagnostics
//! equal the tree-sitter path's; and it accepts every file tree-sitter
//! parses without a syntax error, so the fast path is really taken.

use std::path::{Path, PathBuf};

use infrarag::hcl;
use infrarag_tests::{corpus, files_where, first_difference};

/// Every native-syntax file under `dir`, sorted.
fn native_files(dir: &Path) -> Vec<PathBuf> {
    files_where(dir, |p| {
        p.extension()
            .is_some_and(|x| x == "tf" || x == "hcl" || x == "tfvars")
    })
}

/// The inputs of tree-sitter-hcl's own test cases: the text between a
/// case's `===` header and its `---` separator.
fn tree_sitter_cases(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = root.join("tree-sitter-hcl/test/corpus");
    for f in files_where(&dir, |p| p.extension().is_some_and(|x| x == "txt")) {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut i = 0;
        while i < lines.len() {
            if !lines[i].starts_with("====") || i + 2 >= lines.len() {
                i += 1;
                continue;
            }
            let name = lines[i + 1].trim().to_string();
            let mut j = i + 3;
            let mut input = String::new();
            while j < lines.len() && !lines[j].starts_with("----") {
                input.push_str(lines[j]);
                j += 1;
            }
            out.push((format!("{}: {name}", f.display()), input));
            i = j;
        }
    }
    out
}

struct Tally {
    accepted: usize,
    given_up_clean: Vec<String>,
    mismatched: Vec<String>,
}

fn compare(name: &str, src: &str, tally: &mut Tally) {
    let reference = hcl::parser::parse_tree_sitter(src);
    match hcl::parser::parse_descent(src) {
        Some(ours) => {
            tally.accepted += 1;
            if ours != reference {
                tally.mismatched.push(name.to_string());
                if tally.mismatched.len() <= 5 {
                    let a = serde_json::json!({"file": ours.file, "diagnostics": ours.diagnostics});
                    let b = serde_json::json!({"file": reference.file, "diagnostics": reference.diagnostics});
                    eprintln!("mismatch: {name}: {:?}", first_difference(&a, &b, ""));
                }
            }
        }
        None => {
            if !reference.has_errors() {
                tally.given_up_clean.push(name.to_string());
            }
        }
    }
}

#[test]
fn descent_parser_agrees_with_tree_sitter_on_the_corpus() {
    let root = corpus();
    let files = native_files(&root);
    let mut tally = Tally {
        accepted: 0,
        given_up_clean: Vec::new(),
        mismatched: Vec::new(),
    };
    for f in &files {
        let Ok(src) = std::fs::read_to_string(f) else {
            continue;
        };
        compare(&f.display().to_string(), &src, &mut tally);
    }
    let cases = tree_sitter_cases(&root);
    assert!(
        cases.len() > 50,
        "found only {} tree-sitter cases",
        cases.len()
    );
    for (name, src) in &cases {
        compare(name, src, &mut tally);
    }
    eprintln!(
        "{} inputs; the hand-written parser accepted {}",
        files.len() + cases.len(),
        tally.accepted
    );
    assert!(
        tally.mismatched.is_empty(),
        "{} inputs parse differently, e.g. {:?}",
        tally.mismatched.len(),
        &tally.mismatched[..tally.mismatched.len().min(20)]
    );
    assert!(
        tally.given_up_clean.is_empty(),
        "the hand-written parser gave up on {} inputs without a syntax error, e.g. {:?}",
        tally.given_up_clean.len(),
        &tally.given_up_clean[..tally.given_up_clean.len().min(20)]
    );
}

/// Mutations of well-formed files (a byte range deleted, a token inserted,
/// a line duplicated): wherever the hand-written parser still accepts the
/// result, tree-sitter must read the same tree with the same diagnostics,
/// so broken input never slips past the error-reporting path.
#[test]
fn descent_parser_gives_up_where_mutations_break_the_syntax() {
    const INSERTS: &[&str] = &[
        "{", "}", "[", "]", "(", ")", "\"", "${", "%{", "=", ",", ":", "?", ".", "*", "\n", "#",
        "/*", "<<EOF\n", "-", "!", "==", "=>", "...", "\\", "x", " 1 ", "for ", "in ", "if ",
    ];
    let root = corpus();
    let mut files = native_files(&root.join("checkov"));
    files.extend(native_files(&root.join("hcl-specsuite")));
    let sources: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter(|s| hcl::parser::parse_descent(s).is_some())
        .collect();
    assert!(
        sources.len() > 80,
        "only {} well-formed files",
        sources.len()
    );
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut tally = Tally {
        accepted: 0,
        given_up_clean: Vec::new(),
        mismatched: Vec::new(),
    };
    for round in 0..3000 {
        let src = &sources[next(sources.len())];
        let mut at = next(src.len() + 1);
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        let mutated = match next(3) {
            0 => {
                let mut end = (at + 1 + next(8)).min(src.len());
                while !src.is_char_boundary(end) {
                    end += 1;
                }
                format!("{}{}", &src[..at], &src[end..])
            }
            1 => format!(
                "{}{}{}",
                &src[..at],
                INSERTS[next(INSERTS.len())],
                &src[at..]
            ),
            _ => {
                let line_start = src[..at].rfind('\n').map_or(0, |p| p + 1);
                let line_end = src[at..].find('\n').map_or(src.len(), |p| at + p + 1);
                format!("{}{}", &src[..line_end], &src[line_start..line_end])
            }
        };
        compare(
            &format!("mutation {round}: {mutated:?}"),
            &mutated,
            &mut tally,
        );
    }
    assert!(
        tally.mismatched.is_empty(),
        "{} mutations parse differently, e.g. {:?}",
        tally.mismatched.len(),
        &tally.mismatched[..tally.mismatched.len().min(3)]
    );
}
