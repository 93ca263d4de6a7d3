//! What a long-running server needs from the gateway beyond the in-process front ends:
//! handing a pending request's wait secret to a remote requester, resuming a wait from it,
//! and closing the store on shutdown.

use super::{Gateway, Pending};

impl Pending {
    /// The secret that redeems this request's single-use approval. Only the requester may
    /// see it (the server returns it once, in the answer to `decide`).
    pub fn wait_secret(&self) -> &str {
        &self.secret
    }

    /// A pending request as a remote requester names it again: its id and the secret it was
    /// given. A wrong secret never redeems anything (the store compares hashes).
    pub fn resume(request_id: i64, deadline_ms: i64, secret: String) -> Pending {
        Pending {
            request_id,
            deadline_ms,
            secret,
        }
    }
}

impl Gateway {
    /// Closes the store's connections (after the last request has been answered).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
