//! `assent policy check|show`.

use crate::cli::PolicyCommand;
use crate::exit::Exit;
use assent_core::json::at;
use assent_gateway::Locations;
use assent_policy::{Policy, PolicySource};

pub fn run(loc: &Locations, cmd: PolicyCommand) -> anyhow::Result<Exit> {
    match cmd {
        PolicyCommand::Check { path } => {
            let path = path.unwrap_or_else(|| loc.assent_home.join("policy"));
            let source = match assent_gateway::files::load(&path).map_err(|e| anyhow::anyhow!(e)) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("assent: {e:#}");
                    return Ok(Exit::Policy);
                }
            };
            match Policy::load(source, 0) {
                Ok(p) => {
                    println!(
                        "ok: {} rule(s), {} principal(s), digest {}",
                        p.rule_count(),
                        p.directory.iter().count(),
                        p.digest.get(..16).unwrap_or(&p.digest)
                    );
                    Ok(Exit::Ok)
                }
                Err(e) => {
                    eprint!("{e}");
                    Ok(Exit::Policy)
                }
            }
        }
        PolicyCommand::History => {
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = super::open(loc).await?;
                let current = gw.policy().version as i64;
                for (v, digest, created, note) in gw.store.policy_versions().await? {
                    println!(
                        "{}{:>4}  {}  {}  {}",
                        if v == current { "*" } else { " " },
                        v,
                        super::approver::ts(created),
                        digest.get(..16).unwrap_or(&digest),
                        note
                    );
                }
                Ok(Exit::Ok)
            })
        }
        PolicyCommand::Rollback { version } => {
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = super::open(loc).await?;
                let Some(src) = gw.store.policy_source(version).await? else {
                    anyhow::bail!("no policy version {version}; see `assent policy history`");
                };
                let cedar: Vec<(String, String)> =
                    serde_json::from_value(at(&src, "/cedar").clone())?;
                let settings: (String, String) =
                    serde_json::from_value(at(&src, "/settings").clone())?;
                let source = PolicySource { cedar, settings };
                if let Err(e) = Policy::load(source.clone(), 0) {
                    eprint!("{e}");
                    return Ok(Exit::Policy);
                }
                let dir = loc.assent_home.join("policy");
                std::fs::create_dir_all(&dir)?;
                let stamp = assent_gateway::now_ms();
                for entry in std::fs::read_dir(&dir)?.flatten() {
                    let p = entry.path();
                    let is_policy = p.extension().is_some_and(|x| x == "cedar")
                        || p.file_name().is_some_and(|n| n == "assent.toml");
                    if is_policy {
                        std::fs::rename(
                            &p,
                            p.with_extension(format!(
                                "{}.bak-{stamp}",
                                p.extension().and_then(|x| x.to_str()).unwrap_or("")
                            )),
                        )?;
                    }
                }
                for (name, text) in source.cedar.iter().chain(std::iter::once(&source.settings)) {
                    let safe = std::path::Path::new(name)
                        .file_name()
                        .map(|n| n.to_owned())
                        .unwrap_or_default();
                    std::fs::write(dir.join(safe), text)?;
                }
                drop(gw);
                // Opening again records the restored text as the newest version, audited.
                let gw = super::open(loc).await?;
                println!(
                    "restored version {version} as version {}",
                    gw.policy().version
                );
                Ok(Exit::Ok)
            })
        }
        PolicyCommand::Show { default, path } => {
            let source = if default {
                PolicySource::default_policy()
            } else {
                assent_gateway::files::load(&path.unwrap_or_else(|| loc.assent_home.join("policy")))
                    .map_err(|e| anyhow::anyhow!(e))?
            };
            for (name, text) in source.cedar.iter().chain(std::iter::once(&source.settings)) {
                println!("// ==== {name}");
                println!("{text}");
            }
            Ok(Exit::Ok)
        }
    }
}
