//! `assent init`: write the default policy and starter settings into Assent's home.

use crate::cli::InitArgs;
use crate::exit::Exit;
use assent_gateway::Locations;

pub fn run(loc: &Locations, args: InitArgs) -> anyhow::Result<Exit> {
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
