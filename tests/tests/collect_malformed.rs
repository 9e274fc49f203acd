//! The collectors' parsers on output a remote host garbled or cut short:
//! every real capture in `../shared/corpus/collectors/`, edited at random,
//! parses or fails with an output error at a line of the text; none panics.

use std::sync::LazyLock;

use infrarag::collect::{self, Problem};
use infrarag::Error;
use proptest::prelude::*;

/// Each parser kind with the captures of its command (files in a folder
/// whose names start and end as given).
static CAPTURES: LazyLock<Vec<(&'static str, Vec<String>)>> = LazyLock::new(|| {
    let read = |folder: &str, prefix: &str, suffix: &str| -> Vec<String> {
        let dir = infrarag_tests::corpus().join("collectors").join(folder);
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with(prefix) && name.ends_with(suffix)
            })
            .collect();
        paths.sort();
        let texts: Vec<String> = paths
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(!texts.is_empty(), "no {prefix}*{suffix} in {folder}");
        texts
    };
    vec![
        ("proc_stat", read("proc-stat", "", ".out")),
        ("meminfo", read("proc-meminfo", "", ".out")),
        ("loadavg", read("proc-loadavg", "", ".out")),
        ("uptime", read("proc-uptime", "", ".out")),
        ("df", read("df", "", ".out")),
        ("diskstats", read("proc-diskstats", "", ".out")),
        ("net_dev", read("proc-net-dev", "", ".out")),
        ("ss", read("ss", "", ".out")),
        ("smartctl", read("smartctl", "", ".json")),
        ("journal", read("journalctl", "", ".jsonl")),
        ("zpool_status", read("zpool-status", "", ".out")),
        ("zpool_status_json", read("zfs", "zpool-status-j", ".json")),
        ("zfs_list_json", read("zfs", "zfs-list-j", ".json")),
        ("docker_inspect", read("docker", "docker-inspect", ".json")),
        ("nginx_site", read("swag", "", ".conf.sample")),
    ]
});

/// What an edit inserts: the parsers' own punctuation, multi-byte
/// characters where they slice by byte, and numbers past every width.
const PIECES: &[&str] = &[
    "(",
    ")",
    "((",
    "))",
    "\"",
    ":",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "*",
    " ",
    "\t",
    "\n",
    "\r\n",
    "é",
    "😀",
    "-1",
    "1e309",
    "99999999999999999999999",
    "null",
    "users:((",
    "pid=",
    "fd=",
    "[::]",
    "%",
];

/// One edit at a fraction of the text: delete up to `len` bytes, insert a
/// piece, cut the rest, or repeat a span.
#[derive(Debug, Clone)]
enum Edit {
    Delete(f64, usize),
    Insert(f64, usize),
    Cut(f64),
    Repeat(f64, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (0.0..1.0, 1usize..40).prop_map(|(at, len)| Edit::Delete(at, len)),
        3 => (0.0..1.0, 0..PIECES.len()).prop_map(|(at, piece)| Edit::Insert(at, piece)),
        1 => (0.0..1.0).prop_map(Edit::Cut),
        1 => (0.0..1.0, 1usize..40, 2usize..4).prop_map(|(at, len, n)| Edit::Repeat(at, len, n)),
    ]
}

/// The char boundary at or before `fraction` of `s`.
fn at(s: &str, fraction: f64) -> usize {
    let mut i = ((s.len() as f64) * fraction) as usize;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn end(s: &str, from: usize, len: usize) -> usize {
    let mut j = (from + len).min(s.len());
    while !s.is_char_boundary(j) {
        j -= 1;
    }
    j
}

fn apply(mut s: String, edits: &[Edit]) -> String {
    for e in edits {
        match *e {
            Edit::Delete(f, len) => {
                let i = at(&s, f);
                let j = end(&s, i, len);
                s.replace_range(i..j, "");
            }
            Edit::Insert(f, piece) => {
                let i = at(&s, f);
                s.insert_str(i, PIECES[piece]);
            }
            Edit::Cut(f) => {
                let i = at(&s, f);
                s.truncate(i);
            }
            Edit::Repeat(f, len, n) => {
                let i = at(&s, f);
                let j = end(&s, i, len);
                let span = s[i..j].repeat(n);
                s.replace_range(i..j, &span);
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The edits fall in one line, where a parser's assumptions about a
    /// field's shape live, and sometimes the text is cut as well.
    #[test]
    fn garbled_output_parses_or_names_a_line_of_it(
        which in any::<prop::sample::Index>(),
        capture in any::<prop::sample::Index>(),
        line in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
        cut in prop::option::weighted(0.2, 0.0..1.0f64),
    ) {
        let (kind, texts) = which.get(&CAPTURES);
        let mut lines: Vec<String> = capture.get(texts).lines().map(String::from).collect();
        let at_line = line.index(lines.len().max(1));
        if let Some(l) = lines.get_mut(at_line) {
            *l = apply(std::mem::take(l), &edits);
        }
        let mut text = lines.join("\n");
        if let Some(f) = cut {
            text = apply(text, &[Edit::Cut(f)]);
        }
        match collect::parse(kind, &text) {
            Ok(_) => {}
            Err(Error::Collect(e)) => match e.problem {
                Problem::Output { line, .. } => {
                    let lines = text.lines().count().max(1);
                    prop_assert!((1..=lines + 1).contains(&line), "{kind}: line {line} of {lines}");
                }
                other => prop_assert!(false, "{kind}: {other:?}"),
            },
            Err(e) => prop_assert!(false, "{kind}: {e}"),
        }
    }
}
