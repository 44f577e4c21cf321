//! Leaf helpers for files that several owners need: writing a file atomically, reading one
//! that may not exist, probing whether a folder is writable, removing what an interrupted
//! write left behind, and naming the user this process runs as (for messages about
//! permissions). Every arrow points down to this module; it imports nothing of the crate.
//!
//! It decides nothing about which folder is whose: `knowledge` alone writes the knowledge
//! folder, `index` the index and `store` the database, each through these helpers.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `bytes` to `path` through a temporary file in the same folder (named
/// `<tmp_prefix><pid>-<n>.tmp`) and a rename, so the file is either the old one or the new
/// one, never half written; the temporary file never outlives the call.
pub fn write_atomic(path: &Path, bytes: &[u8], tmp_prefix: &str) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!("{tmp_prefix}{}-{n}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The bytes of `path`, or None when there is no such file.
pub fn read_if_exists(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether this process may create files in `dir`: writes and removes an empty probe file
/// named `<prefix><pid>`; the error says why not.
pub fn probe_writable(dir: &Path, prefix: &str) -> std::io::Result<()> {
    let probe = dir.join(format!("{prefix}{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// What an interrupted write leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftover {
    /// Temporary files (an upload's).
    Files,
    /// Temporary folders (an index build's).
    Folders,
}

/// Removes the entries of `dir` whose names start with `prefix` and that are of the kind
/// `what`, logging each (`why` says what left them); a missing folder has none.
pub fn remove_leftovers(dir: &Path, prefix: &str, what: Leftover, why: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let kind = match what {
            Leftover::Files => path.is_file(),
            Leftover::Folders => path.is_dir(),
        };
        if !name.starts_with(prefix) || !kind {
            continue;
        }
        let removed = match what {
            Leftover::Files => std::fs::remove_file(&path),
            Leftover::Folders => std::fs::remove_dir_all(&path),
        };
        match removed {
            Ok(()) => log::info!("removed {name}, left by {why}"),
            Err(err) => log::warn!("cannot remove {name}: {err}"),
        }
    }
}

/// "uid 10001" of this process (Linux), for messages about file permissions.
pub fn process_user() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().next().map(|uid| format!("uid {uid}")))
        })
        .unwrap_or_else(|| "this user".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_nothing_behind_and_leftovers_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one", ".upload-").unwrap();
        write_atomic(&path, b"two", ".upload-").unwrap();
        assert_eq!(read_if_exists(&path).unwrap().as_deref(), Some(&b"two"[..]));
        assert_eq!(read_if_exists(&dir.path().join("none")).unwrap(), None);
        let names = |d: &Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(dir.path()), vec!["a.txt"]);
        std::fs::write(dir.path().join(".upload-1-1.tmp"), "half").unwrap();
        std::fs::create_dir(dir.path().join(".build-1")).unwrap();
        remove_leftovers(dir.path(), ".upload-", Leftover::Files, "a test");
        remove_leftovers(dir.path(), ".build-", Leftover::Folders, "a test");
        assert_eq!(names(dir.path()), vec!["a.txt"]);
        assert!(probe_writable(dir.path(), ".probe-").is_ok());
        assert_eq!(names(dir.path()), vec!["a.txt"]);
        assert!(process_user().starts_with("uid ") || process_user() == "this user");
    }
}
