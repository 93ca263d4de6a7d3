//! Loading: parse, validate against the schema, read annotations, slice by (verb, kind).

use super::problems::{problems_from, rule_line};
use super::*;
use crate::context;
use crate::settings::Settings;
use assent_core::{Directory, Kind, Mode, OnTimeout, Requirement, Severity};
use cedar_policy::{
    ActionConstraint, Authorizer, Effect, EntityUid, PolicyId, PolicySet, ResourceConstraint,
    Schema, ValidationMode, Validator,
};
use std::collections::HashMap;
use std::str::FromStr;

/// The value of annotation `@key` on `p`. Not `Policy::annotation`: that parses `key` as a
/// Cedar identifier with the full policy grammar (its own lexer, built on first use) on
/// every call, which made reading ~10 annotations of each rule a visible part of loading.
fn ann<'a>(p: &'a cedar_policy::Policy, key: &str) -> Option<&'a str> {
    p.annotations().find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn annotation<T: FromStr<Err = String>>(
    p: &cedar_policy::Policy,
    key: &str,
    problems: &mut Vec<Problem>,
    file: &str,
    line: Option<usize>,
) -> Option<T> {
    let v = ann(p, key)?;
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
                let name = match ann(p, "id") {
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
            let ask = ann(p, "ask").is_some()
                || ["approvers", "quorum", "mode", "timeout", "on_timeout"]
                    .iter()
                    .any(|k| ann(p, k).is_some());
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
            let approvers = ann(p, "approvers")
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
            let quorum = ann(p, "quorum").map(|q| q.parse::<u32>());
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
            let timeout_s = match ann(p, "timeout").map(|t| t.parse::<u64>()) {
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
                    reads_network: p.effect() == Effect::Permit
                        && context::fields_used(&p.to_string())
                            .is_some_and(|f| f.iter().any(|n| n == "network" || n == "hosts")),
                    severity,
                    reason: ann(p, "reason").map(str::to_string),
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
            // Printed and scanned once per rule, not once per slice it lands in.
            let used = context::fields_used(&p.to_string());
            for v in &verbs {
                for k in &kinds {
                    let slice = slices.entry((*v, *k)).or_insert_with(|| Slice {
                        set: PolicySet::new(),
                        fields: Some(Vec::new()),
                    });
                    match (&mut slice.fields, used.clone()) {
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
}
