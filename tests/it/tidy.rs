//! Architecture invariants from the README, checked on the source text so that breaking one
//! fails a test: which module may import teloxide, read the environment, write the knowledge
//! folder or the index; no `QueryParser`; no function longer than about 80 lines.

use std::path::{Path, PathBuf};

/// Every Rust file under `src/`, with its path relative to `src/` and its text.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = crate::root().join("src");
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The code of a file without comments, string and character literals (replaced by spaces, so
/// lines keep their numbers).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                out.push(blank(chars[i]));
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !prev_is_ident(&chars, i)
        {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = chars[j + 1..].iter().collect();
            let end = rest.find(&close).map_or(chars.len(), |b| {
                j + 1 + rest[..b].chars().count() + close.len()
            });
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            let end = if chars[i + 1] != '\\' {
                i + 2
            } else if matches!(chars.get(i + 2), Some('\'' | '\\')) {
                i + 3
            } else {
                (i + 2..chars.len())
                    .find(|&k| chars[k] == '\'')
                    .unwrap_or(i)
            };
            for _ in i..=end.min(chars.len() - 1) {
                out.push(' ');
            }
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// A `'` that opens a character literal rather than a lifetime or label.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

/// Files (relative to `src/`) whose code contains `needle`.
fn files_with(needle: &str) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(_, text)| code_only(text).contains(needle))
        .map(|(rel, _)| rel)
        .collect()
}

fn assert_only_in(needles: &[&str], allowed: &[&str], rule: &str) {
    for needle in needles {
        let offenders: Vec<String> = files_with(needle)
            .into_iter()
            .filter(|f| {
                !allowed
                    .iter()
                    .any(|a| f == a || (a.ends_with('/') && f.starts_with(a)))
            })
            .collect();
        assert!(offenders.is_empty(), "{rule}: `{needle}` in {offenders:?}");
    }
}

#[test]
fn only_the_telegram_front_end_imports_teloxide() {
    assert_only_in(
        &["teloxide"],
        &["telegram/"],
        "only `telegram` imports teloxide",
    );
}

#[test]
fn only_main_reads_the_environment() {
    assert_only_in(
        &[
            "env::var",
            "env::args",
            "env::vars",
            "env_logger::Env",
            "std::env",
        ],
        &["main.rs"],
        "only `main` reads the environment",
    );
}

#[test]
fn user_text_never_reaches_the_query_parser() {
    assert_only_in(&["QueryParser"], &[], "queries are built from terms");
}

#[test]
fn only_knowledge_writes_the_knowledge_folder_and_only_index_the_index() {
    let writes = [
        "fs::write",
        "fs::rename",
        "fs::remove_file",
        "fs::remove_dir",
        "fs::copy",
        "File::create",
        "OpenOptions",
        "create_dir",
    ];
    // The knowledge folder, the index and the database are written by their own modules,
    // through the leaf helpers of `fsutil` where they share them.
    assert_only_in(
        &writes,
        &["knowledge/", "index/", "store/", "fsutil.rs"],
        "files are written only by their owners",
    );
    assert_only_in(
        &[
            "fsutil::write_atomic",
            "fsutil::remove_leftovers",
            "fsutil::probe_writable",
        ],
        &["knowledge/", "index/", "store/"],
        "only the owners of the folders use the write helpers",
    );
    assert_only_in(
        &["IndexWriter", "writer_with_num_threads", "Index::create"],
        &["index/"],
        "only `index` writes the index",
    );
}

/// Functions longer than `max` lines: (file, line, name, length).
fn long_functions(max: usize) -> Vec<(String, usize, String, usize)> {
    let mut out = Vec::new();
    for (rel, text) in sources() {
        let code = code_only(&text);
        let lines: Vec<&str> = code.lines().collect();
        for (start, line) in lines.iter().enumerate() {
            let Some(at) = line.find("fn ") else { continue };
            if at > 0 && !line[..at].ends_with(char::is_whitespace) {
                continue;
            }
            let name: String = line[at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                continue;
            }
            // From the first `{` after the signature to the brace that closes it.
            let (mut depth, mut opened, mut end) = (0i32, false, None);
            'scan: for (n, l) in lines.iter().enumerate().skip(start) {
                for c in l.chars() {
                    match c {
                        ';' if !opened && depth == 0 => break 'scan,
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => {
                            depth -= 1;
                            if opened && depth == 0 {
                                end = Some(n);
                                break 'scan;
                            }
                        }
                        _ => {}
                    }
                }
            }
            if let Some(end) = end {
                let len = end - start + 1;
                if len > max {
                    out.push((rel.clone(), start + 1, name, len));
                }
            }
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_about_80_lines() {
    let long = long_functions(80);
    assert!(long.is_empty(), "functions too long: {long:?}");
}

#[test]
fn the_checks_themselves_see_what_they_look_for() {
    // The scanner must not be blind: strings and comments are skipped, code is not.
    let code =
        code_only("let a = \"teloxide\"; // teloxide\nuse teloxide::x; let c = '\"'; r#\"{\"#;");
    assert_eq!(code.matches("teloxide").count(), 1, "{code}");
    assert!(!files_with("pub mod telegram").is_empty());
    assert!(files_with("QueryParser").is_empty());
    // A long function is found, with its name.
    let long = long_functions(1);
    assert!(
        long.iter()
            .any(|(f, _, name, _)| f == "main.rs" && name == "main"),
        "{long:?}"
    );
}
