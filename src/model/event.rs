//! The events of one run, each addressed to the part that handles it. The world routes them;
//! a part schedules events for itself or for another part through the queue it is lent, never
//! by calling into that part.

use super::app::AppEvent;
use super::cache::{CacheEvent, LocalEvent, NodeEvent};
use super::clients::ClientEvent;
use super::database::DbEvent;
use super::timeline::TimelineEvent;
use super::writes::WriterEvent;

/// FIFO lanes of the event queue for constant-delay events.
pub(crate) mod lane {
    /// Clients giving up (`clients.timeout` after admission).
    pub const CLIENT_TIMEOUT: usize = 0;
    /// Database queries timing out in the queue (`db.queue_timeout` after submission).
    pub const DB_QUEUE_TIMEOUT: usize = 1;
    /// How many lanes there are.
    pub const COUNT: usize = 2;
}

/// Everything that can happen, addressed to the component it concerns. Small and `Copy`, so
/// scheduling never allocates.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// The clients: arrivals, giving up, retrying.
    Client(ClientEvent),
    /// The writers: arrivals, flushes, their cache operations landing.
    Writers(WriterEvent),
    /// The app tier: retries of failed database queries.
    App(AppEvent),
    /// Answers of the shared cache tier to reads, lock requests and polls.
    Cache(CacheEvent),
    /// Answers of the local caches, and their pub/sub messages.
    Local(LocalEvent),
    /// Completions and queue timeouts of the database.
    Db(DbEvent),
    /// The scenario's timeline: its entries, deploy waves and warm-up.
    Timeline(TimelineEvent),
    /// Cache nodes: a dead one taken out, a returning one warmed.
    Node(NodeEvent),
}

// An event queue entry stays at 32 bytes: 16 for the key, 16 for the event.
const _: () = assert!(std::mem::size_of::<Event>() <= 16);
