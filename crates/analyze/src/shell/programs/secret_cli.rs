//! Command-line clients of secret stores: calls that print a secret's value are secret reads
//! (a hard deny), whatever else the call does. Data: program, the subcommand words (found as
//! a contiguous run among the call's non-option words, so that `aws --profile p …` matches),
//! and options of which one must be present (empty: none needed).

use super::super::words::Arg;

struct SecretCli {
    program: &'static str,
    words: &'static [&'static str],
    /// One of these must be present (`--with-decryption`); `-o yaml` counts as `-o`
    /// followed by one of `values`.
    needs: &'static [&'static str],
    values: &'static [&'static str],
}

const fn cli(program: &'static str, words: &'static [&'static str]) -> SecretCli {
    SecretCli {
        program,
        words,
        needs: &[],
        values: &[],
    }
}

const OUTPUT_FORMATS: &[&str] = &["yaml", "json", "jsonpath", "go-template", "template"];

const SECRET_CLIS: &[SecretCli] = &[
    cli("vault", &["kv", "get"]),
    cli("vault", &["read"]),
    cli("vault", &["kv", "read"]),
    cli("aws", &["secretsmanager", "get-secret-value"]),
    cli("aws", &["secretsmanager", "batch-get-secret-value"]),
    cli("aws", &["configure", "get"]),
    cli("aws", &["configure", "export-credentials"]),
    SecretCli {
        needs: &["--with-decryption"],
        ..cli("aws", &["ssm", "get-parameter"])
    },
    SecretCli {
        needs: &["--with-decryption"],
        ..cli("aws", &["ssm", "get-parameters"])
    },
    SecretCli {
        needs: &["--with-decryption"],
        ..cli("aws", &["ssm", "get-parameters-by-path"])
    },
    cli("op", &["read"]),
    cli("op", &["item", "get"]),
    cli("op", &["inject"]),
    cli("doppler", &["secrets", "download"]),
    cli("doppler", &["secrets", "get"]),
    cli("gcloud", &["secrets", "versions", "access"]),
    cli("gcloud", &["auth", "print-access-token"]),
    cli("gcloud", &["auth", "print-identity-token"]),
    SecretCli {
        needs: &["-o", "--output"],
        values: OUTPUT_FORMATS,
        ..cli("kubectl", &["get", "secret"])
    },
    SecretCli {
        needs: &["-o", "--output"],
        values: OUTPUT_FORMATS,
        ..cli("kubectl", &["get", "secrets"])
    },
    cli("az", &["keyvault", "secret", "show"]),
    cli("az", &["keyvault", "secret", "download"]),
    cli("az", &["account", "get-access-token"]),
    cli("pass", &["show"]),
    cli("gopass", &["show"]),
    cli("lpass", &["show"]),
    cli("bw", &["get"]),
    cli("gh", &["auth", "token"]),
    SecretCli {
        needs: &["-w", "-g"],
        ..cli("security", &["find-generic-password"])
    },
    SecretCli {
        needs: &["-w", "-g"],
        ..cli("security", &["find-internet-password"])
    },
];

/// Whether a call of `program` prints a stored secret.
pub(super) fn reads_secret(program: &str, args: &[Arg]) -> bool {
    let lits: Vec<&str> = args.iter().filter_map(|a| a.lit.as_deref()).collect();
    let words: Vec<&str> = lits
        .iter()
        .copied()
        .filter(|l| !l.starts_with('-'))
        .collect();
    SECRET_CLIS
        .iter()
        .filter(|c| c.program == program)
        .any(|c| {
            let has_words = words.windows(c.words.len()).any(|w| w == c.words);
            let has_needed = c.needs.is_empty()
                || lits.iter().enumerate().any(|(i, l)| {
                    c.needs.iter().any(|n| {
                        let attached = l
                            .strip_prefix(n)
                            .map(|v| v.trim_start_matches('='))
                            .filter(|v| !v.is_empty());
                        let value = if *l == *n {
                            lits.get(i + 1).copied()
                        } else if n.starts_with("--") || n.len() == 2 {
                            attached
                        } else {
                            None
                        };
                        if c.values.is_empty() {
                            // A flag: `-w`, or a cluster holding it (`-gw`).
                            *l == *n
                                || (n.len() == 2
                                    && !l.starts_with("--")
                                    && l.starts_with('-')
                                    && l.contains(n.trim_start_matches('-')))
                        } else {
                            value.is_some_and(|v| c.values.iter().any(|f| v.starts_with(f)))
                        }
                    })
                });
            has_words && has_needed
        })
}

#[cfg(test)]
mod tests {
    use super::super::words_for_test as w;
    use super::reads_secret;

    #[test]
    fn secret_store_reads_are_recognised() {
        for (p, a) in [
            ("vault", "kv get secret/app"),
            (
                "aws",
                "--profile prod secretsmanager get-secret-value --secret-id x",
            ),
            ("aws", "ssm get-parameter --name x --with-decryption"),
            ("op", "read op://vault/item/field"),
            ("doppler", "secrets download --no-file"),
            ("gcloud", "secrets versions access latest --secret=x"),
            ("kubectl", "get secret db -o yaml"),
            ("kubectl", "get secrets -ojson"),
            ("kubectl", "-n prod get secret db --output=jsonpath={.data}"),
            ("az", "keyvault secret show --name x --vault-name v"),
            ("pass", "show email/x"),
            ("security", "find-generic-password -s x -w"),
        ] {
            assert!(reads_secret(p, &w(a)), "{p} {a}");
        }
        for (p, a) in [
            ("aws", "ssm get-parameter --name x"),
            ("kubectl", "get secrets"),
            ("kubectl", "get pods -o yaml"),
            ("security", "find-generic-password -s x"),
            ("vault", "status"),
        ] {
            assert!(!reads_secret(p, &w(a)), "{p} {a}");
        }
    }
}
