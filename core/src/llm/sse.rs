//! Server-sent events read from a byte stream, as the WHATWG spec frames
//! them: `event:` and `data:` lines, dispatched on a blank line.

use std::io::BufRead;

/// One dispatched event.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Event {
    /// `event:`'s value; empty when the server sent none (OpenAI).
    pub name: String,
    /// The `data:` lines joined by newlines.
    pub data: String,
}

/// Reads events until the stream ends, giving each to `on_event`; stops
/// early when it returns false.
pub(crate) fn read(
    reader: impl BufRead,
    mut on_event: impl FnMut(Event) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    let mut event = Event::default();
    let mut has_data = false;
    for line in reader.lines() {
        let line = line?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if line.is_empty() {
            if has_data && !on_event(std::mem::take(&mut event))? {
                return Ok(());
            }
            event = Event::default();
            has_data = false;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event.name = value.to_string(),
            "data" => {
                if has_data {
                    event.data.push('\n');
                }
                event.data.push_str(value);
                has_data = true;
            }
            _ => {}
        }
    }
    if has_data {
        on_event(event)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Event> {
        let mut out = Vec::new();
        read(text.as_bytes(), |e| {
            out.push(e);
            Ok(true)
        })
        .unwrap();
        out
    }

    #[test]
    fn frames_as_the_spec_says() {
        let got = all(": comment\r\nevent: a\r\ndata: 1\r\ndata:2\r\n\r\ndata: x\n\nevent: empty\n\ndata: last");
        assert_eq!(
            got,
            vec![
                Event {
                    name: "a".into(),
                    data: "1\n2".into()
                },
                Event {
                    name: "".into(),
                    data: "x".into()
                },
                Event {
                    name: "".into(),
                    data: "last".into()
                },
            ]
        );
    }
}
