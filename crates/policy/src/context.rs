//! Facts → Cedar context. One field per [`Facts`] field; the schema declares the same names.

use assent_core::Facts;
use cedar_policy::{Context, RestrictedExpression as E};
use std::collections::BTreeSet;

fn set(s: &BTreeSet<String>) -> E {
    E::new_set(s.iter().map(|x| E::new_string(x.clone())))
}

pub(crate) fn build(f: &Facts) -> Result<Context, String> {
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
    Context::from_pairs(pairs).map_err(|e| e.to_string())
}
