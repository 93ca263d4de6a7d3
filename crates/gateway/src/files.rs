//! Reading policy files from disk into a [`PolicySource`].

use assent_policy::PolicySource;
use std::path::{Path, PathBuf};

/// Largest policy file read, so that a mistake (pointing at a log) fails clearly.
const MAX_FILE: u64 = 4 * 1024 * 1024;

fn read(path: &Path) -> Result<String, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if meta.len() > MAX_FILE {
        return Err(format!(
            "`{}` is larger than {MAX_FILE} bytes; is it really a policy file?",
            path.display()
        ));
    }
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}` as UTF-8 text: {e}", path.display()))
}

/// A directory (every `*.cedar`, sorted, plus `assent.toml` if present) or one `.cedar` file.
pub fn load(path: &Path) -> Result<PolicySource, String> {
    let default_settings = PolicySource::default_policy().settings;
    if path.is_dir() {
        let mut cedar = Vec::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot list `{}`: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            cedar.push((name, read(&p)?));
        }
        let toml = path.join("assent.toml");
        let settings = if toml.exists() {
            ("assent.toml".to_string(), read(&toml)?)
        } else {
            default_settings
        };
        return Ok(PolicySource { cedar, settings });
    }
    if path.extension().is_some_and(|x| x == "cedar") {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let sibling = path.with_file_name("assent.toml");
        let settings = if sibling.exists() {
            ("assent.toml".to_string(), read(&sibling)?)
        } else {
            default_settings
        };
        return Ok(PolicySource {
            cedar: vec![(name, read(path)?)],
            settings,
        });
    }
    if !path.exists() {
        return Err(format!("policy path `{}` does not exist", path.display()));
    }
    Err(format!(
        "`{}` is neither a policy directory nor a .cedar file",
        path.display()
    ))
}
