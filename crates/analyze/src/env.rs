//! Protected environment variables: exact names and `*` patterns, matched case-insensitively
//! (a shell on another system may not care about case, and a false "protected" only asks).

#[derive(Debug, Clone, Default)]
pub struct EnvMatcher {
    patterns: Vec<String>,
}

impl EnvMatcher {
    pub fn new(patterns: &[String]) -> EnvMatcher {
        EnvMatcher {
            patterns: patterns.iter().map(|p| p.to_ascii_uppercase()).collect(),
        }
    }

    /// Protected by name, or by value: a variable of any name whose value in this process's
    /// environment (which the hook inherits from the agent) holds something shaped like a
    /// live credential — `HTTPS_PROXY=http://user:pass@proxy`, `REDIS_URL=redis://:pw@h`,
    /// `SENTRY_DSN`, a token under an unusual name — is a secret too.
    pub fn is_protected(&self, name: &str) -> bool {
        let upper = name.to_ascii_uppercase();
        self.patterns
            .iter()
            .any(|p| wildcard(p.as_bytes(), upper.as_bytes()))
            || value_holds_credential(name)
    }

    /// Protected names that occur as words inside `text` (for code given to interpreters).
    pub fn mentioned_in(&self, text: &str) -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.len() >= 3 && w.chars().next().is_some_and(|c| !c.is_ascii_digit()))
            .filter(|w| w.chars().any(|c| c.is_ascii_uppercase()) && self.is_protected(w))
            .map(str::to_string)
            .collect()
    }
}

/// Whether the variable's current value holds something shaped like a live credential.
fn value_holds_credential(name: &str) -> bool {
    if name.is_empty() || name.contains(['=', '\0']) {
        return false;
    }
    std::env::var_os(name).is_some_and(|v| {
        let v = v.to_string_lossy();
        v.len() <= 64 * 1024 && !crate::secrets::find(&v).is_empty()
    })
}

/// `*` matches any run of characters; everything else matches itself.
fn wildcard(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while let Some(&sc) = s.get(si) {
        let pc = p.get(pi).copied();
        if pc.is_some_and(|c| c != b'*' && c == sc) {
            pi += 1;
            si += 1;
        } else if pc == Some(b'*') {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&b'*') {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_names_and_patterns() {
        let m = EnvMatcher::new(&["PORT".into(), "*_KEY".into(), "*PASSWORD*".into()]);
        assert!(m.is_protected("PORT"));
        assert!(m.is_protected("port"));
        assert!(m.is_protected("OPENAI_API_KEY"));
        assert!(m.is_protected("DB_PASSWORD_FILE"));
        assert!(!m.is_protected("PORTABLE"));
        assert!(!m.is_protected("HOME"));
        // By value (tests/env_values.rs sets the variables: one test per process).
        assert_eq!(
            m.mentioned_in("print(os.environ['OPENAI_API_KEY'])"),
            vec!["OPENAI_API_KEY"]
        );
    }
}
