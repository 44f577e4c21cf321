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

/// Files (relative to `src/`) whose text before their tests, strings and comments included,
/// contains `needle`.
fn files_with_text(needle: &str) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(_, text)| {
            let end = text.find("#[cfg(test)]").unwrap_or(text.len());
            text[..end].contains(needle)
        })
        .map(|(rel, _)| rel)
        .collect()
}

#[test]
fn only_the_telegram_front_end_knows_telegrams_limits_and_html() {
    assert_only_in(
        &[
            "TELEGRAM_MAX_CHARS",
            "MAX_CALLBACK_BYTES",
            "escape_html",
            "split_html",
            "parse_mode",
        ],
        &["telegram/"],
        "only `telegram` knows Telegram's limits and HTML",
    );
    // The web page reader reads HTML, it does not write Telegram's.
    for tag in ["<b>", "</b>", "<i>", "&lt;", "&amp;"] {
        let offenders: Vec<String> = files_with_text(tag)
            .into_iter()
            .filter(|f| !f.starts_with("telegram/") && f != "knowledge/format/html.rs")
            .collect();
        assert!(
            offenders.is_empty(),
            "Telegram HTML `{tag}` in {offenders:?}"
        );
    }
}

#[test]
fn grading_imports_neither_tantivy_nor_the_search() {
    for (rel, text) in sources()
        .into_iter()
        .filter(|(r, _)| r.starts_with("grade/"))
    {
        let code = code_only(&text);
        for needle in ["tantivy", "crate::search", "crate::index"] {
            assert!(
                !code.contains(needle),
                "grade works on plain data: `{needle}` in {rel}"
            );
        }
    }
}

/// The top-level modules of the crate that `code` names through `crate::`.
fn crate_modules(code: &str) -> Vec<String> {
    let mut out: Vec<String> = code
        .match_indices("crate::")
        .filter_map(|(i, _)| {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_knowledge_module_imports_nothing_above_the_leaves() {
    for (rel, text) in sources()
        .into_iter()
        .filter(|(r, _)| r.starts_with("knowledge/"))
    {
        for m in crate_modules(&code_only(&text)) {
            assert!(
                ["knowledge", "text", "fsutil", "time", "places"].contains(&m.as_str()),
                "knowledge reads files into documents and imports only leaves: crate::{m} in {rel}"
            );
        }
    }
}

#[test]
fn front_ends_call_the_answer_step_and_no_lower_one() {
    let lower = [
        "search_from",
        ".search(",
        "Answer::from_hits",
        "grade::grade",
        "grade::decide",
        "suggest::suggestions",
        "excerpt::excerpt",
        "Question::parse",
    ];
    for needle in lower {
        let offenders: Vec<String> = files_with(needle)
            .into_iter()
            .filter(|f| f.starts_with("cli/") || f.starts_with("telegram/"))
            .collect();
        assert!(
            offenders.is_empty(),
            "front ends go through answer::respond: `{needle}` in {offenders:?}"
        );
    }
    for front in ["cli/mod.rs", "telegram/answers.rs", "telegram/inline.rs"] {
        assert!(
            sources()
                .iter()
                .any(|(rel, text)| rel == front && code_only(text).contains("answer::respond")),
            "{front} answers through answer::respond"
        );
    }
}

/// The module path of a source file: `telegram/answers.rs` is [telegram, answers],
/// `search/mod.rs` is [search]; `lib.rs` and `main.rs` are the root.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// The modules each module's code refers to (through `crate::…` and `super::…` paths,
/// `super::Item` resolved through its parent's `pub use` re-exports), as module paths.
fn module_graph() -> std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>
{
    use std::collections::{BTreeMap, BTreeSet};
    let files = sources();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(r, _)| module_of(r)).collect();
    // A file's own tests (`mod tests { use super::*; }`) are not its imports.
    let code: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(r, t)| {
            let c = code_only(t);
            let end = c.find("#[cfg(test)]").unwrap_or(c.len());
            (module_of(r), c[..end].to_owned())
        })
        .collect();
    // `pub use child::{A, B}` / `pub use child::A;` of a module: item -> child.
    let reexports = |m: &Vec<String>| -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(c) = code.get(m) else { return out };
        for line in c
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("pub use "))
        {
            let rest = line.trim_start_matches("pub use ").trim_end_matches(';');
            let Some((child, items)) = rest.split_once("::") else {
                continue;
            };
            for item in items.trim_matches(|c| c == '{' || c == '}').split(',') {
                let item = item.trim().split(" as ").next().unwrap_or_default();
                if !item.is_empty() {
                    out.insert(item.to_owned(), child.to_owned());
                }
            }
        }
        out
    };
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, c) in &code {
        let mut targets = BTreeSet::new();
        for (root, base) in [
            ("crate::", Vec::new()),
            ("super::", m[..m.len().saturating_sub(1)].to_vec()),
        ] {
            for (i, _) in c.match_indices(root) {
                if i > 0
                    && c[..i].ends_with(|ch: char| ch.is_alphanumeric() || ch == '_' || ch == ':')
                {
                    continue;
                }
                let path: Vec<String> = c[i + root.len()..]
                    .split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == ':'))
                    .next()
                    .unwrap_or_default()
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                // Braced groups (`crate::{a, b}`) name several paths.
                let after = &c[i + root.len()..];
                let mut heads: Vec<Vec<String>> = vec![path.clone()];
                if after.starts_with('{') {
                    let group = &after[1..after.find('}').unwrap_or(after.len() - 1).max(1)];
                    heads = group
                        .split(',')
                        .map(|p| {
                            p.trim()
                                .split("::")
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned)
                                .collect()
                        })
                        .collect();
                }
                for head in heads {
                    let mut target = base.clone();
                    for seg in &head {
                        let mut next = target.clone();
                        next.push(seg.clone());
                        if modules.contains(&next) {
                            target = next;
                        } else {
                            if target == base
                                && let Some(child) = reexports(&base).get(seg)
                            {
                                target.push(child.clone());
                            }
                            break;
                        }
                    }
                    if &target != m {
                        targets.insert(target);
                    }
                }
            }
        }
        graph.insert(m.clone(), targets);
    }
    graph
}

/// A cycle among `nodes` following `edges`, if there is one.
fn find_cycle(
    edges: &std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>,
) -> Option<Vec<Vec<String>>> {
    use std::collections::BTreeMap;
    fn visit(
        n: &Vec<String>,
        edges: &BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for next in edges.get(n).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == next).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_back_in_a_circle() {
    use std::collections::{BTreeMap, BTreeSet};
    let graph = module_graph();
    let show = |c: &[Vec<String>]| {
        c.iter()
            .map(|m| m.join("::"))
            .collect::<Vec<_>>()
            .join(" -> ")
    };
    // Between the crate's top-level modules.
    let mut top: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, targets) in &graph {
        for t in targets {
            if let (Some(a), Some(b)) = (m.first(), t.first())
                && a != b
            {
                top.entry(vec![a.clone()])
                    .or_default()
                    .insert(vec![b.clone()]);
            }
        }
    }
    assert!(
        find_cycle(&top).is_none(),
        "import circle: {}",
        show(&find_cycle(&top).unwrap())
    );
    // Between the rooms of each folder, its own mod.rs included.
    let folders: BTreeSet<Vec<String>> = graph
        .keys()
        .filter(|m| m.len() >= 2)
        .map(|m| m[..m.len() - 1].to_vec())
        .collect();
    for folder in folders {
        let mut local: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (m, targets) in &graph {
            let inside = |x: &Vec<String>| x.len() <= folder.len() + 1 && x.starts_with(&folder);
            if !inside(m) {
                continue;
            }
            for t in targets.iter().filter(|t| t.starts_with(&folder)) {
                let t = t[..(folder.len() + 1).min(t.len())].to_vec();
                if &t != m {
                    local.entry(m.clone()).or_default().insert(t);
                }
            }
        }
        assert!(
            find_cycle(&local).is_none(),
            "import circle in {}: {}",
            folder.join("/"),
            show(&find_cycle(&local).unwrap())
        );
    }
    // The check sees what it looks for.
    assert!(
        graph[&vec!["telegram".to_owned(), "answers".to_owned()]]
            .contains(&vec!["answer".to_owned()])
    );
}

/// Log calls (`log::warn!(…);` up to their end) naming a user or a chat: a captured `{user}`,
/// `{chat}` or `{from}`, or an id read off a message (`.id.0`, `chat.id`, `chat_id`).
fn logs_naming_people(text: &str) -> Vec<String> {
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    let text = &text[..end];
    let suspicious = [
        "{user",
        "{chat",
        "{from",
        "{resident",
        ".id.0",
        "chat.id",
        "chat_id",
    ];
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("log::") {
        let start = at + i;
        let call = &text[start..];
        let stop = call.find(");").map_or(call.len(), |e| e + 2);
        let call = &call[..stop];
        if call[5..]
            .split('!')
            .next()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_lowercase()))
            && suspicious.iter().any(|s| call.contains(s))
        {
            found.push(call.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        at = start + 5;
    }
    found
}

#[test]
fn no_log_line_names_a_user_or_a_chat() {
    let planted = "fn f() { log::warn!(\"refused from {user}\"); log::info!(\"ok {id}\"); }";
    assert_eq!(
        logs_naming_people(planted).len(),
        1,
        "the check sees a planted one"
    );
    let offenders: Vec<(String, String)> = sources()
        .into_iter()
        .flat_map(|(rel, text)| {
            logs_naming_people(&text)
                .into_iter()
                .map(move |l| (rel.clone(), l))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "the log holds no user or chat ids: {offenders:?}"
    );
}
