//! The real binary, as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
}

fn run(args: &[&str], data: &std::path::Path, stdin: &str) -> (bool, String, String) {
    let mut child = bin()
        .args(args)
        .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
        .env("LIANGHUI_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ask_prints_excerpts_with_sources() {
    let data = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(&["ask", "今年全区经济增长目标是多少？"], data.path(), "");
    assert!(ok, "{err}");
    assert!(
        out.contains("【经济】【增长】6.5%") || out.contains("【经济增长】6.5%"),
        "{out}"
    );
    assert!(
        out.contains("—— 北关区政府工作报告 · 预期目标 全区经济增长6.5% · 2024年5月31日"),
        "{out}"
    );
}

#[test]
fn ask_json_reads_stdin_line_by_line() {
    let data = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(
        &["ask", "--json", "--top", "2"],
        data.path(),
        "人才公寓政策\n比特币多少钱\n\n\u{feff}瓶改管\n",
    );
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    assert_eq!(first["question"], "人才公寓政策");
    let results = first["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 2);
    for key in [
        "rank",
        "score",
        "doc",
        "title",
        "section",
        "passage_id",
        "text",
        "excerpt",
    ] {
        assert!(!results[0][key].is_null(), "missing {key}");
    }
    assert_eq!(results[0]["rank"], 1);
    assert!(
        results[0]["text"]
            .as_str()
            .unwrap()
            .contains("人才公寓450套")
    );
    assert_eq!(
        lines[1]["results"].as_array().unwrap().len(),
        0,
        "off-topic must abstain"
    );
    assert!(
        lines[2]["error"].is_string(),
        "an empty line gets an error, not a crash"
    );
    assert!(!lines[3]["results"].as_array().unwrap().is_empty());
}

#[test]
fn chat_answers_commands_and_questions() {
    let data = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(
        &["chat"],
        data.path(),
        "/sources\n一岗一房\n/unknown\n/quit\n不会读到这里\n",
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("北关区第十一届人民代表大会第四次会议召开"),
        "{out}"
    );
    assert!(out.contains("【一岗一房】"), "{out}");
    assert!(out.contains("未知命令"), "{out}");
}

#[test]
fn index_builds_then_reuses_and_check_validates() {
    let data = tempfile::tempdir().unwrap();
    let (ok, out, _) = run(&["index"], data.path(), "");
    assert!(ok && out.starts_with("built 3 documents"), "{out}");
    let (ok, out, _) = run(&["index"], data.path(), "");
    assert!(ok && out.starts_with("up to date"), "{out}");
    let (ok, out, _) = run(&["index", "--check"], data.path(), "");
    assert!(ok && out.contains("0 problems"), "{out}");
}

#[test]
fn missing_folders_and_bad_files_are_one_line_errors() {
    let data = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["--knowledge", "/nonexistent/knowledge", "ask", "x"])
        .env("LIANGHUI_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/knowledge"), "{err}");

    let k = crate::knowledge_copy();
    std::fs::write(k.path().join("dict.txt"), "蓝天实验室\n").unwrap();
    let out = bin()
        .args(["index", "--check"])
        .env("LIANGHUI_KNOWLEDGE_DIR", k.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dict.txt:1"), "{err}");
}

#[test]
fn the_command_line_bounds_what_it_echoes_and_ends_quietly_on_a_closed_pipe() {
    let data = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["ask", "--json"])
        .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
        .env("LIANGHUI_DATA_DIR", data.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}", "问".repeat(200_000)).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(line["question"].as_str().unwrap().chars().count() <= 501);
    assert!(line["error"].as_str().unwrap().contains("characters long"));

    // `eval … | head -1`: the reader goes away after one line.
    let mut child = bin()
        .args([
            "eval",
            &crate::fixture("citizens-dev.tsv").to_string_lossy(),
            "--verbose",
        ])
        .env("LIANGHUI_KNOWLEDGE_DIR", crate::knowledge())
        .env("LIANGHUI_DATA_DIR", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("panicked"),
        "{stderr}"
    );
}
