//! lianghui-bot: answers citizens' questions about the two sessions' reports from the reports
//! themselves, with sources.
//!
//! Data flows through the modules in this order:
//!
//! ```text
//! files -> knowledge (read by format, validate, scope) -> index (passages, tantivy + jieba)
//!   -> search (analysed question -> hits) -> grade (direct / related / none, plain data)
//!   -> answer (respond -> Reply: the one answer step) -> front ends: cli, telegram
//! store (SQLite: subscribers, announcements, deliveries, question log, inbox, tickets)
//!   -> broadcast, tickets -> telegram
//! ```
//!
//! `service` is the knowledge base every front end shares: it owns the engine and the store,
//! and reloads and changes the knowledge folder transactionally. `text`, `time`, `fsutil` and
//! `places` (the gazetteer) are leaves every arrow points down to; `config` holds the settings `main` reads once.
//! Front ends only format what `answer::respond` returns; only `telegram` knows Telegram.

pub mod config;
pub mod fsutil;
pub mod time;
pub mod text;
pub mod places;
pub mod knowledge;
pub mod index;
pub mod search;
pub mod grade;
pub mod answer;
pub mod service;
pub mod eval;
pub mod store;
pub mod tickets;
pub mod broadcast;
pub mod metrics;
pub mod health;
pub mod cli;
pub mod telegram;
