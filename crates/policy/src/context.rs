//! Facts → Cedar context. One field per [`Facts`] field; the schema declares the same names.

use assent_core::Facts;
use cedar_policy::{Context, RestrictedExpression as E};
use std::collections::BTreeSet;

fn set(s: &BTreeSet<String>) -> E {
    E::new_set(s.iter().map(|x| E::new_string(x.clone())))
}

/// Which context fields a set of policies reads. `None` means "all of them" (a policy uses
/// the context in a way this scan does not follow, such as `context has x`).
pub(crate) fn fields_used(policy_text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = policy_text;
    while let Some(i) = rest.find("context") {
        let before_ok = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &rest[i + "context".len()..];
        if before_ok {
            match after.strip_prefix('.') {
                Some(tail) => {
                    let name: String = tail
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
                None if after.starts_with(|c: char| c.is_alphanumeric() || c == '_') => {}
                None => return None,
            }
        }
        rest = after;
    }
    Some(out)
}

/// Builds the context with only the fields in `only` (all when `None`): Cedar evaluates
/// every context field on every request, so unread fields are pure cost — and so is
/// building them.
pub(crate) fn build_only(f: &Facts, only: Option<&[String]>) -> Result<Context, String> {
    let pairs: Vec<(String, E)> = match only {
        None => FIELDS
            .iter()
            .map(|(k, make)| (k.to_string(), make(f)))
            .collect(),
        Some(names) => FIELDS
            .iter()
            .filter(|(k, _)| names.iter().any(|n| n == k))
            .map(|(k, make)| (k.to_string(), make(f)))
            .collect(),
    };
    Context::from_pairs(pairs).map_err(|e| e.to_string())
}

#[allow(dead_code)]
pub(crate) fn build(f: &Facts) -> Result<Context, String> {
    build_only(f, None)
}

type Make = fn(&Facts) -> E;

/// One entry per context field: its name and how to build it from the facts. The schema in
/// `defaults/schema.cedarschema` declares the same names and types.
const FIELDS: &[(&str, Make)] = &[
    ("tool", |f| E::new_string(f.tool.clone())),
    ("kind", |f| E::new_string(f.kind.clone())),
    ("session", |f| E::new_string(f.session.clone())),
    ("programs", |f| set(&f.programs)),
    ("subcommands", |f| set(&f.subcommands)),
    ("parsed", |f| E::new_bool(f.parsed)),
    ("read_only", |f| E::new_bool(f.read_only)),
    ("dynamic", |f| E::new_bool(f.dynamic)),
    ("substitution", |f| E::new_bool(f.substitution)),
    ("wrapper", |f| E::new_bool(f.wrapper)),
    ("inline_eval", |f| E::new_bool(f.inline_eval)),
    ("writes_redirect", |f| E::new_bool(f.writes_redirect)),
    ("destructive", |f| E::new_bool(f.destructive)),
    ("network", |f| E::new_bool(f.network)),
    ("privileged", |f| E::new_bool(f.privileged)),
    ("paths", |f| set(&f.paths)),
    ("write_paths", |f| set(&f.write_paths)),
    ("outside_workspace", |f| E::new_bool(f.outside_workspace)),
    ("secret_read", |f| E::new_bool(f.secret_read)),
    ("secret_mention", |f| E::new_bool(f.secret_mention)),
    ("guard_tamper", |f| E::new_bool(f.guard_tamper)),
    ("env_dump", |f| E::new_bool(f.env_dump)),
    ("env_read", |f| set(&f.env_read)),
    ("env_write", |f| set(&f.env_write)),
    ("env_change", |f| E::new_bool(f.env_change)),
    ("hidden_text", |f| E::new_bool(f.hidden_text)),
    ("hosts", |f| set(&f.hosts)),
    ("mcp_server", |f| E::new_string(f.mcp_server.clone())),
    ("mcp_tool", |f| E::new_string(f.mcp_tool.clone())),
    ("gui_action", |f| E::new_string(f.gui_action.clone())),
    ("amount_minor", |f| E::new_long(f.amount_minor)),
    ("currency", |f| E::new_string(f.currency.clone())),
];
