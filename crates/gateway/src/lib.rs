//! The gateway: the one path every front end (CLI `check`, hook, server, MCP proxy, exec,
//! Python) drives an action through.
//!
//! [`Engine`] is the stateless half: adapt → analyse → decide, with no store and no clock.
//! It is what `assent check` uses and what the stateful gateway wraps.

mod engine;

pub use engine::{Engine, EngineError, Evaluation, Locations};
