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

/// One credential format: the literals one of which must occur (a cheap test before any
/// regex runs; lower-case for case-insensitive rules) and the pattern. Patterns are ASCII-only
/// (`(?-u:\b)`, no Unicode classes) and use open-ended counts: both keep them small to build.
struct Rule {
    name: &'static str,
    needles: &'static [&'static str],
    case_insensitive: bool,
    pattern: &'static str,
    /// The value is in group 1 and must look live ([`looks_live`]).
    gated: bool,
}

const fn r(name: &'static str, needles: &'static [&'static str], pattern: &'static str) -> Rule {
    Rule {
        name,
        needles,
        case_insensitive: false,
        pattern,
        gated: false,
    }
}

/// Patterns anchor on the provider's fixed prefix so that ordinary text does not match;
/// lengths follow the providers' documented formats (and gitleaks' rules).
const RULES: &[Rule] = &[
    // Header, a body of at least 64 characters and the footer, as gitleaks' rule: a bare
    // header in a test or a document is not a key.
    r(
        "private key",
        &["PRIVATE KEY"],
        r"-----BEGIN[ A-Z0-9_-]{0,30}PRIVATE KEY(?: BLOCK)?-----[ \t\r\nA-Za-z0-9+/=:,.-]{64,}?-----END[ A-Z0-9_-]{0,30}PRIVATE KEY(?: BLOCK)?-----",
    ),
    r(
        "AWS access key id",
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?-u:\b)",
    ),
    r(
        "GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"(?-u:\b)(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}",
    ),
    r(
        "GitHub fine-grained token",
        &["github_pat_"],
        r"github_pat_[A-Za-z0-9_]{60,}",
    ),
    r("GitLab token", &["glpat-"], r"glpat-[A-Za-z0-9_-]{20,}"),
    r(
        "Slack token",
        &["xox"],
        r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,}",
    ),
    r(
        "Slack webhook",
        &["hooks.slack.com"],
        r"hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/]{20,}",
    ),
    r(
        "Stripe live key",
        &["_live_"],
        r"(?-u:\b)(?:sk|rk)_live_[A-Za-z0-9]{20,}",
    ),
    r(
        "Anthropic API key",
        &["sk-ant-"],
        r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,}",
    ),
    r(
        "OpenAI API key",
        &["T3BlbkFJ", "sk-proj-", "sk-svcacct-", "sk-admin-"],
        r"(?-u:\b)sk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|(?-u:\b)sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
    ),
    r("Google API key", &["AIza"], r"AIza[0-9A-Za-z_-]{35}"),
    r(
        "Google OAuth client secret",
        &["GOCSPX-"],
        r"GOCSPX-[A-Za-z0-9_-]{28}",
    ),
    r(
        "JSON web token",
        &["eyJ"],
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    ),
    r(
        "npm token",
        &["npm_"],
        r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
    ),
    r(
        "PyPI token",
        &["pypi-AgEIcHlwaS5vcmc"],
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    ),
    r(
        "Hugging Face token",
        &["hf_"],
        r"(?-u:\b)hf_[A-Za-z]{34}(?-u:\b)",
    ),
    r(
        "SendGrid key",
        &["SG."],
        r"(?-u:\b)SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?-u:\b)",
    ),
    r(
        "DigitalOcean token",
        &["_v1_"],
        r"(?-u:\b)do[por]_v1_[a-f0-9]{64}(?-u:\b)",
    ),
    r(
        "Shopify token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
    ),
    r(
        "Doppler token",
        &["dp."],
        r"(?-u:\b)dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}",
    ),
    r("Vault token", &["hvs."], r"(?-u:\b)hvs\.[A-Za-z0-9_-]{90,}"),
    r(
        "Azure storage key",
        &["AccountKey="],
        r"AccountKey=[A-Za-z0-9+/]{80,}",
    ),
    r(
        "password in a URL",
        &["://"],
        r"(?-u:\b)[a-z][a-z0-9+.-]{1,20}://[^/ \t\r\n:@]{1,64}:[^/ \t\r\n@]{3,128}@[A-Za-z0-9.-]+",
    ),
    // `key = value` with a credential-like key (also `define('DB_PASSWORD', 'value')`, a
    // quoted key then a comma); the value must look live.
    Rule {
        name: "credential assignment",
        needles: &["pass", "pwd", "secret", "key", "token", "bearer"],
        case_insensitive: true,
        pattern: r#"(?i)(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key|bearer|token)(?:["'][ \t]*,|["']?[ \t]*(?::=|=>|[:=]))[ \t]*["']?([A-Za-z0-9+/=_.~!@#$%^&*-]{12,})"#,
        gated: true,
    },
    // `Authorization: Bearer …` / `Basic …` headers.
    Rule {
        name: "authorization header",
        needles: &["authorization"],
        case_insensitive: true,
        pattern: r"(?i)authorization[ \t]*[:=][ \t]*(?:bearer|basic|token)[ \t]+([A-Za-z0-9+/=_.~-]{16,})",
        gated: true,
    },
];

/// Each rule's regex, built the first time its needle is seen.
fn compiled(i: usize) -> Option<&'static Regex> {
    static CELLS: OnceLock<Vec<OnceLock<Option<Regex>>>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| RULES.iter().map(|_| OnceLock::new()).collect());
    let rule = RULES.get(i)?;
    cells
        .get(i)?
        .get_or_init(|| Regex::new(rule.pattern).ok())
        .as_ref()
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
    let lower = text.to_ascii_lowercase();
    for (i, rule) in RULES.iter().enumerate() {
        if out.len() >= 4 {
            break;
        }
        let hay = if rule.case_insensitive { &lower } else { text };
        if !rule.needles.iter().any(|n| hay.contains(n)) {
            continue;
        }
        let Some(re) = compiled(i) else { continue };
        let hit = if rule.gated {
            re.captures_iter(text)
                .any(|c| c.get(1).is_some_and(|m| looks_live(m.as_str())))
        } else {
            re.find_iter(text).any(|m| !placeholder(m.as_str()))
        };
        if hit {
            out.push(rule.name);
        }
    }
    out
}

/// What a file holds at its start (bounded), as credential names. `None` when the file
/// cannot be opened as a regular file (then nothing is known about it).
///
/// Kept across decisions while the file's identity is unchanged (see [`crate::filecache`]):
/// an unchanged file costs one `stat`, a changed, replaced or freshly written one is read
/// again.
pub(crate) fn in_file(path: &std::path::Path) -> Option<Vec<&'static str>> {
    let meta = std::fs::metadata(path).ok()?;
    in_file_with(path, &meta)
}

/// [`in_file`] for a file whose metadata the caller has just taken (a directory walk's
/// entry): saves the second `stat`.
pub(crate) fn in_file_with(
    path: &std::path::Path,
    meta: &std::fs::Metadata,
) -> Option<Vec<&'static str>> {
    if !meta.is_file() {
        return None;
    }
    (*CONTENTS.get(&path.to_path_buf(), meta, || read_and_find(path))).clone()
}

/// Credential names found in files, by path, while each file is unchanged.
static CONTENTS: crate::filecache::ParsedCache<std::path::PathBuf, Option<Vec<&'static str>>> =
    crate::filecache::ParsedCache::new();

fn read_and_find(path: &std::path::Path) -> Option<Vec<&'static str>> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::new();
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
                k(&[
                    "-----BEGIN OPENSSH ",
                    "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDx\n-----END OPENSSH ",
                    "PRIVATE KEY-----\n",
                ]),
                "private key",
            ),
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
                k(&["define( 'DB_PASSWORD', '", "Xk9pQ2vL7mZr4tWs' );"]),
                "credential assignment",
            ),
            (
                k(&["os.getenv(\"SECRET_KEY\", \"", "h7Gq2mZx9LpR4tVw\")"]),
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
            "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
            "const HEADER: &str = \"-----BEGIN RSA PRIVATE KEY-----\";",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
            "const HEADER: &str = \"-----BEGIN RSA PRIVATE KEY-----\";",
            "let access_token = get_token(&client);",
            "login(password, token_from_the_environment)",
            "config.get(\"token\", \"default_token_name_here\")",
        ] {
            assert!(
                find(text).is_empty(),
                "false positive on {text:?}: {:?}",
                find(text)
            );
        }
    }

    #[test]
    fn every_rule_compiles_and_has_a_needle_in_its_pattern() {
        for (i, rule) in super::RULES.iter().enumerate() {
            assert!(
                super::compiled(i).is_some(),
                "{} does not compile",
                rule.name
            );
            assert!(!rule.needles.is_empty(), "{} has no needle", rule.name);
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
