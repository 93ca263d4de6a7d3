//! Loading, validating, slicing and evaluating policies.
//!
//! The code lives in child modules by concern; this root holds the types they share.

mod evaluate;
mod load;
mod problems;

pub use problems::{PolicyError, Problem};

use crate::settings::{Resolved, Settings};
use assent_core::{Directory, Kind, Requirement, Severity};
use cedar_policy::{Authorizer, Entities, EntityId, EntityTypeName, EntityUid, PolicySet};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::str::FromStr;

/// The text of a policy: Cedar files and the settings file, as read from disk or a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// (file name, Cedar text), in a stable order.
    pub cedar: Vec<(String, String)>,
    /// (file name, TOML text).
    pub settings: (String, String),
}

impl PolicySource {
    /// The shipped default policy with the starter settings.
    pub fn default_policy() -> PolicySource {
        PolicySource {
            cedar: vec![("default.cedar".into(), crate::DEFAULT_CEDAR.into())],
            settings: ("assent.toml".into(), crate::settings::DEFAULT_TOML.into()),
        }
    }

    /// SHA-256 over every file name and text: identifies a policy version's content.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for (name, text) in self.cedar.iter().chain(std::iter::once(&self.settings)) {
            h.update((name.len() as u64).to_be_bytes());
            h.update(name.as_bytes());
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// What a principal asks Cedar about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Request,
    Approve,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Request => "request",
            Verb::Approve => "approve",
        }
    }
}

/// What the annotations of one rule say.
#[derive(Debug, Clone)]
struct Rule {
    ask: bool,
    /// The rule's condition reads the network facts (`context.network`, `context.hosts`):
    /// allowing by it is allowing the network (see [`Policy::grants_network`]).
    reads_network: bool,
    severity: Option<Severity>,
    reason: Option<String>,
    requirement: Requirement,
}

/// The policies that can apply to one verb and kind, and the context fields they read.
#[derive(Debug, Default)]
struct Slice {
    set: PolicySet,
    /// `None`: the whole context is needed.
    fields: Option<Vec<String>>,
}

/// Most cached Cedar answers; past this the cache starts over.
const DECISION_CACHE_MAX: usize = 16_384;

/// Most principals whose entities are cached; past this the cache starts over.
const ENTITY_CACHE_MAX: usize = 4096;

/// A loaded, validated policy: ready to decide.
#[derive(Debug)]
pub struct Policy {
    pub version: u64,
    pub digest: String,
    pub source: PolicySource,
    pub settings: Settings,
    pub resolved: Resolved,
    pub directory: Directory,
    rules: HashMap<String, Rule>,
    /// The policies that can apply, by verb and action kind: rules that cannot apply to an
    /// action are never evaluated for it, so latency does not grow with unrelated rules.
    slices: HashMap<(Verb, Kind), Slice>,
    authorizer: Authorizer,
    /// Cedar's answers by (verb, kind, principal, the facts the slice reads): the policy is
    /// immutable, so equal keys get equal answers. Errors are never cached.
    decision_cache: std::sync::RwLock<HashMap<String, (bool, Vec<String>)>>,
    /// Entities per principal (name and roles), built once: they only change with the policy.
    entity_cache: std::sync::RwLock<HashMap<String, (EntityUid, std::sync::Arc<Entities>)>>,
    kind_uids: HashMap<Kind, EntityUid>,
    verb_uids: HashMap<Verb, EntityUid>,
}

fn uid(ty: &str, id: &str) -> Result<EntityUid, String> {
    let ty = EntityTypeName::from_str(ty).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
}
