//! `assent token create|list|revoke`: bearer tokens, against the local store.
//!
//! The acting identity is ASSENT_TOKEN's principal when it is set, else the local
//! administrator. `create` prints the token alone on stdout (so `$(assent token create …)`
//! captures it) and everything else on stderr; the token is never shown again.

use super::approver::{identity, ts};
use crate::cli::{ListFormat, TokenCommand};
use crate::exit::Exit;
use assent_core::text;
use assent_gateway::{now_ms, parse_ttl, Locations};
use serde_json::json;

pub fn run(loc: &Locations, cmd: TokenCommand) -> anyhow::Result<Exit> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let gw = super::open(loc).await?;
        let who = identity(&gw, None).await?;
        match cmd {
            TokenCommand::Create {
                principal,
                ttl,
                label,
                format,
            } => {
                let ttl = parse_ttl(&ttl).map_err(|e| anyhow::anyhow!("--ttl: {e}"))?;
                let t = gw.create_token(&who, &principal, Some(ttl), &label).await?;
                if format == ListFormat::Json {
                    println!(
                        "{}",
                        json!({"id": t.id, "token": t.token, "principal": t.principal, "label": t.label, "expires_ms": t.expires_ms})
                    );
                } else {
                    println!("{}", t.token);
                }
                eprintln!(
                    "assent: token {} for `{}` until {} (shown once: store it now; `assent token revoke {}` ends it)",
                    t.id,
                    text::escape_line(&t.principal),
                    ts(t.expires_ms),
                    t.id
                );
                Ok(Exit::Ok)
            }
            TokenCommand::List { all, format } => {
                let list = gw.list_tokens(&who, all).await?;
                if format == ListFormat::Json {
                    for t in &list {
                        println!("{}", serde_json::to_string(t)?);
                    }
                } else if list.is_empty() {
                    println!("no tokens");
                } else {
                    let now = now_ms();
                    println!(
                        "{:>4}  {:<16} {:<8} {:<20} {:<16} LABEL",
                        "ID", "PRINCIPAL", "STATE", "EXPIRES", "CREATED BY"
                    );
                    for t in &list {
                        let state = if t.revoked_ms.is_some() {
                            "revoked"
                        } else if t.expires_ms <= now {
                            "expired"
                        } else {
                            "active"
                        };
                        println!(
                            "{:>4}  {:<16} {:<8} {:<20} {:<16} {}",
                            t.id,
                            text::escape_line(&t.principal),
                            state,
                            ts(t.expires_ms),
                            text::escape_line(&t.created_by),
                            text::escape_line(&t.label)
                        );
                    }
                }
                Ok(Exit::Ok)
            }
            TokenCommand::Revoke { id } => {
                let t = gw.revoke_token(&who, id).await?;
                println!(
                    "token {id} ({}): revoked",
                    text::escape_line(&t.principal)
                );
                Ok(Exit::Ok)
            }
        }
    })
}
