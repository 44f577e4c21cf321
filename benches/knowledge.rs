//! The worst files an admin (or an attacker) can upload: how long reading them into passages
//! takes, and that the time grows linearly with their size.
//!
//! `cargo bench --bench knowledge` prints, for each shape at 1, 2 and 4 MB (the upload limit),
//! the median time to decode, parse and cut it into passages (or to refuse it), and the ratio
//! 4 MB / 1 MB (about 4 when linear; 16 when quadratic).

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use lianghui_bot::index::passages::from_document;
use lianghui_bot::knowledge::read_document;

/// `n` bytes (about) of a shape, as the file name it would be uploaded under and its bytes.
type Shape = (&'static str, fn(usize) -> (String, Vec<u8>));

fn repeat_to(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len().max(1) + 1)
}

fn shapes() -> Vec<Shape> {
    vec![
        // 8,000 × 重复段落 in the review; here as many as fit.
        ("identical paragraphs", |n| {
            (
                "r.md".into(),
                format!("# 重复\n\n{}", repeat_to("重复段落。\n\n", n)).into_bytes(),
            )
        }),
        // *a*a*a…: emphasis markers without end, one paragraph.
        ("emphasis markers", |n| {
            (
                "s.md".into(),
                format!("# 星\n\n{}\n", repeat_to("*a", n)).into_bytes(),
            )
        }),
        // One paragraph of Chinese without any punctuation.
        ("one unpunctuated paragraph", |n| {
            (
                "p.txt".into(),
                format!("标题\n\n{}\n", repeat_to("北关区经济社会发展", n)).into_bytes(),
            )
        }),
        // Distinct short paragraphs: the largest honest report.
        ("distinct paragraphs", |n| {
            let mut s = String::from("# 报告\n\n");
            let mut i = 0;
            while s.len() < n {
                s.push_str(&format!("第{i}项工作要加快推进、狠抓落实。\n\n"));
                i += 1;
            }
            ("d.md".into(), s.into_bytes())
        }),
        // Distinct paragraphs of report length: an honest report as large as allowed.
        ("distinct long paragraphs", |n| {
            let mut s = String::from("# 报告\n\n");
            let mut i = 0;
            while s.len() < n {
                s.push_str(&format!(
                    "第{i}项：{}\n\n",
                    "加快推进重点项目建设，持续优化营商环境，".repeat(12)
                ));
                i += 1;
            }
            ("long.md".into(), s.into_bytes())
        }),
        // Headings nested six deep, over and over.
        ("nested headings", |n| {
            (
                "h.md".into(),
                format!(
                    "# 报告\n\n{}",
                    repeat_to(
                        "## 一\n### 二\n#### 三\n##### 四\n###### 五\n\n正文。\n\n",
                        n
                    )
                )
                .into_bytes(),
            )
        }),
        // Block quotes and lists nested deep.
        ("nested quotes and lists", |n| {
            (
                "q.md".into(),
                format!(
                    "# 报告\n\n{}",
                    repeat_to("> > > > - - - 1. 引用里的列表。\n", n)
                )
                .into_bytes(),
            )
        }),
        // Many lines, no blank line: one long paragraph of short lines.
        ("lines without blank lines", |n| {
            (
                "l.txt".into(),
                format!("标题\n\n{}", repeat_to("一行。\n", n)).into_bytes(),
            )
        }),
    ]
}

/// Reads one file as the knowledge folder does: decode, parse, cut into passages.
fn read(name: &str, bytes: &[u8]) -> usize {
    let path = Path::new(name);
    match read_document(path, bytes) {
        Ok(doc) => from_document(&doc).len(),
        Err(_) => 0,
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    const MB: usize = 1 << 20;
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>8}  outcome at 4 MB",
        "shape", "1 MB", "2 MB", "4 MB", "4/1"
    );
    for (name, make) in shapes() {
        let mut medians = Vec::new();
        let mut outcome = String::new();
        for size in [MB, 2 * MB, 4 * MB - 4096] {
            let (file, bytes) = make(size);
            let times: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(read(&file, &bytes));
                    t.elapsed()
                })
                .collect();
            medians.push(median(times));
            let path = Path::new(&file);
            outcome = match read_document(path, &bytes) {
                Ok(doc) => format!("{} passages", from_document(&doc).len()),
                Err(e) => format!("refused: {}", e.message),
            };
        }
        println!(
            "{name:<28} {:>10.1?} {:>10.1?} {:>10.1?} {:>8.1}  {outcome}",
            medians[0],
            medians[1],
            medians[2],
            medians[2].as_secs_f64() / medians[0].as_secs_f64().max(1e-9)
        );
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (name, make) in shapes() {
        let (file, bytes) = make(4 * MB - 4096);
        c.bench_function(&format!("knowledge/{name}/4MB"), |b| {
            b.iter(|| read(&file, &bytes))
        });
    }
    c.final_summary();
}
