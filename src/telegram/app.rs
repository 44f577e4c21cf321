//! The shared state of the running bot, handed to every handler through `dptree::deps!`: the
//! knowledge base, who has which role ([`Roles`]), the metrics, the broadcast queue, what admins have
//! previewed and not confirmed, whose command menus are set, and the service desk ([`Desk`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::pending::{Pending, Upload};
use crate::config::{Secret, TicketSettings};
use crate::metrics::Metrics;
use crate::service::KnowledgeBase;

/// The user ids of staff and admins; everyone else is a citizen.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    admins: HashSet<u64>,
    staff: HashSet<u64>,
}

impl Roles {
    pub fn new(admins: &[u64], staff: &[u64]) -> Self {
        Roles {
            admins: admins.iter().copied().collect(),
            staff: staff.iter().copied().collect(),
        }
    }

    pub fn is_admin(&self, user: u64) -> bool {
        self.admins.contains(&user)
    }

    /// The admins' user ids.
    pub fn admins(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.admins.iter().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Admins are staff too.
    pub fn is_staff(&self, user: u64) -> bool {
        self.staff.contains(&user) || self.is_admin(user)
    }
}

/// The service desk: its settings, who answers, and the worker's wake-up call.
pub struct Desk {
    pub settings: TicketSettings,
    /// 北关区政府办公室.
    pub office: String,
    /// Wakes the desk worker when something was queued.
    pub wake: tokio::sync::Notify,
    /// Whether the staff group is a forum (a topic per ticket); learnt by the worker.
    pub forum: std::sync::atomic::AtomicBool,
}

impl Desk {
    pub fn new(settings: TicketSettings, home: &str) -> Desk {
        let office = settings
            .office
            .clone()
            .unwrap_or_else(|| format!("{home}政府办公室"));
        Desk {
            settings,
            office,
            wake: tokio::sync::Notify::new(),
            forum: Default::default(),
        }
    }

    /// Seconds after which an unanswered ticket is overdue: the reply window, counted in
    /// calendar days.
    pub fn overdue_after(&self) -> i64 {
        i64::from(self.settings.reply_days) * 86_400
    }

    /// Whether a button press came from staff in the staff group (a card's or a draft's
    /// buttons count nowhere else).
    pub fn staff_press(&self, q: &teloxide::types::CallbackQuery, roles: &Roles) -> bool {
        super::reply::callback_chat(q).0 == self.settings.staff_chat && roles.is_staff(q.from.id.0)
    }

    pub fn is_forum(&self) -> bool {
        self.forum.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Shared state of the running bot, handed to handlers through `dptree::deps!`.
pub struct App {
    pub kb: Arc<KnowledgeBase>,
    pub roles: Roles,
    pub metrics: Arc<Metrics>,
    /// How many passages an answer shows.
    pub top: usize,
    /// Confirmed announcements, for the broadcast worker.
    pub announcements: mpsc::UnboundedSender<i64>,
    pub uploads: Pending<Upload>,
    /// Synonym groups previewed and awaiting 确认.
    pub synonyms: Pending<Vec<Vec<String>>>,
    /// The bot token, only to remove it from errors shown to admins (logs are redacted where
    /// they are written).
    pub token: Secret,
    /// Staff and admins whose command menu is set (it can only be set once they have written).
    pub menus: Mutex<HashSet<u64>>,
    /// The service desk (转人工), when a staff group is set.
    pub desk: Option<Arc<Desk>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_are_staff_too() {
        let roles = Roles::new(&[1], &[2]);
        assert!(roles.is_admin(1) && roles.is_staff(1));
        assert!(!roles.is_admin(2) && roles.is_staff(2));
        assert!(!roles.is_staff(3));
    }
}
