//! The shared state of the running bot, handed to every handler through `dptree::deps!`: the
//! knowledge base, who has which role, the metrics, the broadcast queue, what admins have
//! previewed and not confirmed, and whose command menus are set.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::documents;
use super::guard::Roles;
use super::pending::Pending;
use crate::config::Secret;
use crate::metrics::Metrics;
use crate::service::KnowledgeBase;

/// Shared state of the running bot, handed to handlers through `dptree::deps!`.
pub struct App {
    pub kb: Arc<KnowledgeBase>,
    pub roles: Roles,
    pub metrics: Arc<Metrics>,
    /// How many passages an answer shows.
    pub top: usize,
    /// Confirmed announcements, for the broadcast worker.
    pub announcements: mpsc::UnboundedSender<i64>,
    pub uploads: Pending<documents::Upload>,
    /// Synonym groups previewed and awaiting 确认.
    pub synonyms: Pending<Vec<Vec<String>>>,
    /// The bot token, only to remove it from errors shown to admins (logs are redacted where
    /// they are written).
    pub token: Secret,
    /// Staff and admins whose command menu is set (it can only be set once they have written).
    pub menus: Mutex<HashSet<u64>>,
}

impl App {
    /// Runs a change to the knowledge base (a reload, an upload, a removal) off the async
    /// workers, and counts it as a reload.
    pub async fn change<T, E>(
        &self,
        f: impl FnOnce(&KnowledgeBase) -> Result<T, E> + Send + 'static,
    ) -> anyhow::Result<Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let kb = self.kb.clone();
        let result = tokio::task::spawn_blocking(move || f(&kb)).await?;
        self.metrics.observe_reload(result.is_ok());
        Ok(result)
    }
}
