//! Audit events: the fixed field set and how an evaluation or a stored request fills it.

use super::*;
use crate::engine::Evaluation;
use assent_core::redact::Redactor;
use assent_core::Decision;
use assent_store::{RequestRow, EVENT_FIELDS};
use serde_json::{json, Map, Value};

impl Gateway {
    pub(super) fn action_event(&self, name: &str, ev: &Evaluation) -> Map<String, Value> {
        let mut e = base_event(name, self.now());
        e.insert(
            "principal".into(),
            json!(ev.chain.first().map(|p| p.name.clone()).unwrap_or_default()),
        );
        e.insert(
            "chain".into(),
            json!(ev.chain.iter().map(|p| p.name.clone()).collect::<Vec<_>>()),
        );
        e.insert("digest".into(), json!(ev.digest));
        e.insert("kind".into(), json!(ev.action.kind.as_str()));
        e.insert("tool".into(), json!(ev.action.tool));
        e.insert(
            "session".into(),
            json!(ev.action.session.clone().unwrap_or_default()),
        );
        e.insert("summary".into(), json!(summarize(&ev.action)));
        e.insert("policy_version".into(), json!(ev.decision.policy_version));
        e
    }

    pub(super) fn decision_fields(e: &mut Map<String, Value>, d: &Decision) {
        e.insert("decision".into(), json!(d.decision.as_str()));
        e.insert("rule".into(), json!(d.rule()));
        e.insert("severity".into(), json!(d.severity.as_str()));
        e.insert("reason".into(), json!(d.reason));
        if let Some(r) = &d.requirement {
            e.insert("detail".into(), json!({"rules": d.rules, "approvers": r.approvers, "quorum": r.quorum, "mode": r.mode, "timeout_s": r.timeout_s, "on_timeout": r.on_timeout.label()}));
        } else {
            e.insert("detail".into(), json!({"rules": d.rules}));
        }
    }

    pub(super) fn request_event(&self, name: &str, row: &RequestRow) -> Map<String, Value> {
        let mut e = base_event(name, self.now());
        let b = &row.body;
        e.insert("request_id".into(), json!(row.id));
        e.insert("principal".into(), json!(row.principal));
        e.insert("chain".into(), json!(b.approval.chain()));
        e.insert("digest".into(), json!(row.digest));
        e.insert("kind".into(), json!(b.action.kind.as_str()));
        e.insert("tool".into(), json!(b.action.tool));
        e.insert("session".into(), json!(row.session));
        e.insert("summary".into(), json!(b.summary));
        e.insert("rule".into(), json!(b.decision.rules.first()));
        e.insert("severity".into(), json!(b.decision.severity.as_str()));
        e.insert("policy_version".into(), json!(b.decision.policy_version));
        e
    }
}

pub(super) fn base_event(name: &str, now: i64) -> Map<String, Value> {
    let mut e = Map::new();
    for k in EVENT_FIELDS {
        e.insert((*k).into(), Value::Null);
    }
    e.insert("event".into(), json!(name));
    e.insert("time".into(), json!(rfc3339(now)));
    e.insert("time_ms".into(), json!(now));
    e
}

pub(super) fn redactor_event(r: &Redactor, e: Map<String, Value>) -> Map<String, Value> {
    match r.redact_json(&Value::Object(e)) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
