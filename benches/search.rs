//! Retrieval benchmarks: question latency on the bundled knowledge base and on a synthetic one of
//! 100,000 passages made from the real reports' sentences, index build rate, and peak memory.
//!
//! `cargo bench --bench search` prints a summary (build rate, p50/p99 latency over every
//! question of the fixture sets, peak resident memory) and then runs criterion on the same
//! questions for medians. Set `LIANGHUI_BENCH_PASSAGES` to change the synthetic size.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use lianghui_bot::config::Settings;
use lianghui_bot::eval::parse_cases;
use lianghui_bot::search::{Engine, Question};
use lianghui_bot::service::KnowledgeBase;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn questions() -> Vec<Question> {
    questions_of(&["dev-questions.tsv", "extra-questions.tsv"])
}

fn questions_of(names: &[&str]) -> Vec<Question> {
    let mut out = Vec::new();
    for name in names {
        let path = root().join("tests/fixtures").join(name);
        let cases = parse_cases(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
        out.extend(
            cases
                .iter()
                .filter_map(|c| Question::parse(&c.question).ok()),
        );
    }
    out
}

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A deterministic pseudo-random sequence (xorshift64), so every run builds the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Writes a knowledge folder of `passages` paragraphs, each two to four sentences of the real
/// reports, in documents of 5,000 paragraphs with a section every 50.
fn synthetic_knowledge(dir: &Path, passages: usize) {
    let real = root().join("knowledge");
    let mut sentences = Vec::new();
    for entry in std::fs::read_dir(&real).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "dict.txt" || name == "synonyms.txt" {
            std::fs::copy(&path, dir.join(&name)).unwrap();
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text
            .lines()
            .filter(|l| !l.starts_with(['+', '#']) && !l.contains(" = "))
        {
            sentences.extend(
                line.split_inclusive('。')
                    .filter(|s| s.chars().count() > 4)
                    .map(str::to_owned),
            );
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let per_doc = 5000;
    for d in 0..passages.div_ceil(per_doc) {
        let mut doc = format!(
            "+++\nheadline = \"合成报告{d}\"\nmeeting = \"基准测试\"\n+++\n\n# 合成报告{d}\n"
        );
        for p in 0..per_doc.min(passages - d * per_doc) {
            if p % 50 == 0 {
                doc.push_str(&format!("\n## 第{}部分\n", p / 50 + 1));
            }
            doc.push('\n');
            for _ in 0..2 + rng.below(3) {
                doc.push_str(&sentences[rng.below(sentences.len())]);
            }
            // A unique token per paragraph keeps passages distinct, like real reports.
            doc.push_str(&format!("(编号{d}-{p})\n"));
        }
        std::fs::write(dir.join(format!("synthetic-{d:03}.md")), doc).unwrap();
    }
}

fn percentiles(engine: &Engine, qs: &[Question], rounds: usize) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(qs.len() * rounds);
    for _ in 0..rounds {
        for q in qs {
            let t = Instant::now();
            std::hint::black_box(engine.search(q, 3).unwrap());
            times.push(t.elapsed());
        }
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// The engine of a knowledge folder, its index built under `data`.
fn open(knowledge: &Path, data: &Path) -> std::sync::Arc<Engine> {
    let settings = Settings {
        knowledge_dir: knowledge.to_path_buf(),
        data_dir: data.to_path_buf(),
        ..Settings::default()
    };
    KnowledgeBase::open(&settings, &|_, _| {})
        .unwrap()
        .kb
        .engine()
}

fn main() {
    let qs = questions();
    let passages: usize = std::env::var("LIANGHUI_BENCH_PASSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);

    let data = tempfile::tempdir().unwrap();
    let real = open(&root().join("knowledge"), data.path());
    let (p50, p99) = percentiles(&real, &qs, 50);
    let real_rss = peak_rss_mib();
    println!(
        "real knowledge base: {} passages; latency p50 {:?}, p99 {:?} over {} questions x 50; peak RSS {:.1} MiB",
        real.manifest().passages,
        p50,
        p99,
        qs.len(),
        real_rss
    );

    // The 31 provincial reports (about 2,900 passages) with the bundled lexicon, and the
    // questions asked of them.
    let pdir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("knowledge")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            std::fs::copy(&path, pdir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    for entry in std::fs::read_dir(root().join("tests/fixtures/provinces-2026")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, pdir.path().join(path.file_name().unwrap())).unwrap();
    }
    let pdata = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let provinces = open(pdir.path(), pdata.path());
    let pbuild = t.elapsed();
    let pqs = questions_of(&["reports-dev.tsv"]);
    let (p50, p99) = percentiles(&provinces, &pqs, 20);
    println!(
        "31 provincial reports: {} passages built in {:.2}s; latency p50 {:?}, p99 {:?} over {} questions x 20; peak RSS {:.1} MiB",
        provinces.manifest().passages,
        pbuild.as_secs_f64(),
        p50,
        p99,
        pqs.len(),
        peak_rss_mib()
    );

    let kdir = tempfile::tempdir().unwrap();
    synthetic_knowledge(kdir.path(), passages);
    let sdata = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let big = open(kdir.path(), sdata.path());
    let build = t.elapsed();
    let n = big.manifest().passages;
    let (p50, p99) = percentiles(&big, &qs, 5);
    println!(
        "synthetic: {n} passages built in {:.1}s ({:.0} passages/s); latency p50 {:?}, p99 {:?}; peak RSS {:.1} MiB",
        build.as_secs_f64(),
        n as f64 / build.as_secs_f64(),
        p50,
        p99,
        peak_rss_mib()
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(4));
    bench_engine(&mut c, "search/real", &real, &qs);
    bench_engine(&mut c, "search/provinces", &provinces, &pqs);
    bench_engine(&mut c, &format!("search/{n}"), &big, &qs);
    c.final_summary();
}

fn bench_engine(c: &mut Criterion, name: &str, engine: &Engine, qs: &[Question]) {
    c.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % qs.len();
            engine.search(&qs[i], 3).unwrap()
        })
    });
}
