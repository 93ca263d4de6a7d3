//! Redaction: secrets never reach a log, an export, a prompt or an error message.
//!
//! Two sources of secrets are recognised: the *values* of protected environment variables the
//! caller hands over (Assent's own environment, read by the binary, not here), and credential
//! *shapes* (API keys, bearer tokens, private keys, passwords in URLs). Both are replaced by
//! `[REDACTED:<label>]` before any text is written anywhere.

/// The protected environment variables of the shipped configuration (PRODUCT.md): exact
/// names or `*` patterns. Never shown, logged or changed.
pub const DEFAULT_PROTECTED_ENV: &[&str] = &[
    "PORT",
    "WEB_UI_HOST",
    "SEARXNG_URL",
    "*_KEY",
    "*_TOKEN",
    "*_SECRET",
    "*PASSWORD*",
    "*_API_KEY",
    "*_ACCESS_KEY*",
    "*_CREDENTIALS*",
    "DATABASE_URL",
    "ASSENT_*",
];

/// Values shorter than this are not redacted by value: redacting `80` everywhere would make
/// every number unreadable while protecting nothing.
pub const MIN_SECRET_LEN: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (label, value) pairs, longest value first so that overlapping values redact fully.
    values: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor that hides these values (for example protected variables' values) and every
    /// recognised credential shape.
    pub fn new(values: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut values: Vec<(String, String)> = values
            .into_iter()
            .filter(|(_, v)| v.chars().count() >= MIN_SECRET_LEN)
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.1.len()));
        Redactor { values }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (label, value) in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("[REDACTED:{label}]"));
            }
        }
        redact_shapes(&out)
    }

    /// Redacts every string inside a JSON value, keys included.
    pub fn redact_json(&self, v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => Value::String(self.redact(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.redact_json(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (self.redact(k), self.redact_json(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Known credential prefixes: a token that starts with one of these and continues with at
/// least 16 token characters is a credential.
const PREFIXES: &[(&str, &str)] = &[
    ("sk-ant-", "anthropic-key"),
    ("sk-proj-", "openai-key"),
    ("sk-", "api-key"),
    ("ghp_", "github-token"),
    ("gho_", "github-token"),
    ("ghu_", "github-token"),
    ("ghs_", "github-token"),
    ("ghr_", "github-token"),
    ("github_pat_", "github-token"),
    ("glpat-", "gitlab-token"),
    ("xoxb-", "slack-token"),
    ("xoxp-", "slack-token"),
    ("xoxa-", "slack-token"),
    ("AKIA", "aws-access-key"),
    ("ASIA", "aws-access-key"),
    ("AIza", "google-api-key"),
    ("hf_", "huggingface-token"),
    ("npm_", "npm-token"),
    ("pypi-", "pypi-token"),
    ("sk_live_", "stripe-key"),
    ("rk_live_", "stripe-key"),
    ("eyJ", "jwt"),
];

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=')
}

/// Replaces credential shapes in `text`.
pub fn redact_shapes(text: &str) -> String {
    let text = redact_private_keys(text);
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    // `done` is what has been scanned, `rest` starts at the current character.
    while let Some((done, rest)) = chars.split_at_checked(i) {
        let Some(&c) = rest.first() else { break };
        // A credential starts where a word starts: after `=`, `/`, `:` or a quote too
        // (`GITHUB_TOKEN=ghp_…`, `https://x/ghp_…`), never inside a word (`desk-…`).
        let at_boundary = done
            .last()
            .is_none_or(|p| !(p.is_alphanumeric() || *p == '_'));
        if at_boundary {
            if let Some((len, label)) = credential_at(rest) {
                out.push_str(&format!("[REDACTED:{label}]"));
                i += len;
                continue;
            }
            if let Some(len) = bearer_at(rest) {
                out.push_str("Bearer [REDACTED:bearer-token]");
                i += len;
                continue;
            }
        }
        // user:password@ in URLs
        if c == ':' && done.len() >= 3 && !done.ends_with(&['/', '/']) {
            if let Some(len) = url_password_at(done, rest) {
                out.push_str(":[REDACTED:url-password]@");
                i += len;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn credential_at(rest: &[char]) -> Option<(usize, &'static str)> {
    // Assent's own bearer tokens: `ast_` and 64 hex digits. Matched on the hex alone so that
    // identifiers such as `ast_node_visitor_function` stay readable.
    if let Some(after) = rest.strip_prefix(&['a', 's', 't', '_']) {
        let hex = after.iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if hex >= 32 {
            let tail = after.iter().take_while(|c| is_token_char(**c)).count();
            return Some((4 + tail, "assent-token"));
        }
    }
    for (prefix, label) in PREFIXES {
        let p: Vec<char> = prefix.chars().collect();
        if let Some(after) = rest.strip_prefix(p.as_slice()) {
            let tail = after.iter().take_while(|c| is_token_char(**c)).count();
            if tail >= 16 {
                return Some((p.len() + tail, label));
            }
        }
    }
    None
}

fn bearer_at(rest: &[char]) -> Option<usize> {
    let (word, after) = rest.split_at_checked(7)?;
    let word: String = word.iter().collect();
    if !word.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let tail = after.iter().take_while(|c| is_token_char(**c)).count();
    (tail >= 8).then_some(7 + tail)
}

/// Inside `scheme://user:password@host`, with `before` ending just before the `:` and `from`
/// starting at it: the length from `:` through `@`.
fn url_password_at(before: &[char], from: &[char]) -> Option<usize> {
    // Walk back over the user name to find `://`.
    let user = before
        .iter()
        .rev()
        .take_while(|c| !matches!(c, '/' | '@' | ' ' | '"' | '\'' | ':'))
        .count();
    let scheme_end = before.get(..before.len() - user)?;
    if !scheme_end.ends_with(&[':', '/', '/']) {
        return None;
    }
    let password = from.get(1..)?;
    let len = password
        .iter()
        .take_while(|c| !matches!(c, '@' | '/' | ' ' | '"' | '\''))
        .count();
    (len > 0 && password.get(len) == Some(&'@')).then_some(len + 2)
}

fn redact_private_keys(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN ";
    if !text.contains(BEGIN) {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    // None of the markers searched for after `BEGIN` can overlap it, so searching the text
    // after it finds what a search from its start would.
    while let Some((before, after_begin)) = rest.split_once(BEGIN) {
        let header_closed = after_begin.contains("-----\n");
        let is_key = after_begin
            .lines()
            .next()
            .is_some_and(|l| l.contains("PRIVATE KEY"));
        out.push_str(before);
        if !is_key || !header_closed {
            out.push_str(BEGIN);
            rest = after_begin;
            continue;
        }
        out.push_str("[REDACTED:private-key]");
        rest = after_begin
            .split_once("-----END ")
            .and_then(|(_, after_end)| after_end.split_once("-----"))
            .map_or("", |(_, after_close)| after_close);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_values_and_shapes() {
        let r = Redactor::new([("OPENAI_API_KEY".into(), "sk-abcdefghijklmnop1234".into())]);
        let out = r.redact("curl -H 'Authorization: Bearer abcdef123456789' https://u:hunter22@x.io sk-abcdefghijklmnop1234 ghp_0123456789abcdefghij AKIAABCDEFGHIJKLMNOP");
        for secret in [
            "abcdef123456789",
            "hunter22",
            "sk-abcdefghijklmnop1234",
            "ghp_0123456789abcdefghij",
            "AKIAABCDEFGHIJKLMNOP",
        ] {
            assert!(!out.contains(secret), "{secret} leaked in {out}");
        }
        assert!(
            out.contains("https://u:[REDACTED:url-password]@x.io"),
            "{out}"
        );
    }

    #[test]
    fn redacts_private_keys() {
        let key = "x\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretbody\n-----END OPENSSH PRIVATE KEY-----\ny";
        let out = redact_shapes(key);
        assert!(!out.contains("AAAAsecretbody"));
        assert!(out.starts_with('x') && out.ends_with('y'));
    }

    #[test]
    fn credentials_after_an_equals_sign_or_a_slash_are_redacted() {
        for text in [
            "GITHUB_TOKEN=ghp_Zq8rT2mW5xK9pL3vN7bC1dF6gH4jS0aYuEZq",
            "https://api.example.com/v1/ghp_Zq8rT2mW5xK9pL3vN7bC1dF6gH4jS0aYuEZq",
            "key:AKIAABCDEFGHIJKLMNOP",
            "a+sk-ant-api03-abcdefghijklmnopqrstu",
        ] {
            let out = redact_shapes(text);
            assert!(out.contains("[REDACTED:"), "{text} → {out}");
            assert!(
                !out.contains("Zq8rT2mW5xK9pL3vN7bC1dF6gH4jS0aYuEZq"),
                "{out}"
            );
        }
        // Inside a word it is not a prefix: `desk-` is not `sk-`.
        assert_eq!(
            redact_shapes("desk-abcdefghijklmnopqrstuvwxyz"),
            "desk-abcdefghijklmnopqrstuvwxyz"
        );
    }

    #[test]
    fn redacts_assent_tokens_but_not_identifiers() {
        let token = format!("ast_{}", "0123456789abcdef".repeat(4));
        let out = redact_shapes(&format!("echo {token} | ast_node_visitor_function_name"));
        assert!(!out.contains("0123456789abcdef0123"), "{out}");
        assert!(out.contains("[REDACTED:assent-token]"), "{out}");
        assert!(out.contains("ast_node_visitor_function_name"), "{out}");
    }

    #[test]
    fn short_values_and_ordinary_text_survive() {
        let r = Redactor::new([("PORT".into(), "80".into())]);
        assert_eq!(r.redact("listen on 80, sk-short"), "listen on 80, sk-short");
    }
}
