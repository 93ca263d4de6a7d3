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

/// A key naming everything the fields in `only` hold, so that two requests with equal keys
/// get the same answer from the same policies (the decision cache in the engine).
pub(crate) fn cache_key(f: &Facts, only: Option<&[String]>, out: &mut String) {
    use std::fmt::Write as _;
    let set = |out: &mut String, s: &BTreeSet<String>| {
        for x in s {
            out.push_str(x);
            out.push('\u{1f}');
        }
    };
    for (name, _) in FIELDS {
        if let Some(names) = only {
            if !names.iter().any(|n| n == name) {
                continue;
            }
        }
        out.push_str(name);
        out.push('=');
        match *name {
            "tool" => out.push_str(&f.tool),
            "kind" => out.push_str(&f.kind),
            "session" => out.push_str(&f.session),
            "programs" => set(out, &f.programs),
            "subcommands" => set(out, &f.subcommands),
            "parsed" => out.push(if f.parsed { '1' } else { '0' }),
            "read_only" => out.push(if f.read_only { '1' } else { '0' }),
            "dynamic" => out.push(if f.dynamic { '1' } else { '0' }),
            "substitution" => out.push(if f.substitution { '1' } else { '0' }),
            "wrapper" => out.push(if f.wrapper { '1' } else { '0' }),
            "inline_eval" => out.push(if f.inline_eval { '1' } else { '0' }),
            "writes_redirect" => out.push(if f.writes_redirect { '1' } else { '0' }),
            "destructive" => out.push(if f.destructive { '1' } else { '0' }),
            "network" => out.push(if f.network { '1' } else { '0' }),
            "privileged" => out.push(if f.privileged { '1' } else { '0' }),
            "paths" => set(out, &f.paths),
            "write_paths" => set(out, &f.write_paths),
            "outside_workspace" => out.push(if f.outside_workspace { '1' } else { '0' }),
            "secret_read" => out.push(if f.secret_read { '1' } else { '0' }),
            "secret_mention" => out.push(if f.secret_mention { '1' } else { '0' }),
            "guard_tamper" => out.push(if f.guard_tamper { '1' } else { '0' }),
            "env_dump" => out.push(if f.env_dump { '1' } else { '0' }),
            "env_read" => set(out, &f.env_read),
            "env_write" => set(out, &f.env_write),
            "env_change" => out.push(if f.env_change { '1' } else { '0' }),
            "hidden_text" => out.push(if f.hidden_text { '1' } else { '0' }),
            "hosts" => set(out, &f.hosts),
            "mcp_server" => out.push_str(&f.mcp_server),
            "mcp_tool" => out.push_str(&f.mcp_tool),
            "gui_action" => out.push_str(&f.gui_action),
            "amount_minor" => {
                let _ = write!(out, "{}", f.amount_minor);
            }
            "currency" => out.push_str(&f.currency),
            // A field this function does not know: no key can be trusted.
            _ => out.push_str("\u{0}unkeyed\u{0}"),
        }
        out.push('\u{1e}');
    }
}
