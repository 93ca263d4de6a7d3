//! Proven identities: bearer tokens and the local administrator.
//!
//! A token is `ast_` followed by 64 hex digits (32 bytes from the OS's randomness). Only its
//! SHA-256 is stored; the token is handed back once, by [`Gateway::create_token`]. Every token
//! has an expiry and can be revoked. [`Gateway::authenticate`] turns a bearer token into an
//! [`Identity`] — the principal comes from the token row, never from a flag or a body — and
//! writes an `auth.failed` audit event for every failure (no token, malformed, unknown,
//! expired, revoked), naming the token only by a short keyed fingerprint.
//!
//! [`Identity`] has private fields: only this module makes one, so every method that acts on
//! someone's authority (approve, deny, revoke, token management) takes a proven identity and
//! cannot be handed a bare name. Quorum counts distinct principal names of proven identities;
//! two tokens of one principal are still one approver.
//!
//! Who may mint what (a token minted with a token never outlives it, and revoking the parent
//! ends every token minted under it, checked at each authentication):
//! - the local administrator (whoever holds this machine's database, at its CLI): any
//!   configured principal;
//! - a person: more tokens for themself, and tokens for agents they administer (role `owner`
//!   or `admin`) or that descend from them — never for another person, since that would let
//!   one person count twice in a quorum;
//! - an agent: only for a configured agent below it in the delegation chain, holding no role
//!   the minting agent lacks (besides `subagent`) — never for itself or anyone above.

use super::events::{base_event, redactor_event};
use super::{rfc3339, sha256_hex, Gateway, GatewayError};
use assent_core::Principal;
use assent_store::{StoreError, TokenRow};
use serde::Serialize;
use serde_json::{json, Value};

/// Every bearer token starts with this.
pub const TOKEN_PREFIX: &str = "ast_";
/// Hex digits after the prefix (32 random bytes).
const TOKEN_HEX: usize = 64;
/// `created_by` of tokens the local administrator mints.
pub const LOCAL_ADMIN: &str = "local-admin";
/// A token's lifetime when none is asked for.
pub const DEFAULT_TTL_MS: i64 = 30 * 86_400_000;
/// Longest lifetime accepted.
pub const MAX_TTL_MS: i64 = 366 * 86_400_000;
/// Longest label kept.
const LABEL_MAX: usize = 200;
/// Deepest chain of tokens minted under tokens that authentication follows.
const MAX_TOKEN_DEPTH: usize = 32;
/// Roles that administer tokens for agents and list or revoke everyone's.
const ADMIN_ROLES: &[&str] = &["owner", "admin"];

/// How an identity was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "lowercase")]
pub enum Proof {
    /// A bearer token: its id and expiry.
    Token { id: i64, expires_ms: i64 },
    /// The local administrator at this machine's CLI, with no server and no token: whoever
    /// can open the database. Acts as `[local] approver`.
    Local,
}

/// A principal whose identity was proven. Only the gateway makes one
/// ([`Gateway::authenticate`], [`Gateway::local_identity`]).
#[derive(Debug, Clone)]
pub struct Identity {
    principal: Principal,
    proof: Proof,
}

impl Identity {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn name(&self) -> &str {
        &self.principal.name
    }

    pub fn proof(&self) -> Proof {
        self.proof
    }

    /// The token this identity was proven with, if any.
    pub fn token_id(&self) -> Option<i64> {
        match self.proof {
            Proof::Token { id, .. } => Some(id),
            Proof::Local => None,
        }
    }

    pub fn is_local_admin(&self) -> bool {
        self.proof == Proof::Local
    }

    /// A person holding an administering role (agents never administer).
    pub fn is_admin(&self) -> bool {
        !self.principal.is_agent()
            && self
                .principal
                .roles
                .iter()
                .any(|r| ADMIN_ROLES.contains(&r.as_str()))
    }

    /// Who this identity is in `created_by`, `approver` and similar audit fields.
    fn actor(&self) -> String {
        match self.proof {
            Proof::Local => format!("{} ({LOCAL_ADMIN})", self.principal.name),
            Proof::Token { .. } => self.principal.name.clone(),
        }
    }
}

impl std::ops::Deref for Identity {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// Why a bearer token was not accepted. Every one is audited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("malformed bearer token (expected `ast_` and 64 hex digits)")]
    Malformed,
    #[error("unknown bearer token")]
    Unknown,
    #[error("bearer token expired")]
    Expired,
    #[error("bearer token revoked")]
    Revoked,
    #[error("the token's principal `{0}` is not configured")]
    UnknownPrincipal(String),
    /// The store could not be read or the failure could not be audited: deny.
    #[error("cannot check the token: {0}")]
    Store(String),
}

/// A token just minted: the only time the token itself exists outside its holder.
pub struct NewToken {
    pub id: i64,
    /// `ast_…`: show it once, never store or log it.
    pub token: String,
    pub principal: String,
    pub label: String,
    pub expires_ms: i64,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("token", &"[REDACTED]")
            .field("principal", &self.principal)
            .field("label", &self.label)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// What listing shows of a token: never the token, nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub principal: String,
    pub label: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub created_by: String,
    pub parent_token: Option<i64>,
}

impl From<TokenRow> for TokenInfo {
    fn from(t: TokenRow) -> TokenInfo {
        TokenInfo {
            id: t.id,
            principal: t.principal,
            label: t.label,
            created_ms: t.created_ms,
            expires_ms: t.expires_ms,
            revoked_ms: t.revoked_ms,
            created_by: t.created_by,
            parent_token: t.parent_token,
        }
    }
}

/// `30s`, `15m`, `12h`, `30d` (a bare number is hours), at most 366 days.
pub fn parse_ttl(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s
        .split_at_checked(split)
        .ok_or_else(|| format!("`{s}` is not a duration"))?;
    let bad = || format!("`{s}` is not a duration; use 30s, 15m, 12h or 30d");
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" | "" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0 && *v <= MAX_TTL_MS)
        .ok_or_else(|| format!("duration `{s}` must be more than 0 and at most 366d"))
}

/// `ast_` and exactly 64 lowercase hex digits; anything else is malformed.
fn well_formed(bearer: &str) -> bool {
    bearer.strip_prefix(TOKEN_PREFIX).is_some_and(|hex| {
        hex.len() == TOKEN_HEX
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn mint() -> Result<String, GatewayError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| GatewayError::Io(format!("no randomness for a token: {e}")))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(buf)))
}

/// Why the token checked out or not, with what is known about it for the audit.
struct Failure {
    error: AuthError,
    token: Option<TokenRow>,
}

impl Failure {
    fn bare(error: AuthError) -> Failure {
        Failure { error, token: None }
    }
}

impl Gateway {
    /// The principal a bearer token proves. Fails closed, and audits every failure.
    pub async fn authenticate(&self, bearer: &str) -> Result<Identity, AuthError> {
        let failure = match self.check_bearer(bearer).await {
            Ok(identity) => return Ok(identity),
            Err(f) => f,
        };
        let mut e = base_event("auth.failed", self.now());
        e.insert("decision".into(), json!("deny"));
        e.insert("reason".into(), json!(failure.error.to_string()));
        let mut detail = serde_json::Map::new();
        if !bearer.is_empty() {
            // Enough to tell two failing tokens apart in the log; useless for guessing one.
            let fp = self.keyed(&sha256_hex(bearer));
            detail.insert(
                "fingerprint".into(),
                json!(fp.get(..12).unwrap_or_default()),
            );
        }
        if let Some(t) = &failure.token {
            e.insert("principal".into(), json!(t.principal));
            detail.insert("token_id".into(), json!(t.id));
        }
        e.insert("detail".into(), Value::Object(detail));
        if let Err(err) = self.append_one(e).await {
            return Err(AuthError::Store(err.to_string()));
        }
        Err(failure.error)
    }

    async fn check_bearer(&self, bearer: &str) -> Result<Identity, Failure> {
        if bearer.is_empty() {
            return Err(Failure::bare(AuthError::Missing));
        }
        if !well_formed(bearer) {
            return Err(Failure::bare(AuthError::Malformed));
        }
        let store = |e: StoreError| Failure::bare(AuthError::Store(e.to_string()));
        let row = self
            .store
            .token_by_hash(&sha256_hex(bearer))
            .await
            .map_err(store)?
            .ok_or_else(|| Failure::bare(AuthError::Unknown))?;
        let now = self.now();
        // The token itself, then every token it was minted under.
        let mut link = row.clone();
        for _ in 0..=MAX_TOKEN_DEPTH {
            let error = if link.revoked_ms.is_some() {
                Some(AuthError::Revoked)
            } else if now >= link.expires_ms {
                Some(AuthError::Expired)
            } else {
                None
            };
            if let Some(error) = error {
                return Err(Failure {
                    error,
                    token: Some(row),
                });
            }
            let Some(parent) = link.parent_token else {
                let principal = self
                    .policy()
                    .directory
                    .get(&row.principal)
                    .cloned()
                    .ok_or_else(|| Failure {
                        error: AuthError::UnknownPrincipal(row.principal.clone()),
                        token: Some(row.clone()),
                    })?;
                return Ok(Identity {
                    principal,
                    proof: Proof::Token {
                        id: row.id,
                        expires_ms: row.expires_ms,
                    },
                });
            };
            link = self
                .store
                .token(parent)
                .await
                .map_err(store)?
                .ok_or_else(|| Failure {
                    error: AuthError::Revoked,
                    token: Some(row.clone()),
                })?;
        }
        Err(Failure {
            error: AuthError::Revoked,
            token: Some(row),
        })
    }

    /// The local administrator, acting as `[local] approver`: the identity of the CLI when
    /// no token is given (single-user mode, no server).
    pub fn local_identity(&self) -> Result<Identity, GatewayError> {
        let policy = self.policy();
        let name = &policy.settings.local.approver;
        let principal = policy.directory.get(name).cloned().ok_or_else(|| {
            GatewayError::Refused(format!(
                "the local approver `{name}` is not a configured principal; add it to assent.toml"
            ))
        })?;
        Ok(Identity {
            principal,
            proof: Proof::Local,
        })
    }

    /// Records that someone claimed to be `claimed` while proven as `proven` (for example
    /// `--as NAME` naming someone else), and returns the refusal to hand back.
    pub async fn refuse_claim(&self, claimed: &str, proven: &Identity) -> GatewayError {
        let why = format!(
            "`{claimed}` is not the proven identity `{}`; identities come from a token (ASSENT_TOKEN), never from a name",
            proven.name()
        );
        let mut e = base_event("auth.failed", self.now());
        e.insert("approver".into(), json!(claimed));
        e.insert("principal".into(), json!(proven.name()));
        e.insert("decision".into(), json!("deny"));
        e.insert("reason".into(), json!(why));
        match self.append_one(e).await {
            Ok(()) => GatewayError::Refused(why),
            Err(err) => err,
        }
    }

    /// Mints a token for `principal`, on `by`'s authority (see the module's rules).
    pub async fn create_token(
        &self,
        by: &Identity,
        principal: &str,
        ttl_ms: Option<i64>,
        label: &str,
    ) -> Result<NewToken, GatewayError> {
        let label: String = label.chars().filter(|c| !c.is_control()).collect();
        let now = self.now();
        let checked = self.may_mint(by, principal, ttl_ms, &label, now);
        let (expires_ms, parent_token) = match checked {
            Ok(v) => v,
            Err(why) => {
                return Err(self
                    .refuse_token_op(by, "token.create", principal, &why)
                    .await)
            }
        };
        let token = mint()?;
        let row = TokenRow {
            id: 0,
            hash: sha256_hex(&token),
            principal: principal.to_string(),
            label: label.clone(),
            created_ms: now,
            expires_ms,
            revoked_ms: None,
            created_by: if by.is_local_admin() {
                LOCAL_ADMIN.to_string()
            } else {
                by.name().to_string()
            },
            parent_token,
        };
        let mut tx = self.store.begin().await?;
        let id = tx.insert_token(&row).await?;
        let mut e = base_event("token.created", self.now());
        e.insert("principal".into(), json!(principal));
        e.insert("approver".into(), json!(by.actor()));
        e.insert("decision".into(), json!("allow"));
        e.insert(
            "reason".into(),
            json!(format!(
                "token {id} for {principal} until {}, minted by {}",
                rfc3339(expires_ms),
                by.actor()
            )),
        );
        e.insert(
            "detail".into(),
            json!({"token_id": id, "label": label, "expires": rfc3339(expires_ms), "parent_token": parent_token}),
        );
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        Ok(NewToken {
            id,
            token,
            principal: principal.to_string(),
            label,
            expires_ms,
        })
    }

    /// The expiry and parent token of a token `by` may mint, or why not.
    fn may_mint(
        &self,
        by: &Identity,
        principal: &str,
        ttl_ms: Option<i64>,
        label: &str,
        now: i64,
    ) -> Result<(i64, Option<i64>), String> {
        let ttl = ttl_ms.unwrap_or(DEFAULT_TTL_MS);
        if ttl <= 0 || ttl > MAX_TTL_MS {
            return Err("a token's lifetime must be more than 0 and at most 366 days".into());
        }
        if label.chars().count() > LABEL_MAX {
            return Err(format!("a label has at most {LABEL_MAX} characters"));
        }
        let policy = self.policy();
        let dir = &policy.directory;
        let target = dir.get(principal).ok_or_else(|| {
            format!("unknown principal `{principal}`; add it to assent.toml first")
        })?;
        let expires = now.saturating_add(ttl);
        let Proof::Token {
            id,
            expires_ms: own_expiry,
        } = by.proof
        else {
            return Ok((expires, None));
        };
        // Is `by` a strict ancestor of the target?
        let below_by = dir
            .chain(principal)
            .map(|chain| chain.iter().skip(1).any(|p| p.name == by.name()))
            .unwrap_or(false);
        if by.is_agent() {
            if principal == by.name() {
                return Err(format!(
                    "agent `{}` may not mint tokens for itself; only for its own subordinate agents",
                    by.name()
                ));
            }
            if !target.is_agent() || !below_by {
                return Err(format!(
                    "agent `{}` may mint tokens only for a subordinate agent of its own (`{principal}` is not one)",
                    by.name()
                ));
            }
            if let Some(extra) = target
                .roles
                .iter()
                .find(|r| *r != "subagent" && !by.roles.contains(r))
            {
                return Err(format!(
                    "`{principal}` holds role `{extra}`, which `{}` lacks; a subordinate never exceeds its parent",
                    by.name()
                ));
            }
        } else if principal != by.name() && !(target.is_agent() && (by.is_admin() || below_by)) {
            return Err(format!(
                "`{}` may mint tokens only for itself and for agents it administers; a token for another person only comes from the local administrator",
                by.name()
            ));
        }
        // Never outlives the token it was minted with.
        Ok((expires.min(own_expiry), Some(id)))
    }

    /// Tokens `by` may see: all of them for the local administrator and admins, else its own
    /// and those it minted.
    pub async fn list_tokens(
        &self,
        by: &Identity,
        include_inactive: bool,
    ) -> Result<Vec<TokenInfo>, GatewayError> {
        let all = self.store.tokens(include_inactive, self.now()).await?;
        Ok(all
            .into_iter()
            .filter(|t| by.is_local_admin() || by.is_admin() || self.owns(by, t))
            .map(TokenInfo::from)
            .collect())
    }

    fn owns(&self, by: &Identity, t: &TokenRow) -> bool {
        t.principal == by.name() || (!by.is_local_admin() && t.created_by == by.name())
    }

    /// Revokes a token (and with it every token minted under it).
    pub async fn revoke_token(&self, by: &Identity, id: i64) -> Result<TokenInfo, GatewayError> {
        let Some(row) = self.store.token(id).await? else {
            return Err(GatewayError::NoSuchToken(id));
        };
        if !(by.is_local_admin() || by.is_admin() || self.owns(by, &row)) {
            let why = format!(
                "`{}` may revoke only its own tokens and those it minted",
                by.name()
            );
            return Err(self
                .refuse_token_op(by, "token.revoke", &row.principal, &why)
                .await);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let row = tx
            .revoke_token(id, now)
            .await?
            .ok_or(GatewayError::NoSuchToken(id))?;
        let mut e = base_event("token.revoked", self.now());
        e.insert("principal".into(), json!(row.principal));
        e.insert("approver".into(), json!(by.actor()));
        e.insert("decision".into(), json!("deny"));
        e.insert(
            "reason".into(),
            json!(format!("token {id} revoked by {}", by.actor())),
        );
        e.insert("detail".into(), json!({"token_id": id, "label": row.label}));
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        let mut info = TokenInfo::from(row);
        info.revoked_ms = Some(now);
        Ok(info)
    }

    /// Audits a refused token operation and returns the refusal.
    async fn refuse_token_op(
        &self,
        by: &Identity,
        what: &str,
        principal: &str,
        why: &str,
    ) -> GatewayError {
        let mut e = base_event("auth.refused", self.now());
        e.insert("principal".into(), json!(principal));
        e.insert("approver".into(), json!(by.actor()));
        e.insert("decision".into(), json!("deny"));
        e.insert("reason".into(), json!(format!("{what}: {why}")));
        match self.append_one(e).await {
            Ok(()) => GatewayError::Refused(why.to_string()),
            Err(err) => err,
        }
    }

    /// Audits a refusal the server answered without the gateway having audited it: a
    /// route for people called by an agent, a route for owners called by someone else, a
    /// console change without its CSRF token, a wrong wait secret. `status` 401 is recorded
    /// as `auth.failed`, anything else as `auth.refused`; `principal` is the proven caller
    /// when there is one. The caller's text is redacted like every event.
    pub async fn audit_refusal(
        &self,
        principal: Option<&str>,
        status: u16,
        route: &str,
        address: &str,
        why: &str,
    ) -> Result<(), GatewayError> {
        let name = if status == 401 {
            "auth.failed"
        } else {
            "auth.refused"
        };
        let mut e = base_event(name, self.now());
        if let Some(p) = principal {
            e.insert("principal".into(), json!(p));
        }
        e.insert("decision".into(), json!("deny"));
        e.insert("reason".into(), json!(format!("{route}: {why}")));
        e.insert(
            "detail".into(),
            json!({"status": status, "route": route, "address": address}),
        );
        self.append_one(e).await
    }

    /// One audit event in its own transaction.
    pub(super) async fn append_one(
        &self,
        e: serde_json::Map<String, Value>,
    ) -> Result<(), GatewayError> {
        let mut tx = self.store.begin().await?;
        tx.append(redactor_event(&self.redactor(), e)).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_tokens_are_well_formed() {
        let good = format!("ast_{}", "0123456789abcdef".repeat(4));
        assert!(well_formed(&good));
        for bad in [
            String::new(),
            "ast_".into(),
            format!("ast_{}", "0123456789ABCDEF".repeat(4)),
            format!("ast_{}0", "0123456789abcdef".repeat(4)),
            format!(
                "ast_{}",
                "0123456789abcdef".repeat(4).get(1..).unwrap_or("")
            ),
            format!("AST_{}", "0123456789abcdef".repeat(4)),
            format!(" {good}"),
            format!("{good}\n"),
            format!("ast_{}", "é".repeat(32)),
            format!("ast_{}", "g".repeat(64)),
        ] {
            assert!(!well_formed(&bad), "{bad:?}");
        }
        let minted = mint().expect("randomness");
        assert!(well_formed(&minted));
        assert_ne!(minted, mint().expect("randomness"));
    }

    #[test]
    fn ttls_parse_and_are_bounded() {
        assert_eq!(parse_ttl("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_ttl("90m"), Ok(90 * 60_000));
        assert_eq!(parse_ttl("2"), Ok(2 * 3_600_000));
        for bad in [
            "",
            "0d",
            "367d",
            "-1d",
            "1y",
            "d",
            "99999999999999999999d",
            "1é",
        ] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_token_never_debug_prints_its_secret() {
        let t = NewToken {
            id: 1,
            token: "ast_secretsecret".into(),
            principal: "p".into(),
            label: String::new(),
            expires_ms: 0,
        };
        assert!(!format!("{t:?}").contains("secretsecret"));
    }
}
