//! What can be checked of the Docker image without Docker: the Dockerfile's stages, user and
//! paths, that its HEALTHCHECK and CMD are commands of the binary, and that every setting the
//! Dockerfile and compose.yaml pass is one the binary reads. (`../shared/docker/verify.sh`
//! builds and runs the image for real; it needs a Docker daemon.)

use std::process::Command;

fn read(name: &str) -> String {
    std::fs::read_to_string(crate::root().join(name)).unwrap()
}

/// The Dockerfile's instructions, continuation lines joined.
fn instructions() -> Vec<(String, String)> {
    let text = read("Dockerfile").replace("\\\n", " ");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(char::is_whitespace)
                .map(|(a, b)| (a.to_ascii_uppercase(), b.trim().to_owned()))
        })
        .collect()
}

fn all(keyword: &str) -> Vec<String> {
    instructions()
        .into_iter()
        .filter(|(k, _)| k == keyword)
        .map(|(_, v)| v)
        .collect()
}

/// The words of an exec-form instruction: `["lianghui-bot", "serve"]`.
fn exec_form(text: &str) -> Vec<String> {
    let start = text.find('[').expect("exec form");
    serde_json::from_str(&text[start..]).unwrap()
}

/// `lianghui-bot` with `args` and no environment of ours.
fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lianghui-bot"))
        .args(args)
        .env_clear()
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_image_builds_in_stages_and_runs_as_a_user() {
    let from = all("FROM");
    assert_eq!(from.len(), 2, "{from:?}");
    assert!(from[0].ends_with("AS build"), "{from:?}");
    let copies = all("COPY");
    assert!(
        copies
            .iter()
            .any(|c| c.starts_with("--from=build") && c.ends_with("/usr/local/bin/lianghui-bot")),
        "{copies:?}"
    );
    // Dependencies are built in a layer before the sources are copied.
    let text = read("Dockerfile");
    let deps = text.find("cargo build").unwrap();
    assert!(
        deps < text.find("COPY src src").unwrap(),
        "dependencies first"
    );
    assert!(text.contains("CARGO_PROFILE_RELEASE_STRIP=symbols"));
    let user = all("USER");
    assert_eq!(user.len(), 1);
    assert!(!matches!(user[0].as_str(), "root" | "0"), "{user:?}");
    assert!(text.contains("--uid 10001"));
    assert!(all("VOLUME").contains(&"/data".to_owned()));
    assert!(text.contains("ca-certificates"));
    let ignored = read(".dockerignore");
    assert!(ignored.lines().any(|l| l == "target") && ignored.lines().any(|l| l == "data"));
}

#[test]
fn healthcheck_and_cmd_are_commands_of_the_binary() {
    let health = all("HEALTHCHECK");
    assert_eq!(health.len(), 1);
    let words = exec_form(&health[0]);
    assert_eq!(words[0], "lianghui-bot");
    let args: Vec<&str> = words[1..]
        .iter()
        .map(String::as_str)
        .chain(["--help"])
        .collect();
    let (ok, help) = run(&args);
    assert!(ok, "{help}");
    let cmd = exec_form(&all("CMD")[0]);
    let (ok, help) = run(&[cmd[1].as_str(), "--help"]);
    assert!(ok && cmd[0] == "lianghui-bot", "{help}");
}

/// Names of settings in `text`: words such as LIANGHUI_DATA_DIR or TELOXIDE_TOKEN.
fn setting_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| (w.starts_with("LIANGHUI_") || w.starts_with("TELOXIDE_")) && w.len() > 9)
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_setting_docker_passes_is_one_the_binary_reads() {
    let (_, help) = run(&["serve", "--help"]);
    let (_, top) = run(&["--help"]);
    let read_by_binary = setting_names(&format!("{help}{top}"));
    for file in ["Dockerfile", "compose.yaml"] {
        let passed = setting_names(&read(file));
        assert!(!passed.is_empty(), "{file}");
        for name in passed {
            assert!(
                read_by_binary.contains(&name),
                "{file} sets {name}, which the binary does not read: {read_by_binary:?}"
            );
        }
    }
    // The image keeps the knowledge admins change on the data volume, seeded from the bundle.
    let text = read("Dockerfile");
    assert!(text.contains("LIANGHUI_KNOWLEDGE_DIR=/data/knowledge"));
    assert!(
        text.contains("LIANGHUI_KNOWLEDGE_SEED=/app/knowledge")
            && text.contains("COPY knowledge /app/knowledge")
    );
    assert!(
        text.contains("RUST_LOG=warn,lianghui_bot=info"),
        "the README's default"
    );
    let compose = read("compose.yaml");
    assert!(compose.contains("restart: unless-stopped") && compose.contains(":/data"));
}
