//! `assent policy show|validate|activate|history|diff|rollback`: the configuration operations
//! of the gateway, locally (no server needed). Every change goes through the same gateway
//! calls as the server's `/v1/policy` routes: validated, written, recorded, audited.

use crate::cli::PolicyCommand;
use crate::exit::Exit;
use assent_gateway::{ConfigError, Gateway, Locations, PolicyFiles, Via};
use assent_policy::{Policy, PolicySource};
use std::path::Path;

fn files_of(source: &PolicySource) -> PolicyFiles {
    source
        .cedar
        .iter()
        .chain(std::iter::once(&source.settings))
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect()
}

fn print_files(files: &PolicyFiles) {
    for (name, text) in files {
        println!("// ==== {name}");
        println!("{text}");
    }
}

/// Opens the gateway so that the policy commands work even when the files do not load: the
/// newest recorded version stays in force, which is what one wants to inspect or roll back.
async fn open(loc: &Locations) -> anyhow::Result<Gateway> {
    Gateway::open_serving(loc, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Who is changing the policy: the proven identity (ASSENT_TOKEN's principal, else the local
/// administrator as `[local] approver`); `--as` must name that identity.
async fn who(gw: &Gateway, as_: Option<String>) -> anyhow::Result<String> {
    Ok(super::approver::identity(gw, as_.as_deref())
        .await?
        .name()
        .to_string())
}

/// What a refused change prints, and the exit code it gives.
fn refused(e: ConfigError) -> anyhow::Result<Exit> {
    match e {
        ConfigError::Invalid(problems) => {
            eprintln!(
                "assent: policy rejected ({} problem(s)); nothing changed:",
                problems.len()
            );
            for p in problems {
                eprintln!("  {p}");
            }
            Ok(Exit::Policy)
        }
        ConfigError::Stale { expected, current } => {
            eprintln!(
                "assent: version {expected} is no longer the active one (version {current} is); \
                 look at `assent policy diff {expected} {current}` and try again with \
                 --expected-version {current}"
            );
            Ok(Exit::Error)
        }
        other => Err(anyhow::anyhow!("{other}")),
    }
}

pub fn run(loc: &Locations, cmd: PolicyCommand) -> anyhow::Result<Exit> {
    match cmd {
        PolicyCommand::Validate { path } => {
            let path = path.unwrap_or_else(|| loc.assent_home.join("policy"));
            let source = match assent_gateway::files::load(&path) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("assent: {e}");
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
        PolicyCommand::Activate {
            path,
            expected_version,
            note,
            as_,
        } => {
            let source = match assent_gateway::files::load(&path) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("assent: {e}");
                    return Ok(Exit::Policy);
                }
            };
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = open(loc).await?;
                let expected = expected_version.unwrap_or(gw.policy().version as i64);
                let by = who(&gw, as_).await?;
                match gw
                    .activate_policy(&files_of(&source), expected, &by, Via::Cli, note.as_deref())
                    .await
                {
                    Ok(v) => {
                        println!(
                            "activated version {} (replacing {}) as {by}",
                            v.version,
                            v.parent.map(|p| p.to_string()).unwrap_or("none".into())
                        );
                        Ok(Exit::Ok)
                    }
                    Err(e) => refused(e),
                }
            })
        }
        PolicyCommand::History { json } => {
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = open(loc).await?;
                let current = gw.policy().version as i64;
                let history = gw.policy_history().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&history)?);
                    return Ok(Exit::Ok);
                }
                for v in history {
                    println!(
                        "{}{:>4}  {}  {}  {:<8} {:<12} {}",
                        if v.version == current { "*" } else { " " },
                        v.version,
                        super::approver::ts(v.activated_ms),
                        v.digest.get(..16).unwrap_or(&v.digest),
                        v.via,
                        v.activated_by,
                        v.note
                    );
                }
                Ok(Exit::Ok)
            })
        }
        PolicyCommand::Diff { from, to } => {
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = open(loc).await?;
                let to = to.unwrap_or(gw.policy().version as i64);
                match gw.policy_diff(from, to).await {
                    Ok(d) => {
                        let text = d.unified();
                        if text.is_empty() {
                            println!("versions {from} and {to} have the same text");
                        } else {
                            print!("{text}");
                        }
                        Ok(Exit::Ok)
                    }
                    Err(e) => refused(e),
                }
            })
        }
        PolicyCommand::Rollback {
            version,
            expected_version,
            as_,
        } => {
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = open(loc).await?;
                let expected = expected_version.unwrap_or(gw.policy().version as i64);
                let by = who(&gw, as_).await?;
                match gw.rollback_policy(version, expected, &by).await {
                    Ok(v) => {
                        println!("restored version {version} as version {}", v.version);
                        Ok(Exit::Ok)
                    }
                    Err(e) => refused(e),
                }
            })
        }
        PolicyCommand::Show {
            default,
            version,
            json,
            path,
        } => {
            if default {
                print_files(&files_of(&PolicySource::default_policy()));
                return Ok(Exit::Ok);
            }
            if let Some(path) = path {
                let source = assent_gateway::files::load(Path::new(&path))
                    .map_err(|e| anyhow::anyhow!(e))?;
                print_files(&files_of(&source));
                return Ok(Exit::Ok);
            }
            let rt = super::runtime()?;
            rt.block_on(async {
                let gw = open(loc).await?;
                if let Some(v) = version {
                    match gw.policy_files(v).await {
                        Ok(files) => print_files(&files),
                        Err(e) => return refused(e),
                    }
                    return Ok(Exit::Ok);
                }
                let active = gw.active_policy().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&active)?);
                    return Ok(Exit::Ok);
                }
                let i = &active.info;
                println!(
                    "// active version {} (digest {}), activated by {} via {} at {}{}",
                    i.version,
                    i.digest.get(..16).unwrap_or(&i.digest),
                    i.activated_by,
                    i.via,
                    i.activated_at,
                    if i.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", i.note)
                    }
                );
                println!("// files: {}", active.path);
                if let Some(r) = &active.last_rejected {
                    println!(
                        "// REJECTED at {} (the files on disk are not in force): {}",
                        r.at, r.error
                    );
                }
                print_files(&active.files);
                Ok(Exit::Ok)
            })
        }
    }
}
