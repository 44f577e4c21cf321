//! FAQ drafts made from answered tickets (转为FAQ): the resident's question with personal
//! details removed, the staff answer, both editable until an admin approves or staff drop the
//! draft; and how often each approved FAQ answered a question first (for `/gaps`). The
//! approved text itself lives in the knowledge folder's FAQ file, not here.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

text_status! {
    /// Where an FAQ draft stands.
    FaqState {
        Draft => "draft",
        /// Approved by an admin and written to the FAQ file.
        Approved => "approved",
        Dropped => "dropped",
    }
}

/// An FAQ draft as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FaqDraft {
    pub id: i64,
    pub ticket: i64,
    pub question: String,
    pub answer: String,
    /// What was removed from the question, as the draft shows it (电话、门牌地址).
    pub removed: String,
    pub state: FaqState,
}

fn draft(r: &rusqlite::Row) -> rusqlite::Result<FaqDraft> {
    Ok(FaqDraft {
        id: r.get(0)?,
        ticket: r.get(1)?,
        question: r.get(2)?,
        answer: r.get(3)?,
        removed: r.get(4)?,
        state: r.get(5)?,
    })
}

const COLUMNS: &str = "id, ticket_id, question, answer, removed, state";

impl Store {
    /// A new FAQ draft of ticket `ticket`; its id.
    pub fn draft_faq(
        &self,
        ticket: i64,
        question: &str,
        answer: &str,
        removed: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO faqs (ticket_id, question, answer, removed, state, created_at) VALUES (?1, ?2, ?3, ?4, 'draft', ?5)",
            params![ticket, question, answer, removed, now],
        )?;
        Ok(c.last_insert_rowid())
    }

    pub fn faq_draft(&self, id: i64) -> Result<Option<FaqDraft>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM faqs WHERE id = ?1"),
                [id],
                draft,
            )
            .optional()?)
    }

    /// Keeps which staff-group message shows draft `id` (replies to it edit the draft).
    pub fn set_faq_message(&self, id: i64, chat: i64, message: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE faqs SET staff_chat = ?2, staff_msg = ?3 WHERE id = ?1",
            params![id, chat, message],
        )?;
        Ok(())
    }

    /// The draft a staff-group message shows, if it shows one.
    pub fn faq_of_message(&self, chat: i64, message: i64) -> Result<Option<FaqDraft>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM faqs WHERE staff_chat = ?1 AND staff_msg = ?2"),
                params![chat, message],
                draft,
            )
            .optional()?)
    }

    /// Replaces a draft's question or answer; false when it is not a draft any more.
    pub fn edit_faq(
        &self,
        id: i64,
        question: Option<&str>,
        answer: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE faqs SET question = COALESCE(?2, question), answer = COALESCE(?3, answer) WHERE id = ?1 AND state = 'draft'",
            params![id, question, answer],
        )? > 0)
    }

    /// Moves a draft to `to` (approved or dropped), or an approved one back to draft when its
    /// file could not be written (`from`); false when it was not in `from`.
    pub fn set_faq_state(
        &self,
        id: i64,
        from: FaqState,
        to: FaqState,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE faqs SET state = ?3, decided_at = ?4 WHERE id = ?1 AND state = ?2",
            params![id, from, to, now],
        )? > 0)
    }

    /// How many logged questions each of `passages` answered first.
    pub fn first_answers(&self, passages: &[String]) -> Result<Vec<u64>, StoreError> {
        let c = self.conn();
        let mut st =
            c.prepare("SELECT COUNT(*) FROM answers WHERE rank = 1 AND passage_id = ?1")?;
        passages
            .iter()
            .map(|p| Ok(st.query_row([p], |r| r.get::<_, i64>(0))? as u64))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_edited_until_decided_and_hits_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let d = crate::store::Draft {
            question: "问题",
            resident: "r",
            resident_chat: 1,
            resident_msg: None,
            pseudonym: "市民#0000",
            topic: "其他",
            found: "",
        };
        let ticket = s.draft_ticket(&d, 10).unwrap();
        let id = s.draft_faq(ticket, "问题", "答案", "电话", 10).unwrap();
        s.set_faq_message(id, -100, 42).unwrap();
        assert_eq!(s.faq_of_message(-100, 42).unwrap().unwrap().id, id);
        assert!(s.edit_faq(id, None, Some("新答案")).unwrap());
        assert_eq!(s.faq_draft(id).unwrap().unwrap().answer, "新答案");
        assert!(
            s.set_faq_state(id, FaqState::Draft, FaqState::Approved, 11)
                .unwrap()
        );
        assert!(
            !s.set_faq_state(id, FaqState::Draft, FaqState::Dropped, 12)
                .unwrap()
        );
        assert!(
            !s.edit_faq(id, Some("改"), None).unwrap(),
            "approved: not editable"
        );
        let q = s
            .log_question(
                "燃气",
                crate::grade::Match::Direct,
                &["faq-1"],
                None,
                10,
                "k",
                None,
            )
            .unwrap();
        s.log_question(
            "燃气",
            crate::grade::Match::Direct,
            &["x-1", "faq-1"],
            None,
            10,
            "k",
            None,
        )
        .unwrap();
        assert!(q > 0);
        assert_eq!(
            s.first_answers(&["faq-1".into(), "faq-2".into()]).unwrap(),
            vec![1, 0]
        );
    }
}
