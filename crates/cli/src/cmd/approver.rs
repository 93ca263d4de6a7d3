//! The approver's commands: `pending`, `show`, `approve`, `deny`, `watch`, `grants`, `revoke`.

use crate::cli::{Command, ListFormat};
use crate::exit::Exit;
use assent_core::json::at;
use assent_core::text;
use assent_gateway::{now_ms, Gateway, GrantScope, Locations};
use assent_store::RequestRow;
use serde_json::{json, Value};
use std::io::{BufRead, Write};

pub fn run(loc: &Locations, cmd: Command) -> anyhow::Result<Exit> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let gw = super::open(loc).await?;
        let approver = |as_: Option<String>| as_.unwrap_or_else(|| gw.policy().settings.local.approver.clone());
        match cmd {
            Command::Pending(args) => {
                gw.expire_due().await?;
                let rows = gw.store.requests_in_state("pending", 1000).await?;
                if args.format == ListFormat::Json {
                    for r in &rows {
                        println!("{}", request_json(r));
                    }
                } else if rows.is_empty() {
                    println!("no pending requests");
                } else {
                    println!("{:>5}  {:<12} {:<10} {:<8} {:>7}  {:<5}  SUMMARY", "ID", "PRINCIPAL", "KIND", "SEVERITY", "LEFT", "VOTES");
                    for r in &rows {
                        let b = &r.body;
                        println!(
                            "{:>5}  {:<12} {:<10} {:<8} {:>7}  {:<5}  {}",
                            r.id,
                            clip(&r.principal, 12),
                            at(b, "/action/kind").as_str().unwrap_or(""),
                            at(b, "/decision/severity").as_str().unwrap_or(""),
                            left(r.deadline_ms),
                            format!("{}/{}", at(b, "/approval/approvals").as_array().map(|a| a.len()).unwrap_or(0), at(b, "/approval/requirement/quorum")),
                            clip(at(b, "/summary").as_str().unwrap_or(""), 70),
                        );
                    }
                }
                Ok(Exit::Ok)
            }
            Command::Show { id, format } => {
                gw.expire_due().await?;
                let Some(r) = gw.store.request(id).await? else {
                    anyhow::bail!("no request {id}");
                };
                if format == ListFormat::Json {
                    println!("{}", request_json(&r));
                } else {
                    print!("{}", render(&gw, &r));
                }
                Ok(Exit::Ok)
            }
            Command::Approve { id, reason, grant, as_ } => {
                let scope = match grant.as_deref() {
                    None => None,
                    Some("session") => Some(GrantScope::Session),
                    Some(d) => Some(GrantScope::For(parse_duration_ms(d)?)),
                };
                let who = approver(as_);
                let step = gw.approve(id, &who, reason.as_deref(), scope).await?;
                println!("request {id}: {}", describe(&step));
                Ok(Exit::Ok)
            }
            Command::Deny { id, reason, as_ } => {
                let who = approver(as_);
                gw.deny(id, &who, &reason).await?;
                println!("request {id}: denied");
                Ok(Exit::Ok)
            }
            Command::Grants { all, format } => {
                let rows = gw.store.grants(all, now_ms()).await?;
                for g in &rows {
                    let v = json!({"id": g.id, "principal": g.principal, "digest": g.digest, "session": g.session, "expires": ts(g.expires_ms), "revoked": g.revoked_ms.map(ts), "request": g.request_id, "created_by": g.created_by, "summary": g.summary});
                    if format == ListFormat::Json {
                        println!("{v}");
                    } else {
                        println!(
                            "{:>4}  {:<12} {:<10} until {}  {}{}",
                            g.id,
                            clip(&g.principal, 12),
                            g.session.as_deref().map(|s| format!("session {}", clip(s, 8))).unwrap_or_else(|| "any session".into()),
                            ts(g.expires_ms),
                            clip(&g.summary, 60),
                            if g.revoked_ms.is_some() { "  (revoked)" } else { "" }
                        );
                    }
                }
                if rows.is_empty() && format == ListFormat::Text {
                    println!("no grants");
                }
                Ok(Exit::Ok)
            }
            Command::Revoke { grant, as_ } => {
                let who = approver(as_);
                gw.revoke(grant, &who).await?;
                println!("grant {grant}: revoked");
                Ok(Exit::Ok)
            }
            Command::Watch { as_ } => watch(&gw, &approver(as_)).await,
            _ => anyhow::bail!("not an approver command"),
        }
    })
}

fn describe(step: &assent_core::approval::Outcome) -> String {
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

fn request_json(r: &RequestRow) -> Value {
    json!({
        "id": r.id, "state": r.state, "principal": r.principal, "session": r.session,
        "created": ts(r.created_ms), "deadline": ts(r.deadline_ms), "digest": r.digest,
        "action": at(&r.body, "/action"), "summary": at(&r.body, "/summary"), "facts": at(&r.body, "/facts"),
        "decision": at(&r.body, "/decision"), "approval": at(&r.body, "/approval"), "answers": at(&r.body, "/answers"),
        "explanation": at(&r.body, "/explanation"), "diff": at(&r.body, "/diff"),
    })
}

/// Everything an approver needs, escaped: no byte of the action can hide or restyle text.
fn render(gw: &Gateway, r: &RequestRow) -> String {
    let b = &r.body;
    let mut out = String::new();
    let a = &at(b, "/approval");
    let chain: Vec<&str> = at(a, "/chain")
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str(&format!(
        "request {}  [{}]  created {}  {}\n",
        r.id,
        r.state,
        ts(r.created_ms),
        if r.state == "pending" {
            format!("time left {}", left(r.deadline_ms))
        } else {
            String::new()
        }
    ));
    out.push_str(&format!(
        "principal  {}  (chain: {})\n",
        text::escape_line(&r.principal),
        text::escape_line(&chain.join(" → "))
    ));
    out.push_str(&format!("session    {}\n", text::escape_line(&r.session)));
    out.push_str(&format!(
        "tool/kind  {} / {}\n",
        text::escape_line(at(b, "/action/tool").as_str().unwrap_or("")),
        at(b, "/action/kind").as_str().unwrap_or("")
    ));
    out.push_str(&format!(
        "cwd        {}\n",
        text::escape_line(at(b, "/action/cwd").as_str().unwrap_or("(none)"))
    ));
    let d = &at(b, "/decision");
    out.push_str(&format!(
        "rule       {}  severity {}\n",
        at(d, "/rules")
            .as_array()
            .map(|r| r
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
        at(d, "/severity").as_str().unwrap_or("")
    ));
    out.push_str(&format!(
        "reason     {}\n",
        text::escape_line(at(d, "/reason").as_str().unwrap_or(""))
    ));
    out.push_str(&format!(
        "needs      {} approval(s) from {}; so far: {}; on timeout: {}\n",
        at(a, "/requirement/quorum"),
        at(a, "/requirement/approvers")
            .as_array()
            .map(|r| r
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
        at(a, "/approvals")
            .as_array()
            .map(|r| if r.is_empty() {
                "none".to_string()
            } else {
                r.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        serde_json::to_string(&at(a, "/requirement/on_timeout")).unwrap_or_default(),
    ));
    let f = &at(b, "/facts");
    if at(f, "/hidden_text").as_bool() == Some(true) {
        out.push_str("WARNING    hidden or look-alike characters (shown escaped below):\n");
        for n in at(f, "/hidden_notes")
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.push_str(&format!("             - {}\n", text::escape_line(n)));
        }
    }
    if let Some(s) = at(b, "/action/summary").as_str() {
        out.push_str(&format!(
            "caller says {} (not trusted; the action below is what runs)\n",
            text::escape_line(s)
        ));
    }
    // Why it was stopped, in plain words, before the details.
    if let Some(e) = gw.explanation_of(b) {
        out.push_str("--- why it was stopped\n");
        out.push_str(&e.to_text());
    }
    out.push_str("--- action (exactly what would run)\n");
    let input = &at(b, "/action/input");
    match (at(b, "/action/kind").as_str(), input) {
        (Some("shell"), _) => out.push_str(&format!(
            "$ {}\n",
            text::escape(at(input, "/command").as_str().unwrap_or(""))
        )),
        _ => out.push_str(&format!(
            "{}\n",
            text::escape(&serde_json::to_string_pretty(input).unwrap_or_default())
        )),
    }
    if let Some(d) = gw.diff_of(b) {
        out.push_str("--- diff (against the file as it was when the request was made)\n");
        out.push_str(&d.to_text());
    }
    if let Some(ans) = at(b, "/answers").as_array().filter(|a| !a.is_empty()) {
        out.push_str("--- answers\n");
        for x in ans {
            out.push_str(&format!(
                "{} {} by {} {}\n",
                at(x, "/at").as_str().unwrap_or(""),
                at(x, "/step").as_str().unwrap_or(""),
                text::escape_line(at(x, "/by").as_str().unwrap_or("")),
                text::escape_line(at(x, "/reason").as_str().unwrap_or(""))
            ));
        }
    }
    out
}

async fn watch(gw: &Gateway, who: &str) -> anyhow::Result<Exit> {
    let stdin = std::io::stdin();
    let mut seen = std::collections::HashSet::new();
    eprintln!("assent: watching for requests as `{who}` (Ctrl-C to stop)");
    loop {
        gw.expire_due().await?;
        let rows = gw.store.requests_in_state("pending", 100).await?;
        for r in rows {
            if !seen.insert(r.id) {
                continue;
            }
            print!("\n{}", render(gw, &r));
            loop {
                print!("[a]pprove  [d]eny  [s]kip > ");
                std::io::stdout().flush()?;
                let mut line = String::new();
                if stdin.lock().read_line(&mut line)? == 0 {
                    return Ok(Exit::Ok);
                }
                match line.trim() {
                    "a" | "approve" | "y" => {
                        match gw
                            .approve(r.id, who, Some("approved in assent watch"), None)
                            .await
                        {
                            Ok(step) => println!("request {}: {}", r.id, describe(&step)),
                            Err(e) => println!("request {}: not approved: {e}", r.id),
                        }
                        break;
                    }
                    "d" | "deny" | "n" => {
                        print!("reason > ");
                        std::io::stdout().flush()?;
                        let mut reason = String::new();
                        stdin.lock().read_line(&mut reason)?;
                        let reason = if reason.trim().is_empty() {
                            "denied in assent watch"
                        } else {
                            reason.trim()
                        };
                        match gw.deny(r.id, who, reason).await {
                            Ok(_) => println!("request {}: denied", r.id),
                            Err(e) => println!("request {}: not denied: {e}", r.id),
                        }
                        break;
                    }
                    "s" | "skip" | "" => break,
                    _ => println!("type a, d or s"),
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}
