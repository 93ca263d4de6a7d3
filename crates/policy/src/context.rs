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
    while let Some((before, after)) = rest.split_once("context") {
        let before_ok = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
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
    let pairs: Vec<(String, E)> = FIELDS
        .iter()
        .filter(|(k, _)| only.is_none_or(|names| names.iter().any(|n| n == k)))
        .map(|(k, get)| (k.to_string(), get(f).expr()))
        .collect();
    Context::from_pairs(pairs).map_err(|e| e.to_string())
}

#[allow(dead_code)]
pub(crate) fn build(f: &Facts) -> Result<Context, String> {
    build_only(f, None)
}

/// The value of one context field, borrowed from the facts. Both the Cedar context and the
/// decision-cache key are made from it, so no field can reach one without the other.
pub(crate) enum Field<'a> {
    Str(&'a str),
    Bool(bool),
    Set(&'a BTreeSet<String>),
    Long(i64),
}

impl Field<'_> {
    fn expr(&self) -> E {
        match self {
            Field::Str(s) => E::new_string(s.to_string()),
            Field::Bool(b) => E::new_bool(*b),
            Field::Set(s) => set(s),
            Field::Long(n) => E::new_long(*n),
        }
    }

    /// Writes the value unambiguously: strings and set members are length-prefixed, so no
    /// value can be spelled to look like another field's.
    fn key(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Field::Str(s) => {
                let _ = write!(out, "s{}:{s}", s.len());
            }
            Field::Bool(b) => out.push(if *b { 'T' } else { 'F' }),
            Field::Set(items) => {
                let _ = write!(out, "[{}", items.len());
                for x in items.iter() {
                    let _ = write!(out, ",{}:{x}", x.len());
                }
                out.push(']');
            }
            Field::Long(n) => {
                let _ = write!(out, "n{n}");
            }
        }
    }
}

type Get = for<'a> fn(&'a Facts) -> Field<'a>;

/// One entry per context field: its name and where its value comes from in the facts. The
/// schema in `defaults/schema.cedarschema` declares the same names and types.
pub(crate) const FIELDS: &[(&str, Get)] = &[
    ("tool", |f| Field::Str(&f.tool)),
    ("kind", |f| Field::Str(&f.kind)),
    ("session", |f| Field::Str(&f.session)),
    ("programs", |f| Field::Set(&f.programs)),
    ("subcommands", |f| Field::Set(&f.subcommands)),
    ("parsed", |f| Field::Bool(f.parsed)),
    ("read_only", |f| Field::Bool(f.read_only)),
    ("dynamic", |f| Field::Bool(f.dynamic)),
    ("substitution", |f| Field::Bool(f.substitution)),
    ("wrapper", |f| Field::Bool(f.wrapper)),
    ("inline_eval", |f| Field::Bool(f.inline_eval)),
    ("writes_redirect", |f| Field::Bool(f.writes_redirect)),
    ("destructive", |f| Field::Bool(f.destructive)),
    ("network", |f| Field::Bool(f.network)),
    ("privileged", |f| Field::Bool(f.privileged)),
    ("paths", |f| Field::Set(&f.paths)),
    ("write_paths", |f| Field::Set(&f.write_paths)),
    ("outside_workspace", |f| Field::Bool(f.outside_workspace)),
    ("secret_read", |f| Field::Bool(f.secret_read)),
    ("secret_mention", |f| Field::Bool(f.secret_mention)),
    ("guard_tamper", |f| Field::Bool(f.guard_tamper)),
    ("credential_outbound", |f| {
        Field::Set(&f.credential_outbound)
    }),
    ("env_dump", |f| Field::Bool(f.env_dump)),
    ("env_read", |f| Field::Set(&f.env_read)),
    ("env_write", |f| Field::Set(&f.env_write)),
    ("env_change", |f| Field::Bool(f.env_change)),
    ("hidden_text", |f| Field::Bool(f.hidden_text)),
    ("hosts", |f| Field::Set(&f.hosts)),
    ("mcp_server", |f| Field::Str(&f.mcp_server)),
    ("mcp_tool", |f| Field::Str(&f.mcp_tool)),
    ("gui_action", |f| Field::Str(&f.gui_action)),
    ("amount_minor", |f| Field::Long(f.amount_minor)),
    ("currency", |f| Field::Str(&f.currency)),
];

/// A key naming everything the fields in `only` hold, so that two requests with equal keys
/// get the same answer from the same policies (the decision cache in the engine). Made from
/// [`FIELDS`], the table the context itself is built from.
pub(crate) fn cache_key(f: &Facts, only: Option<&[String]>, out: &mut String) {
    for (name, get) in FIELDS {
        if only.is_some_and(|names| !names.iter().any(|n| n == name)) {
            continue;
        }
        out.push_str(name);
        out.push('=');
        get(f).key(out);
        out.push(';');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Facts whose JSON field `name` differs from `base`'s.
    fn changed(base: &Facts, name: &str) -> Facts {
        let mut v = serde_json::to_value(base).expect("facts serialise");
        let field = v.get_mut(name).expect("every context field is a fact");
        *field = match field.take() {
            Value::Bool(b) => Value::Bool(!b),
            Value::String(s) => Value::String(s + "x"),
            Value::Array(mut a) => {
                a.push(Value::String("added".into()));
                Value::Array(a)
            }
            Value::Number(n) => Value::from(n.as_i64().unwrap_or(0) + 1),
            other => panic!("field {name} has an unexpected shape: {other}"),
        };
        serde_json::from_value(v).expect("facts deserialise")
    }

    fn key(f: &Facts, only: Option<&[String]>) -> String {
        let mut k = String::new();
        cache_key(f, only, &mut k);
        k
    }

    /// Changing any fact a slice reads changes the key, both when the slice reads only that
    /// field and when it reads everything; changing a fact it does not read leaves the key.
    #[test]
    fn every_field_a_slice_reads_is_in_its_key() {
        let mut base = Facts {
            tool: "Bash".into(),
            kind: "shell".into(),
            parsed: true,
            ..Facts::default()
        };
        base.programs.insert("ls".into());
        for (name, _) in FIELDS {
            let other = changed(&base, name);
            let only = vec![name.to_string()];
            assert_ne!(key(&base, Some(&only)), key(&other, Some(&only)), "{name}");
            assert_ne!(key(&base, None), key(&other, None), "{name}");
            let unrelated = vec![if *name == "tool" { "kind" } else { "tool" }.to_string()];
            assert_eq!(
                key(&base, Some(&unrelated)),
                key(&other, Some(&unrelated)),
                "{name}"
            );
        }
    }

    /// The context has exactly the fields the schema's `Facts` record declares; the key
    /// covers the very fields the context is built from (both come from `FIELDS`), so a field
    /// added to the schema cannot be forgotten in the key.
    #[test]
    fn context_fields_match_the_schema() {
        let schema = include_str!("../defaults/schema.cedarschema");
        let record = schema
            .split_once("type Facts = {")
            .and_then(|(_, rest)| rest.split_once("};"))
            .map(|(body, _)| body)
            .expect("schema declares the Facts record");
        let declared: Vec<&str> = record
            .lines()
            .filter_map(|l| l.trim().split_once(':').map(|(name, _)| name.trim()))
            .collect();
        let ours: Vec<&str> = FIELDS.iter().map(|(name, _)| *name).collect();
        assert_eq!(declared, ours);
    }

    /// Values cannot be spelled to collide: a set member holding the separator of another
    /// member is not the same key as two members.
    #[test]
    fn keys_are_unambiguous() {
        let mut a = Facts::default();
        a.programs.insert("a,1:b".into());
        let mut b = Facts::default();
        b.programs.insert("a".into());
        b.programs.insert("b".into());
        assert_ne!(key(&a, None), key(&b, None));
        let a = Facts {
            tool: "x;kind=s0:".into(),
            ..Facts::default()
        };
        let b = Facts {
            tool: "x".into(),
            ..Facts::default()
        };
        assert_ne!(key(&a, None), key(&b, None));
    }
}
