//! Code-aware terms: the words of a text with identifiers also split into
//! their parts, shared by the lexical index and the offline embedder.
//!
//! `aws_s3_bucket.logs` gives `aws_s3_bucket.logs`, `aws`, `s3`, `bucket`,
//! `logs`; `serverSideEncryption` gives it whole and `server`, `side`,
//! `encryption`. Terms are lower-cased; letters and digits stay together.

/// Characters that join the parts of an identifier.
fn is_joiner(c: char) -> bool {
    matches!(c, '_' | '-' | '.')
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || is_joiner(c)
}

/// What a term is to the word it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// A word without parts: `bucket`, `ec2`.
    Word,
    /// A word with parts, whole: `aws_s3_bucket`.
    Compound,
    /// One part of a compound: `aws`, `s3`, `bucket`.
    Part,
}

/// Calls `emit(term, kind)` for every term of `text`, in order: a word with
/// parts as a [`TermKind::Compound`] followed by its [`TermKind::Part`]s, any
/// other word as a [`TermKind::Word`].
pub fn for_each_term(text: &str, mut emit: impl FnMut(&str, TermKind)) {
    let mut lower = String::new();
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    let mut chars: Vec<char> = Vec::new();
    for word in text
        .split(|c: char| !is_word(c))
        .map(|w| w.trim_matches(is_joiner))
        .filter(|w| !w.is_empty())
    {
        lower.clear();
        bounds.clear();
        chars.clear();
        chars.extend(word.chars());
        parts(&chars, &mut lower, &mut bounds);
        if bounds.len() > 1 {
            emit(&lower, TermKind::Compound);
            for &(s, e) in &bounds {
                emit(&lower[s..e], TermKind::Part);
            }
        } else {
            emit(&lower, TermKind::Word);
        }
    }
}

/// The terms of `text`, collected; see [`for_each_term`].
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t, _| out.push(t.to_string()));
    out
}

/// Lower-cases `chars`, a word, into `lower` and records where its parts are: split at
/// joiners, at a lower-case letter or digit followed by an upper-case one
/// (`serverSide`), and before the last capital of a run that continues in
/// lower case (`HTTPServer` → `http`, `server`).
fn parts(chars: &[char], lower: &mut String, bounds: &mut Vec<(usize, usize)>) {
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if is_joiner(c) {
            if lower.len() > start {
                bounds.push((start, lower.len()));
            }
            lower.push(c);
            start = lower.len();
            continue;
        }
        if i > 0 && c.is_uppercase() && lower.len() > start {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_lower) {
                bounds.push((start, lower.len()));
                start = lower.len();
            }
        }
        if c.is_ascii() {
            lower.push(c.to_ascii_lowercase());
        } else {
            lower.extend(c.to_lowercase());
        }
    }
    if lower.len() > start {
        bounds.push((start, lower.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::terms;

    #[test]
    fn identifiers_split_into_parts() {
        assert_eq!(
            terms("aws_s3_bucket.logs"),
            ["aws_s3_bucket.logs", "aws", "s3", "bucket", "logs"]
        );
        assert_eq!(
            terms("serverSideEncryption HTTPServer ec2"),
            [
                "serversideencryption",
                "server",
                "side",
                "encryption",
                "httpserver",
                "http",
                "server",
                "ec2"
            ]
        );
        assert_eq!(terms("  -- x, \"KMS\"!"), ["x", "kms"]);
        assert_eq!(terms("Straße_Ünï"), ["straße_ünï", "straße", "ünï"]);
    }
}
