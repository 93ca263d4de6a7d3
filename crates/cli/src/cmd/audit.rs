//! `assent audit query|export|verify`: the gateway's audit views, formatted.

use crate::cli::{AuditCommand, AuditFilter, AuditFormat};
use crate::exit::Exit;
use assent_gateway::{now_ms, AuditLog, AuditQuery, ExportFormat, Locations};
use std::io::Write;

pub fn run(loc: &Locations, cmd: AuditCommand) -> anyhow::Result<Exit> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let log = AuditLog::open(&loc.assent_home).await?;
        match cmd {
            AuditCommand::Verify => verify(&log).await,
            AuditCommand::Query {
                filter,
                format,
                limit,
            } => {
                let q = to_query(&filter, Some(limit))?;
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                match export_format(format) {
                    Some(f) => log.export(&q, f, &mut out).await?,
                    None => table(&log, &q, &mut out).await?,
                }
                out.flush()?;
                Ok(Exit::Ok)
            }
            AuditCommand::Export {
                filter,
                format,
                out,
            } => {
                let Some(format) = export_format(format) else {
                    anyhow::bail!("export formats are jsonl, csv and ocsf");
                };
                let q = to_query(&filter, None)?;
                match out {
                    Some(path) => {
                        let file = std::fs::File::create(&path)?;
                        let mut w = std::io::BufWriter::new(file);
                        log.export(&q, format, &mut w).await?;
                        w.flush()?;
                        eprintln!("assent: wrote {}", path.display());
                    }
                    None => {
                        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                        log.export(&q, format, &mut w).await?;
                        w.flush()?;
                    }
                }
                Ok(Exit::Ok)
            }
        }
    })
}

fn export_format(f: AuditFormat) -> Option<ExportFormat> {
    match f {
        AuditFormat::Table => None,
        AuditFormat::Jsonl => Some(ExportFormat::Jsonl),
        AuditFormat::Csv => Some(ExportFormat::Csv),
        AuditFormat::Ocsf => Some(ExportFormat::Ocsf),
    }
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

fn to_query(f: &AuditFilter, limit: Option<i64>) -> anyhow::Result<AuditQuery> {
    Ok(AuditQuery {
        after_seq: 0,
        since_ms: f.since.as_deref().map(parse_time).transpose()?,
        until_ms: f.until.as_deref().map(parse_time).transpose()?,
        principal: f.principal.clone(),
        kind: f.kind.clone(),
        decision: f.decision.clone(),
        severity: f.severity.clone(),
        event: f.event.clone(),
        request_id: f.request,
        limit,
    })
}

async fn table(log: &AuditLog, q: &AuditQuery, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:>6}  {:<20} {:<16} {:<12} {:<9} {:<6} {:<20} SUMMARY",
        "SEQ", "TIME", "EVENT", "PRINCIPAL", "KIND", "DEC", "RULE"
    )?;
    for e in log.query(q).await? {
        let s = |v: &Option<String>| assent_core::text::escape_line(v.as_deref().unwrap_or(""));
        writeln!(
            out,
            "{:>6}  {:<20} {:<16} {:<12} {:<9} {:<6} {:<20} {}",
            e.seq,
            assent_core::text::escape_line(&e.time)
                .chars()
                .take(20)
                .collect::<String>(),
            assent_core::text::escape_line(e.event.as_str()),
            s(&e.principal),
            s(&e.kind),
            s(&e.decision),
            s(&e.rule),
            s(&e.summary).chars().take(60).collect::<String>()
        )?;
    }
    Ok(())
}

async fn verify(log: &AuditLog) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let report = log.verify().await?;
    match (report.broken_at, report.problem) {
        (None, _) => {
            println!(
                "ok: {} events verified in {:.3}s; head {} {}",
                report.events,
                started.elapsed().as_secs_f64(),
                report.head_seq,
                report.head_hash
            );
            Ok(Exit::Ok)
        }
        (Some(seq), problem) => {
            println!("BROKEN at event {seq}: {}", problem.unwrap_or_default());
            Ok(Exit::Tampered)
        }
    }
}
