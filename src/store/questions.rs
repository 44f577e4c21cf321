//! The question log: each question's text, time, how well it was answered, the passages
//! shown (for 原文 and 更多), the 👍 / 👎, and a keyed hash of who asked (so only the asker may
//! press its buttons) — never a user id. Feeds `/stats` and `/gaps`.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};
use crate::grade::Match;

/// Which questions [`Store::frequent_questions`] counts.
enum Frequent {
    /// Answered with a given tier (questions logged before tiers count as `none` when they
    /// had no result).
    Tier(Match),
    Disliked,
}

impl rusqlite::ToSql for Match {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.to_string().into())
    }
}

/// Figures for `/stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub subscribers: u64,
    pub questions_24h: u64,
    pub questions_7d: u64,
    pub unanswered_7d: u64,
}

/// Store key of the secret that asker keys are made with.
const ASKER_SALT: &str = "asker_salt";

/// A fresh secret from the system's randomness.
fn fresh_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Task(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

impl Store {
    /// Logs a question: its text, time, how well it was answered, result count, top score, the
    /// key of who asked ([`Store::asker_key`]) and the message that asked it, when known (a
    /// staff answer replies to it). No user id.
    #[allow(clippy::too_many_arguments)]
    pub fn log_question(
        &self,
        text: &str,
        tier: Match,
        passages: &[&str],
        top_score: Option<f32>,
        now: i64,
        asker: &str,
        message: Option<i64>,
    ) -> Result<i64, StoreError> {
        let id = {
            let c = self.conn();
            c.execute(
                "INSERT INTO questions (asked_at, text, tier, results, top_score, asker, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![now, text, tier, passages.len() as i64, top_score.map(f64::from), asker, message],
            )?;
            c.last_insert_rowid()
        };
        self.add_answers(id, 1, passages)?;
        Ok(id)
    }

    /// Records the passages shown for question `id`, ranked from `first_rank`.
    pub fn add_answers(
        &self,
        id: i64,
        first_rank: usize,
        passages: &[&str],
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        for (i, p) in passages.iter().enumerate() {
            tx.execute(
                "INSERT OR REPLACE INTO answers (question_id, rank, passage_id) VALUES (?1, ?2, ?3)",
                params![id, (first_rank + i) as i64, p],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A key for whoever asks in `chat` (`user` being the person): a hash with this database's
    /// own secret, so the log can tell whether a button is pressed by the asker without keeping
    /// who the asker is.
    pub fn asker_key(&self, chat: i64, user: u64) -> Result<String, StoreError> {
        let salt = match self.salt.get() {
            Some(s) => s.clone(),
            None => self.salt()?,
        };
        let digest = Sha256::digest(format!("{salt}:{chat}:{user}").as_bytes());
        Ok(hex::encode(&digest[..12]))
    }

    /// The secret asker keys are made with: made once, kept in the database and, once read,
    /// in memory.
    fn salt(&self) -> Result<String, StoreError> {
        let salt = match self.meta(ASKER_SALT)? {
            Some(s) => s,
            None => {
                let s = fresh_secret()?;
                // Another task may have set it meanwhile: the first one stays.
                self.conn().execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                    params![ASKER_SALT, s],
                )?;
                self.meta(ASKER_SALT)?.unwrap_or(s)
            }
        };
        Ok(self.salt.get_or_init(|| salt).clone())
    }

    /// Up to `limit` different questions asked lately, newest first.
    pub fn recent_questions(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT text FROM questions GROUP BY text ORDER BY MAX(asked_at) DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit as i64], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// The asker key of a logged question (None for questions logged before keys, or unknown).
    pub fn question_asker(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT asker FROM questions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .flatten())
    }

    /// The text of a logged question.
    pub fn question_text(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT text FROM questions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The text of question `id` and the message that asked it.
    pub fn question_with_message(
        &self,
        id: i64,
    ) -> Result<Option<(String, Option<i64>)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT text, message_id FROM questions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The last question `asker` asked since `since`: its id, text and message.
    pub fn last_question_of(
        &self,
        asker: &str,
        since: i64,
    ) -> Result<Option<(i64, String, Option<i64>)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, text, message_id FROM questions WHERE asker = ?1 AND asked_at >= ?2 ORDER BY id DESC LIMIT 1",
                params![asker, since],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// The passage shown at `rank` (from 1) in the answer to question `id`.
    pub fn answer_passage(&self, id: i64, rank: usize) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT passage_id FROM answers WHERE question_id = ?1 AND rank = ?2",
                params![id, rank as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records a citizen's 👍 (true) or 👎 (false); the latest press counts. False when the
    /// question is unknown.
    pub fn set_feedback(&self, id: i64, up: bool) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE questions SET feedback = ?2 WHERE id = ?1",
            params![id, if up { 1 } else { -1 }],
        )?;
        Ok(n > 0)
    }

    pub fn stats(&self, now: i64) -> Result<Stats, StoreError> {
        let c = self.conn();
        let count = |sql: &str, since: i64| c.query_row(sql, [since], |r| r.get::<_, u64>(0));
        Ok(Stats {
            subscribers: c.query_row(
                "SELECT COUNT(*) FROM subscribers WHERE active = 1",
                [],
                |r| r.get(0),
            )?,
            questions_24h: count(
                "SELECT COUNT(*) FROM questions WHERE asked_at >= ?1",
                now - 86_400,
            )?,
            questions_7d: count(
                "SELECT COUNT(*) FROM questions WHERE asked_at >= ?1",
                now - 7 * 86_400,
            )?,
            unanswered_7d: count(
                "SELECT COUNT(*) FROM questions WHERE asked_at >= ?1 AND (tier = 'none' OR (tier IS NULL AND results = 0))",
                now - 7 * 86_400,
            )?,
        })
    }

    /// The questions of the last `days` days most often answered with `tier` (`none` or
    /// `related`: the gaps in the knowledge base), with their counts.
    pub fn gaps(
        &self,
        tier: Match,
        now: i64,
        days: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.frequent_questions(Frequent::Tier(tier), now, days, limit)
    }

    /// The questions most often rated 👎 in the last `days` days, with their counts.
    pub fn disliked(
        &self,
        now: i64,
        days: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.frequent_questions(Frequent::Disliked, now, days, limit)
    }

    fn frequent_questions(
        &self,
        which: Frequent,
        now: i64,
        days: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let (condition, tier) = match which {
            Frequent::Tier(Match::None) => {
                ("(tier = ?3 OR (tier IS NULL AND results = 0))", Match::None)
            }
            Frequent::Tier(t) => ("tier = ?3", t),
            Frequent::Disliked => ("feedback = -1 AND ?3 IS NOT NULL", Match::None),
        };
        let c = self.conn();
        let mut st = c.prepare(&format!(
            "SELECT text, COUNT(*) AS n FROM questions WHERE {condition} AND asked_at >= ?1
             GROUP BY text ORDER BY n DESC, MAX(asked_at) DESC LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![now - days * 86_400, limit as i64, tier], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_log_feeds_stats_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let now = 10 * 86_400;
        let key = s.asker_key(5, 5).unwrap();
        let log = |text: &str, tier, passages: &[&str], at| {
            s.log_question(text, tier, passages, Some(0.5), at, &key, None)
                .unwrap()
        };
        log("比特币", Match::None, &[], now);
        log("比特币", Match::None, &[], now - 100);
        log("文峰区的项目", Match::Related, &["c-1"], now);
        let q = log("人才公寓", Match::Direct, &["a-1", "b-2"], now);
        log("旧问题", Match::None, &[], now - 30 * 86_400);
        assert_eq!(s.question_asker(q).unwrap(), Some(key.clone()));
        assert_eq!(
            s.asker_key(5, 5).unwrap(),
            key,
            "the same asker, the same key"
        );
        assert_ne!(
            s.asker_key(-100, 5).unwrap(),
            key,
            "another chat, another key"
        );
        assert_ne!(s.asker_key(5, 6).unwrap(), key);
        assert_eq!(key.len(), 24, "a hash, not the ids");
        assert_eq!(s.answer_passage(q, 2).unwrap().as_deref(), Some("b-2"));
        assert_eq!(s.answer_passage(q, 3).unwrap(), None);
        s.add_answers(q, 3, &["c-3"]).unwrap();
        assert_eq!(s.answer_passage(q, 3).unwrap().as_deref(), Some("c-3"));
        assert_eq!(s.question_text(q).unwrap().as_deref(), Some("人才公寓"));
        assert!(s.set_feedback(q, false).unwrap());
        assert!(!s.set_feedback(999, true).unwrap());
        assert_eq!(
            s.disliked(now, 7, 5).unwrap(),
            vec![("人才公寓".to_string(), 1)]
        );
        let st = s.stats(now).unwrap();
        assert_eq!(
            (st.questions_24h, st.questions_7d, st.unanswered_7d),
            (4, 4, 2)
        );
        assert_eq!(
            s.gaps(Match::None, now, 7, 5).unwrap(),
            vec![("比特币".to_string(), 2)]
        );
        assert_eq!(
            s.gaps(Match::Related, now, 7, 5).unwrap(),
            vec![("文峰区的项目".to_string(), 1)]
        );
    }
}
