//! The `lianghui-bot` binary: parses flags and environment once, then hands over to a front end.
//!
//! `ask` and `chat` are the command-line front end, `index` builds or checks the knowledge base.
//! Front ends only read input, call the library and print; the answering itself lives in the
//! library.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use lianghui_bot::answer::{self, Answer, JsonAnswer};
use lianghui_bot::config::Settings;
use lianghui_bot::search::{Engine, Question, QuestionError};
use lianghui_bot::service::{self, Mode};

#[derive(Parser)]
#[command(
    name = "lianghui-bot",
    version,
    about = "Answers questions about Beiguan District's 2024 two sessions from the reports"
)]
struct Cli {
    /// Folder of report files, dictionary and synonyms.
    #[arg(
        long,
        global = true,
        env = "LIANGHUI_KNOWLEDGE_DIR",
        default_value = "knowledge"
    )]
    knowledge: PathBuf,
    /// Folder for the index and the database.
    #[arg(long, global = true, env = "LIANGHUI_DATA_DIR", default_value = "data")]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one question, or questions from standard input (one per line).
    Ask {
        /// The question; without it, questions are read from standard input.
        question: Option<String>,
        /// Print one JSON object per question.
        #[arg(long)]
        json: bool,
        /// How many passages to show.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
        top: u16,
    },
    /// An interactive session in the terminal that answers like the bot.
    Chat,
    /// Build the index (or only validate the knowledge folder with --check).
    Index {
        #[arg(long)]
        check: bool,
    },
    /// Measure retrieval on a question set (TSV: id, kind, question, gold).
    Eval {
        /// The question set.
        file: PathBuf,
        /// Print every question's outcome.
        #[arg(long)]
        verbose: bool,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let settings = Settings {
        knowledge_dir: cli.knowledge,
        data_dir: cli.data,
        top: 3,
    };
    let result = match cli.command {
        Command::Ask {
            question,
            json,
            top,
        } => ask(
            &Settings {
                top: top.into(),
                ..settings
            },
            question,
            json,
        ),
        Command::Chat => chat(&settings),
        Command::Index { check } => index(&settings, check),
        Command::Eval { file, verbose } => eval(&settings, &file, verbose),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(settings: &Settings) -> Result<Engine> {
    let loaded = service::load(
        &settings.knowledge_dir,
        &settings.data_dir,
        Mode::Lenient,
        &|_, _| {},
    )
    .with_context(|| {
        format!(
            "cannot load the knowledge base from {}",
            settings.knowledge_dir.display()
        )
    })?;
    Ok(loaded.engine)
}

/// Answers one question; a question that cannot be searched is an `Err` with a message for users.
fn answer_one(engine: &Engine, raw: &str, top: usize) -> Result<Answer, QuestionError> {
    let q = Question::parse(raw)?;
    match engine.search(&q, top) {
        Ok(hits) => Ok(Answer::from_hits(q.raw(), &hits, 1)),
        Err(e) => {
            log::error!("search failed: {e}");
            Ok(Answer {
                question: q.raw().to_owned(),
                items: Vec::new(),
            })
        }
    }
}

/// The message a citizen sees for a question that cannot be searched.
fn rejection_text(e: &QuestionError) -> String {
    match e {
        QuestionError::Empty => "请输入您的问题，例如：今年全区经济增长目标是多少？".to_owned(),
        QuestionError::TooLong { max, .. } => format!("问题太长了，请精简到 {max} 字以内。"),
        QuestionError::NoText => "没有看到文字，请用文字描述您的问题。".to_owned(),
    }
}

fn ask(settings: &Settings, question: Option<String>, json: bool) -> Result<ExitCode> {
    let engine = load(settings)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let respond = |raw: &str, out: &mut dyn Write| -> Result<()> {
        match (answer_one(&engine, raw, settings.top), json) {
            (Ok(a), true) => writeln!(out, "{}", serde_json::to_string(&JsonAnswer::new(&a))?)?,
            (Ok(a), false) => writeln!(out, "{}\n", answer::render_plain(&a))?,
            (Err(e), true) => writeln!(
                out,
                "{}",
                serde_json::to_string(&JsonAnswer::rejected(raw, e.to_string()))?
            )?,
            (Err(e), false) => writeln!(out, "{}\n", rejection_text(&e))?,
        }
        Ok(())
    };
    match question {
        Some(q) => respond(&q, &mut out)?,
        None => {
            for line in std::io::stdin().lock().split(b'\n') {
                let line = line.context("cannot read standard input")?;
                // Invalid UTF-8 is answered as far as it is text, never a crash.
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() && !json {
                    continue;
                }
                respond(text, &mut out)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

const CHAT_HELP: &str = "直接输入问题即可，例如：今年全区经济增长目标是多少？\n/sources 查看知识库中的报告\n/help 帮助\n/quit 退出";

fn chat(settings: &Settings) -> Result<ExitCode> {
    let engine = load(settings)?;
    let interactive = std::io::stdin().is_terminal();
    println!("两会问答（北关区 2024）。{CHAT_HELP}");
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().split(b'\n');
    loop {
        if interactive {
            print!("> ");
            std::io::stdout().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = String::from_utf8_lossy(&line.context("cannot read standard input")?)
            .trim()
            .to_owned();
        match line.as_str() {
            "" => continue,
            "/quit" | "/exit" => break,
            "/help" | "/start" => println!("{CHAT_HELP}"),
            "/sources" => println!("{}", sources_text(&engine)),
            _ if line.starts_with('/') => println!("未知命令。{CHAT_HELP}"),
            _ => match answer_one(&engine, &line, settings.top) {
                Ok(a) => println!("{}\n", answer::render_plain(&a)),
                Err(e) => println!("{}\n", rejection_text(&e)),
            },
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sources_text(engine: &Engine) -> String {
    let m = engine.manifest();
    let mut out = format!(
        "知识库共 {} 份报告、{} 段：\n",
        m.documents.len(),
        m.passages
    );
    for d in &m.documents {
        out.push_str(&format!("· 《{}》", d.title));
        if !d.meeting.is_empty() {
            out.push_str(&format!("（{}）", d.meeting));
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

fn index(settings: &Settings, check: bool) -> Result<ExitCode> {
    if check {
        let (k, problems) = service::check(&settings.knowledge_dir)?;
        let passages = lianghui_bot::passages::from_documents(&k.documents).len();
        for p in &problems {
            eprintln!("{p}");
        }
        println!(
            "{} documents, {} passages, {} problems",
            k.documents.len(),
            passages,
            problems.len()
        );
        return Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} passages ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let loaded = service::load(
        &settings.knowledge_dir,
        &settings.data_dir,
        Mode::Lenient,
        &progress,
    )?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    for p in &loaded.problems {
        eprintln!("skipped {p}");
    }
    let m = loaded.manifest();
    println!(
        "{} {} documents, {} passages in {:.2}s",
        if loaded.built { "built" } else { "up to date:" },
        m.documents.len(),
        m.passages,
        loaded.elapsed.as_secs_f64()
    );
    Ok(if loaded.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn eval(settings: &Settings, file: &std::path::Path, verbose: bool) -> Result<ExitCode> {
    let engine = load(settings)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let cases = lianghui_bot::eval::parse_cases(file, &text)?;
    let (report, outcomes) = lianghui_bot::eval::run(&engine, &cases, 3);
    if verbose {
        for o in &outcomes {
            let rank = o.rank.map_or("-".to_owned(), |r| r.to_string());
            let words: Vec<String> = engine
                .analyzer()
                .query_words(&lianghui_bot::text::normalize(&o.case.question))
                .into_iter()
                .map(|w| w.text)
                .collect();
            println!(
                "{}\t{}\trank {}\tcoverage {:.2}\t{}\t{}",
                o.case.id,
                o.case.kind,
                rank,
                o.best_coverage,
                o.case.question,
                words.join("/")
            );
        }
    }
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}
