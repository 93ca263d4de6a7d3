//! Runtime, versioned configuration: the active policy is swapped while the gateway serves.
//!
//! The active policy (an [`Engine`] plus the [`Redactor`] built from its settings) sits behind
//! one `RwLock<Arc<…>>`. A decision clones the `Arc` once and finishes on that version, which it
//! records; a swap replaces the `Arc` for decisions that start later. Readers never wait on a
//! load: validation and the analyzer build happen before the lock is taken, and the write lock
//! is held only to replace one pointer.
//!
//! Files and store never disagree (the rule, see docs/policy.md "Changing the policy while it
//! runs"): the files are what is in force. An activation through the API or the CLI writes the
//! files and records the version in one store transaction (files first, commit last, under a
//! lock shared with the file watcher); an edit of the files is recorded as a new version when
//! the watcher loads it. A version is never in force unless its exact text is in the store.

use super::events::{base_event, redactor_event};
use super::{now_ms, policy_source, rfc3339, Gateway, GatewayError, OpenOptions};
use crate::engine::{Engine, Locations};
use assent_core::redact::Redactor;
use assent_policy::{Policy, PolicyError, PolicySource};
use assent_store::{NewPolicyVersion, PolicyVersionRow, Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Policy files by name (`*.cedar` and `assent.toml`), as the API and the store carry them.
pub type PolicyFiles = BTreeMap<String, String>;

/// The settings file's one name.
const SETTINGS: &str = "assent.toml";
/// Most files one policy may have, and the largest one (as `files::load` reads).
const MAX_FILES: usize = 64;
const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// How often the server looks at the policy files (a change is in force within two periods).
pub const WATCH_PERIOD: Duration = Duration::from_millis(100);
/// Longest error text kept in an audit event.
const ERROR_MAX: usize = 4000;

/// One problem with a candidate policy: file and, where Cedar or TOML give them, line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, " (help: {h})")?;
        }
        Ok(())
    }
}

fn problem(file: &str, message: impl Into<String>) -> PolicyProblem {
    PolicyProblem {
        file: file.into(),
        line: None,
        column: None,
        message: message.into(),
        help: None,
    }
}

fn problems_of(e: &PolicyError) -> Vec<PolicyProblem> {
    e.problems
        .iter()
        .map(|p| PolicyProblem {
            file: p.file.clone(),
            line: p.line,
            column: p.column,
            message: p.message.clone(),
            help: p.help.clone(),
        })
        .collect()
}

fn render(problems: &[PolicyProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The answer to "would this policy load?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<PolicyProblem>,
}

/// The last candidate that was refused because it did not load (files on disk or an API call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub at: String,
    pub at_ms: i64,
    /// Who proposed it (`files` for an edit on disk).
    pub by: String,
    /// SHA-256 of the refused text, when it could be read.
    pub digest: Option<String>,
    pub error: String,
    pub problems: Vec<PolicyProblem>,
}

/// One recorded version, without its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyVersionInfo {
    pub version: i64,
    pub digest: String,
    pub activated_by: String,
    pub activated_at: String,
    pub activated_ms: i64,
    /// `files`, `api`, `cli` or `rollback`.
    pub via: String,
    pub note: String,
    /// The version this one replaced.
    pub parent: Option<i64>,
}

impl From<PolicyVersionRow> for PolicyVersionInfo {
    fn from(r: PolicyVersionRow) -> Self {
        PolicyVersionInfo {
            version: r.version,
            digest: r.digest,
            activated_by: if r.activated_by.is_empty() {
                "files".into()
            } else {
                r.activated_by
            },
            activated_at: rfc3339(r.created_ms),
            activated_ms: r.created_ms,
            via: r.via,
            note: r.note,
            parent: r.parent,
        }
    }
}

/// The active configuration, as `GET /v1/policy` and `assent policy show` present it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivePolicy {
    #[serde(flatten)]
    pub info: PolicyVersionInfo,
    pub files: PolicyFiles,
    /// Where the files live (what the watcher reads and an activation writes).
    pub path: String,
    /// The last refused candidate, until a later version is in force.
    pub last_rejected: Option<Rejection>,
}

/// One file's change between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyFileDiff {
    pub file: String,
    /// `added`, `removed`, `changed` or `same`.
    pub change: &'static str,
    /// Unified diff (empty when `same`).
    pub unified: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    pub from: i64,
    pub to: i64,
    pub files: Vec<PolicyFileDiff>,
}

impl PolicyDiff {
    /// Every changed file's unified diff, one after the other.
    pub fn unified(&self) -> String {
        self.files.iter().map(|f| f.unified.as_str()).collect()
    }
}

/// Why a configuration operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The caller's `expected_version` is not the active one (HTTP 409).
    #[error("policy version {expected} is not the active one (active: {current}); read it again")]
    Stale { expected: i64, current: i64 },
    /// The candidate does not load (HTTP 422); nothing changed.
    #[error("policy rejected: {}", render(.0))]
    Invalid(Vec<PolicyProblem>),
    #[error("no policy version {0}")]
    NoSuchVersion(i64),
    /// The policy comes from a single `.cedar` file, which an activation cannot rewrite.
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

impl From<StoreError> for ConfigError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Stale { expected, current } => ConfigError::Stale { expected, current },
            other => ConfigError::Gateway(GatewayError::Store(other)),
        }
    }
}

/// What one look at the policy files found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The files are the active version.
    Unchanged,
    /// Changed since the last look: acted on once the same text is seen twice in a row, so a
    /// file caught half-written is never judged.
    Settling,
    /// Refused earlier with the same text; still refused, nothing new to record.
    StillRejected,
    /// Refused now; the previous version keeps serving.
    Rejected(Rejection),
    /// In force now.
    Loaded(i64),
}

/// How an activation came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Api,
    Cli,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Cli => "cli",
        }
    }
}

/// The engine and redactor of one policy version.
pub(super) struct Live {
    pub(super) engine: Arc<Engine>,
    pub(super) redactor: Arc<Redactor>,
}

/// What the watcher remembers between looks.
#[derive(Default)]
struct WatchState {
    /// The text (digest) or read error seen at the previous look.
    seen: Option<String>,
    /// The digest (or read error) last refused, so that it is refused (and audited) once.
    refused: Option<String>,
}

/// The gateway's configuration state.
pub(super) struct Config {
    live: RwLock<Arc<Live>>,
    /// The locations engines are built for (with an explicit policy path guarded).
    loc: Locations,
    /// An explicit policy path (`--policy`), else `ASSENT_HOME/policy`.
    explicit: Option<PathBuf>,
    /// Serialises activations and file loads in this process (the store serialises processes).
    gate: tokio::sync::Mutex<WatchState>,
    last_rejected: Mutex<Option<Rejection>>,
}

fn source_to_files(s: &PolicySource) -> PolicyFiles {
    s.cedar
        .iter()
        .chain(std::iter::once(&s.settings))
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect()
}

/// A plain file name a policy may have: `NAME.cedar` or `assent.toml`.
fn check_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !plain {
        return Err(
            "a policy file name is letters, digits, `.`, `-` and `_` only, not starting with `.`"
                .into(),
        );
    }
    if name == SETTINGS || (name.ends_with(".cedar") && name.len() > ".cedar".len()) {
        Ok(())
    } else {
        Err(format!(
            "only `*.cedar` files and `{SETTINGS}` make a policy"
        ))
    }
}

/// The files of a candidate as a policy source: names checked, at least one Cedar file, the
/// shipped settings when `assent.toml` is absent (as when reading a directory).
pub fn files_to_source(files: &PolicyFiles) -> Result<PolicySource, Vec<PolicyProblem>> {
    let mut problems = Vec::new();
    if files.len() > MAX_FILES {
        problems.push(problem(
            "(files)",
            format!("{} files; at most {MAX_FILES}", files.len()),
        ));
    }
    let mut cedar = Vec::new();
    let mut settings = None;
    for (name, text) in files {
        if let Err(e) = check_name(name) {
            problems.push(problem(name, e));
            continue;
        }
        if text.len() > MAX_FILE_BYTES {
            problems.push(problem(
                name,
                format!("{} bytes; at most {MAX_FILE_BYTES}", text.len()),
            ));
            continue;
        }
        if name == SETTINGS {
            settings = Some((name.clone(), text.clone()));
        } else {
            cedar.push((name.clone(), text.clone()));
        }
    }
    if cedar.is_empty() && problems.is_empty() {
        problems.push(problem(
            "(files)",
            "no `*.cedar` file: a policy needs rules",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(PolicySource {
        cedar,
        settings: settings.unwrap_or_else(|| PolicySource::default_policy().settings),
    })
}

fn source_json(s: &PolicySource) -> Value {
    json!({"cedar": s.cedar, "settings": s.settings})
}

fn source_from_json(v: &Value, version: i64) -> Result<PolicySource, GatewayError> {
    let corrupt =
        |e: serde_json::Error| StoreError::Corrupt(format!("policy version {version}: {e}"));
    let cedar: Vec<(String, String)> =
        serde_json::from_value(v.get("cedar").cloned().unwrap_or(Value::Null)).map_err(corrupt)?;
    let settings: (String, String) =
        serde_json::from_value(v.get("settings").cloned().unwrap_or(Value::Null))
            .map_err(corrupt)?;
    Ok(PolicySource { cedar, settings })
}

/// Loads and checks a candidate completely (Cedar schema-strict, settings, the analyzer's
/// patterns): what would be in force, with version 0 until it is recorded.
fn build(source: PolicySource, loc: &Locations) -> Result<Engine, Vec<PolicyProblem>> {
    let policy = Policy::load(source, 0).map_err(|e| problems_of(&e))?;
    Engine::new(policy, loc).map_err(|e| vec![problem(SETTINGS, e.to_string())])
}

/// Gives a freshly built engine its recorded version number.
fn numbered(mut engine: Engine, version: i64) -> Result<Engine, GatewayError> {
    match Arc::get_mut(&mut engine.policy) {
        Some(p) => {
            p.version = version as u64;
            Ok(engine)
        }
        // Built here and not shared yet, so this does not happen; refuse rather than mislabel.
        None => Err(GatewayError::Policy(
            "internal: the new policy is already shared".into(),
        )),
    }
}

fn live(engine: Engine) -> Arc<Live> {
    let redactor = Arc::new(super::env_redactor(&engine));
    Arc::new(Live {
        engine: Arc::new(engine),
        redactor,
    })
}

fn cut(s: &str) -> String {
    s.chars().take(ERROR_MAX).collect()
}

/// Writes `source` as the files of `dir`: each file through a temporary name and a rename,
/// then `*.cedar` files that are not part of it removed (the store keeps every version).
fn write_files(dir: &Path, source: &PolicySource) -> Result<(), GatewayError> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        GatewayError::Io(format!("cannot {what} `{}`: {e}", p.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    let keep: BTreeSet<&str> = source
        .cedar
        .iter()
        .chain(std::iter::once(&source.settings))
        .map(|(n, _)| n.as_str())
        .collect();
    for (name, text) in source.cedar.iter().chain(std::iter::once(&source.settings)) {
        check_name(name).map_err(GatewayError::Policy)?;
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(|e| io("write", &tmp, e))?;
        std::fs::rename(&tmp, &target).map_err(|e| io("replace", &target, e))?;
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io("list", dir, e))?;
    for entry in entries.flatten() {
        let p = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if p.extension().is_some_and(|x| x == "cedar") && !keep.contains(name.as_str()) {
            std::fs::remove_file(&p).map_err(|e| io("remove", &p, e))?;
        }
    }
    Ok(())
}

impl Config {
    fn policy_path(&self) -> PathBuf {
        self.explicit
            .clone()
            .unwrap_or_else(|| self.loc.assent_home.join("policy"))
    }

    /// The directory an activation writes, or why it cannot.
    fn writable_dir(&self) -> Result<PathBuf, ConfigError> {
        let p = self.policy_path();
        if p.is_file() {
            return Err(ConfigError::Unsupported(format!(
                "the policy is the single file `{}`; edit it there, or serve a policy directory",
                p.display()
            )));
        }
        Ok(p)
    }

    fn read_source(&self) -> Result<PolicySource, GatewayError> {
        policy_source(&self.loc.assent_home, self.explicit.as_deref())
    }

    pub(super) fn current(&self) -> Arc<Live> {
        match self.live.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn swap(&self, new: Arc<Live>) {
        match self.live.write() {
            Ok(mut g) => *g = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }

    fn last_rejected(&self) -> Option<Rejection> {
        match self.last_rejected.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set_last_rejected(&self, r: Option<Rejection>) {
        match self.last_rejected.lock() {
            Ok(mut g) => *g = r,
            Err(p) => *p.into_inner() = r,
        }
    }

    /// Reads the policy files, records them as a version if they are new, and builds the
    /// engine. With `fall_back`, files that do not load leave the newest recorded version in
    /// force (the rejection audited and kept for [`Gateway::active_policy`]); without it they
    /// are an error, as for a one-shot front end that must not act on a policy it cannot read.
    pub(super) async fn open(
        store: &dyn Store,
        loc: &Locations,
        explicit: Option<&Path>,
        fall_back: bool,
    ) -> Result<Config, GatewayError> {
        let mut loc = loc.clone();
        if let Some(p) = explicit {
            loc.extra_guards
                .push(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
        }
        let path = explicit
            .map(Path::to_path_buf)
            .unwrap_or_else(|| loc.assent_home.join("policy"));
        // No policy is in force yet: a refusal now is redacted for credential shapes only.
        let redactor = Redactor::new(Vec::new());
        let loaded = match policy_source(&loc.assent_home, explicit) {
            Ok(source) => load_source(store, &loc, &path, source, &redactor, None).await,
            Err(e) => {
                let r = unreadable(&path, &e);
                audit_rejection(store, &redactor, &r, None).await;
                Err((r, e))
            }
        };
        let (engine, rejected) = match loaded {
            Ok(engine) => (engine, None),
            Err((_, e)) if !fall_back => return Err(e),
            Err((r, e)) => {
                // The newest recorded version was validated when it was recorded.
                let Some(row) = store.policy_history().await?.pop() else {
                    return Err(e);
                };
                let (_, src) = store.policy_version(row.version).await?.ok_or_else(|| {
                    GatewayError::Policy(format!("policy version {} vanished", row.version))
                })?;
                let policy = Policy::load_validated(source_from_json(&src, row.version)?, 0)
                    .map_err(|e| GatewayError::Policy(e.to_string()))?;
                let engine =
                    Engine::new(policy, &loc).map_err(|e| GatewayError::Policy(e.to_string()))?;
                (numbered(engine, row.version)?, Some(r))
            }
        };
        let refused = rejected.as_ref().map(|r| {
            r.digest
                .clone()
                .unwrap_or_else(|| format!("error: {}", r.error))
        });
        Ok(Config {
            live: RwLock::new(live(engine)),
            loc,
            explicit: explicit.map(Path::to_path_buf),
            gate: tokio::sync::Mutex::new(WatchState {
                seen: refused.clone(),
                refused,
            }),
            last_rejected: Mutex::new(rejected),
        })
    }
}

/// Audits a refused candidate (best effort: the refusal stands whether or not it is written).
async fn audit_rejection(
    store: &dyn Store,
    redactor: &Redactor,
    r: &Rejection,
    active: Option<i64>,
) {
    if let Ok(mut tx) = store.begin().await {
        let mut ev = base_event("policy.rejected", now_ms());
        ev.insert("principal".into(), json!(r.by));
        ev.insert("decision".into(), json!("deny"));
        ev.insert("policy_version".into(), json!(active));
        ev.insert("reason".into(), json!(cut(&r.error)));
        ev.insert(
            "detail".into(),
            json!({"digest": r.digest, "problems": r.problems, "active_version": active}),
        );
        if tx.append(redactor_event(redactor, ev)).await.is_ok() {
            let _ = tx.commit().await;
        }
    }
}

fn rejection(
    by: &str,
    digest: Option<String>,
    error: String,
    problems: Vec<PolicyProblem>,
) -> Rejection {
    let now = now_ms();
    Rejection {
        at: rfc3339(now),
        at_ms: now,
        by: by.into(),
        digest,
        error,
        problems,
    }
}

/// The files could not be read at all (missing, not UTF-8, too large).
fn unreadable(path: &Path, e: &GatewayError) -> Rejection {
    rejection(
        "files",
        None,
        e.to_string(),
        vec![problem(&path.display().to_string(), e.to_string())],
    )
}

/// Makes the text read from the policy files an engine with a recorded version. Text the
/// store already has as its newest version loads without the schema type check (it was
/// checked when recorded: the slow part of loading, skipped on every hook's start); new text
/// is checked completely, recorded and audited as `policy.loaded`. A refusal is audited and
/// returned with the error to show.
async fn load_source(
    store: &dyn Store,
    loc: &Locations,
    path: &Path,
    source: PolicySource,
    redactor: &Redactor,
    active: Option<i64>,
) -> Result<Engine, (Rejection, GatewayError)> {
    let digest = source.digest();
    let store_err = |e: StoreError, digest: &str| {
        (
            rejection("files", Some(digest.to_string()), e.to_string(), Vec::new()),
            GatewayError::Store(e),
        )
    };
    let latest = store
        .latest_policy()
        .await
        .map_err(|e| store_err(e, &digest))?;
    if let Some((v, d)) = latest {
        if d == digest {
            if let Ok(policy) = Policy::load_validated(source.clone(), v as u64) {
                if let Ok(engine) = Engine::new(policy, loc) {
                    return Ok(engine);
                }
            }
        }
    }
    let engine = match build(source.clone(), loc) {
        Ok(e) => e,
        Err(problems) => {
            let r = rejection("files", Some(digest), render(&problems), problems.clone());
            audit_rejection(store, redactor, &r, active).await;
            return Err((r, GatewayError::Policy(render_long(&problems))));
        }
    };
    let recorded = async {
        let mut tx = store.begin().await?;
        let latest = tx.latest_policy_row().await?;
        let v = match latest {
            // Recorded meanwhile (another process, or an activation that wrote these files).
            Some(row) if row.digest == digest => row.version,
            prev => {
                let v = tx
                    .record_policy_version(
                        None,
                        &NewPolicyVersion {
                            digest: &digest,
                            source: &source_json(&source),
                            created_ms: now_ms(),
                            note: "loaded from files",
                            activated_by: "files",
                            via: "files",
                        },
                    )
                    .await?;
                let mut ev = base_event("policy.loaded", now_ms());
                ev.insert("principal".into(), json!("files"));
                ev.insert("policy_version".into(), json!(v));
                ev.insert(
                    "reason".into(),
                    json!(format!(
                        "policy files loaded as version {v} (digest {})",
                        digest.get(..16).unwrap_or(&digest)
                    )),
                );
                ev.insert(
                    "detail".into(),
                    json!({"digest": digest, "previous_version": prev.map(|p| p.version), "via": "files", "path": path.display().to_string()}),
                );
                tx.append(redactor_event(&super::env_redactor(&engine), ev))
                    .await?;
                v
            }
        };
        tx.commit().await?;
        Ok::<i64, StoreError>(v)
    }
    .await;
    let v = recorded.map_err(|e| store_err(e, &digest))?;
    numbered(engine, v).map_err(|e| {
        (
            rejection("files", Some(digest.clone()), e.to_string(), Vec::new()),
            e,
        )
    })
}

fn render_long(problems: &[PolicyProblem]) -> String {
    let mut s = format!(
        "policy rejected ({} problem{}):\n",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        s.push_str(&format!("  {p}\n"));
    }
    s
}

impl Gateway {
    /// Opens the gateway for a long-running server or for the policy commands: files that do
    /// not load leave the newest recorded version in force, the refusal audited and shown by
    /// [`Gateway::active_policy`]. [`Gateway::open`] refuses instead.
    pub async fn open_serving(
        loc: &Locations,
        policy_dir: Option<&Path>,
    ) -> Result<Gateway, GatewayError> {
        Self::open_with(
            loc,
            policy_dir,
            OpenOptions {
                serving: true,
                ..OpenOptions::default()
            },
        )
        .await
    }

    /// The engine in force now. A caller that decides with it finishes on this version.
    pub fn engine(&self) -> Arc<Engine> {
        Arc::clone(&self.config.current().engine)
    }

    /// The policy in force now.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.config.current().engine.policy)
    }

    pub(super) fn redactor(&self) -> Arc<Redactor> {
        Arc::clone(&self.config.current().redactor)
    }

    /// The active version: number, files, who activated it and when, the last refusal.
    pub async fn active_policy(&self) -> Result<ActivePolicy, GatewayError> {
        let engine = self.engine();
        let v = engine.policy.version as i64;
        let info = match self.store.policy_version(v).await? {
            Some((row, _)) => row.into(),
            None => PolicyVersionInfo {
                version: v,
                digest: engine.policy.source.digest(),
                activated_by: "files".into(),
                activated_at: String::new(),
                activated_ms: 0,
                via: "files".into(),
                note: String::new(),
                parent: None,
            },
        };
        Ok(ActivePolicy {
            info,
            files: source_to_files(&engine.policy.source),
            path: self.config.policy_path().display().to_string(),
            last_rejected: self.config.last_rejected(),
        })
    }

    /// Checks a candidate completely without activating it or writing anything.
    pub fn validate_policy(&self, files: &PolicyFiles) -> Validation {
        let errors = match files_to_source(files) {
            Ok(source) => match build(source, &self.config.loc) {
                Ok(_) => Vec::new(),
                Err(p) => p,
            },
            Err(p) => p,
        };
        Validation {
            valid: errors.is_empty(),
            errors,
        }
    }

    /// Makes `files` the active policy if `expected_version` is still the active one: the
    /// files are written and the version recorded and audited in one transaction; of two
    /// activations that read the same version exactly one wins, the other gets
    /// [`ConfigError::Stale`]. A candidate that does not load changes nothing
    /// ([`ConfigError::Invalid`]). Every outcome is audited with `by`.
    pub async fn activate_policy(
        &self,
        files: &PolicyFiles,
        expected_version: i64,
        by: &str,
        via: Via,
        note: Option<&str>,
    ) -> Result<PolicyVersionInfo, ConfigError> {
        let source = match files_to_source(files) {
            Ok(s) => s,
            Err(problems) => return Err(self.refuse(by, None, problems).await),
        };
        let note = note.unwrap_or("").to_string();
        self.commit_version(source, expected_version, by, via.as_str(), &note, None)
            .await
    }

    /// Makes the text of version `to` active again, as a new version.
    pub async fn rollback_policy(
        &self,
        to: i64,
        expected_version: i64,
        by: &str,
    ) -> Result<PolicyVersionInfo, ConfigError> {
        let (_, src) = self
            .store
            .policy_version(to)
            .await?
            .ok_or(ConfigError::NoSuchVersion(to))?;
        let source = source_from_json(&src, to)?;
        let note = format!("rollback to version {to}");
        self.commit_version(source, expected_version, by, "rollback", &note, Some(to))
            .await
    }

    /// Audits a candidate that does not load. It is answered to its caller and not kept as
    /// `last_rejected`, which tells what happened to the files on disk.
    async fn refuse(
        &self,
        by: &str,
        digest: Option<String>,
        problems: Vec<PolicyProblem>,
    ) -> ConfigError {
        let r = rejection(by, digest, render(&problems), problems.clone());
        let active = self.policy().version as i64;
        audit_rejection(self.store.as_ref(), &self.redactor(), &r, Some(active)).await;
        ConfigError::Invalid(problems)
    }

    async fn commit_version(
        &self,
        source: PolicySource,
        expected: i64,
        by: &str,
        via: &str,
        note: &str,
        rollback_of: Option<i64>,
    ) -> Result<PolicyVersionInfo, ConfigError> {
        let dir = self.config.writable_dir()?;
        let digest = source.digest();
        let engine = match build(source.clone(), &self.config.loc) {
            Ok(e) => e,
            Err(problems) => return Err(self.refuse(by, Some(digest), problems).await),
        };
        let mut watch = self.config.gate.lock().await;
        let mut tx = self.store.begin().await?;
        let previous = tx.latest_policy_row().await?.map(|r| r.version);
        let recorded = tx
            .record_policy_version(
                Some(expected),
                &NewPolicyVersion {
                    digest: &digest,
                    source: &source_json(&source),
                    created_ms: now_ms(),
                    note,
                    activated_by: by,
                    via,
                },
            )
            .await;
        let v = match recorded {
            Ok(v) => v,
            Err(StoreError::Stale { expected, current }) => {
                drop(tx);
                drop(watch);
                self.audit_stale(by, expected, current).await;
                return Err(ConfigError::Stale { expected, current });
            }
            Err(e) => return Err(e.into()),
        };
        let event = if rollback_of.is_some() {
            "policy.rolled_back"
        } else {
            "policy.activated"
        };
        let mut ev = base_event(event, self.now());
        ev.insert("principal".into(), json!(by));
        ev.insert("policy_version".into(), json!(v));
        ev.insert(
            "reason".into(),
            json!(match rollback_of {
                Some(to) =>
                    format!("{by} rolled the policy back to version {to}'s text as version {v}"),
                None => format!("{by} activated policy version {v} via {via}"),
            }),
        );
        ev.insert(
            "detail".into(),
            json!({"digest": digest, "previous_version": previous, "via": via, "note": note, "rollback_to": rollback_of}),
        );
        tx.append(redactor_event(&self.redactor(), ev)).await?;
        // Files before the commit: if writing fails nothing is recorded; if the commit fails
        // after, the watcher records the files as they are (files are what is in force).
        write_files(&dir, &source)?;
        tx.commit().await?;
        let engine = numbered(engine, v)?;
        self.config.swap(live(engine));
        self.config.set_last_rejected(None);
        // The watcher must not take the files just written for an edit to settle.
        watch.seen = Some(digest);
        watch.refused = None;
        drop(watch);
        let row = self
            .store
            .policy_history()
            .await?
            .into_iter()
            .find(|r| r.version == v)
            .ok_or(ConfigError::NoSuchVersion(v))?;
        Ok(row.into())
    }

    async fn audit_stale(&self, by: &str, expected: i64, current: i64) {
        let r = rejection(
            by,
            None,
            format!("stale: based on version {expected}, but version {current} is active"),
            Vec::new(),
        );
        audit_rejection(self.store.as_ref(), &self.redactor(), &r, Some(current)).await;
    }

    /// Every recorded version, oldest first; the newest is the active one.
    pub async fn policy_history(&self) -> Result<Vec<PolicyVersionInfo>, GatewayError> {
        Ok(self
            .store
            .policy_history()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The files of one recorded version.
    pub async fn policy_files(&self, version: i64) -> Result<PolicyFiles, ConfigError> {
        let (_, src) = self
            .store
            .policy_version(version)
            .await?
            .ok_or(ConfigError::NoSuchVersion(version))?;
        Ok(source_to_files(&source_from_json(&src, version)?))
    }

    /// A unified diff, file by file, between two recorded versions.
    pub async fn policy_diff(&self, from: i64, to: i64) -> Result<PolicyDiff, ConfigError> {
        let a = self.policy_files(from).await?;
        let b = self.policy_files(to).await?;
        Ok(diff_files(from, &a, to, &b))
    }

    /// One look at the policy files: a settled, valid change becomes the active version
    /// (recorded and audited); an invalid one is refused whole, audited once, and kept for
    /// [`Gateway::active_policy`] while the previous version keeps serving.
    pub async fn reload_policy_files(&self) -> Result<Reload, GatewayError> {
        let mut watch = self.config.gate.lock().await;
        let active = self.engine();
        let path = self.config.policy_path();
        let (key, read) = match self.config.read_source() {
            Ok(s) => (s.digest(), Ok(s)),
            Err(e) => (format!("error: {e}"), Err(e)),
        };
        if read.is_ok() && key == active.policy.source.digest() {
            watch.seen = Some(key);
            watch.refused = None;
            self.config.set_last_rejected(None);
            return Ok(Reload::Unchanged);
        }
        if watch.seen.as_deref() != Some(key.as_str()) {
            watch.seen = Some(key);
            return Ok(Reload::Settling);
        }
        if watch.refused.as_deref() == Some(key.as_str()) {
            return Ok(Reload::StillRejected);
        }
        let v = active.policy.version as i64;
        let redactor = self.redactor();
        let outcome = match read {
            Ok(source) => {
                load_source(
                    self.store.as_ref(),
                    &self.config.loc,
                    &path,
                    source,
                    &redactor,
                    Some(v),
                )
                .await
            }
            Err(e) => {
                let r = unreadable(&path, &e);
                audit_rejection(self.store.as_ref(), &redactor, &r, Some(v)).await;
                Err((r, e))
            }
        };
        match outcome {
            Ok(engine) => {
                let v = engine.policy.version as i64;
                self.config.swap(live(engine));
                self.config.set_last_rejected(None);
                watch.refused = None;
                Ok(Reload::Loaded(v))
            }
            Err((_, GatewayError::Store(e))) => {
                // Not the text's fault: look again next time.
                watch.seen = None;
                Err(GatewayError::Store(e))
            }
            Err((r, _)) => {
                watch.refused = Some(key);
                self.config.set_last_rejected(Some(r.clone()));
                Ok(Reload::Rejected(r))
            }
        }
    }

    /// Watches the policy files for as long as the future runs (a server spawns it and aborts
    /// it at shutdown): every `period` one [`Gateway::reload_policy_files`], with a log line
    /// on stderr for each change, refusal or error.
    pub async fn watch_policy(&self, period: Duration) {
        loop {
            tokio::time::sleep(period).await;
            match self.reload_policy_files().await {
                Ok(Reload::Loaded(v)) => {
                    eprintln!("assent: policy files loaded as version {v}");
                }
                Ok(Reload::Rejected(r)) => {
                    eprintln!(
                        "assent: policy files rejected, version {} stays in force: {}",
                        self.policy().version,
                        r.error
                    );
                }
                Ok(_) => {}
                Err(e) => eprintln!("assent: cannot reload the policy files: {e}"),
            }
        }
    }
}

/// Unified diffs of every file in either version (sorted by name).
pub fn diff_files(from: i64, a: &PolicyFiles, to: i64, b: &PolicyFiles) -> PolicyDiff {
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let files = names
        .into_iter()
        .map(|name| {
            let old = a.get(name).map(String::as_str);
            let new = b.get(name).map(String::as_str);
            let change = match (old, new) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(x), Some(y)) if x == y => "same",
                _ => "changed",
            };
            let unified = if change == "same" {
                String::new()
            } else {
                similar::TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""))
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("v{from}/{name}"), &format!("v{to}/{name}"))
                    .to_string()
            };
            PolicyFileDiff {
                file: name.clone(),
                change,
                unified,
            }
        })
        .collect();
    PolicyDiff { from, to, files }
}
