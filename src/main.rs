//! The `lianghui-bot` binary: parses flags and environment once, then hands over to a front end
//! (the command line in `cli`, the bot in `telegram`).
//!
//! The only place that reads the environment (through clap). Exit codes: 0 success, 1 an error
//! (or, for `index`, a file that could not be used), 2 wrong usage; output cut short by a
//! closed pipe ends quietly with 0.

use std::io::IsTerminal;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use lianghui_bot::cli;
use lianghui_bot::config::{
    BotSettings, Secret, Settings, TicketSettings, Webhook, parse_hours, parse_ids,
};

#[derive(Parser)]
#[command(
    name = "lianghui-bot",
    version,
    about = "Answers questions about Beiguan District's two sessions from the reports"
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
    /// Reports to copy into an empty or missing knowledge folder on start (the bundled ones, in
    /// the Docker image), so that the folder admins change lives on the data volume.
    #[arg(long, global = true, env = "LIANGHUI_KNOWLEDGE_SEED")]
    knowledge_seed: Option<PathBuf>,
    /// The area the bot serves first (北关区); by default the one the reports named when the
    /// bot first opened them.
    #[arg(long, global = true, env = "LIANGHUI_HOME_AREA")]
    home_area: Option<String>,
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
        /// Most passages to show.
        #[arg(long, default_value_t = lianghui_bot::config::DEFAULT_TOP as u16, value_parser = clap::value_parser!(u16).range(1..=20))]
        top: u16,
    },
    /// An interactive session in the terminal that answers like the bot.
    Chat,
    /// Build the index (or only validate the knowledge folder with --check).
    Index {
        #[arg(long)]
        check: bool,
    },
    /// Show what the bot reads from report files (.docx, .pdf, .html, .txt, .md): title,
    /// area, year, sections, passages, what was left out; or why a file cannot be used.
    /// Nothing is changed.
    Read {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the Telegram bot until SIGINT or SIGTERM (long polling, or a webhook).
    Serve(Box<ServeArgs>),
    /// Exit 0 when the bot on this data folder is alive and reaches the Bot API; else say why.
    Healthcheck,
    /// Write a consistent copy of the database to FILE (also while the bot runs).
    Backup {
        /// Where to write the copy (a new file, unless --force).
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Measure answer quality on a question set (TSV: id, kind, question, gold).
    Eval {
        /// The question set.
        file: PathBuf,
        /// Print every question's outcome.
        #[arg(long)]
        verbose: bool,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
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
    #[arg(long, env = "LIANGHUI_BROADCAST_RATE", default_value_t = lianghui_bot::broadcast::DEFAULT_RATE)]
    broadcast_rate: f64,
    /// Serve /healthz and /metrics on this address (for example 0.0.0.0:9090); empty for none.
    #[arg(long, env = "LIANGHUI_METRICS_ADDR", default_value = "")]
    metrics_addr: String,
    /// Receive updates on a webhook at this public HTTPS address instead of long polling.
    #[arg(long, env = "LIANGHUI_WEBHOOK_URL", requires = "listen")]
    webhook_url: Option<String>,
    /// The local address the webhook listens on (with --webhook-url).
    #[arg(long, env = "LIANGHUI_LISTEN")]
    listen: Option<String>,
    /// The webhook's secret token (A-Z, a-z, 0-9, _ and -); a random one when unset.
    #[arg(long, env = "LIANGHUI_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Updates waiting to be handled beyond which no more are taken from Telegram.
    #[arg(long, env = "LIANGHUI_MAX_BACKLOG", default_value_t = lianghui_bot::config::DEFAULT_MAX_BACKLOG,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_backlog: u64,
    /// Chat id of the staff group that handed-over questions (转人工) go to; empty for none.
    #[arg(long, env = "LIANGHUI_STAFF_GROUP", default_value = "")]
    staff_group: String,
    /// Who answers handed-over questions, as residents see it (default: the home area's
    /// government office, 北关区政府办公室).
    #[arg(long, env = "LIANGHUI_OFFICE")]
    office: Option<String>,
    /// Staff working hours on weekdays, China Standard Time.
    #[arg(long, env = "LIANGHUI_STAFF_HOURS", default_value = "09:00-17:30")]
    staff_hours: String,
    /// Working days within which residents are promised a reply.
    #[arg(long, env = "LIANGHUI_REPLY_DAYS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    reply_days: u32,
    /// Days without a message after which an open ticket closes.
    #[arg(long, env = "LIANGHUI_TICKET_IDLE_DAYS", default_value_t = 7.0)]
    ticket_idle_days: f64,
    /// Days after a ticket closes after which the link to the resident's chat is forgotten.
    #[arg(long, env = "LIANGHUI_TICKET_PURGE_DAYS", default_value_t = 30.0)]
    ticket_purge_days: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The secrets no log line may show: teloxide's errors and debug output carry request URLs,
    // which contain the token.
    let secrets: Vec<String> = match &cli.command {
        Command::Serve(args) => [args.token.as_deref(), args.webhook_secret.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| s.len() >= 8)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    init_logging(secrets);
    match run(cli) {
        Ok(code) => code,
        Err(e) if e.chain().any(is_broken_pipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error through `env_logger` (`RUST_LOG`; our own log at info, everyone
/// else's at warn), every line with `secrets` replaced by `***`, so that no code path can log
/// the token, whatever error text it passes on.
fn init_logging(secrets: Vec<String>) {
    use std::io::Write;
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,lianghui_bot=info"),
    )
    .format(move |buf, record| {
        let mut line = record.args().to_string();
        for secret in &secrets {
            line = line.replace(secret.as_str(), "***");
        }
        writeln!(
            buf,
            "[{} {:<5} {}] {line}",
            buf.timestamp_seconds(),
            record.level(),
            record.module_path().unwrap_or_default()
        )
    })
    .init();
}

/// Whether output stopped because the reader went away (`| head -1`).
fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let settings = Settings {
        knowledge_dir: cli.knowledge,
        data_dir: cli.data,
        top: lianghui_bot::config::DEFAULT_TOP,
        home_area: cli.home_area.filter(|a| !a.trim().is_empty()),
    };
    if let Some(seed) = &cli.knowledge_seed {
        lianghui_bot::knowledge::seed(&settings.knowledge_dir, seed)
            .with_context(|| format!("cannot set up {}", settings.knowledge_dir.display()))?;
    }
    let stdout = std::io::stdout();
    let out = &mut stdout.lock();
    let ok = |clean: bool| {
        if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    };
    match cli.command {
        Command::Ask {
            question,
            json,
            top,
        } => {
            let settings = Settings {
                top: top.into(),
                ..settings
            };
            let input = &mut std::io::stdin().lock();
            cli::ask(&settings, question.as_deref(), json, input, out)?;
        }
        Command::Chat => cli::chat(&settings, out)?,
        Command::Read { files } => return Ok(ok(cli::read(&files, out)?)),
        Command::Index { check: true } => return Ok(ok(cli::check(&settings, out)?)),
        Command::Index { check: false } => return Ok(ok(index(&settings, out)?)),
        Command::Eval { file, verbose } => cli::eval(&settings, &file, verbose, out)?,
        Command::Backup { file, force } => cli::backup(&settings, &file, force, out)?,
        Command::Healthcheck => cli::healthcheck(&settings, out)?,
        Command::Serve(args) => serve(settings, *args)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `index`, with a progress bar on a terminal.
fn index(settings: &Settings, out: &mut dyn std::io::Write) -> Result<bool> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} passages ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let clean = cli::index(settings, &progress, out)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    Ok(clean)
}

/// An address such as "0.0.0.0:9090" or "localhost:9090"; None when empty.
fn address(name: &str, text: &str) -> Result<Option<SocketAddr>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let addr = text
        .to_socket_addrs()
        .with_context(|| format!("{name} {text:?} is not a host:port address"))?
        .next()
        .with_context(|| format!("{name} {text:?} names no address"))?;
    Ok(Some(addr))
}

/// The ticket settings, when a staff group is set.
fn tickets(args: &ServeArgs) -> Result<Option<TicketSettings>> {
    let group = args.staff_group.trim();
    if group.is_empty() {
        return Ok(None);
    }
    let staff_chat: i64 = group
        .parse()
        .ok()
        .filter(|id: &i64| *id < 0)
        .with_context(|| format!("LIANGHUI_STAFF_GROUP {group:?} is not a group's chat id (a negative number such as -1001234567890)"))?;
    let days = |name: &str, d: f64| {
        anyhow::ensure!(
            d.is_finite() && d > 0.0 && d <= 3650.0,
            "{name} must be between 0 and 3650 days"
        );
        Ok(d)
    };
    let mut t = TicketSettings::new(
        staff_chat,
        args.office.clone().filter(|o| !o.trim().is_empty()),
    );
    t.hours = parse_hours(&args.staff_hours).with_context(|| {
        format!(
            "LIANGHUI_STAFF_HOURS {:?} is not like 09:00-17:30",
            args.staff_hours
        )
    })?;
    t.reply_days = args.reply_days;
    t.idle_days = days("LIANGHUI_TICKET_IDLE_DAYS", args.ticket_idle_days)?;
    t.purge_days = days("LIANGHUI_TICKET_PURGE_DAYS", args.ticket_purge_days)?;
    Ok(Some(t))
}

fn serve(settings: Settings, args: ServeArgs) -> Result<()> {
    let tickets = tickets(&args)?;
    let token = args.token.filter(|t| !t.trim().is_empty()).context(
        "TELOXIDE_TOKEN is not set: get a bot token from @BotFather and export TELOXIDE_TOKEN",
    )?;
    anyhow::ensure!(
        args.broadcast_rate > 0.0 && args.broadcast_rate <= 1000.0,
        "LIANGHUI_BROADCAST_RATE must be between 0 and 1000 messages per second"
    );
    let webhook = match args.webhook_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(Webhook {
            url,
            listen: address(
                "LIANGHUI_LISTEN",
                args.listen.as_deref().unwrap_or_default(),
            )?
            .context("--webhook-url needs --listen (LIANGHUI_LISTEN), e.g. 0.0.0.0:8443")?,
            secret: args
                .webhook_secret
                .filter(|s| !s.is_empty())
                .map(Secret::new),
        }),
        None => None,
    };
    let bot = BotSettings {
        token: Secret::new(token.trim()),
        api_url: args.api_url.filter(|u| !u.trim().is_empty()),
        admins: parse_ids(&args.admins).context("LIANGHUI_ADMINS")?,
        staff: parse_ids(&args.staff).context("LIANGHUI_STAFF")?,
        broadcast_per_second: args.broadcast_rate,
        metrics_addr: address("LIANGHUI_METRICS_ADDR", &args.metrics_addr)?,
        webhook,
        max_backlog: args.max_backlog,
        tickets,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(lianghui_bot::telegram::run(settings, bot))
}
