//! Any text as a Bash command: the analyser and the policy must answer, never panic.
#![no_main]

use assent_gateway::{Engine, Locations};
use assent_policy::{Policy, PolicySource};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let policy = Policy::load(PolicySource::default_policy(), 1).expect("default policy");
        let home = std::path::PathBuf::from("/nonexistent/fuzz-home");
        let loc = Locations {
            assent_home: home.join(".assent"),
            home,
            extra_guards: Vec::new(),
        };
        Engine::new(policy, &loc).expect("engine")
    })
}

fuzz_target!(|data: &[u8]| {
    let command = String::from_utf8_lossy(data);
    let input = serde_json::json!({
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "cwd": "/nonexistent/fuzz-home/project",
    });
    if let Ok(adapted) = assent_adapters::from_value(input) {
        let _ = engine().evaluate(&adapted, "agent");
    }
});
