//! Template literal text as HCL decodes it: backslash escapes in quoted
//! templates, `$${` and `%%{` in both kinds; shared by the two parsers.

/// Decodes HCL template escapes. Quoted templates decode backslash escapes;
/// both kinds decode `$${` and `%%{`. Invalid escapes are kept as written
/// (the strict checks report them).
pub(crate) fn decode_literal(raw: &str, quoted: bool) -> String {
    if !raw.contains(['\\', '$', '%']) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quoted => match chars.peek().map(|&(_, c)| c) {
                Some('n') => push_skip(&mut out, &mut chars, '\n'),
                Some('r') => push_skip(&mut out, &mut chars, '\r'),
                Some('t') => push_skip(&mut out, &mut chars, '\t'),
                Some('"') => push_skip(&mut out, &mut chars, '"'),
                Some('\\') => push_skip(&mut out, &mut chars, '\\'),
                Some(u @ ('u' | 'U')) => {
                    let len = if u == 'u' { 4 } else { 8 };
                    let hex = raw.get(i + 2..i + 2 + len);
                    match hex
                        .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32)
                    {
                        Some(ch) => {
                            out.push(ch);
                            for _ in 0..=len {
                                chars.next();
                            }
                        }
                        None => out.push('\\'),
                    }
                }
                _ => out.push('\\'),
            },
            '$' | '%' if raw[i + 1..].starts_with(&format!("{c}{{")) => {
                out.push(c);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn push_skip(out: &mut String, chars: &mut std::iter::Peekable<std::str::CharIndices>, c: char) {
    out.push(c);
    chars.next();
}
