//! Facts for actions that are not shell commands: file tools, HTTP, MCP, GUI, payments,
//! inline code, environment operations.

use crate::config::Compiled;
use crate::paths::PathCtx;
use assent_core::{Action, Facts, Kind};
use serde_json::Value;

const PATH_KEYS: &[&str] = &[
    "file_path",
    "path",
    "notebook_path",
    "filename",
    "file",
    "target",
    "source",
    "destination",
    "dest",
    "directory",
    "dir",
    "paths",
    "files",
    "old_path",
    "new_path",
    "src",
    "dst",
    "from",
    "to",
    "root",
    "cwd",
];

/// Path-like strings in a JSON input: values under path-ish keys, and any string value that
/// looks like an absolute, home-relative or dot-relative path. A value under a path key that
/// cannot be judged as a path (a newline, a URL, 4,096+ bytes) is never dropped silently:
/// `dropped` is set, and the caller treats the input as not understood.
fn path_strings(v: &Value, out: &mut Vec<String>, key_is_path: bool, dropped: &mut bool) {
    match v {
        Value::String(s) => {
            let looks = s.starts_with('/')
                || s.starts_with("~/")
                || s.starts_with("./")
                || s.starts_with("../")
                || s == "~";
            let judgeable = !s.contains(['\n', '\r', '\0']) && s.len() < 4096 && !s.contains("://");
            if (key_is_path || looks) && judgeable {
                out.push(s.clone());
            } else if key_is_path {
                *dropped = true;
            }
        }
        Value::Array(a) => a
            .iter()
            .for_each(|x| path_strings(x, out, key_is_path, dropped)),
        Value::Object(o) => {
            for (k, x) in o {
                let k = k.to_ascii_lowercase();
                path_strings(
                    x,
                    out,
                    PATH_KEYS.contains(&k.as_str()) || k.ends_with("_path") || k.ends_with("path"),
                    dropped,
                );
            }
        }
        _ => {}
    }
}

/// Claude Code's file-writing tools and the field each writes: their paths go through the
/// client's own normalisation (trim, `~`, lexical `..`) before they are judged.
fn client_write_field(tool: &str) -> Option<&'static str> {
    match tool {
        "Write" | "Edit" | "MultiEdit" => Some("file_path"),
        "NotebookEdit" => Some("notebook_path"),
        _ => None,
    }
}

/// Credentials carried by an outgoing request's strings (keys included), by kind.
pub(crate) fn outbound_credentials(v: &Value, facts: &mut Facts) {
    let mut stack = vec![v];
    let mut budget: usize = 1024 * 1024;
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                let take = s.len().min(budget);
                budget -= take;
                let text = s.get(..take).unwrap_or(s);
                for kind in crate::secrets::find(text) {
                    facts.credential_outbound.insert(kind.to_string());
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(o) => {
                for (k, x) in o {
                    for kind in crate::secrets::find(k) {
                        facts.credential_outbound.insert(kind.to_string());
                    }
                    stack.push(x);
                }
            }
            _ => {}
        }
        if budget == 0 {
            facts.not_understood("outgoing request too large to check for credentials");
            break;
        }
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() < 8192 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn is_writing_name(tool: &str) -> bool {
    let t = tool.to_ascii_lowercase();
    [
        "write", "edit", "create", "move", "delete", "remove", "rename", "set", "update", "put",
        "patch", "upload", "append", "chmod", "mkdir", "insert", "replace", "save", "exec", "run",
    ]
    .iter()
    .any(|w| t.contains(w))
}

pub(crate) fn analyze(cfg: &Compiled, ctx: &PathCtx, action: &Action, facts: &mut Facts) {
    let input = &action.input;
    match action.kind {
        Kind::FileRead if crate::client_tools::models(&action.tool) => {
            crate::client_tools::analyze(cfg, ctx, &action.tool, input, facts);
        }
        Kind::FileRead => {
            let mut paths = Vec::new();
            let mut dropped = false;
            path_strings(input, &mut paths, false, &mut dropped);
            if dropped {
                facts.not_understood("a path field that cannot be judged as a path");
            }
            if let Some(p) = input.get("pattern").and_then(Value::as_str) {
                // Glob's pattern names files; Grep's pattern is a regex, not a path.
                if action.tool.eq_ignore_ascii_case("glob") {
                    paths.push(p.to_string());
                }
            }
            if let Some(g) = input.get("glob").and_then(Value::as_str) {
                paths.push(g.to_string());
            }
            // Read tools take a known set of fields; anything else is not understood.
            const READ_KEYS: &[&str] = &[
                "file_path",
                "path",
                "pattern",
                "glob",
                "offset",
                "limit",
                "notebook_path",
                "output_mode",
                "-n",
                "-i",
                "-A",
                "-B",
                "-C",
                "type",
                "head_limit",
                "multiline",
                "ignore",
                "pages",
                "context",
                "show_line_numbers",
                "case_insensitive",
                "command",
                "view_range",
            ];
            // Only tools known to read and nothing else can be read-only; a caller naming
            // its own tool `file.read` is asked about.
            const READ_TOOLS: &[&str] = &[
                "Read",
                "Glob",
                "Grep",
                "LS",
                "NotebookRead",
                "read_file",
                "file.read",
                "str_replace_based_edit_tool",
                "str_replace_editor",
                "text_editor",
            ];
            let mut ok = READ_TOOLS.contains(&action.tool.as_str());
            if let Some(obj) = input.as_object() {
                if let Some(k) = obj.keys().find(|k| !READ_KEYS.contains(&k.as_str())) {
                    facts.not_understood(format!(
                        "file read with unexpected field `{}`",
                        assent_core::text::escape_line(k)
                    ));
                    ok = false;
                }
            }
            if paths.is_empty() {
                let defaults_to_cwd = ["Glob", "Grep", "LS"].contains(&action.tool.as_str());
                if defaults_to_cwd && !ctx.cwd_unknown {
                    paths.push(ctx.cwd.display().to_string());
                } else {
                    facts.not_understood("file read names no path");
                    ok = false;
                }
            }
            for p in &paths {
                let class = ctx.classify(cfg, p);
                facts.paths.insert(class.path.clone());
                // A Glob lists names: a pattern that only could match a secret reveals none.
                if class.secret && !(action.tool == "Glob" && class.secret_by_pattern) {
                    // Glob only lists names; Read and Grep read contents.
                    if class.glob && !(class.secret_certain && action.tool != "Glob") {
                        facts.secret_mention = true;
                    } else {
                        facts.secret_read = true;
                    }
                    ok = false;
                }
                if class.hardlinked {
                    facts.not_understood(
                        "file has several hard links (it may be another name for a secret)",
                    );
                    ok = false;
                }
                if class.secret_ancestor && action.tool == "Grep" {
                    facts.secret_read = true;
                    ok = false;
                }
                if !class.inside_workspace {
                    facts.outside_workspace = true;
                    ok = false;
                }
            }
            // Grep and Glob search whole trees (ripgrep: hidden files skipped unless a glob
            // names them): a tree holding a secret is not a plain read.
            if ok && action.tool == "Grep" && cfg.resolve_symlinks {
                // Claude Code's Grep is ripgrep: hidden files are skipped (its schema has no
                // `--hidden`), but a `glob` that names them re-includes them.
                let glob = input.get("glob").and_then(Value::as_str);
                let skip_hidden = glob.is_none() && input.get("type").is_none();
                for p in &paths {
                    let class = ctx.classify(cfg, p);
                    let root = std::path::Path::new(&class.path);
                    match crate::paths::tree_holds_secret(cfg, ctx, root, skip_hidden, glob) {
                        Some(crate::paths::Tree::Clean) => {}
                        Some(crate::paths::Tree::Secret) => {
                            facts.secret_read = true;
                            ok = false;
                        }
                        Some(crate::paths::Tree::Credentials) => {
                            facts.secret_mention = true;
                            ok = false;
                        }
                        None => {
                            facts.not_understood(
                                "search over a tree too large to check for secrets",
                            );
                            ok = false;
                        }
                    }
                }
            }
            facts.read_only = ok;
        }
        Kind::FileWrite | Kind::FileDelete => {
            let mut paths = Vec::new();
            let mut dropped = false;
            path_strings(input, &mut paths, false, &mut dropped);
            if let Some(field) = client_write_field(&action.tool) {
                // The client writes where its normalisation says; judge that path too.
                match input.get(field).and_then(Value::as_str) {
                    Some(raw) => match crate::client_tools::client_path(cfg, ctx, raw) {
                        Ok(p) => {
                            crate::client_tools::judge_literal_write(cfg, ctx, &p, facts);
                            paths.push(p.display().to_string());
                            dropped = false;
                        }
                        Err(e) => facts.not_understood(e),
                    },
                    None => facts.not_understood(format!("{} names no `{field}`", action.tool)),
                }
            }
            if dropped {
                facts.not_understood("a path field that cannot be judged as a path");
            }
            if paths.is_empty() {
                facts.not_understood("file action names no path");
            }
            for p in &paths {
                let class = ctx.classify(cfg, p);
                facts.paths.insert(class.path.clone());
                facts.write_paths.insert(class.path.clone());
                if class.secret {
                    facts.secret_read = true;
                }
                if class.guard || (action.kind == Kind::FileDelete && class.guard_ancestor) {
                    facts.guard_tamper = true;
                }
                if !class.inside_workspace {
                    facts.outside_workspace = true;
                }
            }
            if action.kind == Kind::FileDelete {
                facts.destructive = true;
            }
        }
        Kind::Http => {
            facts.network = true;
            outbound_credentials(input, facts);
            for key in ["url", "uri", "endpoint", "href"] {
                if let Some(u) = input.get(key).and_then(Value::as_str) {
                    match url::Url::parse(u) {
                        Ok(parsed) => {
                            if let Some(h) = parsed.host_str() {
                                facts.hosts.insert(h.to_ascii_lowercase());
                            }
                            if parsed.scheme() == "file" {
                                let class = ctx.classify(cfg, parsed.path());
                                facts.secret_read |= class.secret;
                                facts.outside_workspace |= !class.inside_workspace;
                            }
                        }
                        Err(_) => facts.not_understood("URL could not be parsed"),
                    }
                }
            }
        }
        Kind::Mcp => {
            let tool = input.get("tool").and_then(Value::as_str).unwrap_or("");
            facts.mcp_server = input
                .get("server")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            facts.mcp_tool = tool.to_string();
            let writes = is_writing_name(tool);
            outbound_credentials(input.get("arguments").unwrap_or(&Value::Null), facts);
            let mut paths = Vec::new();
            let mut dropped = false;
            path_strings(
                input.get("arguments").unwrap_or(&Value::Null),
                &mut paths,
                false,
                &mut dropped,
            );
            if dropped {
                facts.not_understood("a path field that cannot be judged as a path");
            }
            for p in &paths {
                let class = ctx.classify(cfg, p);
                facts.paths.insert(class.path.clone());
                if class.secret {
                    facts.secret_read = true;
                }
                if class.guard && writes {
                    facts.guard_tamper = true;
                }
                if !class.inside_workspace {
                    facts.outside_workspace = true;
                }
            }
            let mut strings = Vec::new();
            collect_strings(input.get("arguments").unwrap_or(&Value::Null), &mut strings);
            for u in &strings {
                if let Ok(parsed) = url::Url::parse(u) {
                    if let Some(h) = parsed.host_str() {
                        facts.hosts.insert(h.to_ascii_lowercase());
                    }
                    if parsed.scheme() == "file" {
                        let class = ctx.classify(cfg, parsed.path());
                        facts.paths.insert(class.path.clone());
                        facts.secret_read |= class.secret;
                        facts.outside_workspace |= !class.inside_workspace;
                        if class.guard && writes {
                            facts.guard_tamper = true;
                        }
                    }
                }
                // `set_env(name="OPENAI_API_KEY")`: a protected variable named as a value.
                let name = u.trim();
                if name.len() >= 3
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && name.chars().any(|c| c.is_ascii_uppercase())
                    && cfg.env.is_protected(name)
                {
                    if writes {
                        facts.env_write.insert(name.to_string());
                    } else {
                        facts.env_read.insert(name.to_string());
                    }
                }
            }
        }
        Kind::Gui => {
            facts.gui_action = input
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            // Typing into a terminal is running a command: look at typed text as one.
            if let Some(text) = input.get("text").and_then(Value::as_str) {
                let mut typed = Facts {
                    parsed: true,
                    ..Facts::default()
                };
                crate::shell::analyze(cfg, ctx, text, &mut typed);
                facts.secret_read |= typed.secret_read;
                facts.guard_tamper |= typed.guard_tamper;
                facts.env_dump |= typed.env_dump;
                facts.env_read.extend(typed.env_read);
                facts.env_write.extend(typed.env_write);
            }
        }
        Kind::Payment => {
            let amount = match input.get("amount") {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match amount {
                Some(a) if a.is_finite() && (0.0..1e15).contains(&a) => {
                    facts.amount_minor = (a * 100.0).round() as i64
                }
                _ => facts.not_understood("payment amount missing or not a number"),
            }
            facts.currency = input
                .get("currency")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_uppercase();
        }
        Kind::CodeExec => {
            facts.inline_eval = true;
            let lang = input
                .get("language")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let code = input
                .get("code")
                .or_else(|| input.get("source"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if matches!(lang.as_str(), "bash" | "sh" | "shell" | "zsh") {
                crate::shell::analyze(cfg, ctx, code, facts);
                facts.read_only = false;
            } else {
                crate::shell::inspect_code_text(cfg, ctx, code, facts);
            }
        }
        Kind::Env => {
            let op = input
                .get("op")
                .or_else(|| input.get("operation"))
                .and_then(Value::as_str)
                .unwrap_or("set");
            let raw_name = input.get("name").and_then(Value::as_str).unwrap_or("");
            if raw_name.trim() != raw_name {
                facts.not_understood("variable name with blanks");
            }
            let name = raw_name.trim();
            match op {
                "list" | "dump" => facts.env_dump = true,
                "get" | "read" => {
                    if name.is_empty() || cfg.env.is_protected(name) {
                        facts.env_read.insert(if name.is_empty() {
                            "(all)".into()
                        } else {
                            name.into()
                        });
                    }
                }
                _ => {
                    facts.env_change = true;
                    if name.is_empty() || cfg.env.is_protected(name) {
                        facts.env_write.insert(if name.is_empty() {
                            "(unnamed)".into()
                        } else {
                            name.into()
                        });
                    }
                }
            }
        }
        Kind::Shell | Kind::Other => {
            let mut paths = Vec::new();
            let mut dropped = false;
            path_strings(input, &mut paths, false, &mut dropped);
            if action.kind == Kind::Other {
                facts.read_only =
                    !dropped && crate::client_tools::bookkeeping_is_private(&action.tool, input);
            }
            for p in &paths {
                let class = ctx.classify(cfg, p);
                if class.secret {
                    facts.secret_mention = true;
                }
            }
        }
    }
}
