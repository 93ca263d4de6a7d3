//! What the `assent` binary shares with the small `assent-hook` binary: the thin client of
//! `assent serve` ([`remote`]: one blocking HTTP/1.1 exchange) and the hook's relay through
//! it ([`thin`]). Only std, serde_json and assent-core (text escaping and redaction) are
//! used here, so `assent-hook` links nothing else: no runtime, no policy engine, no store.

pub mod remote;
pub mod thin;
