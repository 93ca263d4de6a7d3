//! Evaluating: entities per principal, cached Cedar answers, the 3-way decision, approvers.

use super::*;
use crate::context;
use assent_core::{Decision, Facts, Kind, Principal, Requirement, Severity, Verdict};
use cedar_policy::{Entities, Entity, EntityUid, Request, RestrictedExpression};
use std::collections::{HashMap, HashSet};

impl Policy {
    /// Forgets cached answers (benchmarks measure the uncached path with it).
    pub fn clear_decision_cache(&self) {
        if let Ok(mut c) = self.decision_cache.write() {
            c.clear();
        }
    }

    /// Whether `d` allows the network explicitly: it is an allow, and a permit that allowed
    /// it reads the network facts in its condition (`context.network`, `context.hosts`). A
    /// rule that allows every shell command, or every read-only one, allows what the command
    /// does to files, never a socket the analyser happened to see: a sandboxed command then
    /// runs without the network.
    pub fn grants_network(&self, d: &Decision) -> bool {
        d.decision == Verdict::Allow
            && d.diagnostics.is_empty()
            && d.rules
                .iter()
                .any(|id| self.rules.get(id).is_some_and(|r| r.reads_network))
    }

    /// Number of rules loaded.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    fn entities(&self, p: &Principal) -> Result<(EntityUid, std::sync::Arc<Entities>), String> {
        let key = format!("{}\u{0}{:?}\u{0}{}", p.name, p.kind, p.roles.join("\u{0}"));
        if let Ok(cache) = self.entity_cache.read() {
            if let Some(hit) = cache.get(&key) {
                return Ok(hit.clone());
            }
        }
        let built = self.build_entities(p)?;
        let built = (built.0, std::sync::Arc::new(built.1));
        if let Ok(mut cache) = self.entity_cache.write() {
            if cache.len() >= ENTITY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, built.clone());
        }
        Ok(built)
    }

    fn build_entities(&self, p: &Principal) -> Result<(EntityUid, Entities), String> {
        let puid = uid("Principal", &p.name)?;
        let mut parents = HashSet::new();
        let mut list = Vec::new();
        for r in &p.roles {
            let ruid = uid("Role", r)?;
            parents.insert(ruid.clone());
            list.push(Entity::new_no_attrs(ruid, HashSet::new()));
        }
        let kind_str = match p.kind {
            assent_core::PrincipalKind::User => "user",
            assent_core::PrincipalKind::Agent => "agent",
        };
        let attrs = HashMap::from([(
            "kind".to_string(),
            RestrictedExpression::new_string(kind_str.into()),
        )]);
        list.push(Entity::new(puid.clone(), attrs, parents).map_err(|e| e.to_string())?);
        for k in self.kind_uids.values() {
            list.push(Entity::new_no_attrs(k.clone(), HashSet::new()));
        }
        let entities = Entities::from_entities(list, None).map_err(|e| e.to_string())?;
        Ok((puid, entities))
    }

    /// Evaluates `verb` for one principal. Returns Cedar's answer: (allowed, matching rule
    /// ids, errors).
    fn evaluate(
        &self,
        verb: Verb,
        p: &Principal,
        kind: Kind,
        facts: &Facts,
    ) -> Result<(bool, Vec<String>), String> {
        let Some(slice) = self.slices.get(&(verb, kind)) else {
            return Ok((false, Vec::new()));
        };
        let mut key = format!(
            "{}\u{1d}{}\u{1d}{}\u{1d}{:?}\u{1d}{}\u{1d}",
            verb.as_str(),
            kind.as_str(),
            p.name,
            p.kind,
            p.roles.join("\u{1f}")
        );
        context::cache_key(facts, slice.fields.as_deref(), &mut key);
        if let Ok(cache) = self.decision_cache.read() {
            if let Some(hit) = cache.get(&key) {
                return Ok(hit.clone());
            }
        }
        let ctx = context::build_only(facts, slice.fields.as_deref())?;
        let (puid, entities) = self.entities(p)?;
        let action = self
            .verb_uids
            .get(&verb)
            .cloned()
            .ok_or("internal: no action uid")?;
        let resource = self
            .kind_uids
            .get(&kind)
            .cloned()
            .ok_or("internal: no kind uid")?;
        let request = Request::new(puid, action, resource, ctx, None).map_err(|e| e.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&request, &slice.set, &entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        let reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|r| r.to_string())
            .collect();
        let answer = (
            response.decision() == cedar_policy::Decision::Allow,
            reasons,
        );
        if let Ok(mut cache) = self.decision_cache.write() {
            if cache.len() >= DECISION_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, answer.clone());
        }
        Ok(answer)
    }

    /// The decision for one principal (no delegation).
    fn decide_one(&self, p: &Principal, kind: Kind, ctx: &Facts) -> Decision {
        let v = self.version;
        if p.roles.is_empty() {
            return Decision::fail_closed(
                "no-role",
                format!("principal `{}` has no role", p.name),
                v,
            );
        }
        let (allowed, reasons) = match self.evaluate(Verb::Request, p, kind, ctx) {
            Ok(x) => x,
            Err(e) => {
                let mut d = Decision::fail_closed(
                    "policy-error",
                    "the policy could not be evaluated; denying",
                    v,
                );
                d.diagnostics.push(e);
                return d;
            }
        };
        let d = &self.resolved;
        if reasons.is_empty() {
            return Decision {
                decision: d.unmatched,
                rules: vec!["unmatched".into()],
                severity: d.severity,
                requirement: (d.unmatched == Verdict::Ask).then(|| Requirement {
                    approvers: d.approvers.clone(),
                    quorum: d.quorum,
                    mode: d.mode,
                    timeout_s: d.timeout_s,
                    on_timeout: d.on_timeout.clone(),
                }),
                policy_version: v,
                reason: match d.unmatched {
                    Verdict::Ask => "no rule allows this action, so it needs approval".into(),
                    Verdict::Deny => "no rule allows this action".into(),
                    Verdict::Allow => "no rule matched; allowed by the `unmatched` setting".into(),
                },
                diagnostics: Vec::new(),
            };
        }
        let matched: Vec<(&String, &Rule)> = reasons
            .iter()
            .filter_map(|r| self.rules.get_key_value(r))
            .collect();
        let (verdict, chosen): (Verdict, Vec<(&String, &Rule)>) = if !allowed {
            (Verdict::Deny, matched)
        } else {
            let asks: Vec<_> = matched.iter().filter(|(_, r)| r.ask).cloned().collect();
            if asks.is_empty() {
                (Verdict::Allow, matched)
            } else {
                (Verdict::Ask, asks)
            }
        };
        let default_sev = match verdict {
            Verdict::Deny => Severity::High,
            Verdict::Ask => d.severity,
            Verdict::Allow => Severity::Low,
        };
        let severity = chosen
            .iter()
            .map(|(_, r)| r.severity.unwrap_or(default_sev))
            .max()
            .unwrap_or(default_sev);
        let requirement = (verdict == Verdict::Ask).then(|| {
            chosen
                .iter()
                .map(|(_, r)| r.requirement.clone())
                .reduce(|a, b| a.merge(&b))
                .unwrap_or_else(|| Requirement {
                    approvers: d.approvers.clone(),
                    quorum: d.quorum,
                    mode: d.mode,
                    timeout_s: d.timeout_s,
                    on_timeout: d.on_timeout.clone(),
                })
        });
        let mut sorted = chosen.clone();
        sorted.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then(a.0.cmp(b.0)));
        let reason = sorted
            .iter()
            .map(|(id, r)| r.reason.clone().unwrap_or_else(|| format!("rule `{id}`")))
            .collect::<Vec<_>>()
            .join("; ");
        Decision {
            decision: verdict,
            rules: sorted.iter().map(|(id, _)| (*id).clone()).collect(),
            severity,
            requirement,
            policy_version: v,
            reason,
            diagnostics: Vec::new(),
        }
    }

    /// The decision for a principal and its delegation chain (nearest first): the strictest
    /// of every link's decision. An empty chain is a deny.
    pub fn decide(&self, chain: &[Principal], kind: Kind, facts: &Facts) -> Decision {
        let mut out: Option<Decision> = None;
        for p in chain {
            let d = self.decide_one(p, kind, facts);
            out = Some(match out {
                None => d,
                Some(prev) => prev.strictest(d),
            });
        }
        out.unwrap_or_else(|| {
            Decision::fail_closed(
                "unknown-principal",
                "no principal to decide for",
                self.version,
            )
        })
    }

    /// Whether `approver` may approve a request of this kind with these facts for a requirement
    /// naming `roles`. Agents never approve.
    pub fn may_approve(
        &self,
        approver: &Principal,
        roles: &[String],
        kind: Kind,
        facts: &Facts,
    ) -> Result<(), String> {
        if approver.is_agent() {
            return Err(format!(
                "`{}` is an agent; agents never approve",
                approver.name
            ));
        }
        if !approver.roles.iter().any(|r| roles.contains(r)) {
            return Err(format!(
                "`{}` has none of the approver roles ({})",
                approver.name,
                roles.join(", ")
            ));
        }
        match self.evaluate(Verb::Approve, approver, kind, facts) {
            Ok((true, _)) => Ok(()),
            Ok((false, reasons)) if !reasons.is_empty() => Err(format!(
                "policy forbids `{}` to approve this ({})",
                approver.name,
                reasons.join(", ")
            )),
            Ok((false, _)) => Err(format!(
                "no rule lets `{}` approve {} actions",
                approver.name, kind
            )),
            Err(e) => Err(format!("policy error while checking approver: {e}")),
        }
    }
}
