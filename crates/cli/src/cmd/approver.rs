//! The approver's commands: `pending`, `show`, `approve`, `deny`, `watch`, `grants`, `revoke`.
//! With a server configured they are its thin client instead (see `approver_remote`).

use crate::cli::{Command, ListFormat};
use crate::exit::Exit;
use assent_core::approval::State;
use assent_core::text;
use assent_core::Kind;
use assent_gateway::{
    now_ms, Gateway, GrantScope, GrantView, Identity, Locations, RequestSummary, RequestView,
};
use serde_json::Value;
use std::io::{BufRead, Write};

pub fn run(loc: &Locations, cmd: Command) -> anyhow::Result<Exit> {
    // With a server configured, it decides: its token says who acts.
    if let Some(remote) = crate::remote::Remote::configured(&loc.assent_home) {
        let remote = remote.map_err(|e| anyhow::anyhow!("{e}; nothing done"))?;
        return super::approver_remote::run(&remote, cmd);
    }
    let rt = super::runtime()?;
    rt.block_on(async move {
        let gw = super::open(loc).await?;
        let gw = &gw;
        let approver = |as_: Option<String>| async move { identity(gw, as_.as_deref()).await };
        match cmd {
            Command::Pending(args) => {
                print_pending(&gw.pending().await?, args.format)?;
                Ok(Exit::Ok)
            }
            Command::Show { id, format } => {
                gw.expire_due().await?;
                let Some(r) = gw.request_view(id).await? else {
                    anyhow::bail!("no request {id}");
                };
                if format == ListFormat::Json {
                    println!("{}", serde_json::to_string(&r)?);
                } else {
                    print!("{}", render(&r));
                }
                Ok(Exit::Ok)
            }
            Command::Approve {
                id,
                reason,
                grant,
                as_,
            } => {
                let scope = match grant.as_deref() {
                    None => None,
                    Some("session") => Some(GrantScope::Session),
                    Some(d) => Some(GrantScope::For(parse_duration_ms(d)?)),
                };
                let who = approver(as_).await?;
                let step = gw.approve(id, &who, reason.as_deref(), scope).await?;
                println!("request {id}: {}", describe(&step));
                Ok(Exit::Ok)
            }
            Command::Deny { id, reason, as_ } => {
                let who = approver(as_).await?;
                gw.deny(id, &who, &reason).await?;
                println!("request {id}: denied");
                Ok(Exit::Ok)
            }
            Command::Grants { all, format } => {
                print_grants(&gw.grants(all).await?, format)?;
                Ok(Exit::Ok)
            }
            Command::Revoke { grant, as_ } => {
                let who = approver(as_).await?;
                gw.revoke(grant, &who).await?;
                println!("grant {grant}: revoked");
                Ok(Exit::Ok)
            }
            Command::Watch { as_ } => watch(gw, &approver(as_).await?).await,
            _ => anyhow::bail!("not an approver command"),
        }
    })
}

/// `assent pending`: one JSON object per line, or a table.
pub(crate) fn print_pending(rows: &[RequestSummary], format: ListFormat) -> anyhow::Result<()> {
    if format == ListFormat::Json {
        for r in rows {
            println!("{}", serde_json::to_string(r)?);
        }
    } else if rows.is_empty() {
        println!("no pending requests");
    } else {
        println!(
            "{:>5}  {:<12} {:<10} {:<8} {:>7}  {:<5}  SUMMARY",
            "ID", "PRINCIPAL", "KIND", "SEVERITY", "LEFT", "VOTES"
        );
        for r in rows {
            println!(
                "{:>5}  {:<12} {:<10} {:<8} {:>7}  {:<5}  {}",
                r.id,
                clip(&r.principal, 12),
                r.kind.as_str(),
                r.severity.as_str(),
                left(r.deadline_ms),
                format!("{}/{}", r.approvals.len(), r.quorum),
                clip(&r.summary, 70),
            );
        }
    }
    Ok(())
}

/// `assent grants`: one JSON object per line, or a table.
pub(crate) fn print_grants(rows: &[GrantView], format: ListFormat) -> anyhow::Result<()> {
    for g in rows {
        if format == ListFormat::Json {
            println!("{}", serde_json::to_string(g)?);
        } else {
            println!(
                "{:>4}  {:<12} {:<10} until {}  {}{}",
                g.id,
                clip(&g.principal, 12),
                g.session
                    .as_deref()
                    .map(|s| format!("session {}", clip(s, 8)))
                    .unwrap_or_else(|| "any session".into()),
                ts(g.expires_ms),
                clip(&g.summary, 60),
                if g.revoked_ms.is_some() {
                    "  (revoked)"
                } else {
                    ""
                }
            );
        }
    }
    if rows.is_empty() && format == ListFormat::Text {
        println!("no grants");
    }
    Ok(())
}

/// What the person at `assent watch` chose for one request.
pub(crate) enum Choice {
    Approve,
    Deny(String),
    Skip,
    /// Standard input ended: stop watching.
    End,
}

/// Asks about one request until the answer is a, d or s.
pub(crate) fn prompt() -> anyhow::Result<Choice> {
    let stdin = std::io::stdin();
    loop {
        print!("[a]pprove  [d]eny  [s]kip > ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Ok(Choice::End);
        }
        match line.trim() {
            "a" | "approve" | "y" => return Ok(Choice::Approve),
            "d" | "deny" | "n" => {
                print!("reason > ");
                std::io::stdout().flush()?;
                let mut reason = String::new();
                stdin.lock().read_line(&mut reason)?;
                let reason = reason.trim();
                return Ok(Choice::Deny(if reason.is_empty() {
                    "denied in assent watch".into()
                } else {
                    reason.to_string()
                }));
            }
            "s" | "skip" | "" => return Ok(Choice::Skip),
            _ => println!("type a, d or s"),
        }
    }
}

/// Who is acting: the principal of `ASSENT_TOKEN` when it is set, else the local
/// administrator as `[local] approver`. `--as NAME` no longer chooses anyone: it must name the
/// identity actually proven, and naming someone else is refused and audited.
pub async fn identity(gw: &Gateway, claimed: Option<&str>) -> anyhow::Result<Identity> {
    let proven = match std::env::var("ASSENT_TOKEN") {
        Ok(t) if !t.trim().is_empty() => gw
            .authenticate(t.trim())
            .await
            .map_err(|e| anyhow::anyhow!("ASSENT_TOKEN: {e}"))?,
        _ => gw.local_identity()?,
    };
    match claimed {
        Some(name) if name != proven.name() => Err(gw.refuse_claim(name, &proven).await.into()),
        _ => Ok(proven),
    }
}

pub(crate) fn describe(step: &assent_core::approval::Outcome) -> String {
    use assent_core::approval::Outcome::*;
    match step {
        Counted { have, need } => {
            format!("approval recorded ({have} of {need}); waiting for more approvers")
        }
        Approved => "approved; the waiting agent is released".into(),
        Denied => "denied".into(),
        other => format!("{other:?}"),
    }
}

pub fn ts(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn left(deadline_ms: i64) -> String {
    let s = (deadline_ms - now_ms()) / 1000;
    if s <= 0 {
        "due".into()
    } else if s < 120 {
        format!("{s}s")
    } else {
        format!("{}m", s / 60)
    }
}

fn clip(s: &str, n: usize) -> String {
    let s = text::escape_line(s);
    if s.chars().count() <= n {
        s
    } else {
        format!(
            "{}…",
            s.chars().take(n.saturating_sub(1)).collect::<String>()
        )
    }
}

/// `30s`, `15m`, `1h`, `2d`.
pub fn parse_duration_ms(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("`{s}` is not a duration; use 30s, 15m, 1h or 2d"))?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" | "" => 3_600_000,
        "d" => 86_400_000,
        _ => anyhow::bail!("`{s}` is not a duration; use 30s, 15m, 1h or 2d"),
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0 && *v <= 366 * 86_400_000)
        .ok_or_else(|| anyhow::anyhow!("duration `{s}` out of range"))
}

/// Everything an approver needs, escaped: no byte of the action can hide or restyle text.
pub(crate) fn render(r: &RequestView) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "request {}  [{}]  created {}  {}\n",
        r.id,
        r.state.as_str(),
        ts(r.created_ms),
        if r.state == State::Pending {
            format!("time left {}", left(r.deadline_ms))
        } else {
            String::new()
        }
    ));
    out.push_str(&format!(
        "principal  {}  (chain: {})\n",
        text::escape_line(&r.principal),
        text::escape_line(&r.chain.join(" → "))
    ));
    out.push_str(&format!("session    {}\n", text::escape_line(&r.session)));
    out.push_str(&format!(
        "tool/kind  {} / {}\n",
        text::escape_line(&r.action.tool),
        r.action.kind.as_str()
    ));
    out.push_str(&format!(
        "cwd        {}\n",
        text::escape_line(r.action.cwd.as_deref().unwrap_or("(none)"))
    ));
    out.push_str(&format!(
        "rule       {}  severity {}\n",
        text::escape_line(&r.decision.rules.join(", ")),
        r.decision.severity.as_str()
    ));
    out.push_str(&format!(
        "reason     {}\n",
        text::escape_line(&r.decision.reason)
    ));
    out.push_str(&format!(
        "needs      {} approval(s) from {}; so far: {}; on timeout: {}\n",
        r.requirement.quorum,
        text::escape_line(&r.requirement.approvers.join(", ")),
        if r.approvals.is_empty() {
            "none".to_string()
        } else {
            text::escape_line(&r.approvals.join(", "))
        },
        serde_json::to_string(&r.requirement.on_timeout).unwrap_or_default(),
    ));
    if r.facts.hidden_text {
        out.push_str("WARNING    hidden or look-alike characters (shown escaped below):\n");
        for n in &r.facts.hidden_notes {
            out.push_str(&format!("             - {}\n", text::escape_line(n)));
        }
    }
    if let Some(s) = &r.action.summary {
        out.push_str(&format!(
            "caller says {} (not trusted; the action below is what runs)\n",
            text::escape_line(s)
        ));
    }
    // Why it was stopped, in plain words, before the details.
    if let Some(e) = &r.explanation {
        out.push_str("--- why it was stopped\n");
        out.push_str(&e.to_text());
    }
    out.push_str("--- action (exactly what would run)\n");
    match r.action.kind {
        Kind::Shell => out.push_str(&format!(
            "$ {}\n",
            text::escape(
                r.action
                    .input
                    .get("command")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        )),
        _ => out.push_str(&format!(
            "{}\n",
            text::escape(&serde_json::to_string_pretty(&r.action.input).unwrap_or_default())
        )),
    }
    if let Some(d) = &r.diff {
        out.push_str("--- diff (against the file as it was when the request was made)\n");
        out.push_str(&d.to_text());
    }
    if !r.answers.is_empty() {
        out.push_str("--- answers\n");
        for x in &r.answers {
            out.push_str(&format!(
                "{} {} by {} {}\n",
                x.at,
                x.step,
                text::escape_line(&x.by),
                text::escape_line(x.reason.as_deref().unwrap_or(""))
            ));
        }
    }
    out
}

async fn watch(gw: &Gateway, who: &Identity) -> anyhow::Result<Exit> {
    let mut seen = std::collections::HashSet::new();
    eprintln!(
        "assent: watching for requests as `{}` (Ctrl-C to stop)",
        who.name()
    );
    loop {
        let rows = gw.pending().await?;
        for summary in rows {
            let Some(r) = gw.request_view(summary.id).await? else {
                continue;
            };
            if !seen.insert(r.id) {
                continue;
            }
            print!("\n{}", render(&r));
            match prompt()? {
                Choice::Approve => {
                    match gw
                        .approve(r.id, who, Some("approved in assent watch"), None)
                        .await
                    {
                        Ok(step) => println!("request {}: {}", r.id, describe(&step)),
                        Err(e) => println!("request {}: not approved: {e}", r.id),
                    }
                }
                Choice::Deny(reason) => match gw.deny(r.id, who, &reason).await {
                    Ok(_) => println!("request {}: denied", r.id),
                    Err(e) => println!("request {}: not denied: {e}", r.id),
                },
                Choice::Skip => {}
                Choice::End => return Ok(Exit::Ok),
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}
