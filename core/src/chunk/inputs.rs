//! What a block's inputs say it does: a resource, data source or module call
//! quotes in its summary the descriptions of the variables it reads.

use std::collections::{HashMap, HashSet};

use super::Chunk;
use crate::hcl::{self as syntax, Structure};
use crate::terraform::constant_value;

/// How many descriptions a summary quotes. A block's own inputs are the
/// ones the fewest blocks of its module read (`monitoring_role_name`, not
/// `tags`); past the first few the words stop telling blocks apart.
const QUOTED: usize = 4;
/// Characters quoted of each description, as of a block's own.
const DESCRIPTION_CHARS: usize = 200;
/// Where the quotes start in a summary ([`quote`] writes it). A block's
/// own description is quoted escaped (`\"`), so this never starts inside it.
const MARK: &str = "; inputs: \"";

/// A summary's own part and its quoted inputs without their label
/// (`"…", "…"`, or `""`): the label's word is not the block's, and as a
/// term it would match every block that quotes inputs to "which input…".
pub(crate) fn split(summary: &str) -> (&str, &str) {
    summary.find(MARK).map_or((summary, ""), |at| {
        let label = MARK.len() - '"'.len_utf8();
        (&summary[..at], &summary[at + label..])
    })
}

/// Appends `; inputs: "…", "…"` to the summary of every block chunk that
/// reads variables declared in its directory. A module's author describes
/// each variable in words ("Enhanced Monitoring metrics"), while the block
/// that uses it names only identifiers; the summary carries those words to
/// search. `chunks` must hold every `.tf` file of the directories it spans,
/// or blocks miss the inputs declared in the files left out.
pub(super) fn quote(chunks: &mut [Chunk]) {
    let quotes = quotes(chunks);
    for (c, quote) in chunks.iter_mut().zip(quotes) {
        if let Some(quote) = quote {
            c.summary.push_str(&quote);
        }
    }
}

/// What [`quote`] appends to each chunk's summary, if anything.
fn quotes(chunks: &[Chunk]) -> Vec<Option<String>> {
    let mut described: HashMap<(&str, &str), String> = HashMap::new();
    for c in chunks.iter().filter(|c| is_module_file(&c.path)) {
        if c.block_type.as_deref() != Some("variable") || c.part > 1 {
            continue;
        }
        if let (Some(name), Some(description)) = (c.labels.first(), description(&c.text)) {
            described.insert((directory(&c.path), name), description);
        }
    }
    if described.is_empty() {
        return vec![None; chunks.len()];
    }
    let reads: Vec<Vec<&str>> = chunks
        .iter()
        .map(|c| {
            if is_reader(c) {
                variables_read(&c.text)
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut readers: HashMap<(&str, &str), usize> = HashMap::new();
    // (file, block, variable): each block counts once per variable.
    let mut counted: HashSet<(&str, Option<&str>, &str)> = HashSet::new();
    for (c, names) in chunks.iter().zip(&reads) {
        for &name in names {
            // The pieces of a split block are one reader.
            if counted.insert((c.path.as_str(), c.address.as_deref(), name)) {
                *readers.entry((directory(&c.path), name)).or_default() += 1;
            }
        }
    }
    chunks
        .iter()
        .zip(&reads)
        .map(|(c, names)| {
            let dir = directory(&c.path);
            let mut own: Vec<(usize, usize, &str)> = names
                .iter()
                .enumerate()
                .filter_map(|(at, &name)| {
                    let text = described.get(&(dir, name))?;
                    Some((readers[&(dir, name)], at, text.as_str()))
                })
                .collect();
            own.sort_unstable();
            own.truncate(QUOTED);
            own.sort_unstable_by_key(|&(_, at, _)| at);
            let texts: Vec<&str> = own.into_iter().map(|(_, _, text)| text).collect();
            (!texts.is_empty()).then(|| format!("{MARK}{}\"", texts.join("\", \"")))
        })
        .collect()
}

/// Whether a file's variables and blocks belong to one Terraform module:
/// its `.tf` files, read together.
pub(super) fn is_module_file(path: &str) -> bool {
    path.ends_with(".tf")
}

/// The directory part of a `/`-separated path (`""` at the top).
pub(super) fn directory(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn is_reader(c: &Chunk) -> bool {
    is_module_file(&c.path)
        && matches!(
            c.block_type.as_deref(),
            Some("resource" | "data" | "module")
        )
}

/// The variable's description, whitespace folded and cut to
/// [`DESCRIPTION_CHARS`]; `None` when it has none or is not a literal.
fn description(text: &str) -> Option<String> {
    let parsed = syntax::parser::parse_with(text, false);
    let block = parsed.file.body.items.iter().find_map(|item| match item {
        Structure::Block(b) if b.kind == "variable" => Some(b),
        _ => None,
    })?;
    let value = constant_value(&block.body.attribute("description")?.expr)?;
    let folded = value
        .as_str()?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let short: String = folded.chars().take(DESCRIPTION_CHARS).collect();
    (!short.is_empty()).then_some(short)
}

/// The names of the variables `var.NAME` in `text` refers to, distinct, in
/// order. Read from the text rather than the syntax tree so that a piece of
/// a split block, which does not parse alone, still counts.
fn variables_read(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut names: Vec<&str> = Vec::new();
    for (at, _) in text.match_indices("var.") {
        let joined = at > 0 && {
            let b = bytes[at - 1];
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
        };
        if joined {
            continue;
        }
        let rest = &text[at + 4..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{ChunkConfig, Chunker};

    fn chunks(files: &[(&str, &str)]) -> Vec<Chunk> {
        let chunker = Chunker::new(ChunkConfig::new(400)).unwrap();
        files
            .iter()
            .flat_map(|(path, text)| chunker.chunk_file(path, text))
            .collect()
    }

    fn summary<'a>(chunks: &'a [Chunk], address: &str) -> &'a str {
        let c = chunks
            .iter()
            .find(|c| c.address.as_deref() == Some(address));
        &c.unwrap().summary
    }

    #[test]
    fn a_block_quotes_the_inputs_it_reads() {
        let mut got = chunks(&[
            (
                "m/main.tf",
                "resource \"aws_iam_role\" \"monitoring\" {\n  name = \"${var.prefix}-${var.role_name}\"\n}\n\
                 resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.bucket\n}\n",
            ),
            (
                "m/variables.tf",
                "variable \"role_name\" {\n  description = \"Name of the role that\n    publishes OS metrics\"\n}\n\
                 variable \"prefix\" {}\n\
                 variable \"bucket\" {\n  description = \"The bucket's name\"\n}\n",
            ),
            (
                "other/variables.tf",
                "variable \"prefix\" {\n  description = \"Another module's prefix\"\n}\n",
            ),
        ]);
        quote(&mut got);
        assert!(
            summary(&got, "aws_iam_role.monitoring")
                .ends_with("; inputs: \"Name of the role that publishes OS metrics\""),
            "{got:#?}"
        );
        assert!(summary(&got, "aws_s3_bucket.b").ends_with("; inputs: \"The bucket's name\""));
        assert!(!summary(&got, "var.role_name").contains("inputs"));
        let (own, quoted) = split(summary(&got, "aws_s3_bucket.b"));
        assert!(own.starts_with("resource aws_s3_bucket \"b\" in m/main.tf"));
        assert_eq!(quoted, "\"The bucket's name\"");
        assert_eq!(split("variable \"x\": \"says \\\"; inputs: \\\"\"").1, "");
    }

    #[test]
    fn the_inputs_fewest_blocks_read_are_quoted() {
        let shared = "  tags = var.tags\n";
        let mut main = String::new();
        for i in 0..3 {
            main.push_str(&format!(
                "resource \"null_resource\" \"r{i}\" {{\n{shared}}}\n"
            ));
        }
        main.push_str("resource \"null_resource\" \"own\" {\n  tags = var.tags\n");
        let mut variables =
            "variable \"tags\" {\n  description = \"Tags for all\"\n}\n".to_string();
        for i in 0..5 {
            main.push_str(&format!("  a{i} = var.own{i}\n"));
            variables.push_str(&format!(
                "variable \"own{i}\" {{\n  description = \"Own {i}\"\n}}\n"
            ));
        }
        main.push_str("}\n");
        let mut got = chunks(&[("main.tf", &main), ("variables.tf", &variables)]);
        quote(&mut got);
        assert!(summary(&got, "null_resource.own")
            .ends_with("; inputs: \"Own 0\", \"Own 1\", \"Own 2\", \"Own 3\""));
        assert!(summary(&got, "null_resource.r0").ends_with("; inputs: \"Tags for all\""));
    }

    #[test]
    fn a_split_block_is_one_reader() {
        let mut main = String::from("resource \"null_resource\" \"own\" {\n  w = var.wide\n");
        let mut variables = String::from("variable \"wide\" {\n  description = \"Wide\"\n}\n");
        for i in 0..4 {
            main.push_str(&format!("  a{i} = var.own{i}\n"));
            variables.push_str(&format!(
                "variable \"own{i}\" {{\n  description = \"Own {i}\"\n}}\n"
            ));
        }
        main.push_str("}\n");
        for i in 0..4 {
            main.push_str(&format!(
                "resource \"null_resource\" \"r{i}\" {{\n  a = var.own{i}\n}}\n"
            ));
        }
        main.push_str("resource \"null_resource\" \"big\" {\n");
        for i in 0..40 {
            main.push_str(&format!("  x{i} = \"${{var.wide}}-{i}\"\n"));
        }
        main.push_str("}\n");
        let chunker = Chunker::new(ChunkConfig::new(60)).unwrap();
        let mut got: Vec<Chunk> = [("main.tf", &main), ("variables.tf", &variables)]
            .iter()
            .flat_map(|(path, text)| chunker.chunk_file(path, text))
            .collect();
        let big = got
            .iter()
            .filter(|c| c.address.as_deref() == Some("null_resource.big"))
            .count();
        assert!(big > 2, "{big} pieces");
        quote(&mut got);
        // Every input has two readers, so the first four in the block's
        // order are quoted; counted per piece, `wide` had `1 + big`.
        assert!(
            summary(&got, "null_resource.own")
                .ends_with("; inputs: \"Wide\", \"Own 0\", \"Own 1\", \"Own 2\""),
            "{}",
            summary(&got, "null_resource.own")
        );
    }

    #[test]
    fn only_whole_references_count() {
        assert_eq!(
            variables_read("a = \"${var.x}\"\nb = local.var.y\nc = myvar.z\nd = var.x + var.w_1"),
            vec!["x", "w_1"]
        );
    }
}
