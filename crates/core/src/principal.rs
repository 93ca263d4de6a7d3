//! Principals and delegation chains.
//!
//! A principal is known only by name from configuration (or derived from a known parent, for
//! subordinate agents a front end creates on the fly). Its chain is itself followed by every
//! ancestor; policy decides for each link and the strictest answer wins.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Agent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub name: String,
    pub kind: PrincipalKind,
    pub roles: Vec<String>,
    /// The agent (or user) that spawned this one.
    pub parent: Option<String>,
}

impl Principal {
    pub fn is_agent(&self) -> bool {
        self.kind == PrincipalKind::Agent
            || self.roles.iter().any(|r| r == "agent" || r == "subagent")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrincipalError {
    #[error("unknown principal `{0}`")]
    Unknown(String),
    #[error("principal `{0}` has a delegation cycle through `{1}`")]
    Cycle(String, String),
    #[error("principal `{0}` names unknown parent `{1}`")]
    UnknownParent(String, String),
}

/// Every principal the configuration knows.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    principals: BTreeMap<String, Principal>,
}

/// Longest delegation chain accepted; deeper configuration is refused as a likely mistake.
pub const MAX_CHAIN: usize = 32;

impl Directory {
    pub fn new(list: impl IntoIterator<Item = Principal>) -> Result<Directory, PrincipalError> {
        let principals: BTreeMap<String, Principal> =
            list.into_iter().map(|p| (p.name.clone(), p)).collect();
        let dir = Directory { principals };
        for name in dir.principals.keys() {
            dir.chain(name)?;
        }
        Ok(dir)
    }

    pub fn get(&self, name: &str) -> Option<&Principal> {
        self.principals.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Principal> {
        self.principals.values()
    }

    /// The principal followed by each ancestor, nearest first.
    pub fn chain(&self, name: &str) -> Result<Vec<Principal>, PrincipalError> {
        let mut out: Vec<Principal> = Vec::new();
        let mut current = self
            .principals
            .get(name)
            .ok_or_else(|| PrincipalError::Unknown(name.to_string()))?;
        loop {
            if out.iter().any(|p| p.name == current.name) || out.len() >= MAX_CHAIN {
                return Err(PrincipalError::Cycle(
                    name.to_string(),
                    current.name.clone(),
                ));
            }
            out.push(current.clone());
            match &current.parent {
                None => return Ok(out),
                Some(parent) => {
                    current = self.principals.get(parent).ok_or_else(|| {
                        PrincipalError::UnknownParent(current.name.clone(), parent.clone())
                    })?;
                }
            }
        }
    }

    /// A chain for a subordinate agent that a front end learned about at run time (for
    /// example Claude Code's `agent_id`): a `subagent` whose parent is a known principal.
    /// It gets only the `subagent` role; its parent's rights still bound it.
    pub fn chain_with_subagent(
        &self,
        parent: &str,
        sub_name: &str,
    ) -> Result<Vec<Principal>, PrincipalError> {
        if let Some(known) = self.principals.get(sub_name) {
            // A configured subagent keeps its configured roles, but must descend from `parent`.
            let chain = self.chain(&known.name)?;
            if chain.iter().any(|p| p.name == parent) {
                return Ok(chain);
            }
        }
        let mut chain = vec![Principal {
            name: sub_name.to_string(),
            kind: PrincipalKind::Agent,
            roles: vec!["subagent".to_string()],
            parent: Some(parent.to_string()),
        }];
        chain.extend(self.chain(parent)?);
        Ok(chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, parent: Option<&str>) -> Principal {
        Principal {
            name: name.into(),
            kind: PrincipalKind::Agent,
            roles: vec!["agent".into()],
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn chains_follow_parents_and_refuse_cycles() {
        let dir = Directory::new([p("a", None), p("b", Some("a")), p("c", Some("b"))])
            .expect("valid directory");
        let names: Vec<_> = dir
            .chain("c")
            .expect("chain")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["c", "b", "a"]);
        assert!(Directory::new([p("x", Some("y")), p("y", Some("x"))]).is_err());
        assert!(Directory::new([p("x", Some("nobody"))]).is_err());
        assert!(dir.chain("nobody").is_err());
        let sub = dir
            .chain_with_subagent("c", "c/sub-1")
            .expect("subagent chain");
        assert_eq!(sub.len(), 4);
        assert_eq!(sub[0].roles, vec!["subagent".to_string()]);
    }
}
