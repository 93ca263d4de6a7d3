//! Assent's policy: who may request, approve and do what.
//!
//! Owns the Cedar integration (`cedar-policy` is used by no other crate), the TOML settings
//! and principals, the shipped default policy, and the three-way decision built on Cedar's
//! two-way one (see `defaults/default.cedar` for the precedence). Loading validates
//! everything strictly against `defaults/schema.cedarschema` and reports errors with file and
//! line; a policy that fails to load never replaces one that works.
//!
//! Invariants, stated as absences: no I/O (callers hand in file contents), no clock, and no
//! path from a Cedar evaluation error to `allow`.

mod context;
mod engine;
pub mod settings;

pub use engine::{Policy, PolicyError, PolicySource, Problem, Verb};
pub use settings::{Resolved, Settings, SettingsError, WebhookEntry, WEBHOOK_EVENTS};

/// The shipped default policy, commented, as `assent policy show --default` prints it.
pub const DEFAULT_CEDAR: &str = include_str!("../defaults/default.cedar");
/// The Cedar schema every policy is validated against.
pub const SCHEMA: &str = include_str!("../defaults/schema.cedarschema");
