//! A reader for git's configuration files, strict enough that what it cannot read exactly is
//! reported as unreadable (and the repository then judged as one that may run programs).
//!
//! Grammar (git-config(1), "CONFIGURATION FILE"): `[section]`, `[section "subsection"]`,
//! legacy `[section.subsection]`; `name = value` or a bare `name` (true); `#`/`;` comments;
//! double quotes and `\"`, `\\`, `\n`, `\t`, `\b` escapes in values; a backslash at the end of a
//! line continues the value. A variable may follow its section header on the same line.

/// One `section.subsection.name = value` entry. Section and name are lowercased (git matches
/// them case-insensitively); the subsection keeps its case (git matches it exactly), except in
/// the legacy dotted form, which git lowercases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub section: String,
    pub subsection: Option<String>,
    pub name: String,
    /// `None` for a bare `name` (boolean true).
    pub value: Option<String>,
}

impl Entry {
    /// Whether the value is a true boolean as git reads one (`true`, `yes`, `on`, `1`, bare).
    pub fn is_true(&self) -> bool {
        match &self.value {
            None => true,
            Some(v) => {
                let v = v.trim().to_ascii_lowercase();
                matches!(v.as_str(), "true" | "yes" | "on")
                    || v.parse::<i64>().is_ok_and(|n| n != 0)
            }
        }
    }

    /// Whether the value is a false boolean (or empty, which git reads as false or unset).
    pub fn is_false(&self) -> bool {
        match &self.value {
            None => false,
            Some(v) => {
                let v = v.trim().to_ascii_lowercase();
                matches!(v.as_str(), "false" | "no" | "off" | "0" | "")
            }
        }
    }

    pub fn key(&self) -> String {
        match &self.subsection {
            Some(s) => format!("{}.{}.{}", self.section, s, self.name),
            None => format!("{}.{}", self.section, self.name),
        }
    }
}

/// Parses one configuration file's text. `Err` names the first thing not understood.
pub(super) fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let mut section: Option<(String, Option<String>)> = None;
    let at = |i: usize| chars.get(i).copied();
    while i < chars.len() {
        // Skip blanks and blank lines.
        while matches!(at(i), Some(' ' | '\t' | '\r' | '\n')) {
            i += 1;
        }
        match at(i) {
            None => break,
            Some('#' | ';') => {
                while !matches!(at(i), None | Some('\n')) {
                    i += 1;
                }
            }
            Some('[') => {
                i += 1;
                let mut name = String::new();
                while let Some(c) = at(i) {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        name.push(c.to_ascii_lowercase());
                        i += 1;
                    } else {
                        break;
                    }
                }
                if name.is_empty() {
                    return Err("empty section name".into());
                }
                match at(i) {
                    Some(']') => {
                        i += 1;
                        // Legacy `[section.sub]`: the subsection is lowercased by git.
                        section = Some(match name.split_once('.') {
                            Some((s, sub)) => (s.to_string(), Some(sub.to_string())),
                            None => (name, None),
                        });
                    }
                    Some(' ' | '\t') => {
                        while matches!(at(i), Some(' ' | '\t')) {
                            i += 1;
                        }
                        if at(i) != Some('"') || name.contains('.') {
                            return Err("bad section header".into());
                        }
                        i += 1;
                        let mut sub = String::new();
                        loop {
                            match at(i) {
                                None | Some('\n') => return Err("unterminated subsection".into()),
                                Some('\\') => {
                                    match at(i + 1) {
                                        None | Some('\n') => {
                                            return Err("bad escape in subsection".into())
                                        }
                                        Some(c) => sub.push(c),
                                    }
                                    i += 2;
                                }
                                Some('"') => {
                                    i += 1;
                                    break;
                                }
                                Some(c) => {
                                    sub.push(c);
                                    i += 1;
                                }
                            }
                        }
                        if at(i) != Some(']') {
                            return Err("bad section header".into());
                        }
                        i += 1;
                        section = Some((name, Some(sub)));
                    }
                    _ => return Err("bad section header".into()),
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let Some((sec, sub)) = &section else {
                    return Err("variable outside any section".into());
                };
                let mut name = String::new();
                while let Some(c) = at(i) {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        name.push(c.to_ascii_lowercase());
                        i += 1;
                    } else {
                        break;
                    }
                }
                while matches!(at(i), Some(' ' | '\t')) {
                    i += 1;
                }
                let value = match at(i) {
                    None | Some('\n') => None,
                    Some('\r') if at(i + 1) == Some('\n') => None,
                    Some('#' | ';') => {
                        while !matches!(at(i), None | Some('\n')) {
                            i += 1;
                        }
                        None
                    }
                    Some('=') => {
                        i += 1;
                        let (v, next) = value(&chars, i)?;
                        i = next;
                        Some(v)
                    }
                    _ => return Err("bad variable line".into()),
                };
                out.push(Entry {
                    section: sec.clone(),
                    subsection: sub.clone(),
                    name,
                    value,
                });
            }
            Some(_) => return Err("line not understood".into()),
        }
    }
    Ok(out)
}

/// Reads a value from `start` to the end of its (possibly continued) line.
fn value(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut i = start;
    let mut out = String::new();
    let mut quoted = false;
    // Blanks outside quotes are kept only between other characters.
    let mut pending_space = String::new();
    let mut started = false;
    loop {
        let Some(c) = chars.get(i).copied() else {
            if quoted {
                return Err("unterminated quote".into());
            }
            break;
        };
        match c {
            '\n' => {
                if quoted {
                    return Err("newline inside quotes".into());
                }
                break;
            }
            '\r' if chars.get(i + 1) == Some(&'\n') && !quoted => {
                i += 1;
                continue;
            }
            '#' | ';' if !quoted => {
                while !matches!(chars.get(i), None | Some('\n')) {
                    i += 1;
                }
                break;
            }
            ' ' | '\t' if !quoted => {
                if started {
                    pending_space.push(c);
                }
                i += 1;
            }
            '"' => {
                out.push_str(&pending_space);
                pending_space.clear();
                started = true;
                quoted = !quoted;
                i += 1;
            }
            '\\' => {
                let next = chars.get(i + 1).copied();
                out.push_str(&pending_space);
                pending_space.clear();
                match next {
                    Some('\n') => {
                        i += 2;
                        continue;
                    }
                    Some('\r') if chars.get(i + 2) == Some(&'\n') => {
                        i += 3;
                        continue;
                    }
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('b') => out.push('\u{8}'),
                    _ => return Err("bad escape in value".into()),
                }
                started = true;
                i += 2;
            }
            c => {
                out.push_str(&pending_space);
                pending_space.clear();
                started = true;
                out.push(c);
                i += 1;
            }
        }
    }
    Ok((out, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, Option<String>)> {
        parse(text)
            .expect("parses")
            .into_iter()
            .map(|e| (e.key(), e.value))
            .collect()
    }

    #[test]
    fn reads_sections_subsections_and_values() {
        let k = keys(
            "\u{feff}# c\n[core]\n\tFsMonitor = \"touch x\" ; c\n\tbare\n[diff \"Tex\"]\n\
             textconv = a\\\n b\n[Remote.Origin] url = u # c\n",
        );
        assert_eq!(
            k,
            vec![
                ("core.fsmonitor".into(), Some("touch x".into())),
                ("core.bare".into(), None),
                ("diff.Tex.textconv".into(), Some("a b".into())),
                ("remote.origin.url".into(), Some("u".into())),
            ]
        );
    }

    #[test]
    fn refuses_what_it_cannot_read_exactly() {
        for bad in [
            "fsmonitor = x\n",
            "[core\nx=1\n",
            "[core]\n=x\n",
            "[core]\nx = \"a\n",
            "[core]\nx = a\\q\n",
            "[a \"b\n",
            "[core]\n\u{e9}=1\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn booleans() {
        let e = |v: Option<&str>| Entry {
            section: "s".into(),
            subsection: None,
            name: "n".into(),
            value: v.map(str::to_string),
        };
        assert!(e(None).is_true());
        assert!(e(Some("Yes")).is_true());
        assert!(e(Some("2")).is_true());
        assert!(e(Some("off")).is_false());
        assert!(e(Some("")).is_false());
        assert!(!e(Some("touch x")).is_false());
    }
}
