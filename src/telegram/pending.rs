//! What an admin previewed and has not confirmed yet (an upload, a synonym group), kept in
//! memory by id for its author only; the most recent few are kept and older ones expire, so
//! unconfirmed uploads never pile up. A restart forgets them: the admin sends them again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Uploads awaiting 确认 kept at once; older ones expire.
pub const MAX_PENDING_UPLOADS: usize = 8;

/// A validated upload awaiting the admin's 确认.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Items awaiting their author's 确认, by id.
pub struct Pending<T> {
    items: Mutex<HashMap<u64, (u64, T)>>,
    next: AtomicU64,
    keep: usize,
}

impl<T> Pending<T> {
    /// Keeps at most `keep` items at once.
    pub fn new(keep: usize) -> Self {
        Pending {
            items: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            keep: keep.max(1),
        }
    }

    /// Keeps `item` for `author`; returns its id. The oldest item goes when there are too many.
    pub fn insert(&self, author: u64, item: T) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        while items.len() >= self.keep {
            let Some(oldest) = items.keys().min().copied() else {
                break;
            };
            items.remove(&oldest);
        }
        items.insert(id, (author, item));
        id
    }

    /// Takes item `id` if `author` made it.
    pub fn take(&self, id: u64, author: u64) -> Option<T> {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        match items.get(&id) {
            Some((a, _)) if *a == author => items.remove(&id).map(|(_, t)| t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_author_takes_and_old_items_expire() {
        let p = Pending::new(2);
        let a = p.insert(1, "a");
        let b = p.insert(1, "b");
        assert_eq!(p.take(b, 2), None, "someone else's");
        let _c = p.insert(1, "c");
        assert_eq!(p.take(a, 1), None, "the oldest expired");
        assert_eq!(p.take(b, 1), Some("b"));
        assert_eq!(p.take(b, 1), None, "taken once");
    }
}
