//! Text shown to people: find what hides, escape what would mislead.
//!
//! A summary must show what runs. Control characters, ANSI escapes, zero-width and bidi
//! characters are rendered as visible `\u{…}` escapes, and words that mix scripts (a Cyrillic
//! `а` inside a Latin word) are flagged, because a person cannot see the difference.

/// What [`scan`] found in a piece of text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    pub notes: Vec<String>,
}

impl Hidden {
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }
    fn note(&mut self, s: String) {
        if !self.notes.contains(&s) && self.notes.len() < 16 {
            self.notes.push(s);
        }
    }
}

/// Characters that change how text looks without looking like anything themselves.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Armenian,
    Other,
}

fn script(c: char) -> Option<Script> {
    if c.is_ascii_alphabetic() {
        return Some(Script::Latin);
    }
    if c.is_ascii() || !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0x00C0..=0x024F | 0x1E00..=0x1EFF | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x0530..=0x058F => Script::Armenian,
        _ => Script::Other,
    })
}

/// Finds hidden or misleading characters in `text`.
pub fn scan(text: &str) -> Hidden {
    let mut found = Hidden::default();
    for c in text.chars() {
        match c {
            '\u{1B}' => found.note("ANSI escape sequence".into()),
            '\n' | '\t' => {}
            '\r' => found.note("carriage return (can hide text on a terminal)".into()),
            c if c.is_control() => found.note(format!("control character U+{:04X}", c as u32)),
            c if is_bidi(c) => found.note(format!("bidirectional override U+{:04X}", c as u32)),
            c if is_invisible(c) => found.note(format!("invisible character U+{:04X}", c as u32)),
            c if is_confusable_punctuation(c) => {
                found.note(format!("look-alike punctuation `{c}` U+{:04X}", c as u32))
            }
            '\u{FF01}'..='\u{FF5E}' => {
                found.note(format!("full-width look-alike `{c}` U+{:04X}", c as u32))
            }
            _ => {}
        }
    }
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let mut seen: Option<Script> = None;
        for c in word.chars() {
            if let Some(s) = script(c) {
                match seen {
                    None => seen = Some(s),
                    Some(prev) if prev != s => {
                        found.note(format!(
                            "mixed scripts in `{}` (look-alike letters)",
                            escape(word)
                        ));
                        break;
                    }
                    _ => {}
                }
            }
        }
        if seen.is_some_and(|s| s != Script::Latin) && !word.is_ascii() {
            // A whole word in Cyrillic or Greek can still spell a Latin command (`сurl`).
            if word.chars().all(|c| is_latin_lookalike(c) || c.is_ascii()) {
                found.note(format!(
                    "`{}` is made of Latin look-alike letters",
                    escape(word)
                ));
            }
        }
    }
    found
}

/// Punctuation that renders like the ASCII characters shells and paths give meaning to
/// (`/`, `.`, `-`, `;`, `|`, quotes).
fn is_confusable_punctuation(c: char) -> bool {
    matches!(c,
        '\u{2215}' | '\u{2044}' | '\u{29F8}' | '\u{2216}' | '\u{29F5}' | '\u{FE68}'
        | '\u{2024}' | '\u{2025}' | '\u{FE52}' | '\u{0701}' | '\u{0702}' | '\u{A4F8}'
        | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{02D7}' | '\u{2043}'
        | '\u{037E}' | '\u{FE54}' | '\u{2223}' | '\u{01C0}' | '\u{05C0}' | '\u{2502}'
        | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{201C}'..='\u{201F}'
        | '\u{02BC}' | '\u{02B9}' | '\u{02BA}' | '\u{2032}' | '\u{2033}' | '\u{00A0}'
        | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{1680}')
}

/// Cyrillic and Greek letters that render like Latin ones.
fn is_latin_lookalike(c: char) -> bool {
    "аеорсухіјѕԁһӏпмтвкнАВЕКМНОРСТХІЈЅԌαοτνρικΑΒΕΖΗΙΚΜΝΟΡΤΥΧ".contains(c)
}

/// Renders `text` so that every character a person sees is one that is there: control,
/// invisible and bidi characters become `\u{XXXX}`; newlines and tabs are kept; backslashes
/// are left as they are.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_invisible(c) || is_bidi(c) => {
                out.push_str(&format!("\\u{{{:04X}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Like [`escape`] but also makes newlines and tabs visible, for one-line displays.
pub fn escape_line(text: &str) -> String {
    escape(text).replace('\n', "\\n").replace('\t', "\\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_each_class_of_hidden_text() {
        assert!(scan("ls -la").is_empty());
        assert!(scan("grep -n 'fn main' src/*.rs").is_empty());
        assert!(!scan("ls\u{1b}[2K; rm -rf ~").is_empty());
        assert!(!scan("ls\u{200b}").is_empty());
        assert!(!scan("echo \u{202e}fdp.exe").is_empty());
        assert!(
            !scan("rм -rf x").is_empty(),
            "Cyrillic em inside a Latin word"
        );
        assert!(!scan("сurl x").is_empty(), "Cyrillic es");
        assert!(!scan("ls\r").is_empty());
        assert!(!scan("ｒｍ").is_empty());
        assert!(
            scan("echo héllo wörld").is_empty(),
            "accented Latin is fine"
        );
    }

    #[test]
    fn escape_makes_hidden_characters_visible() {
        assert_eq!(escape("a\u{200b}b"), "a\\u{200B}b");
        assert_eq!(escape("\u{1b}[31m"), "\\u{001B}[31m");
        assert_eq!(escape_line("a\nb"), "a\\nb");
    }
}
