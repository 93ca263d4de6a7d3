//! Credentials recognised by their text, the way secret scanners do: a small rule table in
//! the style of gitleaks (`config/gitleaks.toml`, v8.x) — one regex per credential format with
//! a fixed, documented prefix — plus a generic `password=`/`api_key=` rule gated by entropy.
//!
//! The same detector decides two things: whether a file about to be read holds a credential
//! (Read/Grep, before the client opens it) and whether an outgoing request (WebFetch URL,
//! WebSearch query, MCP arguments, a network program's arguments) carries one. Callers get the
//! NAME of the rule that matched, never the value.

use regex::Regex;
use std::sync::OnceLock;

/// How much of a file is looked at before it is read.
pub(crate) const CONTENT_LIMIT: usize = 64 * 1024;

struct Rule {
    name: &'static str,
    re: Regex,
}

/// (name, pattern). Patterns anchor on the provider's fixed prefix so that ordinary text
/// does not match; lengths follow the providers' documented formats (and gitleaks' rules).
const RULES: &[(&str, &str)] = &[
    (
        "private key",
        r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----",
    ),
    (
        "AWS access key id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
    ),
    (
        "GitHub token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b",
    ),
    (
        "GitHub fine-grained token",
        r"\bgithub_pat_[A-Za-z0-9_]{60,255}",
    ),
    ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    (
        "Slack webhook",
        r"hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/]{20,}",
    ),
    ("Stripe live key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}"),
    ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    (
        "OpenAI API key",
        r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
    ),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("Google OAuth client secret", r"\bGOCSPX-[A-Za-z0-9_-]{28}"),
    (
        "JSON web token",
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    ),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    ("Hugging Face token", r"\bhf_[A-Za-z]{34}\b"),
    (
        "SendGrid key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    ),
    ("DigitalOcean token", r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    ("Shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    (
        "Doppler token",
        r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}",
    ),
    ("Vault token", r"\bhvs\.[A-Za-z0-9_-]{90,}"),
    ("Azure storage key", r"AccountKey=[A-Za-z0-9+/]{80,}={0,2}"),
    (
        "password in a URL",
        r"\b[a-z][a-z0-9+.-]{1,20}://[^/\s:@]{1,64}:[^/\s@]{3,128}@[A-Za-z0-9.-]+",
    ),
];

/// `key = value` with a credential-like key; the value is then judged by [`looks_live`].
const ASSIGNMENT: &str = r#"(?i)(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key|bearer|token)["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9+/=_.~!@#$%^&*-]{12,})"#;

/// `Authorization: Bearer …` / `Basic …` headers.
const AUTH_HEADER: &str =
    r"(?i)authorization\s*[:=]\s*(?:bearer|basic|token)\s+([A-Za-z0-9+/=_.~-]{16,})";

fn rules() -> &'static [Rule] {
    static RULES_C: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES_C.get_or_init(|| {
        RULES
            .iter()
            .filter_map(|(name, pat)| Regex::new(pat).ok().map(|re| Rule { name, re }))
            .collect()
    })
}

fn assignment() -> Option<&'static Regex> {
    static A: OnceLock<Option<Regex>> = OnceLock::new();
    A.get_or_init(|| Regex::new(ASSIGNMENT).ok()).as_ref()
}

fn auth_header() -> Option<&'static Regex> {
    static A: OnceLock<Option<Regex>> = OnceLock::new();
    A.get_or_init(|| Regex::new(AUTH_HEADER).ok()).as_ref()
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Documentation placeholders and obvious non-values (gitleaks' allowlist does the same).
fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "example",
        "changeme",
        "change_me",
        "your_",
        "your-",
        "xxxx",
        "****",
        "placeholder",
        "dummy",
        "redacted",
        "sample",
        "12345678",
        "abcdefgh",
        "password",
        "secret",
        "${",
        "{{",
    ]
    .iter()
    .any(|p| l.contains(p))
}

/// A value that looks like a real credential rather than a word, a variable or a template.
fn looks_live(v: &str) -> bool {
    let v = v.trim_end_matches(['"', '\'', ',', ';']);
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = v.bytes().any(|b| b.is_ascii_alphabetic());
    v.len() >= 12 && has_digit && has_alpha && !placeholder(v) && entropy(v) >= 3.5
}

/// The names of the credential kinds found in `text` (at most a few, never the values).
pub(crate) fn find(text: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut push = |n: &'static str| {
        if !out.contains(&n) && out.len() < 4 {
            out.push(n);
        }
    };
    for r in rules() {
        if r.re.find_iter(text).any(|m| !placeholder(m.as_str())) {
            push(r.name);
        }
    }
    for (re, name) in [
        (assignment(), "credential assignment"),
        (auth_header(), "authorization header"),
    ] {
        if let Some(re) = re {
            if re
                .captures_iter(text)
                .any(|c| c.get(1).is_some_and(|m| looks_live(m.as_str())))
            {
                push(name);
            }
        }
    }
    out
}

/// Rules whose matches are credentials beyond doubt (a provider's own prefix, a private key);
/// the others (a JWT, `password=`, an `Authorization` header, a password in a URL) often
/// appear as test data and documentation.
pub(crate) fn is_strong(name: &str) -> bool {
    !matches!(
        name,
        "JSON web token" | "credential assignment" | "authorization header" | "password in a URL"
    )
}

/// What a file holds at its start (bounded), as credential names. `None` when the file
/// cannot be opened as a regular file (then nothing is known about it).
pub(crate) fn in_file(path: &std::path::Path) -> Option<Vec<&'static str>> {
    use std::io::Read;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(CONTENT_LIMIT.min(usize::try_from(meta.len()).unwrap_or(0)));
    f.take(CONTENT_LIMIT as u64).read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    Some(find(&text))
}

#[cfg(test)]
mod tests {
    use super::find;

    // Built at run time so that this file holds no credential-shaped literal of its own.
    fn k(parts: &[&str]) -> String {
        parts.concat()
    }

    #[test]
    fn known_formats_are_found() {
        let cases = [
            (
                k(&["-----BEGIN OPENSSH ", "PRIVATE KEY-----\nb3Blbn"]),
                "private key",
            ),
            (k(&["-----BEGIN RSA ", "PRIVATE KEY-----"]), "private key"),
            (k(&["id = AKIA", "Q3EGRIQTZ7VK5W2M"]), "AWS access key id"),
            (
                k(&["token: ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"]),
                "GitHub token",
            ),
            (k(&["xoxb-", "730192846573-Zq8LmN4pR7tV2w"]), "Slack token"),
            (
                k(&["sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"]),
                "Stripe live key",
            ),
            (
                k(&["sk-ant-api03-", "Zx9_k2LmQ4rT7vW1yB3nP5sD8fG0hJ6kL"]),
                "Anthropic API key",
            ),
            (
                k(&["sk-proj-", "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv12"]),
                "OpenAI API key",
            ),
            (
                k(&["AIza", "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"]),
                "Google API key",
            ),
            (
                k(&[
                    "eyJhbGciOiJIUzI1NiJ9",
                    ".eyJzdWIiOiIxMjM0NTY3ODkwIn0",
                    ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                ]),
                "JSON web token",
            ),
            (
                k(&["DB_PASSWORD=", "h7Gq2mZx9LpR4tVw"]),
                "credential assignment",
            ),
            (
                k(&["\"api_key\": \"", "9f8e7d6c5b4a3F2E1D0C\""]),
                "credential assignment",
            ),
            (
                k(&["Authorization: Bearer ", "a8F3kL9mQ2xZ7pR4tV6w"]),
                "authorization header",
            ),
            (
                k(&["postgres://app:", "s3cr3tPw@db.internal:5432/app"]),
                "password in a URL",
            ),
        ];
        for (text, name) in cases {
            let got = find(&text);
            assert!(got.contains(&name), "{name} not found, got {got:?}");
        }
    }

    #[test]
    fn ordinary_text_is_not_a_credential() {
        for text in [
            "fn main() { println!(\"hello\"); }",
            "password = os.environ.get(\"DB_PASSWORD\")",
            "api_key = ${API_KEY}",
            "API_KEY=your_api_key_here",
            "token: <your token>",
            "AWS key AKIAIOSFODNN7EXAMPLE from the docs",
            "secret_key_base = Rails.application.credentials",
            "password=changeme123456",
            "The JWT starts with eyJ and has three parts.",
            "url = https://github.com/acme/app.git",
            "sk-this-is-not-a-key",
            "let access_token = get_token(&client);",
        ] {
            assert!(
                find(text).is_empty(),
                "false positive on {text:?}: {:?}",
                find(text)
            );
        }
    }

    #[test]
    fn names_never_values() {
        let secret = k(&["ghp_", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"]);
        for n in find(&secret) {
            assert!(!secret.contains(n));
        }
    }
}
