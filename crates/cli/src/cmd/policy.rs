//! `assent policy check|show`.

use crate::cli::PolicyCommand;
use crate::exit::Exit;
use crate::policy_files;
use assent_gateway::Locations;
use assent_policy::{Policy, PolicySource};

pub fn run(loc: &Locations, cmd: PolicyCommand) -> anyhow::Result<Exit> {
    match cmd {
        PolicyCommand::Check { path } => {
            let path = path.unwrap_or_else(|| loc.assent_home.join("policy"));
            let source = match policy_files::load(&path) {
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
                        &p.digest[..16]
                    );
                    Ok(Exit::Ok)
                }
                Err(e) => {
                    eprint!("{e}");
                    Ok(Exit::Policy)
                }
            }
        }
        PolicyCommand::Show { default, path } => {
            let source = if default {
                PolicySource::default_policy()
            } else {
                policy_files::load(&path.unwrap_or_else(|| loc.assent_home.join("policy")))?
            };
            for (name, text) in source.cedar.iter().chain(std::iter::once(&source.settings)) {
                println!("// ==== {name}");
                println!("{text}");
            }
            Ok(Exit::Ok)
        }
    }
}
