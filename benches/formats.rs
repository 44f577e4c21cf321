//! Reading one report in each format an office sends: how long it takes and how much memory
//! it needs, side by side in one run.
//!
//! `cargo bench --bench formats` prints, for the 2026 Zhejiang government work report (about
//! 23,000 characters) as text copied from the web page, a saved web page, a Word file and a
//! PDF exported by LibreOffice, the median time to read it into passages (reader, structure
//! step, metadata, passages: what an upload and a reload do), the reader alone, and the peak
//! heap of one read, measured with a counting allocator. Then criterion's own figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use lianghui_bot::index::passages::from_document;
use lianghui_bot::knowledge::format::{self, Limits};
use lianghui_bot::knowledge::read_document;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The report in each format: (format, file name in the fixtures).
const FILES: [(&str, &str); 4] = [
    ("txt (copied page)", "zhejiang.txt"),
    ("html (saved page)", "zhejiang.html"),
    ("docx (Word)", "zhejiang.docx"),
    ("pdf (LibreOffice)", "zhejiang.pdf"),
];

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/readers/bench")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What an upload does: read the document and cut it into passages.
fn read(name: &str, bytes: &[u8]) -> (usize, usize) {
    let doc = read_document(Path::new(name), bytes).expect("the fixture reads");
    let chars = doc.paragraphs.iter().map(|p| p.text.chars().count()).sum();
    (chars, from_document(&doc).len())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn timed(runs: usize, f: impl Fn()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// Peak heap above what was in use before, in bytes, of one call.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

fn main() {
    println!(
        "{:<20} {:>9} {:>8} {:>9} {:>11} {:>11} {:>10}",
        "format", "bytes", "chars", "passages", "read (p50)", "reader only", "peak heap"
    );
    let limits = Limits::default();
    for (format, name) in FILES {
        let bytes = fixture(name);
        let (chars, passages) = read(name, &bytes);
        let whole = timed(21, || {
            std::hint::black_box(read(name, &bytes));
        });
        let reader = timed(21, || {
            std::hint::black_box(format::extract(name, &bytes, &limits).expect("reads"));
        });
        let peak = peak_of(|| {
            std::hint::black_box(read(name, &bytes));
        });
        println!(
            "{format:<20} {:>9} {chars:>8} {passages:>9} {:>11.1?} {:>11.1?} {:>7.1} MiB",
            bytes.len(),
            whole,
            reader,
            peak as f64 / (1 << 20) as f64
        );
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    for (format, name) in FILES {
        let bytes = fixture(name);
        c.bench_function(&format!("formats/{format}"), |b| {
            b.iter(|| read(name, &bytes))
        });
    }
    c.final_summary();
}
