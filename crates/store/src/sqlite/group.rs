//! Group commit: the transactions of one process share SQLite transactions, so that many
//! concurrent writers do not each pay an fsync.
//!
//! One batch is one `BEGIN IMMEDIATE … COMMIT`. Its members run one after another (a member
//! holds the batch from [`begin`] to its commit or drop, as a lone transaction held the write
//! lock before). A member's SQL runs inside a savepoint of its own, so a member that fails or
//! is dropped is undone alone; its audit events are kept in memory and written when the batch
//! commits, in chain order. A member's [`Tx::commit`](crate::Tx::commit) returns only once the
//! batch that holds it has committed durably (`synchronous = FULL`), and every member of a
//! batch whose commit fails gets the error: nobody is answered before their events are on
//! disk.
//!
//! A batch commits when the member ending its turn sees nobody waiting to begin (so a lone
//! writer commits at once, as before), or when it holds [`MAX_MEMBERS`] members, or when it
//! has been open for [`MAX_OPEN`]. Under load, the writers that arrive while one batch is
//! being written form the next one.

use crate::{Result, StoreError};
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

/// Most members in one batch.
pub(super) const MAX_MEMBERS: usize = 1024;
/// Longest a batch stays open for more members (the first member's extra wait).
pub(super) const MAX_OPEN: Duration = Duration::from_millis(20);
/// Events per multi-row `INSERT` when a batch is written (3 parameters each).
const EVENTS_PER_INSERT: usize = 256;

/// What the transactions of one store share.
#[derive(Debug)]
pub(super) struct Shared {
    pool: SqlitePool,
    slot: Arc<Mutex<Slot>>,
    /// Callers of [`begin`] not yet holding the batch.
    waiting: AtomicUsize,
    commits: AtomicU64,
    members: AtomicU64,
}

#[derive(Debug, Default)]
struct Slot {
    batch: Option<Batch>,
    generation: u64,
}

/// One open SQLite transaction and what its members have handed it.
struct Batch {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    generation: u64,
    opened: Instant,
    /// Members that committed, waiting to hear that the batch is durable.
    done: Vec<oneshot::Sender<std::result::Result<(), String>>>,
    /// Audit events (seq, body, hash) to write at commit, in chain order.
    events: Vec<(i64, String, String)>,
    /// The chain head as this batch sees it, once read.
    head: Option<Option<(i64, String)>>,
    /// Whether `head` moved (the stored head is written at commit).
    head_moved: bool,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("generation", &self.generation)
            .field("members", &self.done.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

/// Durable commits and committed members so far: how much batching happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupStats {
    /// SQLite transactions committed (each one fsync of the WAL).
    pub commits: u64,
    /// Transactions of callers that committed inside them.
    pub members: u64,
}

impl Shared {
    pub(super) fn new(pool: SqlitePool) -> Shared {
        Shared {
            pool,
            slot: Arc::new(Mutex::new(Slot::default())),
            waiting: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            members: AtomicU64::new(0),
        }
    }

    pub(super) fn stats(&self) -> GroupStats {
        GroupStats {
            commits: self.commits.load(Ordering::Relaxed),
            members: self.members.load(Ordering::Relaxed),
        }
    }
}

/// Counts a caller of [`begin`] as waiting until it holds the batch. A caller that gives up
/// while waiting (its future dropped) makes sure a batch it was counted for is not left open.
struct Waiting {
    shared: Arc<Shared>,
    holding: bool,
}

impl Waiting {
    fn new(shared: &Arc<Shared>) -> Waiting {
        shared.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting {
            shared: Arc::clone(shared),
            holding: false,
        }
    }

    fn holds(mut self) {
        self.holding = true;
        self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.holding {
            return;
        }
        self.shared.waiting.fetch_sub(1, Ordering::SeqCst);
        // A member may have left the batch open for us: end it if nobody else will.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let shared = Arc::clone(&self.shared);
            rt.spawn(async move {
                let guard = Arc::clone(&shared.slot).lock_owned().await;
                end_turn(&shared, guard).await;
            });
        }
    }
}

/// One member: holds the batch until it commits or is dropped.
pub(super) struct GroupTx {
    shared: Arc<Shared>,
    guard: Option<OwnedMutexGuard<Slot>>,
    /// Whether this member's savepoint was opened (it ran SQL).
    savepoint: bool,
    /// The batch's events and head when this member began (restored if it is undone).
    events_before: usize,
    head_before: Option<Option<(i64, String)>>,
    head_moved_before: bool,
}

/// Starts a member of the open batch, opening one if there is none.
pub(super) async fn begin(shared: &Arc<Shared>) -> Result<GroupTx> {
    let waiting = Waiting::new(shared);
    let mut guard = Arc::clone(&shared.slot).lock_owned().await;
    waiting.holds();
    if guard.batch.is_none() {
        let tx = shared.pool.begin_with("BEGIN IMMEDIATE").await?;
        guard.generation = guard.generation.wrapping_add(1);
        guard.batch = Some(Batch {
            tx,
            generation: guard.generation,
            opened: Instant::now(),
            done: Vec::new(),
            events: Vec::new(),
            head: None,
            head_moved: false,
        });
    }
    let (events_before, head_before, head_moved_before) = match &guard.batch {
        Some(b) => (b.events.len(), b.head.clone(), b.head_moved),
        None => return Err(lost()),
    };
    Ok(GroupTx {
        shared: Arc::clone(shared),
        guard: Some(guard),
        savepoint: false,
        events_before,
        head_before,
        head_moved_before,
    })
}

fn lost() -> StoreError {
    StoreError::Commit("the transaction's batch is gone".into())
}

impl GroupTx {
    fn batch(&mut self) -> Result<&mut Batch> {
        self.guard
            .as_mut()
            .and_then(|g| g.batch.as_mut())
            .ok_or_else(lost)
    }

    /// The connection, inside this member's savepoint.
    pub(super) async fn conn(&mut self) -> Result<&mut SqliteConnection> {
        let first = !self.savepoint;
        let batch = self
            .guard
            .as_mut()
            .and_then(|g| g.batch.as_mut())
            .ok_or_else(lost)?;
        if first {
            sqlx::query("SAVEPOINT member")
                .execute(&mut *batch.tx)
                .await?;
            self.savepoint = true;
        }
        Ok(&mut *batch.tx)
    }

    pub(super) async fn chain_head(&mut self) -> Result<Option<(i64, String)>> {
        let batch = self.batch()?;
        if let Some(head) = &batch.head {
            return Ok(head.clone());
        }
        let row = sqlx::query("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_optional(&mut *batch.tx)
            .await?;
        let head = row.map(|r| (r.get(0), r.get(1)));
        batch.head = Some(head.clone());
        Ok(head)
    }

    pub(super) fn put_event(&mut self, seq: i64, body: &str, hash: &str) -> Result<()> {
        let batch = self.batch()?;
        batch.events.push((seq, body.to_string(), hash.to_string()));
        batch.head = Some(Some((seq, hash.to_string())));
        batch.head_moved = true;
        Ok(())
    }

    /// Ends this member's turn as committed; returns once its batch is durable.
    pub(super) async fn commit(mut self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let guard = self.guard.take().ok_or_else(lost)?;
        let savepoint = self.savepoint;
        let (tell, heard) = oneshot::channel();
        // The turn holds the batch: it runs to its end even if this caller stops waiting.
        let turn = async move {
            let mut guard = guard;
            let released = match guard.batch.as_mut() {
                None => Err(lost()),
                Some(b) if savepoint => sqlx::query("RELEASE member")
                    .execute(&mut *b.tx)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::from),
                Some(_) => Ok(()),
            };
            if let Err(e) = released {
                // Nothing of the batch can be trusted now: abandon it (its members hear so).
                guard.batch = None;
                return Err(e);
            }
            let generation = match guard.batch.as_mut() {
                Some(b) => {
                    b.done.push(tell);
                    b.generation
                }
                None => return Err(lost()),
            };
            end_turn(&shared, guard).await;
            Ok(generation)
        };
        let generation = match tokio::runtime::Handle::try_current() {
            Ok(rt) => rt
                .spawn(turn)
                .await
                .map_err(|e| StoreError::Commit(format!("the commit did not finish: {e}")))??,
            Err(_) => turn.await?,
        };
        match heard.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Commit(e)),
            Err(_) => Err(StoreError::Commit(format!(
                "batch {generation} was abandoned before it committed"
            ))),
        }
    }
}

impl Drop for GroupTx {
    /// A member dropped without committing is undone alone; the batch goes on.
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let Some(batch) = guard.batch.as_mut() else {
            return;
        };
        if batch.done.is_empty() {
            // Nothing else in the batch: roll all of it back (sqlx does on drop).
            guard.batch = None;
            return;
        }
        batch.events.truncate(self.events_before);
        batch.head = self.head_before.take();
        batch.head_moved = self.head_moved_before;
        let savepoint = self.savepoint;
        let shared = Arc::clone(&self.shared);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let mut guard = guard;
                    if savepoint {
                        if let Some(b) = guard.batch.as_mut() {
                            let undo = async {
                                sqlx::query("ROLLBACK TO member")
                                    .execute(&mut *b.tx)
                                    .await?;
                                sqlx::query("RELEASE member").execute(&mut *b.tx).await
                            };
                            if undo.await.is_err() {
                                guard.batch = None;
                            }
                        }
                    }
                    end_turn(&shared, guard).await;
                });
            }
            // No runtime to undo it on: abandon the batch; its members hear so.
            Err(_) => guard.batch = None,
        }
    }
}

/// After a member's turn: commit the batch unless another caller is about to join it.
async fn end_turn(shared: &Shared, mut guard: OwnedMutexGuard<Slot>) {
    let Some(batch) = guard.batch.as_ref() else {
        return;
    };
    let keep_open = shared.waiting.load(Ordering::SeqCst) > 0
        && batch.done.len() < MAX_MEMBERS
        && batch.opened.elapsed() < MAX_OPEN;
    if keep_open {
        return;
    }
    let Some(batch) = guard.batch.take() else {
        return;
    };
    let members = batch.done.len() as u64;
    let done = batch.done;
    let result = write(
        batch.tx,
        batch.events,
        batch.head.flatten().filter(|_| batch.head_moved),
    )
    .await;
    if result.is_ok() {
        shared.commits.fetch_add(1, Ordering::Relaxed);
        shared.members.fetch_add(members, Ordering::Relaxed);
    }
    let answer = result.map_err(|e| e.to_string());
    // Answered while the batch is still held, so the next one starts after.
    for tell in done {
        let _ = tell.send(answer.clone());
    }
    drop(guard);
}

/// Writes a batch's events and head, then commits it durably.
async fn write(
    mut tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    events: Vec<(i64, String, String)>,
    head: Option<(i64, String)>,
) -> Result<()> {
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let mut sql = String::from("INSERT INTO audit_events (seq, body, hash) VALUES ");
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" });
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, body, hash) in chunk {
            query = query.bind(*seq).bind(body.as_str()).bind(hash.as_str());
        }
        query.execute(&mut *tx).await?;
    }
    if let Some((seq, hash)) = head {
        sqlx::query("INSERT INTO chain_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
            .bind(seq)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
