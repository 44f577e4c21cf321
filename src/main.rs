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

use lianghui_bot::config::{BotSettings, Secret, Settings, parse_ids};
use lianghui_bot::render::{self, JsonAnswer};
use lianghui_bot::service::{self, AskError, KnowledgeBase};

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
    /// Run the Telegram bot (long polling) until SIGINT or SIGTERM.
    Serve {
        /// Bot token from BotFather.
        #[arg(long, env = "TELOXIDE_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Bot API server (default: Telegram's own).
        #[arg(long, env = "TELOXIDE_API_URL")]
        api_url: Option<String>,
        /// Comma-separated Telegram user ids of admins.
        #[arg(long, env = "LIANGHUI_ADMINS", default_value = "")]
        admins: String,
        /// Comma-separated Telegram user ids of staff.
        #[arg(long, env = "LIANGHUI_STAFF", default_value = "")]
        staff: String,
        /// Announcement messages per second over all chats.
        #[arg(long, env = "LIANGHUI_BROADCAST_RATE", default_value_t = 25.0)]
        broadcast_rate: f64,
        /// Serve /healthz and /metrics on this address (for example 127.0.0.1:9090).
        #[arg(long, env = "LIANGHUI_METRICS_ADDR")]
        metrics_addr: Option<std::net::SocketAddr>,
    },
    /// Exit 0 when the running bot's /healthz answers (for Docker's HEALTHCHECK).
    Healthcheck {
        #[arg(long, env = "LIANGHUI_METRICS_ADDR")]
        metrics_addr: std::net::SocketAddr,
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
    // Our own log at info, everyone else's at warn; teloxide's debug output would show request
    // URLs, which contain the token.
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,lianghui_bot=info"),
    )
    .init();
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
        Command::Serve {
            token,
            api_url,
            admins,
            staff,
            broadcast_rate,
            metrics_addr,
        } => serve(
            settings,
            token,
            api_url,
            &admins,
            &staff,
            broadcast_rate,
            metrics_addr,
        ),
        Command::Healthcheck { metrics_addr } => Ok(if lianghui_bot::health::check(metrics_addr) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

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
fn respond(
    kb: &KnowledgeBase,
    raw: &str,
    top: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    match (kb.ask(raw, 0, top), json) {
        (Ok(page), true) => writeln!(
            out,
            "{}",
            serde_json::to_string(&JsonAnswer::new(&page.answer))?
        )?,
        (Ok(page), false) => writeln!(out, "{}\n", render::render_plain(&page.answer))?,
        (Err(e), true) => {
            if let AskError::Search(e) = &e {
                log::error!("search failed: {e}");
            }
            let line = JsonAnswer::rejected(raw, e.to_string());
            writeln!(out, "{}", serde_json::to_string(&line)?)?
        }
        (Err(AskError::Question(e)), false) => writeln!(out, "{}\n", render::rejection_text(&e))?,
        (Err(AskError::Search(e)), false) => {
            log::error!("search failed: {e}");
            writeln!(out, "{}\n", render::UNAVAILABLE_TEXT)?
        }
    }
    Ok(())
}

fn ask(settings: &Settings, question: Option<String>, json: bool) -> Result<ExitCode> {
    let kb = open(settings)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match question {
        Some(q) => respond(&kb, &q, settings.top, json, &mut out)?,
        None => {
            for line in std::io::stdin().lock().split(b'\n') {
                let line = line.context("cannot read standard input")?;
                // Invalid UTF-8 is answered as far as it is text, never a crash.
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() && !json {
                    continue;
                }
                respond(&kb, text, settings.top, json, &mut out)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

const CHAT_HELP: &str = "直接输入问题即可，例如：今年全区经济增长目标是多少？\n/sources 查看知识库中的报告\n/help 帮助\n/quit 退出";

fn chat(settings: &Settings) -> Result<ExitCode> {
    let kb = open(settings)?;
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
            "/sources" => println!("{}", render::render_sources(kb.engine().manifest())),
            _ if line.starts_with('/') => println!("未知命令。{CHAT_HELP}"),
            _ => respond(&kb, &line, settings.top, false, &mut std::io::stdout())?,
        }
    }
    Ok(ExitCode::SUCCESS)
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
    let opened = KnowledgeBase::open(settings, &progress)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    for p in &opened.problems {
        eprintln!("skipped {p}");
    }
    let engine = opened.kb.engine();
    let m = engine.manifest();
    println!(
        "{} {} documents, {} passages in {:.2}s",
        if opened.built { "built" } else { "up to date:" },
        m.documents.len(),
        m.passages,
        opened.elapsed.as_secs_f64()
    );
    Ok(if opened.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn eval(settings: &Settings, file: &std::path::Path, verbose: bool) -> Result<ExitCode> {
    let engine = open(settings)?.engine();
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let cases = lianghui_bot::eval::parse_cases(file, &text)?;
    let (report, outcomes) = lianghui_bot::eval::run(&*engine, &cases, 3);
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
                "{}\t{}\t{}\trank {}\tcoverage {:.2}\t{}\t{}\t{}",
                o.case.id,
                o.case.kind,
                o.tier,
                rank,
                o.coverage,
                o.reasons,
                o.case.question,
                words.join("/")
            );
        }
    }
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

fn serve(
    settings: Settings,
    token: Option<String>,
    api_url: Option<String>,
    admins: &str,
    staff: &str,
    broadcast_rate: f64,
    metrics_addr: Option<std::net::SocketAddr>,
) -> Result<ExitCode> {
    let token = token.filter(|t| !t.trim().is_empty()).context(
        "TELOXIDE_TOKEN is not set: get a bot token from @BotFather and export TELOXIDE_TOKEN",
    )?;
    anyhow::ensure!(
        broadcast_rate > 0.0 && broadcast_rate <= 1000.0,
        "LIANGHUI_BROADCAST_RATE must be between 0 and 1000 messages per second"
    );
    let bot = BotSettings {
        token: Secret::new(token.trim()),
        api_url: api_url.filter(|u| !u.trim().is_empty()),
        admins: parse_ids(admins).context("LIANGHUI_ADMINS")?,
        staff: parse_ids(staff).context("LIANGHUI_STAFF")?,
        broadcast_per_second: broadcast_rate,
        metrics_addr,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(lianghui_bot::telegram::run(settings, bot))?;
    Ok(ExitCode::SUCCESS)
}
