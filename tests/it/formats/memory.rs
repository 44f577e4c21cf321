//! Memory on hostile files near the 20 MiB upload limit, bounded where it matters: the real
//! binary reads each file (`lianghui-bot read`, the path an upload takes) with its data
//! segment limited by the kernel (`RLIMIT_DATA`), so an allocation past the bound aborts it.
//! Each file must be refused or read within the bound, whatever it claims or expands to.
//! (The peak heap per format is measured in `benches/formats.rs`.)

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;

const MIB: usize = 1 << 20;
/// The bound on the reading process's data: the readers keep at most 200 MiB inflated and
/// 4 MiB of text; the rest is what the process itself needs.
const DATA_LIMIT: u64 = 512 * MIB as u64;

/// Runs `lianghui-bot read file` with its data limited to `limit` bytes; its exit status.
fn read_within(file: &Path, limit: u64) -> std::process::ExitStatus {
    let mut command = crate::harness::bin();
    command
        .arg("read")
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and touches only the child being started.
    unsafe {
        command.pre_exec(move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &rlimit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    command.status().expect("the binary runs")
}

fn zip_with(name: &str, write: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    write(&mut w);
    w.finish().unwrap().into_inner()
}

fn hostile_files() -> Vec<(&'static str, Vec<u8>)> {
    let mut pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X [".to_vec();
    while pdf.len() < 19 * MIB {
        pdf.extend_from_slice(b"1 ");
    }
    pdf.extend_from_slice(
        b"] >>\nendobj\n2 0 obj << /Type /Pages /Kids [] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    );
    let big_xml = zip_with("word/document.xml", |w| {
        w.write_all(b"<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>")
            .unwrap();
        let chunk = vec![b'a'; MIB];
        for _ in 0..190 {
            w.write_all(&chunk).unwrap();
        }
        w.write_all(b"</w:t></w:r></w:p></w:body></w:document>")
            .unwrap();
    });
    let many_paragraphs = zip_with("word/document.xml", |w| {
        w.write_all(b"<w:document xmlns:w=\"w\"><w:body>").unwrap();
        let para = "<w:p><w:r><w:t>字</w:t></w:r></w:p>".repeat(MIB / 32);
        for _ in 0..150 {
            w.write_all(para.as_bytes()).unwrap();
        }
        w.write_all(b"</w:body></w:document>").unwrap();
    });
    vec![
        ("array.pdf", pdf),
        ("tags.html", "<b>".repeat(19 * MIB / 3).into_bytes()),
        (
            "paragraphs.html",
            format!("<div>{}</div>", "<p>字</p>".repeat(19 * MIB / 12)).into_bytes(),
        ),
        (
            "nested.html",
            format!("{}字{}", "<div>".repeat(100_000), "</div>".repeat(100_000)).into_bytes(),
        ),
        ("lines.txt", "字\n".repeat(19 * MIB / 4).into_bytes()),
        ("inflates.docx", big_xml),
        ("paragraphs.docx", many_paragraphs),
    ]
}

#[test]
fn hostile_files_are_read_or_refused_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in hostile_files() {
        assert!(bytes.len() <= 20 * MIB, "{name} is within the upload limit");
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        // Refused (1) or read (0): never aborted by a failed allocation, never a panic (101).
        let status = read_within(&path, DATA_LIMIT);
        assert!(matches!(status.code(), Some(0 | 1)), "{name}: {status:?}");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn the_memory_bound_is_felt() {
    // The same check fails when the bound is below what reading needs: it can fail.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines.txt");
    std::fs::write(&path, "字\n".repeat(3_000_000)).unwrap();
    let status = read_within(&path, DATA_LIMIT);
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    let status = read_within(&path, 24 * MIB as u64);
    assert!(!matches!(status.code(), Some(0 | 1)), "{status:?}");
}
