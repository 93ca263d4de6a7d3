//! Any bytes as one input line (hook input or canonical action): parse, and decide what
//! parses, never panic.
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
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(adapted) = assent_adapters::from_json_line(line) {
        let _ = engine().evaluate(&adapted, "agent");
    }
});
