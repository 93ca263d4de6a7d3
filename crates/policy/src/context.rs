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
/// every context field on every request, so unread fields are pure cost.
pub(crate) fn build_only(f: &Facts, only: Option<&[String]>) -> Result<Context, String> {
    let all = pairs(f);
    let pairs: Vec<(String, E)> = match only {
        None => all,
        Some(names) => all
            .into_iter()
            .filter(|(k, _)| names.iter().any(|n| n == k))
            .collect(),
    };
    Context::from_pairs(pairs).map_err(|e| e.to_string())
}

#[allow(dead_code)]
pub(crate) fn build(f: &Facts) -> Result<Context, String> {
    build_only(f, None)
}

fn pairs(f: &Facts) -> Vec<(String, E)> {
    let pairs: Vec<(String, E)> = vec![
        ("tool".into(), E::new_string(f.tool.clone())),
        ("kind".into(), E::new_string(f.kind.clone())),
        ("session".into(), E::new_string(f.session.clone())),
        ("programs".into(), set(&f.programs)),
        ("subcommands".into(), set(&f.subcommands)),
        ("parsed".into(), E::new_bool(f.parsed)),
        ("read_only".into(), E::new_bool(f.read_only)),
        ("dynamic".into(), E::new_bool(f.dynamic)),
        ("substitution".into(), E::new_bool(f.substitution)),
        ("wrapper".into(), E::new_bool(f.wrapper)),
        ("inline_eval".into(), E::new_bool(f.inline_eval)),
        ("writes_redirect".into(), E::new_bool(f.writes_redirect)),
        ("destructive".into(), E::new_bool(f.destructive)),
        ("network".into(), E::new_bool(f.network)),
        ("privileged".into(), E::new_bool(f.privileged)),
        ("paths".into(), set(&f.paths)),
        ("write_paths".into(), set(&f.write_paths)),
        ("outside_workspace".into(), E::new_bool(f.outside_workspace)),
        ("secret_read".into(), E::new_bool(f.secret_read)),
        ("secret_mention".into(), E::new_bool(f.secret_mention)),
        ("guard_tamper".into(), E::new_bool(f.guard_tamper)),
        ("env_dump".into(), E::new_bool(f.env_dump)),
        ("env_read".into(), set(&f.env_read)),
        ("env_write".into(), set(&f.env_write)),
        ("env_change".into(), E::new_bool(f.env_change)),
        ("hidden_text".into(), E::new_bool(f.hidden_text)),
        ("hosts".into(), set(&f.hosts)),
        ("mcp_server".into(), E::new_string(f.mcp_server.clone())),
        ("mcp_tool".into(), E::new_string(f.mcp_tool.clone())),
        ("gui_action".into(), E::new_string(f.gui_action.clone())),
        ("amount_minor".into(), E::new_long(f.amount_minor)),
        ("currency".into(), E::new_string(f.currency.clone())),
    ];
    pairs
}
