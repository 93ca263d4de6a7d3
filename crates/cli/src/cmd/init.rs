//! `assent init`: write the default policy and starter settings into Assent's home, and
//! (with --claude-code) the hook configuration for Claude Code.

use crate::cli::InitArgs;
use crate::exit::Exit;
use assent_gateway::Locations;
use serde_json::{json, Value};

/// Seconds Claude Code waits for the hook; the hook's own --max-wait stays below it.
const HOOK_TIMEOUT_S: u64 = 300;
const HOOK_MAX_WAIT_S: u64 = 290;

pub fn run(loc: &Locations, args: InitArgs) -> anyhow::Result<Exit> {
    if args.claude_code {
        return claude_code(loc, args.settings.as_deref());
    }
    let dir = loc.assent_home.join("policy");
    std::fs::create_dir_all(&dir)?;
    let files = [
        ("default.cedar", assent_policy::DEFAULT_CEDAR),
        ("assent.toml", assent_policy::settings::DEFAULT_TOML),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if path.exists() && !args.force {
            eprintln!(
                "assent: kept existing {} (use --force to overwrite)",
                path.display()
            );
            continue;
        }
        std::fs::write(&path, text)?;
        eprintln!("assent: wrote {}", path.display());
    }
    Ok(Exit::Ok)
}

/// The hook command, with absolute paths only: Claude Code runs it from the agent's working
/// directory, so a relative binary or home would follow the agent wherever it `cd`s. It is
/// the small `assent-hook` binary beside this one (a thin client of `assent serve` that
/// becomes `assent hook claude-code` when no server runs); without it, this binary's own
/// `hook claude-code`.
fn hook_command(loc: &Locations) -> anyhow::Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find Assent's own binary: {e}"))?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let home = std::path::absolute(&loc.assent_home)?;
    if !exe.is_absolute() || !home.is_absolute() {
        anyhow::bail!("the hook command needs absolute paths");
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let small = exe.with_file_name(HOOK_BINARY);
    if small.is_file() {
        return Ok(format!(
            "{} --home {} claude-code --max-wait {HOOK_MAX_WAIT_S}",
            quote(&small.display().to_string()),
            quote(&home.display().to_string())
        ));
    }
    eprintln!(
        "assent: no {} beside {}: the hook runs `assent hook claude-code` (slower to start)",
        HOOK_BINARY,
        exe.display()
    );
    Ok(format!(
        "{} --home {} hook claude-code --max-wait {HOOK_MAX_WAIT_S}",
        quote(&exe.display().to_string()),
        quote(&home.display().to_string())
    ))
}

/// The small hook binary's file name (built and installed with `assent`).
const HOOK_BINARY: &str = "assent-hook";

/// Whether a hook command is one of Assent's (either binary), to be replaced, not doubled.
fn is_assent_hook(command: &str) -> bool {
    command.contains(" hook claude-code")
        || (command.contains(HOOK_BINARY) && command.contains(" claude-code"))
}

fn claude_code(loc: &Locations, settings: Option<&std::path::Path>) -> anyhow::Result<Exit> {
    let entry = json!({
        "matcher": "*",
        "hooks": [{"type": "command", "command": hook_command(loc)?, "timeout": HOOK_TIMEOUT_S}]
    });
    let Some(path) = settings else {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"hooks": {"PreToolUse": [entry]}}))?
        );
        return Ok(Exit::Ok);
    };
    let mut doc: Value = match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => json!({}),
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("{} is not valid JSON ({e}); not changed", path.display())
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => return Err(e.into()),
    };
    let Some(obj) = doc.as_object_mut() else {
        anyhow::bail!("{} is not a JSON object; not changed", path.display());
    };
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        anyhow::bail!(
            "`hooks` in {} is not an object; not changed",
            path.display()
        );
    };
    let pre = hooks.entry("PreToolUse").or_insert_with(|| json!([]));
    let Some(list) = pre.as_array_mut() else {
        anyhow::bail!(
            "`hooks.PreToolUse` in {} is not a list; not changed",
            path.display()
        );
    };
    // Replace an earlier Assent entry rather than adding a second one.
    list.retain(|e| {
        !e["hooks"].as_array().is_some_and(|h| {
            h.iter()
                .any(|x| x["command"].as_str().is_some_and(is_assent_hook))
        })
    });
    list.push(entry);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("json.assent-tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&doc)? + "\n")?;
    std::fs::rename(&tmp, path)?;
    eprintln!("assent: added the PreToolUse hook to {}", path.display());
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_command_has_absolute_paths_only() {
        let loc = Locations {
            home: "/home/dev".into(),
            assent_home: ".assent".into(),
            extra_guards: Vec::new(),
        };
        let cmd = hook_command(&loc).expect("command");
        let cwd = std::env::current_dir().expect("cwd");
        assert!(
            cmd.contains(&format!("--home '{}/.assent'", cwd.display())),
            "{cmd}"
        );
        assert!(cmd.starts_with("'/"), "binary not absolute: {cmd}");
        assert!(!cmd.contains("'.assent'"), "{cmd}");
    }

    #[test]
    fn both_hook_commands_are_recognised() {
        assert!(is_assent_hook(
            "'/opt/a b/assent' --home '/h' hook claude-code --max-wait 290"
        ));
        assert!(is_assent_hook(
            "'/opt/a b/assent-hook' --home '/h' claude-code --max-wait 290"
        ));
        assert!(!is_assent_hook("/usr/bin/other-hook --check"));
    }
}
