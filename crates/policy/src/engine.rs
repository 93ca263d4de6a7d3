//! Loading, validating, slicing and evaluating policies.

use crate::context;
use crate::settings::{Resolved, Settings};
use assent_core::{
    Decision, Directory, Facts, Kind, Mode, OnTimeout, Principal, Requirement, Severity, Verdict,
};
use cedar_policy::{
    ActionConstraint, Authorizer, Effect, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, ResourceConstraint, RestrictedExpression, Schema, ValidationMode,
    Validator,
};
use miette::Diagnostic;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fmt;
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

/// One problem found while loading a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

/// A policy that could not be loaded, with every problem found.
#[derive(Debug, Clone)]
pub struct PolicyError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "policy rejected ({} problem{}):",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

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

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // The offset comes from the policy parser: clamp it to the text and to a character start.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, col)
}

fn problems_from(diag: &dyn Diagnostic, file: &str, text: &str, fallback: String) -> Vec<Problem> {
    let help = diag.help().map(|h| h.to_string());
    let mut out = Vec::new();
    if let Some(related) = diag.related() {
        for r in related {
            out.extend(problems_from(r, file, text, r.to_string()));
        }
        if !out.is_empty() {
            return out;
        }
    }
    let first = diag.labels().and_then(|mut l| l.next());
    let (line, column) = match first {
        Some(label) => {
            let (l, c) = line_col(text, label.offset());
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    out.push(Problem {
        file: file.to_string(),
        line,
        column,
        message: fallback,
        help,
    });
    out
}

/// Line of the rule with this `@id`, or of the n-th rule in the file.
fn rule_line(text: &str, id: &str) -> Option<usize> {
    let needle = format!("@id(\"{id}\")");
    text.find(&needle).map(|off| line_col(text, off).0)
}

fn annotation<T: FromStr<Err = String>>(
    p: &cedar_policy::Policy,
    key: &str,
    problems: &mut Vec<Problem>,
    file: &str,
    line: Option<usize>,
) -> Option<T> {
    let v = p.annotation(key)?;
    match v.parse::<T>() {
        Ok(x) => Some(x),
        Err(e) => {
            problems.push(Problem {
                file: file.into(),
                line,
                column: None,
                message: format!("rule `{}`: @{key}: {e}", p.id()),
                help: None,
            });
            None
        }
    }
}

impl Policy {
    /// Loads and validates `source`. Every problem is reported, not only the first.
    pub fn load(source: PolicySource, version: u64) -> Result<Policy, PolicyError> {
        Self::load_inner(source, version, true)
    }

    /// Loads a policy whose exact text (by digest) was already validated and recorded, skipping
    /// the schema type check (the slow part of loading). Anything ill-typed would still only
    /// produce evaluation errors, and those deny.
    pub fn load_validated(source: PolicySource, version: u64) -> Result<Policy, PolicyError> {
        Self::load_inner(source, version, false)
    }

    fn load_inner(
        source: PolicySource,
        version: u64,
        validate: bool,
    ) -> Result<Policy, PolicyError> {
        let mut problems: Vec<Problem> = Vec::new();
        let (settings_file, settings_text) = &source.settings;
        let settings = Settings::parse(settings_text, settings_file).map_err(|e| PolicyError {
            problems: vec![Problem {
                file: settings_file.clone(),
                line: None,
                column: None,
                message: e
                    .to_string()
                    .trim_start_matches(&format!("{settings_file}: "))
                    .trim()
                    .to_string(),
                help: None,
            }],
        })?;
        let resolved = settings.resolve(settings_file).map_err(|e| PolicyError {
            problems: vec![Problem {
                file: settings_file.clone(),
                line: None,
                column: None,
                message: e
                    .to_string()
                    .trim_start_matches(&format!("{settings_file}: "))
                    .to_string(),
                help: None,
            }],
        })?;
        let directory = Directory::new(resolved.principals.clone()).map_err(|e| PolicyError {
            problems: vec![Problem {
                file: settings_file.clone(),
                line: None,
                column: None,
                message: e.to_string(),
                help: None,
            }],
        })?;

        let mut all = PolicySet::new();
        let mut origin: HashMap<String, (String, Option<usize>)> = HashMap::new();
        if source.cedar.is_empty() {
            problems.push(Problem {
                file: "(policy)".into(),
                line: None,
                column: None,
                message: "no Cedar policy files".into(),
                help: Some("a policy directory needs at least one *.cedar file".into()),
            });
        }
        for (file, text) in &source.cedar {
            let set = match PolicySet::from_str(text) {
                Ok(s) => s,
                Err(e) => {
                    problems.extend(problems_from(&e, file, text, e.to_string()));
                    continue;
                }
            };
            if set.templates().next().is_some() {
                problems.push(Problem {
                    file: file.clone(),
                    line: None,
                    column: None,
                    message: "policy templates are not supported".into(),
                    help: Some("write the rule out for each principal or use roles".into()),
                });
            }
            for (n, p) in set.policies().enumerate() {
                let name = match p.annotation("id") {
                    Some(id) if !id.is_empty() => id.to_string(),
                    _ => format!("{}#{}", file.trim_end_matches(".cedar"), n + 1),
                };
                let line = rule_line(text, &name);
                if let Some((other_file, other_line)) = origin.get(&name) {
                    problems.push(Problem {
                        file: file.clone(),
                        line,
                        column: None,
                        message: format!(
                            "rule id `{name}` is used twice (also at {other_file}:{})",
                            other_line.map(|l| l.to_string()).unwrap_or_default()
                        ),
                        help: Some("give every rule a unique @id".into()),
                    });
                    continue;
                }
                origin.insert(name.clone(), (file.clone(), line));
                let renamed = p.new_id(PolicyId::new(&name));
                if let Err(e) = all.add(renamed) {
                    problems.push(Problem {
                        file: file.clone(),
                        line,
                        column: None,
                        message: e.to_string(),
                        help: None,
                    });
                }
            }
        }
        let schema = if !validate {
            None
        } else {
            Some(match Schema::from_cedarschema_str(crate::SCHEMA) {
                Ok((s, _warnings)) => s,
                Err(e) => {
                    return Err(PolicyError {
                        problems: vec![Problem {
                            file: "schema.cedarschema".into(),
                            line: None,
                            column: None,
                            message: e.to_string(),
                            help: None,
                        }],
                    })
                }
            })
        };
        if let (true, Some(schema)) = (problems.is_empty(), schema) {
            let validator = Validator::new(schema);
            let result = validator.validate(&all, ValidationMode::Strict);
            for e in result.validation_errors() {
                let (file, line) = origin
                    .get(&e.policy_id().to_string())
                    .cloned()
                    .unwrap_or_default();
                let text = source
                    .cedar
                    .iter()
                    .find(|(f, _)| *f == file)
                    .map(|(_, t)| t.as_str())
                    .unwrap_or("");
                let mut ps = problems_from(e, &file, text, e.to_string());
                for p in &mut ps {
                    if p.line.is_none() {
                        p.line = line;
                    }
                }
                problems.extend(ps);
            }
        }

        // Annotations, and which kinds each rule can apply to.
        let mut rules = HashMap::new();
        let mut kind_uids = HashMap::new();
        for k in Kind::ALL {
            match uid("Kind", k.as_str()) {
                Ok(u) => {
                    kind_uids.insert(k, u);
                }
                Err(e) => problems.push(Problem {
                    file: "(internal)".into(),
                    line: None,
                    column: None,
                    message: e,
                    help: None,
                }),
            }
        }
        let mut verb_uids = HashMap::new();
        for v in [Verb::Request, Verb::Approve] {
            match uid("Action", v.as_str()) {
                Ok(u) => {
                    verb_uids.insert(v, u);
                }
                Err(e) => problems.push(Problem {
                    file: "(internal)".into(),
                    line: None,
                    column: None,
                    message: e,
                    help: None,
                }),
            }
        }
        let mut slices: HashMap<(Verb, Kind), Slice> = HashMap::new();
        for p in all.policies() {
            let id = p.id().to_string();
            let (file, line) = origin.get(&id).cloned().unwrap_or_default();
            const KNOWN: &[&str] = &[
                "id",
                "ask",
                "approvers",
                "quorum",
                "mode",
                "timeout",
                "on_timeout",
                "severity",
                "reason",
            ];
            for (k, _) in p.annotations() {
                if !KNOWN.contains(&k) {
                    problems.push(Problem {
                        file: file.clone(),
                        line,
                        column: None,
                        message: format!("rule `{id}`: unknown annotation @{k}"),
                        help: Some(format!("known annotations: {}", KNOWN.join(", "))),
                    });
                }
            }
            let ask = p.annotation("ask").is_some()
                || ["approvers", "quorum", "mode", "timeout", "on_timeout"]
                    .iter()
                    .any(|k| p.annotation(k).is_some());
            if ask && p.effect() == Effect::Forbid {
                problems.push(Problem {
                    file: file.clone(),
                    line,
                    column: None,
                    message: format!("rule `{id}`: approval annotations on a `forbid` rule"),
                    help: Some(
                        "a forbid always denies; use `permit` with @ask to require approval".into(),
                    ),
                });
            }
            let d = &resolved;
            let approvers = p
                .annotation("approvers")
                .map(|a| {
                    a.split(',')
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_else(|| d.approvers.clone());
            if approvers.is_empty() {
                problems.push(Problem {
                    file: file.clone(),
                    line,
                    column: None,
                    message: format!("rule `{id}`: @approvers names no role"),
                    help: None,
                });
            }
            let quorum = p.annotation("quorum").map(|q| q.parse::<u32>());
            let quorum = match quorum {
                None => d.quorum,
                Some(Ok(q)) if (1..=crate::settings::MAX_QUORUM).contains(&q) => q,
                Some(_) => {
                    problems.push(Problem {
                        file: file.clone(),
                        line,
                        column: None,
                        message: format!(
                            "rule `{id}`: @quorum must be a number from 1 to {}",
                            crate::settings::MAX_QUORUM
                        ),
                        help: None,
                    });
                    1
                }
            };
            let timeout_s = match p.annotation("timeout").map(|t| t.parse::<u64>()) {
                None => d.timeout_s,
                Some(Ok(t)) if t > 0 && t <= 7 * 24 * 3600 => t,
                Some(_) => {
                    problems.push(Problem {
                        file: file.clone(),
                        line,
                        column: None,
                        message: format!(
                            "rule `{id}`: @timeout must be seconds between 1 and 604800"
                        ),
                        help: None,
                    });
                    d.timeout_s
                }
            };
            let mode: Mode = annotation(p, "mode", &mut problems, &file, line).unwrap_or(d.mode);
            let on_timeout: OnTimeout = annotation(p, "on_timeout", &mut problems, &file, line)
                .unwrap_or_else(|| d.on_timeout.clone());
            let severity: Option<Severity> = annotation(p, "severity", &mut problems, &file, line);
            rules.insert(
                id.clone(),
                Rule {
                    ask,
                    severity,
                    reason: p.annotation("reason").map(str::to_string),
                    requirement: Requirement {
                        approvers,
                        quorum,
                        mode,
                        timeout_s,
                        on_timeout,
                    },
                },
            );
            let verbs: Vec<Verb> = match p.action_constraint() {
                ActionConstraint::Any => vec![Verb::Request, Verb::Approve],
                ActionConstraint::Eq(a) => verb_uids
                    .iter()
                    .filter(|(_, u)| **u == a)
                    .map(|(v, _)| *v)
                    .collect(),
                ActionConstraint::In(list) => verb_uids
                    .iter()
                    .filter(|(_, u)| list.contains(u))
                    .map(|(v, _)| *v)
                    .collect(),
            };
            let kind_of = |u: &EntityUid| kind_uids.iter().find(|(_, k)| *k == u).map(|(k, _)| *k);
            let kinds: Vec<Kind> = match p.resource_constraint() {
                ResourceConstraint::Eq(u)
                | ResourceConstraint::In(u)
                | ResourceConstraint::IsIn(_, u) => match kind_of(&u) {
                    Some(k) => vec![k],
                    None => {
                        problems.push(Problem {
                            file: file.clone(),
                            line,
                            column: None,
                            message: format!("rule `{id}`: unknown resource `{u}`"),
                            help: Some("resources are action kinds: Kind::\"shell\", Kind::\"file.read\", Kind::\"file.write\", Kind::\"file.delete\", Kind::\"http\", Kind::\"payment\", Kind::\"gui\", Kind::\"code.exec\", Kind::\"env\", Kind::\"mcp\", Kind::\"other\"".into()),
                        });
                        vec![]
                    }
                },
                ResourceConstraint::Any | ResourceConstraint::Is(_) => Kind::ALL.to_vec(),
            };
            for v in &verbs {
                for k in &kinds {
                    let slice = slices.entry((*v, *k)).or_insert_with(|| Slice {
                        set: PolicySet::new(),
                        fields: Some(Vec::new()),
                    });
                    match (&mut slice.fields, context::fields_used(&p.to_string())) {
                        (Some(have), Some(used)) => {
                            for f in used {
                                if !have.contains(&f) {
                                    have.push(f);
                                }
                            }
                        }
                        (fields, _) => *fields = None,
                    }
                    if let Err(e) = slice.set.add(p.clone()) {
                        problems.push(Problem {
                            file: file.clone(),
                            line,
                            column: None,
                            message: e.to_string(),
                            help: None,
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(PolicyError { problems });
        }
        Ok(Policy {
            version,
            digest: source.digest(),
            source,
            settings,
            resolved,
            directory,
            rules,
            slices,
            authorizer: Authorizer::new(),
            entity_cache: std::sync::RwLock::new(HashMap::new()),
            decision_cache: std::sync::RwLock::new(HashMap::new()),
            kind_uids,
            verb_uids,
        })
    }

    /// Forgets cached answers (benchmarks measure the uncached path with it).
    pub fn clear_decision_cache(&self) {
        if let Ok(mut c) = self.decision_cache.write() {
            c.clear();
        }
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
