//! Hostile input: no reader may panic, hang or give unbounded output. Zip bombs (2 GiB declared
//! truthfully; 2 GiB declared as 1000 bytes; 150 MiB declared under the limit), truncated and
//! corrupt zips, hostile docx XML, PDF reference loops, a PDF declaring a 1 GB stream, a flate
//! bomb, an xref pointing nowhere, other hostile PDF structures, HTML nested 100,000 deep,
//! random bytes, every fixture under tight limits, and a property test that mangles every
//! fixture (truncate, flip, splice, insert, zero a run) and runs every reader on the result.
//!
//! The readers are called directly, not through `format::extract`'s `catch_unwind`, so a panic
//! fails the test. Every call runs under a hang guard ([`within`]): it fails only if the call
//! has not returned after a generous deadline; speed itself is not asserted. What is asserted
//! is the result: the right `ReadError`, or output within the limits ([`check_bounded`]).

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use lianghui_bot::knowledge::format::{self, Extracted, Limits, ReadError, docx, html, pdf, text};
use proptest::prelude::*;

type Reader = fn(&[u8], &Limits) -> Result<Extracted, ReadError>;

/// Every reader, with the format name its `Damaged` errors carry.
const READERS: [(&str, Reader); 4] = [
    ("docx", docx::read),
    ("pdf", pdf::read),
    ("html", html::read),
    ("txt", text::read),
];

/// Most blocks a reader may give for one file (`format::util::MAX_BLOCKS`).
const MAX_BLOCKS: usize = 500_000;

/// How long a call may take before it counts as hung: far beyond any real read, even in a
/// debug build on a busy machine (the readers' own time budget is 20 s by default).
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and returns its result; fails if `f` has not returned within
/// [`DEADLINE`] (it hangs), and passes on a panic of `f` as a panic of the caller.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name(what.to_string())
        .spawn(move || {
            // The receiver is gone only when the deadline passed: nothing to tell then.
            let _ = tx.send(f());
        })
        .expect("spawn a reader thread");
    match rx.recv_timeout(DEADLINE) {
        Ok(out) => {
            worker.join().expect("the reader thread ends after sending");
            out
        }
        Err(RecvTimeoutError::Timeout) => panic!("{what}: no result after {DEADLINE:?}"),
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("{what}: the reader thread ended without a result"),
        },
    }
}

/// What a reader gives, whatever the input, is bounded: at most `max_text_chars` characters
/// in at most `MAX_BLOCKS` blocks, no empty block, pages from the PDF reader only; and a
/// `Damaged` error names the reader's format.
fn check_bounded(reader: &str, r: &Result<Extracted, ReadError>, limits: &Limits) {
    match r {
        Ok(e) => {
            assert!(
                e.blocks.len() <= MAX_BLOCKS,
                "{reader}: {} blocks",
                e.blocks.len()
            );
            let chars: usize = e.blocks.iter().map(|b| b.text.chars().count()).sum();
            assert!(
                chars <= limits.max_text_chars,
                "{reader}: {chars} characters, limit {}",
                limits.max_text_chars
            );
            for b in &e.blocks {
                assert!(!b.text.is_empty(), "{reader}: an empty block at {}", b.loc);
                assert_eq!(
                    b.page.is_some(),
                    reader == "pdf",
                    "{reader}: page {:?} at {}",
                    b.page,
                    b.loc
                );
            }
        }
        Err(ReadError::Damaged { format, .. }) => {
            assert_eq!(*format, reader, "{reader}: {r:?}")
        }
        Err(_) => {}
    }
}

/// Runs every reader on `bytes` under the hang guard and checks that each result is bounded.
fn all_readers(what: &str, bytes: Arc<Vec<u8>>, limits: Limits) {
    let label = format!("{what} ({} bytes)", bytes.len());
    within(&label, move || {
        for (name, read) in READERS {
            let r = read(&bytes, &limits);
            check_bounded(name, &r, &limits);
        }
    });
}

fn fixture(name: &str) -> Vec<u8> {
    let path = crate::root().join("tests/fixtures/readers").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const DOCX_FIXTURES: [&str; 4] = [
    "henan-headings.docx",
    "henan-numbered.docx",
    "hubei-wps.docx",
    "henan-numbered-lo.docx",
];

// ------------------------------------------------------------------ docx / zip

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const DOC_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#;

/// Deflates `data` as raw deflate blocks ending in a full flush, byte-aligned and referring to
/// nothing before them, so that they can be repeated; with `finish`, as the stream's end.
fn deflate_part(z: &mut flate2::Compress, data: &[u8], finish: bool) -> Vec<u8> {
    let flush = if finish {
        flate2::FlushCompress::Finish
    } else {
        flate2::FlushCompress::Full
    };
    let mut out = Vec::with_capacity(data.len() + 1024);
    let before = z.total_in();
    let status = z.compress_vec(data, &mut out, flush).unwrap();
    assert_eq!(
        (z.total_in() - before) as usize,
        data.len(),
        "all input taken"
    );
    assert!(out.len() < out.capacity(), "all output written");
    if finish {
        assert_eq!(status, flate2::Status::StreamEnd);
    }
    out
}

/// One zip entry, deflated, with the uncompressed size its headers declare.
struct Entry {
    name: &'static str,
    deflated: Vec<u8>,
    crc: u32,
    declared: u32,
}

impl Entry {
    fn new(name: &'static str, data: &[u8]) -> Entry {
        let mut z = flate2::Compress::new(flate2::Compression::default(), false);
        let mut crc = flate2::Crc::new();
        crc.update(data);
        Entry {
            name,
            deflated: deflate_part(&mut z, data, true),
            crc: crc.sum(),
            declared: data.len() as u32,
        }
    }
}

/// A zip file of `entries`, written field by field (local headers, data, central directory),
/// so that a bomb costs nothing to build and its headers say what the test wants.
fn zip_of(entries: &[Entry]) -> Vec<u8> {
    fn header(out: &mut Vec<u8>, e: &Entry, central_at: Option<u32>) {
        let u16s = |out: &mut Vec<u8>, v: &[u16]| {
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
        };
        match central_at {
            None => {
                out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
                u16s(out, &[20, 0, 8, 0, 0]); // version, flags, deflate, time, date
            }
            Some(_) => {
                out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
                u16s(out, &[20, 20, 0, 8, 0, 0]); // made by, version, flags, deflate, time, date
            }
        }
        for v in [e.crc, e.deflated.len() as u32, e.declared] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        u16s(out, &[e.name.len() as u16, 0]); // name, extra
        if let Some(offset) = central_at {
            u16s(out, &[0, 0, 0]); // comment, disk, internal attributes
            out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            out.extend_from_slice(&offset.to_le_bytes());
        }
        out.extend_from_slice(e.name.as_bytes());
    }
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        header(&mut out, e, None);
        out.extend_from_slice(&e.deflated);
    }
    let central = out.len();
    for (e, at) in entries.iter().zip(offsets) {
        header(&mut out, e, Some(at));
    }
    let n = entries.len() as u16;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0, 0, n, n] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&((out.len() - central - 12) as u32).to_le_bytes());
    out.extend_from_slice(&(central as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A .docx whose document.xml is one paragraph of `mib` MiB of text, made by repeating one
/// deflated MiB, with `declared` as its uncompressed size in the headers (or the true size).
fn docx_bomb(mib: u32, declared: Option<u32>) -> Vec<u8> {
    let head = format!("{DOC_HEAD}<w:p><w:r><w:t>");
    let tail = b"</w:t></w:r></w:p></w:body></w:document>";
    let chunk = vec![b'A'; 1 << 20];
    let mut z = flate2::Compress::new(flate2::Compression::default(), false);
    let mut deflated = deflate_part(&mut z, head.as_bytes(), false);
    let one_mib = deflate_part(&mut z, &chunk, false);
    for _ in 0..mib {
        deflated.extend_from_slice(&one_mib);
    }
    deflated.extend(deflate_part(&mut z, tail, true));
    let mut crc = flate2::Crc::new();
    crc.update(head.as_bytes());
    let mut crc_mib = flate2::Crc::new();
    crc_mib.update(&chunk);
    for _ in 0..mib {
        crc.combine(&crc_mib);
    }
    crc.update(tail);
    let size = (head.len() + tail.len()) as u64 + (u64::from(mib) << 20);
    let document = Entry {
        name: "word/document.xml",
        deflated,
        crc: crc.sum(),
        declared: declared.unwrap_or_else(|| u32::try_from(size).expect("under 4 GiB")),
    };
    zip_of(&[Entry::new("[Content_Types].xml", b"<Types/>"), document])
}

#[test]
fn zip_bombs_are_built_right() {
    // A small one reads back whole (right deflate data and checksum), through the zip crate's
    // reader as well as the docx reader.
    let small = docx_bomb(3, None);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&small)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    let want = format!(
        "{DOC_HEAD}<w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>",
        "A".repeat(3 << 20)
    );
    assert!(xml == want, "{} bytes, not {}", xml.len(), want.len());
    let e = docx::read(&small, &Limits::default()).unwrap();
    assert_eq!(e.blocks.len(), 1);
    assert_eq!(e.blocks[0].text.len(), 3 << 20);
    assert!(e.blocks[0].text.bytes().all(|c| c == b'A'));
}

#[test]
fn zip_bomb_is_refused_as_too_complex() {
    // document.xml inflates to 2 GiB of text inside one w:t; the .docx itself is a few MB.
    let bomb = Arc::new(docx_bomb(2048, None));
    assert!(
        bomb.len() < 20 * 1024 * 1024,
        "bomb is {} bytes",
        bomb.len()
    );
    let b = bomb.clone();
    let r = within("zip bomb", move || {
        format::extract("bomb.docx", &b, &Limits::default())
    });
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
    // With a tighter limit on inflated bytes, that limit stops it.
    let small = Limits {
        max_inflated_bytes: 1 << 20,
        ..Limits::default()
    };
    let r = within("zip bomb, 1 MiB limit", move || docx::read(&bomb, &small));
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
}

#[test]
fn zip_bomb_with_lying_sizes_is_refused() {
    // 2 GiB that the headers claim is 1000 bytes: the declared size passes the limit, so only
    // counting what is inflated can stop it (the zip reader refuses an entry larger than it
    // declared, as damaged).
    let bomb = Arc::new(docx_bomb(2048, Some(1000)));
    for (what, limits) in [
        ("lying zip bomb", Limits::default()),
        (
            "lying zip bomb, 1 MiB limit",
            Limits {
                max_inflated_bytes: 1 << 20,
                ..Limits::default()
            },
        ),
    ] {
        let b = bomb.clone();
        let r = within(what, move || docx::read(&b, &limits));
        assert!(
            matches!(
                r,
                Err(ReadError::TooComplex { .. } | ReadError::Damaged { format: "docx", .. })
            ),
            "{what}: {r:?}"
        );
    }
}

#[test]
fn zip_bomb_declared_within_the_limit_is_stopped_while_inflating() {
    // 150 MiB declared truthfully, under the 200 MiB limit: one text run that the counting
    // reader stops long before it is all inflated.
    let bomb = docx_bomb(150, None);
    let r = within("zip bomb under the limit", move || {
        docx::read(&bomb, &Limits::default())
    });
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
    // Two parts, each under a 1 MiB limit, together over it.
    let doc = format!(
        "{DOC_HEAD}{}</w:body></w:document>",
        "<w:p><w:r><w:t>正文</w:t></w:r></w:p>".repeat(20_000)
    );
    let styles = format!(
        r#"<w:styles xmlns:w="w">{}</w:styles>"#,
        r#"<w:style w:type="paragraph" w:styleId="A"/>"#.repeat(20_000)
    );
    let l = Limits {
        max_inflated_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(doc.len() < l.max_inflated_bytes && styles.len() < l.max_inflated_bytes);
    let alone = zip_with(&[("word/document.xml", doc.as_bytes())]);
    let e = within("document under the limit", move || docx::read(&alone, &l)).unwrap();
    assert_eq!(e.blocks.len(), 20_000);
    let both = zip_with(&[
        ("word/document.xml", doc.as_bytes()),
        ("word/styles.xml", styles.as_bytes()),
    ]);
    let r = within("two parts over the limit", move || docx::read(&both, &l));
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
}

#[test]
fn truncated_and_corrupt_zips_are_refused_or_bounded() {
    let l = Limits::default();
    for name in DOCX_FIXTURES {
        let g = fixture(name);
        within(name, move || {
            // Every cut loses the central directory: refused, as damaged.
            for k in 0..60 {
                let cut = g.len() * k / 60;
                let r = docx::read(&g[..cut], &l);
                assert!(
                    matches!(r, Err(ReadError::Damaged { format: "docx", .. })),
                    "{name} truncated at {cut}: {r:?}"
                );
            }
            // Corrupt bytes in the central directory and in the compressed data.
            for k in 1..40 {
                let mut bad = g.clone();
                let at = bad.len() - bad.len() * k / 40;
                for b in bad.iter_mut().skip(at.saturating_sub(8)).take(8) {
                    *b ^= 0x5A;
                }
                check_bounded("docx", &docx::read(&bad, &l), &l);
            }
        });
    }
}

#[test]
fn hostile_docx_xml_is_refused_or_read() {
    let l = Limits::default();
    // 100,000 nested elements: refused by depth, not a stack overflow.
    let deep = format!(
        "{DOC_HEAD}{}x{}</w:body></w:document>",
        "<w:sdt>".repeat(100_000),
        "</w:sdt>".repeat(100_000)
    );
    let z = zip_with(&[("word/document.xml", deep.as_bytes())]);
    let r = within("docx nested 100,000 deep", move || docx::read(&z, &l));
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
    // A basedOn loop in styles and a numStyleLink loop in numbering.
    let styles = r#"<w:styles xmlns:w="w"><w:style w:type="paragraph" w:styleId="A"><w:name w:val="a"/><w:basedOn w:val="B"/></w:style><w:style w:type="paragraph" w:styleId="B"><w:name w:val="b"/><w:basedOn w:val="A"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style></w:styles>"#;
    let numbering = r#"<w:numbering xmlns:w="w"><w:abstractNum w:abstractNumId="0"><w:numStyleLink w:val="B"/></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>"#;
    let doc = format!(
        r#"{DOC_HEAD}<w:p><w:pPr><w:pStyle w:val="A"/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p></w:body></w:document>"#
    );
    let z = zip_with(&[
        ("word/document.xml", doc.as_bytes()),
        ("word/styles.xml", styles.as_bytes()),
        ("word/numbering.xml", numbering.as_bytes()),
    ]);
    let e = within("docx style loops", move || docx::read(&z, &l)).unwrap();
    assert_eq!(e.blocks[0].text, "正文");
    // 200,000 field begins without ends, and an unterminated document.
    let fields = format!(
        "{DOC_HEAD}<w:p>{}<w:r><w:t>x</w:t></w:r>",
        r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r>"#.repeat(200_000)
    );
    let z = zip_with(&[("word/document.xml", fields.as_bytes())]);
    let r = within("docx unclosed fields", move || docx::read(&z, &l));
    check_bounded("docx", &r, &l);
    // No document.xml at all; a document.xml that is not XML.
    let r = docx::read(&zip_with(&[("a.txt", b"hi")]), &l);
    assert!(
        matches!(r, Err(ReadError::Damaged { format: "docx", .. })),
        "{r:?}"
    );
    let r = docx::read(
        &zip_with(&[("word/document.xml", &[0xFF, 0x00, 0x3C, 0x3C])]),
        &l,
    );
    assert!(r.is_err(), "{r:?}");
}

// ------------------------------------------------------------------ pdf

/// A PDF with a correct xref from object bodies (object 1 is the catalog).
fn build_pdf(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offs = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offs.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offs {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra}>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} >>\nstream\n").into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

const HELLO: &[u8] = b"BT /F1 12 Tf 72 700 Td (Hello world) Tj ET";

fn simple_pdf_objects(content: Vec<u8>) -> Vec<Vec<u8>> {
    vec![
        b("<< /Type /Catalog /Pages 2 0 R >>"),
        b("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        b(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        ),
        content,
        b("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
    ]
}

/// The PDF reader on `bytes` with `limits`, under the hang guard, its result checked bounded.
fn read_pdf(what: &str, bytes: Vec<u8>, limits: Limits) -> Result<Extracted, ReadError> {
    let r = within(what, move || pdf::read(&bytes, &limits));
    check_bounded("pdf", &r, &limits);
    r
}

/// The text of a PDF read that must succeed.
fn pdf_text(what: &str, bytes: Vec<u8>) -> Vec<String> {
    read_pdf(what, bytes, Limits::default())
        .unwrap_or_else(|e| panic!("{what}: {e:?}"))
        .blocks
        .into_iter()
        .map(|b| b.text)
        .collect()
}

#[test]
fn pdf_reference_loops_end() {
    let l = Limits::default();
    // Pages that are their own kids, contents and fonts that refer to each other, a form
    // XObject that draws itself, a Length that is a reference loop.
    let objs = vec![
        b("<< /Type /Catalog /Pages 2 0 R >>"),
        b("<< /Type /Pages /Kids [3 0 R 2 0 R 6 0 R 1 0 R] /Count 4 >>"),
        b(
            "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> /XObject << /X1 8 0 R >> >> >>",
        ),
        b("5 0 R"),
        b("4 0 R"),
        b("<< /Type /Pages /Kids [6 0 R 2 0 R] /Parent 6 0 R >>"),
        b("9 0 R"),
        stream(
            "/Type /XObject /Subtype /Form /Length 10 0 R /Resources << /XObject << /X1 8 0 R >> >>",
            b"/X1 Do BT /F1 12 Tf (loop) Tj ET",
        ),
        b("7 0 R"),
        b("8 0 R"),
    ];
    let r = read_pdf("pdf reference loops", build_pdf(&objs, ""), l);
    assert!(r.is_err() || r.as_ref().unwrap().blocks.len() < 10, "{r:?}");
    // A Length that refers to its own stream, a Resources loop through the page tree.
    let objs = vec![
        b("<< /Type /Catalog /Pages 2 0 R >>"),
        b("<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources 3 0 R >>"),
        b("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources 2 0 R >>"),
        stream("/Length 4 0 R", HELLO),
    ];
    let r = read_pdf("pdf self-referring length", build_pdf(&objs, ""), l);
    // No font resources can be found, so no "Hello world" either.
    assert!(r.as_ref().map_or(true, |e| e.blocks.len() <= 1), "{r:?}");
}

#[test]
fn pdf_declaring_a_1gb_stream_reads_what_is_there() {
    let objs = simple_pdf_objects(stream("/Length 1073741824", HELLO));
    assert_eq!(
        pdf_text("pdf 1 GB stream", build_pdf(&objs, "")),
        vec!["Hello world"]
    );
    // A declared 1 GB Flate stream whose data is short: read what is there.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(HELLO).unwrap();
    let data = z.finish().unwrap();
    let objs = simple_pdf_objects(stream("/Length 1073741824 /Filter /FlateDecode", &data));
    assert_eq!(
        pdf_text("pdf 1 GB flate stream", build_pdf(&objs, "")),
        vec!["Hello world"]
    );
}

#[test]
fn pdf_flate_bomb_is_refused_as_too_complex() {
    // 64 MiB of spaces in a content stream, against a 16 MiB limit on inflated bytes.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..64 {
        z.write_all(&spaces).unwrap();
    }
    let data = z.finish().unwrap();
    assert!(data.len() < 1 << 20, "bomb is {} bytes", data.len());
    let objs = simple_pdf_objects(stream(
        &format!("/Length {} /Filter /FlateDecode", data.len()),
        &data,
    ));
    let l = Limits {
        max_inflated_bytes: 16 << 20,
        ..Limits::default()
    };
    let r = read_pdf("pdf flate bomb", build_pdf(&objs, ""), l);
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
}

#[test]
fn pdf_xref_pointing_nowhere_is_rebuilt() {
    let good = build_pdf(
        &simple_pdf_objects(stream(&format!("/Length {}", HELLO.len()), HELLO)),
        "",
    );
    assert_eq!(pdf_text("pdf good", good.clone()), vec!["Hello world"]);
    // startxref beyond the end.
    let s = String::from_utf8_lossy(&good).into_owned();
    let i = s.rfind("startxref").unwrap();
    let mut bad = good[..i].to_vec();
    bad.extend_from_slice(b"startxref\n99999999\n%%EOF\n");
    assert_eq!(
        pdf_text("pdf startxref beyond the end", bad),
        vec!["Hello world"]
    );
    // Every xref entry off by 7 bytes (entries are 20 bytes: "0000000009 00000 n \n").
    let mut moved = 0;
    let shifted = s
        .lines()
        .map(|line| match line.strip_suffix(" 00000 n ") {
            Some(off) if off.len() == 10 => {
                moved += 1;
                format!("{:010} 00000 n ", off.parse::<usize>().unwrap() + 7)
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(moved, 5, "the five objects' entries");
    assert_eq!(
        pdf_text("pdf xref shifted", shifted.into_bytes()),
        vec!["Hello world"]
    );
    // No xref, no trailer at all.
    let j = s.find("xref\n0").unwrap();
    assert_eq!(
        pdf_text("pdf without xref", good[..j].to_vec()),
        vec!["Hello world"]
    );
    // A /Prev chain that loops.
    let mut looped = good[..i].to_vec();
    looped.extend_from_slice(
        format!("trailer << /Root 1 0 R /Prev {j} >>\nstartxref\n{j}\n%%EOF\n").as_bytes(),
    );
    assert_eq!(pdf_text("pdf /Prev loop", looped), vec!["Hello world"]);
}

#[test]
fn pdf_hostile_structures_are_bounded() {
    let l = Limits::default();
    // Arrays nested 100,000 deep inside an object.
    let deep = format!(
        "<< /Type /Catalog /Pages 2 0 R /X {} >>",
        "[".repeat(100_000)
    );
    let mut objs = simple_pdf_objects(stream("/Length 44", HELLO));
    objs[0] = b(&deep);
    read_pdf("pdf arrays nested 100,000 deep", build_pdf(&objs, ""), l).ok();
    // A content stream of 900,000 operators and unbalanced q/BT.
    let content = format!("{} {}", "q BT 1 ".repeat(300_000), "Q ".repeat(300_000));
    let objs = simple_pdf_objects(stream(
        &format!("/Length {}", content.len()),
        content.as_bytes(),
    ));
    let r = read_pdf("pdf unbalanced q/BT", build_pdf(&objs, ""), l);
    assert!(r.as_ref().map_or(true, |e| e.blocks.is_empty()), "{r:?}");
    // A huge /Size and /W in an xref stream, an object stream claiming a million objects.
    let objs = vec![
        b("<< /Type /Catalog /Pages 2 0 R >>"),
        b("<< /Type /Pages /Kids [] /Count 0 >>"),
        stream(
            "/Type /XRef /Size 999999999 /W [1 8 8] /Index [0 999999999] /Length 3",
            b"abc",
        ),
        stream("/Type /ObjStm /N 1000000 /First 0 /Length 3", b"1 0"),
    ];
    let r = read_pdf("pdf huge xref stream", build_pdf(&objs, ""), l);
    assert!(r.is_err(), "a PDF without pages has no text: {r:?}");
    // An inline image with no EI, a string that never closes.
    let content = b"BT /F1 12 Tf (never closed BI /W 1 ID \x00\x01\x02";
    let objs = simple_pdf_objects(stream(&format!("/Length {}", content.len()), content));
    read_pdf("pdf unclosed string", build_pdf(&objs, ""), l).ok();
    // A time budget of 1 ms stops a real report.
    let tiny = Limits {
        max_millis: 1,
        ..Limits::default()
    };
    let r = read_pdf("pdf 1 ms budget", fixture("hubei-plain.pdf"), tiny);
    assert!(matches!(r, Err(ReadError::TooComplex { .. })), "{r:?}");
}

// ------------------------------------------------------------------ html / text

#[test]
fn html_nested_100000_deep_is_read() {
    let l = Limits::default();
    let mut s = String::new();
    for _ in 0..100_000 {
        s.push_str("<div><table><tr><td>");
    }
    s.push_str("正文在最深处。");
    // Dropping the deep tree must not overflow either (the tree is a flat arena): covered by
    // the read returning.
    let e = within("html nested 100,000 deep", move || {
        format::extract("deep.html", s.as_bytes(), &l)
    })
    .unwrap();
    assert!(
        e.blocks.iter().any(|b| b.text.contains("正文在最深处")),
        "{e:?}"
    );
    check_bounded("html", &Ok(e), &l);
    // Unclosed inline elements, and a page that is one huge attribute.
    let s = format!("<p>{}正文</p>", "<b><i><span><font>".repeat(50_000));
    let r = within("html unclosed inline elements", move || {
        html::read(s.as_bytes(), &l)
    });
    check_bounded("html", &r, &l);
    let s = format!("<div title=\"{}\">x</div>", "a".repeat(5_000_000));
    let r = within("html huge attribute", move || html::read(s.as_bytes(), &l));
    check_bounded("html", &r, &l);
    assert!(
        r.as_ref()
            .map_or(true, |e| e.blocks.iter().all(|b| !b.text.contains("aaaa"))),
        "an attribute is not text: {r:?}"
    );
}

#[test]
fn random_bytes_are_refused_or_bounded() {
    let l = Limits::default();
    let mut rng: u64 = 0x2545F4914F6CDD1D;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let prefixes: [&[u8]; 6] = [
        b"",
        b"%PDF-1.7\n",
        b"PK\x03\x04",
        b"<html><body>",
        b"\xEF\xBB\xBF",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
    ];
    for i in 0..RANDOM_INPUTS {
        let len = (next() % 70_000) as usize;
        let mut v = prefixes[i % prefixes.len()].to_vec();
        v.extend((0..len).map(|_| next() as u8));
        let v = Arc::new(v);
        all_readers("random bytes", v.clone(), l);
        let r = within("random bytes as .docx", move || {
            format::extract("x.docx", &v, &l)
        });
        // Whatever the bytes, a .docx name gives a refusal: no zip, a zip with nothing
        // readable, or an old format.
        assert!(r.is_err(), "random bytes {i} read as {r:?}");
    }
}

/// How many random inputs `random_bytes_are_refused_or_bounded` tries.
const RANDOM_INPUTS: usize = 300;

// ------------------------------------------------------------------ mangled corpus

/// Every fixture, and a text with page chrome repeated.
fn corpus() -> Vec<Vec<u8>> {
    DOCX_FIXTURES
        .iter()
        .chain(&[
            "hubei-plain.pdf",
            "henan-headings.pdf",
            "pdf-gbk-euc-h.pdf",
            "pdf-winansi.pdf",
            "pdf-pua-tounicode.pdf",
            "henan-gbk.html",
            "hubei-table.html",
        ])
        .map(|n| fixture(n))
        .chain(std::iter::once(
            "下载\n打印\n2026年政府工作报告\n来源：某日报\n各位代表：\n"
                .repeat(200)
                .into_bytes(),
        ))
        .collect()
}

/// The corpus, read once per test run.
fn shared_corpus() -> &'static [Vec<u8>] {
    static CORPUS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(corpus)
}

#[derive(Debug, Clone)]
enum Mangle {
    Truncate(f64),
    Flip(Vec<(f64, u8)>),
    Splice {
        from: usize,
        at: f64,
        start: f64,
        len: usize,
    },
    Insert(f64, Vec<u8>),
    ZeroRun(f64, usize),
}

fn mangle_strategy() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mangle::Truncate),
        prop::collection::vec((0.0..1.0f64, any::<u8>()), 1..64).prop_map(Mangle::Flip),
        (0..12usize, 0.0..1.0f64, 0.0..1.0f64, 1..4096usize).prop_map(|(from, at, start, len)| {
            Mangle::Splice {
                from,
                at,
                start,
                len,
            }
        }),
        (0.0..1.0f64, prop::collection::vec(any::<u8>(), 1..512))
            .prop_map(|(a, v)| Mangle::Insert(a, v)),
        (0.0..1.0f64, 1..100_000usize).prop_map(|(a, n)| Mangle::ZeroRun(a, n)),
    ]
}

fn apply(src: &[u8], m: &Mangle, corpus: &[Vec<u8>]) -> Vec<u8> {
    let pos = |f: f64, len: usize| ((len as f64) * f) as usize;
    let mut v = src.to_vec();
    match m {
        Mangle::Truncate(f) => v.truncate(pos(*f, v.len())),
        Mangle::Flip(flips) => {
            for (f, x) in flips {
                let i = pos(*f, v.len()).min(v.len().saturating_sub(1));
                if let Some(b) = v.get_mut(i) {
                    *b ^= x | 1;
                }
            }
        }
        Mangle::Splice {
            from,
            at,
            start,
            len,
        } => {
            let other = &corpus[*from % corpus.len()];
            let s = pos(*start, other.len());
            let piece = &other[s..(s + len).min(other.len())];
            let at = pos(*at, v.len());
            v.splice(at..at, piece.iter().copied());
        }
        Mangle::Insert(f, bytes) => {
            let at = pos(*f, v.len());
            v.splice(at..at, bytes.iter().copied());
        }
        Mangle::ZeroRun(f, n) => {
            let at = pos(*f, v.len());
            let end = (at + n).min(v.len());
            for b in &mut v[at..end] {
                *b = 0;
            }
        }
    }
    v
}

/// How many mangled files the property test tries.
const MANGLED_CASES: u32 = 160;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: MANGLED_CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mangled_files_are_refused_or_bounded(
        which in 0..12usize,
        m1 in mangle_strategy(),
        m2 in mangle_strategy(),
    ) {
        let corpus = shared_corpus();
        let src = &corpus[which % corpus.len()];
        let once = apply(src, &m1, corpus);
        let twice = apply(&once, &m2, corpus);
        let l = Limits::default();
        all_readers("mangled once", Arc::new(once), l);
        all_readers("mangled twice", Arc::new(twice), l);
    }
}

#[test]
fn every_fixture_under_tight_limits_is_refused_or_bounded() {
    // Small budgets must give TooComplex (or a normal result within them), never a panic.
    let tight = [
        Limits {
            max_inflated_bytes: 10_000,
            ..Limits::default()
        },
        Limits {
            max_text_chars: 100,
            ..Limits::default()
        },
        Limits {
            max_depth: 3,
            ..Limits::default()
        },
        Limits {
            max_input_bytes: 1_000,
            ..Limits::default()
        },
    ];
    for f in corpus() {
        let f = Arc::new(f);
        for l in tight {
            all_readers("a fixture under tight limits", f.clone(), l);
        }
    }
    // The fixtures larger than 1,000 bytes are refused under that input limit by every reader.
    let l = tight[3];
    for f in corpus().into_iter().filter(|f| f.len() > 1_000) {
        for (name, read) in READERS {
            let r = read(&f, &l);
            assert!(
                matches!(r, Err(ReadError::TooComplex { .. })),
                "{name}: {r:?}"
            );
        }
    }
}
