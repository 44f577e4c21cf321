//! The tantivy index on disk: schema, build, manifest. The only writer of the index.
//!
//! Layout under the data folder: `index/<fingerprint>/` holds one complete index and its
//! `manifest.json`, and the file `index/CURRENT` names the one in use. The fingerprint hashes every
//! knowledge file (documents, dictionary, synonyms) and the analysis version, so an unchanged
//! knowledge folder reuses the index and any change builds a new one beside the old. A build
//! goes to a temporary folder that is renamed into place only when complete, and `CURRENT` is
//! replaced by a rename, so a reader never sees half an index. This module does not search.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::{Index, IndexWriter, TantivyDocument};

pub mod passages;
pub mod tokenizer;

use crate::knowledge::{Knowledge, Scope};
use passages::Passage;
use tokenizer::{Analyzer, TOKENIZER_NAME};

/// Bumped whenever tokenisation or the schema changes, so old indexes are rebuilt.
pub const ANALYSIS_VERSION: u32 = 4;
const MANIFEST_FILE: &str = "manifest.json";
/// Size of a compressed block of the document store.
const DOCSTORE_BLOCK_BYTES: usize = 4096;
const CURRENT_FILE: &str = "CURRENT";

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index i/o at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("manifest {path}: {source}")]
    Manifest {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("the knowledge folder has no usable document")]
    NoDocuments,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The fields of a passage in the index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub doc_id: Field,
    pub title: Field,
    pub section: Field,
    pub meeting: Field,
    pub body: Field,
    pub dates: Field,
    /// The area the passage's document speaks for (a whole term, for filtering).
    pub area: Field,
    /// The year its document speaks for (0: unknown).
    pub year: Field,
    /// The page it starts on (0: none).
    pub page: Field,
    /// The year its section speaks of (0: its headings do not say), a term for ranking.
    pub period: Field,
    pub ord: Field,
    /// Title and section path, tokenised: lets a heading vouch for its paragraphs.
    pub context: Field,
    /// The passage text as the report writes it: indexed with jieba (folded) and stored.
    pub text: Field,
    /// Where the words of `text` begin and end (byte offsets, delta-encoded; see
    /// [`encode_bounds`]), so that marks never fall inside a word and need no jieba at answer
    /// time.
    pub bounds: Field,
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let jieba = TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            doc_id: b.add_text_field("doc_id", STRING | STORED),
            title: b.add_text_field("title", STORED),
            section: b.add_text_field("section", STORED),
            meeting: b.add_text_field("meeting", STORED),
            body: b.add_text_field("body", STORED),
            dates: b.add_text_field("dates", STORED),
            area: b.add_text_field("area", STRING | STORED),
            year: b.add_u64_field(
                "year",
                NumericOptions::default()
                    .set_stored()
                    .set_indexed()
                    .set_fast(),
            ),
            page: b.add_u64_field("page", NumericOptions::default().set_stored()),
            period: b.add_u64_field(
                "period",
                NumericOptions::default().set_stored().set_indexed(),
            ),
            ord: b.add_u64_field(
                "ord",
                NumericOptions::default()
                    .set_stored()
                    .set_indexed()
                    .set_fast(),
            ),
            context: b.add_text_field(
                "context",
                TextOptions::default().set_indexing_options(jieba.clone()),
            ),
            text: b.add_text_field(
                "text",
                TextOptions::default()
                    .set_indexing_options(jieba)
                    .set_stored(),
            ),
            bounds: b.add_bytes_field("bounds", STORED),
        };
        (b.build(), fields)
    }

    pub fn from_schema(schema: &Schema) -> Result<Fields, IndexError> {
        let get = |name: &str| schema.get_field(name).map_err(IndexError::from);
        Ok(Fields {
            id: get("id")?,
            doc_id: get("doc_id")?,
            title: get("title")?,
            section: get("section")?,
            meeting: get("meeting")?,
            body: get("body")?,
            dates: get("dates")?,
            area: get("area")?,
            year: get("year")?,
            page: get("page")?,
            period: get("period")?,
            ord: get("ord")?,
            context: get("context")?,
            text: get("text")?,
            bounds: get("bounds")?,
        })
    }
}

/// One document as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSummary {
    pub id: String,
    pub file: String,
    pub title: String,
    #[serde(default)]
    pub meeting: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub dates: String,
    pub passages: usize,
    /// Content hash of the file, to tell changed documents from unchanged ones.
    pub hash: String,
    /// The area it speaks for, its level (省 / 市 / 区县) and the area above it.
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub parent: String,
    /// The year it speaks for, and every year it covers.
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub years: Vec<i32>,
    /// Made by the bot (announcements, FAQs), not a report.
    #[serde(default)]
    pub generated: bool,
}

/// What an index was built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub fingerprint: String,
    pub analysis_version: u32,
    pub built_at_unix: u64,
    pub build_millis: u64,
    pub passages: usize,
    pub documents: Vec<DocSummary>,
    pub files: BTreeMap<String, String>,
    /// The area and years the documents speak for.
    #[serde(default)]
    pub scope: Scope,
}

/// Documents added, removed and changed between two manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl Manifest {
    pub fn changes_from(&self, old: &Manifest) -> Changes {
        let mut c = Changes::default();
        for d in &self.documents {
            match old.documents.iter().find(|o| o.id == d.id) {
                None => c.added.push(d.title.clone()),
                Some(o) if o.hash != d.hash => c.changed.push(d.title.clone()),
                Some(_) => {}
            }
        }
        for o in &old.documents {
            if !self.documents.iter().any(|d| d.id == o.id) {
                c.removed.push(o.title.clone());
            }
        }
        c
    }
}

/// The fingerprint an index built from `k` would have.
pub fn fingerprint(k: &Knowledge) -> String {
    format!("v{}-{}", ANALYSIS_VERSION, k.fingerprint())
}

/// An index folder opened for reading, with its manifest.
pub struct OpenIndex {
    pub index: Index,
    pub fields: Fields,
    pub manifest: Manifest,
    pub dir: PathBuf,
}

/// Result of [`open_or_build`]: the index and whether it was built now.
pub struct Prepared {
    pub index: OpenIndex,
    pub built: bool,
    pub elapsed: Duration,
}

fn index_root(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// Opens the index for `k` if one exists, otherwise builds it; then marks it current.
pub fn open_or_build(
    data_dir: &Path,
    k: &Knowledge,
    analyzer: &Analyzer,
    progress: &dyn Fn(usize, usize),
) -> Result<Prepared, IndexError> {
    let started = Instant::now();
    let root = index_root(data_dir);
    let fp = fingerprint(k);
    let dir = root.join(&fp);
    if dir.join(MANIFEST_FILE).is_file() {
        // The index is derived data: one that cannot be read is rebuilt from the reports.
        match open_dir(&dir, analyzer).and_then(verified) {
            Ok(index) => {
                set_current(&root, &fp)?;
                return Ok(Prepared {
                    index,
                    built: false,
                    elapsed: started.elapsed(),
                });
            }
            Err(e) => log::warn!(
                "index {} cannot be read ({e}); rebuilding it from the reports",
                dir.display()
            ),
        }
    }
    let passages = passages::from_documents(&k.documents);
    if passages.is_empty() {
        return Err(IndexError::NoDocuments);
    }
    let manifest = manifest_of(k, &passages, &fp);
    build_into(&root, &fp, &passages, manifest, analyzer, progress, started)?;
    set_current(&root, &fp)?;
    prune(&root, &fp);
    let index = open_dir(&dir, analyzer)?;
    Ok(Prepared {
        index,
        built: true,
        elapsed: started.elapsed(),
    })
}

/// The manifest of an index of `k` cut into `passages`.
fn manifest_of(k: &Knowledge, passages: &[Passage], fp: &str) -> Manifest {
    let documents = k
        .documents
        .iter()
        .map(|d| DocSummary {
            id: d.id.clone(),
            file: d.file.clone(),
            title: d.meta.headline.clone(),
            meeting: d.meta.meeting.clone().unwrap_or_default(),
            body: d.meta.body.clone().unwrap_or_default(),
            dates: d.meta.dates.clone().unwrap_or_default(),
            passages: passages.iter().filter(|p| p.doc_id == d.id).count(),
            hash: k.hashes.get(&d.file).cloned().unwrap_or_default(),
            area: d.meta.area.clone().unwrap_or_default(),
            level: d.meta.level.clone().unwrap_or_default(),
            parent: d.meta.parent.clone().unwrap_or_default(),
            year: d.meta.year,
            years: d.meta.years.clone(),
            generated: d.generated,
        })
        .collect();
    Manifest {
        fingerprint: fp.to_owned(),
        analysis_version: ANALYSIS_VERSION,
        built_at_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        build_millis: 0,
        passages: passages.len(),
        documents,
        files: k.hashes.clone(),
        scope: Scope::of(&k.documents, k.home.as_deref()),
    }
}

/// The folder of an index built to try a change (what a synonym group would do to the
/// answers) without touching the one in use; removed when this is dropped.
pub struct Trial {
    root: PathBuf,
}

impl Drop for Trial {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Builds a trial index of `k` under the data folder; it lasts as long as the [`Trial`].
pub fn trial(
    data_dir: &Path,
    k: &Knowledge,
    analyzer: &Analyzer,
) -> Result<(OpenIndex, Trial), IndexError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let root = index_root(data_dir).join(format!(".build-trial-{}-{n}", std::process::id()));
    let passages = passages::from_documents(&k.documents);
    if passages.is_empty() {
        return Err(IndexError::NoDocuments);
    }
    let manifest = manifest_of(k, &passages, "trial");
    let started = Instant::now();
    let built = build_into(
        &root,
        "trial",
        &passages,
        manifest,
        analyzer,
        &|_, _| {},
        started,
    );
    let trial = |dir: PathBuf| -> Result<(OpenIndex, Trial), IndexError> {
        Ok((open_dir(&dir, analyzer)?, Trial { root: root.clone() }))
    };
    match built.and_then(trial) {
        Ok(t) => Ok(t),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&root);
            Err(e)
        }
    }
}

/// Builds an index of `passages` in `root/<name>`, through a temporary folder.
pub fn build_into(
    root: &Path,
    name: &str,
    passages: &[Passage],
    mut manifest: Manifest,
    analyzer: &Analyzer,
    progress: &dyn Fn(usize, usize),
    started: Instant,
) -> Result<PathBuf, IndexError> {
    std::fs::create_dir_all(root).map_err(io_err(root))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = root.join(format!(".build-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let result = write_index(&tmp, passages, &mut manifest, analyzer, progress, started);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let dir = root.join(name);
    if dir.exists() {
        // Another process built the same knowledge meanwhile, or an unfinished folder was left.
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Err(e) = std::fs::rename(&tmp, &dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.join(MANIFEST_FILE).is_file() {
            return Err(io_err(&dir)(e));
        }
    }
    Ok(dir)
}

/// Writes the index of `passages` and its manifest into the empty folder `dir`.
fn write_index(
    dir: &Path,
    passages: &[Passage],
    manifest: &mut Manifest,
    analyzer: &Analyzer,
    progress: &dyn Fn(usize, usize),
    started: Instant,
) -> Result<(), IndexError> {
    let (schema, f) = Fields::schema();
    // Small doc store blocks: an answer loads a few passages at random, and each load
    // decompresses one block.
    let settings = tantivy::IndexSettings {
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        ..tantivy::IndexSettings::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(dir)?;
    index
        .tokenizers()
        .register(TOKENIZER_NAME, analyzer.tokenizer());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, 60_000_000 * threads)?;
    for (n, p) in passages.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &p.id);
        doc.add_text(f.doc_id, &p.doc_id);
        doc.add_text(f.title, &p.title);
        doc.add_text(f.section, &p.section);
        doc.add_text(f.meeting, &p.meeting);
        doc.add_text(f.body, &p.body);
        doc.add_text(f.dates, &p.dates);
        doc.add_text(f.area, &p.area);
        doc.add_u64(f.year, p.year.map_or(0, |y| y.max(0) as u64));
        doc.add_u64(f.page, p.page.map_or(0, u64::from));
        doc.add_u64(f.period, p.period.map_or(0, |y| y.max(0) as u64));
        doc.add_u64(f.ord, p.ord);
        doc.add_text(f.context, format!("{} {}", p.title, p.section));
        doc.add_text(f.text, &p.text);
        doc.add_bytes(f.bounds, &encode_bounds(&analyzer.words(&p.text)));
        writer.add_document(doc)?;
        if n % 1000 == 0 {
            progress(n, passages.len());
        }
    }
    writer.commit()?;
    // One segment: every term of a question is then one lookup and one posting list.
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    progress(passages.len(), passages.len());
    manifest.build_millis = started.elapsed().as_millis() as u64;
    let path = dir.join(MANIFEST_FILE);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|source| IndexError::Manifest {
        path: path.clone(),
        source,
    })?;
    std::fs::write(&path, json).map_err(io_err(&path))
}

/// Word boundaries of a text (every word's start and end, byte offsets, ascending, each once)
/// as LEB128 deltas.
pub fn encode_bounds(words: &[crate::index::tokenizer::Term]) -> Vec<u8> {
    let mut offsets: Vec<usize> = words.iter().flat_map(|w| [w.start, w.end]).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut out = Vec::with_capacity(offsets.len() * 2);
    let mut last = 0;
    for o in offsets {
        let mut delta = o - last;
        last = o;
        loop {
            let byte = (delta & 0x7f) as u8;
            delta >>= 7;
            if delta == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// The offsets [`encode_bounds`] wrote; a truncated value at the end is dropped.
pub fn decode_bounds(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::with_capacity(bytes.len());
    let (mut last, mut value, mut shift) = (0usize, 0usize, 0u32);
    for &b in bytes {
        if shift >= usize::BITS {
            break;
        }
        value |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            last += value;
            out.push(last);
            value = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    out
}

/// `open` once every segment and every stored document has been read back: a damaged index
/// (a truncated file, a missing segment) fails here rather than on a citizen's question.
fn verified(open: OpenIndex) -> Result<OpenIndex, IndexError> {
    let reader = open.index.reader()?;
    let searcher = reader.searcher();
    for segment in searcher.segment_readers() {
        let store = segment
            .get_store_reader(1)
            .map_err(|e| IndexError::Tantivy(e.into()))?;
        for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
            doc?;
        }
        for field in [open.fields.text, open.fields.context, open.fields.id] {
            segment.inverted_index(field)?;
        }
    }
    Ok(open)
}

/// Removes what an interrupted build left in the index folder (`.build-*` folders).
pub fn clean_leftovers(data_dir: &Path) {
    crate::fsutil::remove_leftovers(
        &index_root(data_dir),
        ".build-",
        crate::fsutil::Leftover::Folders,
        "an interrupted index build",
    );
}

/// Opens one index folder and registers the analyzer's tokenizer on it.
pub fn open_dir(dir: &Path, analyzer: &Analyzer) -> Result<OpenIndex, IndexError> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(io_err(&path))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| IndexError::Manifest {
            path: path.clone(),
            source,
        })?;
    let index = Index::open_in_dir(dir)?;
    index
        .tokenizers()
        .register(TOKENIZER_NAME, analyzer.tokenizer());
    let fields = Fields::from_schema(&index.schema())?;
    Ok(OpenIndex {
        index,
        fields,
        manifest,
        dir: dir.to_path_buf(),
    })
}

fn set_current(root: &Path, name: &str) -> Result<(), IndexError> {
    let current = root.join(CURRENT_FILE);
    if std::fs::read_to_string(&current).is_ok_and(|c| c.trim() == name) {
        return Ok(());
    }
    let tmp = root.join(format!(".{CURRENT_FILE}-{}", std::process::id()));
    std::fs::write(&tmp, name).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &current).map_err(io_err(&current))
}

/// The manifest of the index marked current, if any.
pub fn current_manifest(data_dir: &Path) -> Option<Manifest> {
    let root = index_root(data_dir);
    let name = std::fs::read_to_string(root.join(CURRENT_FILE)).ok()?;
    let bytes = std::fs::read(root.join(name.trim()).join(MANIFEST_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Removes old index folders, keeping the current one and the most recent other one (a running
/// server may still read from it until it swaps).
fn prune(root: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut others: Vec<(SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.path().is_dir()
                && e.file_name() != keep
                && !e.file_name().to_string_lossy().starts_with('.')
        })
        .map(|e| {
            (
                e.metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(UNIX_EPOCH),
                e.path(),
            )
        })
        .collect();
    others.sort();
    others.pop();
    for (_, path) in others {
        if let Err(e) = std::fs::remove_dir_all(&path) {
            log::warn!("could not remove old index {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tokenizer::Term;

    #[test]
    fn word_bounds_round_trip() {
        let t = |start, end| Term {
            text: String::new(),
            start,
            end,
        };
        let words = [t(0, 6), t(6, 9), t(9, 400), t(400, 70_000)];
        assert_eq!(
            decode_bounds(&encode_bounds(&words)),
            vec![0, 6, 9, 400, 70_000]
        );
        assert!(decode_bounds(&[0xff, 0xff]).is_empty());
    }
}
