//! `assent audit query|export|verify`.

use crate::cli::{AuditCommand, AuditFilter, AuditFormat};
use crate::exit::Exit;
use assent_core::json::{at, field};
use assent_gateway::{now_ms, Locations};
use assent_store::{EventFilter, Store};
use serde_json::{json, Value};
use std::io::Write;

pub fn run(loc: &Locations, cmd: AuditCommand) -> anyhow::Result<Exit> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let db = assent_gateway::db_path(&loc.assent_home);
        if !db.exists() {
            anyhow::bail!(
                "no audit log at {} (nothing has been decided with this home yet)",
                db.display()
            );
        }
        let store = Store::open(&db).await?;
        match cmd {
            AuditCommand::Verify => verify(&store).await,
            AuditCommand::Query {
                filter,
                format,
                limit,
            } => {
                let f = to_filter(&filter, limit)?;
                let mut out = std::io::stdout().lock();
                write_events(&store, f, format, &mut out).await?;
                Ok(Exit::Ok)
            }
            AuditCommand::Export {
                filter,
                format,
                out,
            } => {
                if format == AuditFormat::Table {
                    anyhow::bail!("export formats are jsonl, csv and ocsf");
                }
                let f = to_filter(&filter, i64::MAX)?;
                match out {
                    Some(path) => {
                        let file = std::fs::File::create(&path)?;
                        let mut w = std::io::BufWriter::new(file);
                        write_events(&store, f, format, &mut w).await?;
                        w.flush()?;
                        eprintln!("assent: wrote {}", path.display());
                    }
                    None => {
                        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                        write_events(&store, f, format, &mut w).await?;
                        w.flush()?;
                    }
                }
                Ok(Exit::Ok)
            }
        }
    })
}

/// RFC 3339, or an age (`30m`, `2h`, `7d`) counted back from now.
fn parse_time(s: &str) -> anyhow::Result<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let age = super::approver::parse_duration_ms(s).map_err(|_| {
        anyhow::anyhow!("`{s}` is neither an RFC 3339 time nor an age like 30m, 2h, 7d")
    })?;
    Ok(now_ms() - age)
}

fn to_filter(f: &AuditFilter, limit: i64) -> anyhow::Result<EventFilter> {
    Ok(EventFilter {
        after_seq: 0,
        since_ms: f.since.as_deref().map(parse_time).transpose()?,
        until_ms: f.until.as_deref().map(parse_time).transpose()?,
        principal: f.principal.clone(),
        kind: f.kind.clone(),
        decision: f.decision.clone(),
        severity: f.severity.clone(),
        event: f.event.clone(),
        request: f.request,
        limit,
    })
}

/// CSV columns: the chain position, time and type, every event field but the free-form
/// `detail`, and the previous hash.
fn csv_columns() -> Vec<&'static str> {
    let mut cols = vec!["seq", "time", "event"];
    cols.extend(
        assent_gateway::EVENT_FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "detail"),
    );
    cols.push("hash_prev");
    cols
}

/// A CSV cell, quoted, and defused against formula injection: a cell a spreadsheet would
/// evaluate (`=`, `+`, `-`, `@`, tab, CR) gets a leading apostrophe.
fn csv_cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // Leading blanks do not stop a spreadsheet from evaluating the cell.
    let s = if s
        .trim_start()
        .starts_with(['=', '+', '-', '@', '\t', '\r', '|', '%'])
    {
        format!("'{s}")
    } else {
        s
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn ocsf(v: &Value) -> Value {
    let decision = at(v, "/decision").as_str().unwrap_or("");
    let severity_id = match at(v, "/severity").as_str() {
        Some("low") => 2,
        Some("medium") => 3,
        Some("high") => 4,
        Some("critical") => 5,
        _ => 1,
    };
    json!({
        "category_uid": 6, "category_name": "Application Activity",
        "class_uid": 6003, "class_name": "API Activity",
        "activity_id": 99, "activity_name": at(v, "/event"),
        "type_uid": 600399,
        "time": at(v, "/time_ms"), "time_dt": at(v, "/time"),
        "severity_id": severity_id, "severity": at(v, "/severity"),
        "status": match decision { "allow" => "Success", "deny" => "Failure", _ => "Other" },
        "status_detail": at(v, "/reason"),
        "actor": {"user": {"name": at(v, "/principal"), "type": "agent"}, "authorizations": [{"decision": decision, "policy": {"name": at(v, "/rule"), "version": at(v, "/policy_version")}}]},
        "api": {"operation": at(v, "/tool"), "request": {"uid": at(v, "/request_id")}},
        "resources": [{"type": at(v, "/kind"), "data": {"summary": at(v, "/summary"), "digest": at(v, "/digest")}}],
        "metadata": {"product": {"name": "Assent", "vendor_name": "Assent"}, "version": "1.1.0", "uid": at(v, "/seq"), "correlation_uid": at(v, "/session")},
        "unmapped": {"approver": at(v, "/approver"), "chain": at(v, "/chain"), "detail": at(v, "/detail"), "prev_hash": at(v, "/prev")},
    })
}

async fn write_events(
    store: &Store,
    mut f: EventFilter,
    format: AuditFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut remaining = f.limit;
    let total_limit = f.limit;
    if format == AuditFormat::Csv {
        writeln!(out, "{}", csv_columns().join(","))?;
    }
    if format == AuditFormat::Table {
        writeln!(
            out,
            "{:>6}  {:<20} {:<16} {:<12} {:<9} {:<6} {:<20} SUMMARY",
            "SEQ", "TIME", "EVENT", "PRINCIPAL", "KIND", "DEC", "RULE"
        )?;
    }
    loop {
        f.limit = remaining.min(5000);
        if f.limit <= 0 {
            break;
        }
        let rows = store.query_events(&f).await?;
        if rows.is_empty() {
            break;
        }
        for (seq, body) in &rows {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            match format {
                AuditFormat::Jsonl => writeln!(out, "{body}")?,
                AuditFormat::Ocsf => writeln!(out, "{}", ocsf(&v))?,
                AuditFormat::Csv => {
                    let cells: Vec<String> = csv_columns()
                        .iter()
                        .map(|c| match *c {
                            "hash_prev" => csv_cell(at(&v, "/prev")),
                            "chain" => csv_cell(&Value::String(
                                at(&v, "/chain")
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .filter_map(Value::as_str)
                                            .collect::<Vec<_>>()
                                            .join(">")
                                    })
                                    .unwrap_or_default(),
                            )),
                            c => csv_cell(field(&v, c)),
                        })
                        .collect();
                    writeln!(out, "{}", cells.join(","))?;
                }
                AuditFormat::Table => {
                    let s = |k: &str| {
                        assent_core::text::escape_line(field(&v, k).as_str().unwrap_or(""))
                    };
                    let summary: String = s("summary").chars().take(60).collect();
                    writeln!(
                        out,
                        "{:>6}  {:<20} {:<16} {:<12} {:<9} {:<6} {:<20} {}",
                        seq,
                        s("time").chars().take(20).collect::<String>(),
                        s("event"),
                        s("principal"),
                        s("kind"),
                        s("decision"),
                        s("rule"),
                        summary
                    )?;
                }
            }
            f.after_seq = *seq;
        }
        remaining -= rows.len() as i64;
        if total_limit != i64::MAX && remaining <= 0 {
            break;
        }
    }
    Ok(())
}

async fn verify(store: &Store) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let report = store.verify().await?;
    match report.first_break {
        None => {
            println!(
                "ok: {} events verified in {:.3}s; head {} {}",
                report.events,
                started.elapsed().as_secs_f64(),
                report.last_seq,
                report.last_hash
            );
            Ok(Exit::Ok)
        }
        Some(b) => {
            println!("BROKEN at event {}: {}", b.seq, b.problem);
            Ok(Exit::Tampered)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;
    use serde_json::json;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell(&json!("ls")), "\"ls\"");
        assert_eq!(
            csv_cell(&json!("=cmd|' /C calc'!A0")),
            "\"'=cmd|' /C calc'!A0\""
        );
        assert_eq!(csv_cell(&json!(" =1+1")), "\"' =1+1\"");
        assert_eq!(csv_cell(&json!("@SUM(A1)")), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell(&json!("a\"b")), "\"a\"\"b\"");
        assert_eq!(csv_cell(&json!(null)), "\"\"");
    }
}
