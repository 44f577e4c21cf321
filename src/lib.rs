//! lianghui-bot: answers citizens' questions about Beiguan District's 2024 two sessions from the
//! reports themselves, with sources.
//!
//! Data flows through the modules in this order:
//!
//! ```text
//! knowledge files -> knowledge (parse, validate) -> passages -> index (tantivy + jieba)
//!   -> search (question -> hits) -> answer (hits -> excerpts with sources) -> front ends
//! ```
//!
//! `text` and `tokenizer` serve both the index and the search side, so passages and questions
//! are normalised and tokenised alike. `service` is the knowledge service every front end
//! shares: it owns the engine and the store, reloads and changes the knowledge folder, and
//! holds the one answer path (`service::ask`). Beside the pipeline, `store` (SQLite:
//! subscribers, announcements, deliveries, question log) feeds the `broadcast` worker. The
//! command line lives in `main.rs`, the Telegram front end in `telegram`.

pub mod config;
pub mod fsutil;
pub mod time;
pub mod text;
pub mod knowledge;
pub mod index;
pub mod search;
pub mod grade;
pub mod answer;
pub mod service;
pub mod eval;
pub mod store;
pub mod broadcast;
pub mod metrics;
pub mod health;
pub mod cli;
pub mod telegram;
