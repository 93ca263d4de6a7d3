//! The audit log as front ends read it: query, export (JSON Lines, CSV, OCSF) and verify.
//! Usable without a [`crate::Gateway`] (no policy is loaded), so the log of a home whose
//! policy no longer loads can still be read and verified.

use crate::gateway::GatewayError;
use assent_core::json::{at, field};
use assent_store::{AuditEvent, EventFilter, Store, EVENT_FIELDS};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Read access to one store's audit log.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pub(crate) store: Arc<dyn Store>,
}

/// Which events to read; every `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// Only events after this sequence number (paging).
    pub after_seq: i64,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub principal: Option<String>,
    /// Action kind (`shell`, `file.write`, …).
    pub kind: Option<String>,
    pub decision: Option<String>,
    pub severity: Option<String>,
    /// Event name (`decision`, `approved`, …).
    pub event: Option<String>,
    pub request_id: Option<i64>,
    /// `None`: no limit.
    pub limit: Option<i64>,
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The stored events, byte for byte: a chain an auditor can re-verify.
    Jsonl,
    /// Fixed columns, cells defused against formula injection.
    Csv,
    /// OCSF 1.1 API Activity.
    Ocsf,
}

/// The outcome of verifying the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyView {
    pub ok: bool,
    pub events: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// Where the chain first breaks, and how.
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

/// Events read per round trip.
const PAGE: i64 = 5000;

impl AuditLog {
    /// The audit log of the home's database, without loading any policy.
    pub async fn open(assent_home: &Path) -> Result<AuditLog, GatewayError> {
        let db = crate::gateway::db_path(assent_home);
        if !db.exists() {
            return Err(GatewayError::Io(format!(
                "no audit log at {} (nothing has been decided with this home yet)",
                db.display()
            )));
        }
        Ok(AuditLog {
            store: assent_store::open(&db).await?,
        })
    }

    /// Events matching `q`, in order, as typed events.
    pub async fn query(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, GatewayError> {
        let mut out = Vec::new();
        self.each(q, |_, body| {
            out.push(AuditEvent::from_stored(body)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Writes the events matching `q` in `format`, paging through the log.
    pub async fn export(
        &self,
        q: &AuditQuery,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<(), GatewayError> {
        let io = |e: std::io::Error| GatewayError::Io(e.to_string());
        if let Some(h) = format.header() {
            writeln!(out, "{h}").map_err(io)?;
        }
        self.each(q, |_, body| {
            writeln!(out, "{}", format.line(body)).map_err(io)?;
            Ok(())
        })
        .await
    }

    /// Verifies the whole chain against the recorded head.
    pub async fn verify(&self) -> Result<VerifyView, GatewayError> {
        let r = self.store.verify().await?;
        Ok(VerifyView {
            ok: r.first_break.is_none(),
            events: r.events,
            head_seq: r.last_seq,
            head_hash: r.last_hash,
            broken_at: r.first_break.as_ref().map(|b| b.seq),
            problem: r.first_break.map(|b| b.problem),
        })
    }

    async fn each(
        &self,
        q: &AuditQuery,
        mut f: impl FnMut(i64, &str) -> Result<(), GatewayError>,
    ) -> Result<(), GatewayError> {
        let mut remaining = q.limit.unwrap_or(i64::MAX).max(0);
        let mut filter = EventFilter {
            after_seq: q.after_seq,
            since_ms: q.since_ms,
            until_ms: q.until_ms,
            principal: q.principal.clone(),
            kind: q.kind.clone(),
            decision: q.decision.clone(),
            severity: q.severity.clone(),
            event: q.event.clone(),
            request: q.request_id,
            limit: 0,
        };
        while remaining > 0 {
            filter.limit = remaining.min(PAGE);
            let rows = self.store.query_events(&filter).await?;
            let Some(last) = rows.last() else { break };
            filter.after_seq = last.0;
            remaining -= rows.len() as i64;
            for (seq, body) in &rows {
                f(*seq, body)?;
            }
        }
        Ok(())
    }
}

impl ExportFormat {
    /// The line before the first event, if the format has one.
    pub fn header(self) -> Option<String> {
        match self {
            ExportFormat::Csv => Some(csv_columns().join(",")),
            ExportFormat::Jsonl | ExportFormat::Ocsf => None,
        }
    }

    /// One stored event (its canonical body) as one line of this format.
    pub fn line(self, body: &str) -> String {
        match self {
            ExportFormat::Jsonl => body.to_string(),
            ExportFormat::Ocsf => {
                ocsf(&serde_json::from_str(body).unwrap_or(Value::Null)).to_string()
            }
            ExportFormat::Csv => {
                let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                csv_columns()
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
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
    }
}

/// CSV columns: the chain position, time and type, every event field but the free-form
/// `detail`, and the previous hash.
fn csv_columns() -> Vec<&'static str> {
    let mut cols = vec!["seq", "time", "event"];
    cols.extend(EVENT_FIELDS.iter().copied().filter(|f| *f != "detail"));
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
