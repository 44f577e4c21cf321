//! The command-line front end: `ask`, `chat`, `index`, `eval`, `backup` and `healthcheck`.
//!
//! Each command reads its input, calls the library (the knowledge service, the store, the
//! health check) and prints what it returns; none of them answers a question itself. Output
//! goes to the writer given, so that a closed pipe (`eval … | head -1`) is an error the caller
//! can end quietly on, never a panic. Settings come from `main`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub mod json;
pub mod plain;

use crate::answer::{self, Ask, QuestionLog, Reply, wording};
use crate::config::Settings;
use crate::service::{self, DATABASE_FILE, KnowledgeBase};
use json::JsonAnswer;

/// Opens the knowledge base of `settings` (building the index if needed).
fn open(settings: &Settings) -> Result<KnowledgeBase> {
    let opened = KnowledgeBase::open(settings, &|_, _| {}).with_context(|| {
        format!(
            "cannot load the knowledge base from {}",
            settings.knowledge_dir.display()
        )
    })?;
    Ok(opened.kb)
}

/// Prints one answer (or why there is none) as text or as a JSON line.
fn print_answer(
    kb: &KnowledgeBase,
    raw: &str,
    top: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let ask = if json {
        Ask::first(top).without_suggestions()
    } else {
        Ask::first(top)
    };
    let reply = answer::respond(kb, raw, ask, &QuestionLog::off());
    if json {
        let line = match &reply {
            Reply::Found { answer, .. } | Reply::NotFound { answer, .. } => JsonAnswer::new(answer),
            Reply::SmallTalk { question, kind, .. } => JsonAnswer::small_talk(question, *kind),
            Reply::Rejected { error, .. } => JsonAnswer::rejected(raw, error.to_string()),
            Reply::Unavailable { .. } => JsonAnswer::rejected(raw, "search failed".to_owned()),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
        return Ok(());
    }
    let text = match &reply {
        Reply::Found { answer, .. } => plain::render_plain(answer),
        Reply::NotFound { suggestions, .. } => wording::not_found_text(suggestions),
        Reply::SmallTalk { kind, scope, .. } => wording::small_talk_text(*kind, scope),
        Reply::Rejected { error, .. } => wording::rejection_text(error),
        Reply::Unavailable { .. } => wording::UNAVAILABLE_TEXT.to_owned(),
    };
    writeln!(out, "{text}\n")?;
    Ok(())
}

/// `ask`: one question, or one per line of `input` (invalid UTF-8 answered as far as it is
/// text).
pub fn ask(
    settings: &Settings,
    question: Option<&str>,
    json: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    let kb = open(settings)?;
    match question {
        Some(q) => print_answer(&kb, q, settings.top, json, out)?,
        None => {
            for line in input.split(b'\n') {
                let line = line.context("cannot read standard input")?;
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() && !json {
                    continue;
                }
                print_answer(&kb, text, settings.top, json, out)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

const CHAT_HELP: &str = "直接输入问题即可，例如：今年全区经济增长目标是多少？\n/sources 查看知识库中的报告\n/help 帮助\n/quit 退出（或按 Ctrl-D）\n↑ ↓ 翻看之前的问题";

/// `chat`: a session in the terminal with line editing and history (kept in the data folder);
/// from a pipe, plain lines.
pub fn chat(settings: &Settings, out: &mut dyn Write) -> Result<()> {
    let kb = open(settings)?;
    let scope = wording::scope_phrase(&kb.engine().manifest().scope);
    writeln!(out, "两会问答（{scope}）。{CHAT_HELP}")?;
    if !std::io::stdin().is_terminal() {
        for line in std::io::stdin().lock().split(b'\n') {
            let line =
                String::from_utf8_lossy(&line.context("cannot read standard input")?).into_owned();
            if !chat_line(&kb, settings, line.trim(), out)? {
                break;
            }
        }
        return Ok(());
    }
    let mut editor = rustyline::DefaultEditor::new().context("cannot start line editing")?;
    let history = settings.data_dir.join("chat-history.txt");
    // A first session has no history yet.
    let _ = editor.load_history(&history);
    loop {
        match editor.readline("> ") {
            Ok(line) => {
                let line = line.trim().to_owned();
                if !line.is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if !chat_line(&kb, settings, &line, out)? {
                    break;
                }
            }
            Err(
                rustyline::error::ReadlineError::Interrupted | rustyline::error::ReadlineError::Eof,
            ) => break,
            Err(e) => return Err(e).context("cannot read the terminal"),
        }
    }
    if let Err(e) = editor.save_history(&history) {
        log::warn!("cannot keep the chat history in {}: {e}", history.display());
    }
    Ok(())
}

/// One line of `chat`; false when the session ends.
fn chat_line(
    kb: &KnowledgeBase,
    settings: &Settings,
    line: &str,
    out: &mut dyn Write,
) -> Result<bool> {
    match line {
        "" => {}
        "/quit" | "/exit" => return Ok(false),
        "/help" | "/start" => writeln!(out, "{CHAT_HELP}")?,
        "/sources" => writeln!(out, "{}", wording::documents_text(kb.engine().manifest()))?,
        _ if line.starts_with('/') => writeln!(out, "未知命令。{CHAT_HELP}")?,
        _ => print_answer(kb, line, settings.top, false, out)?,
    }
    Ok(true)
}

/// `index --check`: validates the knowledge folder; true when every file is usable.
pub fn check(settings: &Settings, out: &mut dyn Write) -> Result<bool> {
    let (k, problems) = service::check(&settings.knowledge_dir)?;
    let passages = crate::index::passages::from_documents(&k.documents).len();
    for p in &problems {
        eprintln!("{p}");
    }
    writeln!(
        out,
        "{} documents, {} passages, {} problems",
        k.documents.len(),
        passages,
        problems.len()
    )?;
    Ok(problems.is_empty())
}

/// `read`: what the bot reads from each file, as the folder and an upload would read it,
/// changing nothing; true when every file is usable (a refusal is said on stderr).
pub fn read(files: &[PathBuf], out: &mut dyn Write) -> Result<bool> {
    let mut usable = true;
    for path in files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        match crate::knowledge::read_document(path, &bytes) {
            Ok(doc) => describe_document(&doc, out)?,
            Err(e) => {
                eprintln!("{e}");
                usable = false;
            }
        }
    }
    Ok(usable)
}

/// A document as `read` prints it: its metadata, its shape, how both were found and what
/// was left out, and its first passages.
fn describe_document(doc: &crate::knowledge::Document, out: &mut dyn Write) -> Result<()> {
    let m = &doc.meta;
    let passages = crate::index::passages::from_document(doc);
    let none = || "-".to_owned();
    let sections: std::collections::HashSet<&Vec<String>> = doc
        .paragraphs
        .iter()
        .map(|p| &p.section)
        .filter(|s| !s.is_empty())
        .collect();
    let pages = doc.paragraphs.iter().filter_map(|p| p.page).max();
    writeln!(out, "{}: {}", doc.file, m.headline)?;
    writeln!(
        out,
        "  area {} ({}), parent {}, year {}, years {:?}, body {}",
        m.area.clone().unwrap_or_else(none),
        m.level.clone().unwrap_or_else(none),
        m.parent.clone().unwrap_or_else(none),
        m.year.map_or_else(none, |y| y.to_string()),
        m.years,
        m.body.clone().unwrap_or_else(none),
    )?;
    writeln!(
        out,
        "  meeting {}, date {}, speaker {}",
        m.meeting.clone().unwrap_or_else(none),
        m.dates.clone().unwrap_or_else(none),
        m.speaker.clone().unwrap_or_else(none),
    )?;
    writeln!(
        out,
        "  {} paragraphs, {} sections, {} pages, {} passages",
        doc.paragraphs.len(),
        sections.len(),
        pages.map_or_else(none, |n| n.to_string()),
        passages.len()
    )?;
    let lost: Vec<String> = doc.lost.iter().map(ToString::to_string).collect();
    let skipped: Vec<String> = doc
        .skipped
        .iter()
        .map(|(d, n)| format!("{n} {d:?}"))
        .collect();
    writeln!(out, "  left out: {}", [lost, skipped].concat().join(", "))?;
    writeln!(out, "  found: {}", doc.derived.join("; "))?;
    for p in passages.iter().take(3) {
        let text: String = p.text.chars().take(60).collect();
        writeln!(out, "  [{}] {text}", p.section)?;
    }
    Ok(())
}

/// `index`: builds the index (or finds it up to date); true when every file was usable.
pub fn index(
    settings: &Settings,
    progress: &dyn Fn(usize, usize),
    out: &mut dyn Write,
) -> Result<bool> {
    // Each file skipped is logged once, as a warning, by the knowledge service.
    let opened = KnowledgeBase::open(settings, progress)?;
    let engine = opened.kb.engine();
    let m = engine.manifest();
    writeln!(
        out,
        "{} {} documents, {} passages in {:.2}s",
        if opened.built { "built" } else { "up to date:" },
        m.documents.len(),
        m.passages,
        opened.elapsed.as_secs_f64()
    )?;
    Ok(opened.problems.is_empty())
}

/// `eval`: answer quality on a question set, by kind and tier.
pub fn eval(settings: &Settings, file: &Path, verbose: bool, out: &mut dyn Write) -> Result<()> {
    let engine = open(settings)?.engine();
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let cases = crate::eval::parse_cases(file, &text)?;
    let (report, outcomes) = crate::eval::run(&*engine, &cases, 3);
    if verbose {
        for o in &outcomes {
            let rank = o.rank.map_or("-".to_owned(), |r| r.to_string());
            let words: Vec<String> = engine
                .analyzer()
                .query_words(&crate::text::normalize(&o.case.question))
                .into_iter()
                .map(|w| w.text)
                .collect();
            writeln!(
                out,
                "{}\t{}\t{}\trank {}\tcoverage {:.2}\t{}\t{}\t{}",
                o.case.id,
                o.case.kind,
                o.tier,
                rank,
                o.coverage,
                o.reasons,
                o.case.question,
                words.join("/")
            )?;
        }
    }
    writeln!(out, "{report}")?;
    Ok(())
}

/// The database of the data folder, which must exist already (`why` says what its absence
/// means), and its path.
fn existing_store(settings: &Settings, why: &str) -> Result<(PathBuf, crate::store::Store)> {
    let db = settings.data_dir.join(DATABASE_FILE);
    anyhow::ensure!(db.is_file(), "no database at {}: {why}", db.display());
    let store = crate::store::Store::open(&db)?;
    Ok((db, store))
}

/// `backup FILE`: a consistent copy of the database, also while the bot runs. Refuses to write
/// over the database itself (or its journal files, or a link to any of them), and over any
/// existing file unless `force`.
pub fn backup(settings: &Settings, file: &Path, force: bool, out: &mut dyn Write) -> Result<()> {
    let db = settings.data_dir.join(DATABASE_FILE);
    if let Ok(target) = std::fs::canonicalize(file) {
        let own: Vec<PathBuf> = ["", "-wal", "-shm", "-journal"]
            .iter()
            .filter_map(|suffix| {
                let mut p = db.clone().into_os_string();
                p.push(suffix);
                std::fs::canonicalize(PathBuf::from(p)).ok()
            })
            .collect();
        anyhow::ensure!(
            !own.contains(&target),
            "{} is the database itself (or one of its files): back up to another file",
            file.display()
        );
        anyhow::ensure!(
            force,
            "{} exists: choose a new file, or add --force to replace it",
            file.display()
        );
    }
    let (db, store) = existing_store(settings, "nothing to back up")?;
    store
        .backup_to(file)
        .with_context(|| format!("cannot write the backup to {}", file.display()))?;
    writeln!(out, "backed up {} to {}", db.display(), file.display())?;
    Ok(())
}

/// `healthcheck`: whether the bot serving from this data folder is alive and reaches the Bot
/// API; the reason when it is not.
pub fn healthcheck(settings: &Settings, out: &mut dyn Write) -> Result<()> {
    let (_, store) = existing_store(settings, "the bot has not started with this data folder")?;
    let status = crate::health::liveness(&store, crate::time::now_unix())
        .map_err(|why| anyhow::anyhow!("unhealthy: {why}"))?;
    writeln!(out, "healthy: {status}")?;
    Ok(())
}
