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
    while i < chars.len() {
        let at_boundary = i == 0 || !is_token_char(chars[i - 1]);
        if at_boundary {
            if let Some((len, label)) = credential_at(&chars[i..]) {
                out.push_str(&format!("[REDACTED:{label}]"));
                i += len;
                continue;
            }
            if let Some(len) = bearer_at(&chars[i..]) {
                out.push_str("Bearer [REDACTED:bearer-token]");
                i += len;
                continue;
            }
        }
        // user:password@ in URLs
        if chars[i] == ':' && i >= 3 && !chars[..i].ends_with(&['/', '/']) {
            if let Some(len) = url_password_at(&chars, i) {
                out.push_str(":[REDACTED:url-password]@");
                i += len;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn credential_at(rest: &[char]) -> Option<(usize, &'static str)> {
    for (prefix, label) in PREFIXES {
        let p: Vec<char> = prefix.chars().collect();
        if rest.len() > p.len() && rest[..p.len()] == p[..] {
            let tail = rest[p.len()..]
                .iter()
                .take_while(|c| is_token_char(**c))
                .count();
            if tail >= 16 {
                return Some((p.len() + tail, label));
            }
        }
    }
    None
}

fn bearer_at(rest: &[char]) -> Option<usize> {
    let word: String = rest.iter().take(7).collect();
    if !word.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let tail = rest[7..].iter().take_while(|c| is_token_char(**c)).count();
    (tail >= 8).then_some(7 + tail)
}

/// At a `:` inside `scheme://user:password@host`, the length from `:` through `@`.
fn url_password_at(chars: &[char], colon: usize) -> Option<usize> {
    // Walk back over the user name to find `://`.
    let mut j = colon;
    while j > 0 && !matches!(chars[j - 1], '/' | '@' | ' ' | '"' | '\'' | ':') {
        j -= 1;
    }
    if j < 3 || chars[j - 1] != '/' || chars[j - 2] != '/' || chars[j - 3] != ':' {
        return None;
    }
    let mut k = colon + 1;
    while k < chars.len() && !matches!(chars[k], '@' | '/' | ' ' | '"' | '\'') {
        k += 1;
    }
    (k < chars.len() && chars[k] == '@' && k > colon + 1).then_some(k - colon + 1)
}

fn redact_private_keys(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN ";
    if !text.contains(BEGIN) {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let header_end = rest[start..].find("-----\n").map(|e| start + e);
        let is_key = rest[start..]
            .lines()
            .next()
            .is_some_and(|l| l.contains("PRIVATE KEY"));
        if !is_key || header_end.is_none() {
            out.push_str(&rest[..start + BEGIN.len()]);
            rest = &rest[start + BEGIN.len()..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str("[REDACTED:private-key]");
        match rest[start..].find("-----END ") {
            Some(end) => {
                let after = start + end + "-----END ".len();
                let close = rest[after..].find("-----").map(|c| after + c + 5);
                rest = &rest[close.unwrap_or(rest.len())..];
            }
            None => rest = "",
        }
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
    fn short_values_and_ordinary_text_survive() {
        let r = Redactor::new([("PORT".into(), "80".into())]);
        assert_eq!(r.redact("listen on 80, sk-short"), "listen on 80, sk-short");
    }
}
