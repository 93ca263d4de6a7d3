//! The conformance suite against the embedded SQLite backend, each case on a fresh file.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use assent_store::{SqliteStore, Store};
use std::sync::Arc;

async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("assent.db"))
        .await
        .expect("open");
    (dir, Arc::new(store))
}

assent_store::conformance_suite!(sqlite);
