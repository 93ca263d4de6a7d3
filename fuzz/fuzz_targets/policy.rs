//! Any text as a Cedar policy file and as assent.toml: load or refuse, never panic.
#![no_main]

use assent_policy::{Policy, PolicySource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Half the input is Cedar, the rest settings, so both parsers see arbitrary text.
    let split = text
        .char_indices()
        .nth(text.chars().count() / 2)
        .map_or(text.len(), |(i, _)| i);
    let (cedar, toml) = text.split_at(split);
    let default = PolicySource::default_policy();
    let _ = Policy::load(
        PolicySource {
            cedar: vec![("fuzz.cedar".into(), cedar.to_string())],
            settings: default.settings.clone(),
        },
        1,
    );
    let _ = Policy::load(
        PolicySource {
            cedar: default.cedar.clone(),
            settings: ("assent.toml".into(), toml.to_string()),
        },
        1,
    );
});
