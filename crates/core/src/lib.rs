//! Assent's pure core.
//!
//! Owns the vocabulary every other crate speaks: the canonical [`Action`] envelope and its
//! digest, the [`Facts`] analyzers extract, [`Principal`]s and their delegation chains, the
//! [`Decision`] policy returns, the approval state machine, and the redaction and text-escaping
//! rules that decide what a person or a log may see.
//!
//! Invariants, stated as absences: this crate does no I/O, reads no environment, spawns no
//! threads, knows no wire format beyond the canonical action JSON, and depends on no parser,
//! policy engine, database or async runtime.

pub mod action;
pub mod approval;
pub mod clock;
pub mod decision;
pub mod facts;
pub mod json;
pub mod principal;
pub mod redact;
pub mod text;

pub use action::{Action, ActionError, Kind};
pub use clock::{Clock, ManualClock};
pub use decision::{Decision, Mode, OnTimeout, Requirement, Severity, Verdict};
pub use facts::Facts;
pub use principal::{Directory, Principal, PrincipalKind};
