//! tree-sitter-hcl rejects exponent literals without a fraction (`1e5`), which
//! HCL allows; we mask them as same-length identifiers before parsing.

/// Returns a copy of `src` in which every exponent literal without a fraction
/// is replaced by an identifier of the same byte length (`1e+5` → `_e_5`), or
/// `None` when there are none. Strings, heredocs and comments are skipped.
pub(crate) fn mask_exponents(src: &str) -> Option<Vec<u8>> {
    let b = src.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    // One entry per open template/interpolation: `true` for an interpolation
    // or directive (code), with its count of open braces.
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match stack.last_mut() {
            Some(Frame::Quoted) => {
                match b[i] {
                    b'\\' => i += 1,
                    b'"' => {
                        stack.pop();
                    }
                    b'\n' => {
                        stack.pop();
                    }
                    b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                        if i > 0 && b[i - 1] == b[i] {
                            // `$${` is an escape, not an interpolation.
                        } else {
                            stack.push(Frame::Code(0));
                            i += 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Some(Frame::Heredoc { marker }) => {
                // Only the start of a line can close a heredoc.
                let line_end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                let line = &src[i..line_end];
                // Interpolations inside heredocs are not masked: an exponent
                // literal there is rare enough not to track them.
                if line.trim() == marker.as_str() {
                    stack.pop();
                }
                i = line_end + 1;
            }
            Some(Frame::Code(depth)) | Some(Frame::Top(depth)) => {
                let c = b[i];
                match c {
                    b'#' => i = skip_line(b, i),
                    b'/' if b.get(i + 1) == Some(&b'/') => i = skip_line(b, i),
                    b'/' if b.get(i + 1) == Some(&b'*') => {
                        i = src[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2)
                    }
                    b'"' => {
                        stack.push(Frame::Quoted);
                        i += 1;
                    }
                    b'{' => {
                        *depth += 1;
                        i += 1;
                    }
                    b'}' => {
                        if *depth == 0 {
                            if matches!(stack.last(), Some(Frame::Code(_))) {
                                stack.pop();
                            }
                        } else {
                            *depth -= 1;
                        }
                        i += 1;
                    }
                    b'<' if b.get(i + 1) == Some(&b'<') => {
                        let mut j = i + 2;
                        if b.get(j) == Some(&b'-') {
                            j += 1;
                        }
                        let start = j;
                        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                            j += 1;
                        }
                        if j > start && b.get(j).is_some_and(|&c| c == b'\n' || c == b'\r') {
                            let marker = src[start..j].to_string();
                            stack.push(Frame::Heredoc { marker });
                            i = skip_line(b, j) + 1;
                        } else {
                            i = j;
                        }
                    }
                    b'0'..=b'9' => {
                        let word_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
                        // A digit continues a name (`a1`, `a-1`) or a number (`1.5`).
                        let prev_word = i > 0
                            && (word_byte(b[i - 1])
                                || b[i - 1] == b'.'
                                || (b[i - 1] == b'-' && i > 1 && word_byte(b[i - 2])));
                        let start = i;
                        while i < b.len() && b[i].is_ascii_digit() {
                            i += 1;
                        }
                        if prev_word {
                            continue;
                        }
                        if matches!(b.get(i), Some(b'e' | b'E')) {
                            let mut j = i + 1;
                            if matches!(b.get(j), Some(b'+' | b'-')) {
                                j += 1;
                            }
                            let digits = j;
                            while j < b.len() && b[j].is_ascii_digit() {
                                j += 1;
                            }
                            let ends_word = b
                                .get(j)
                                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
                            if j > digits && !ends_word {
                                let buf = out.get_or_insert_with(|| b.to_vec());
                                buf[start] = b'_';
                                for c in &mut buf[start + 1..j] {
                                    if matches!(*c, b'+' | b'-') {
                                        *c = b'_';
                                    }
                                }
                                i = j;
                            }
                        }
                    }
                    c if c.is_ascii_alphabetic() || c == b'_' => {
                        while i < b.len()
                            && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-'))
                        {
                            i += 1;
                        }
                    }
                    _ => i += 1,
                }
            }
            None => stack.push(Frame::Top(0)),
        }
    }
    out
}

enum Frame {
    Top(usize),
    Code(usize),
    Quoted,
    Heredoc { marker: String },
}

fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// True when `text` is an exponent literal without a fraction, as masked above.
pub(crate) fn is_bare_exponent(text: &str) -> bool {
    let t = text.as_bytes();
    let digits = t.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || !matches!(t.get(digits), Some(b'e' | b'E')) {
        return false;
    }
    let mut rest = &t[digits + 1..];
    if let Some(b'+' | b'-') = rest.first() {
        rest = &rest[1..];
    }
    !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(s: &str) -> String {
        mask_exponents(s)
            .map(|b| String::from_utf8(b).unwrap())
            .unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn masks_only_code_exponents() {
        assert_eq!(masked("a = 1e5\n"), "a = _e5\n");
        assert_eq!(masked("a = 12E-3 + 1\n"), "a = _2E_3 + 1\n");
        assert_eq!(masked("a = 1.5e3\n"), "a = 1.5e3\n");
        assert_eq!(masked("a = \"1e5\" # 1e5\n"), "a = \"1e5\" # 1e5\n");
        assert_eq!(masked("a = \"${1e5}\"\n"), "a = \"${_e5}\"\n");
        assert_eq!(
            masked("a = <<EOF\n1e5\nEOF\nb = 2e2\n"),
            "a = <<EOF\n1e5\nEOF\nb = _e2\n"
        );
        assert_eq!(masked("a = x1e5\n"), "a = x1e5\n");
        assert_eq!(masked("a = 1e5x\n"), "a = 1e5x\n");
        assert_eq!(masked("a = -123e+2\n"), "a = -_23e_2\n");
        assert_eq!(masked("a = b-1e5\n"), "a = b-1e5\n");
        assert!(is_bare_exponent("1e+5") && !is_bare_exponent("1.0e5") && !is_bare_exponent("e5"));
    }
}
