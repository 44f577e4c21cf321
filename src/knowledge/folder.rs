//! The knowledge folder on disk, and the only code that writes it: saving and removing report
//! files and the synonyms file (each change returned as a [`FileChange`] that puts the file
//! back exactly), seeding an empty folder from the bundled reports, checking that it is
//! writable, cleaning what an interrupted save left, and the names uploads may take.

use std::path::{Path, PathBuf};

use super::{ANNOUNCEMENTS_ID, DICT_FILE, KnowledgeError, SYNONYMS_FILE, format};
use crate::fsutil;

/// The prefix of the temporary files a save writes (and a restart removes).
const TMP_PREFIX: &str = ".upload-";

/// Why an uploaded file cannot be saved under its name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{0:?} is not a file the knowledge folder reads (.docx, .pdf, .html, .txt, .md)")]
    NotText(String),
    #[error("{0} is the dictionary or synonyms file, which is edited in the folder itself")]
    Reserved(String),
    #[error("the file name has control characters or is longer than {MAX_NAME_BYTES} bytes")]
    Unusable,
    #[error("the name {0} is kept for the bot's own announcements")]
    ReservedId(String),
}

/// Longest file name accepted, in bytes (what file systems allow).
pub const MAX_NAME_BYTES: usize = 255;

/// The file name an upload is saved under: its last path component, which must name a report
/// file that is not the dictionary or the synonyms, have no control characters, fit a file
/// system, and not take the announcements' id.
pub fn upload_name(raw: &str) -> Result<String, NameError> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(NameError::Unusable);
    }
    if name.is_empty() || !format::is_report_file(name) {
        return Err(NameError::NotText(raw.to_owned()));
    }
    if name == DICT_FILE || name == SYNONYMS_FILE {
        return Err(NameError::Reserved(name.to_owned()));
    }
    if super::document_id(Path::new(name)) == ANNOUNCEMENTS_ID {
        return Err(NameError::ReservedId(name.to_owned()));
    }
    Ok(name.to_owned())
}

/// Fills an empty or missing knowledge folder with the files of `seed` (the bundled reports),
/// so that the folder admins change can live on a data volume. A folder with files is left
/// as it is: it is the admins'.
pub fn seed(dir: &Path, seed: &Path) -> Result<(), KnowledgeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| KnowledgeError::Io { path, error }
    };
    let has_files = std::fs::read_dir(dir)
        .map(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().is_file())))
        .unwrap_or(false);
    if has_files || !seed.is_dir() || dir == seed {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|error| match error.kind() {
        std::io::ErrorKind::PermissionDenied => KnowledgeError::NotWritable {
            path: dir.to_path_buf(),
            user: fsutil::process_user(),
        },
        _ => io(dir)(error),
    })?;
    let mut copied = 0;
    for entry in std::fs::read_dir(seed).map_err(io(seed))? {
        let from = entry.map_err(io(seed))?.path();
        if let (true, Some(name)) = (from.is_file(), from.file_name()) {
            std::fs::copy(&from, dir.join(name)).map_err(io(&from))?;
            copied += 1;
        }
    }
    log::info!(
        "knowledge folder {} set up with {copied} files from {}",
        dir.display(),
        seed.display()
    );
    Ok(())
}

/// Whether this process may write in the knowledge folder (uploads, /synonym); the error says
/// why not.
pub fn writable(dir: &Path) -> std::io::Result<()> {
    fsutil::probe_writable(dir, ".upload-probe-")
}

/// Removes what an interrupted save left in the knowledge folder (`.upload-*` files).
pub fn clean_leftovers(dir: &Path) {
    fsutil::remove_leftovers(
        dir,
        TMP_PREFIX,
        fsutil::Leftover::Files,
        "an interrupted upload",
    );
}

/// A change made to one file of the knowledge folder, with what was there before, so that it
/// can be undone exactly.
#[derive(Debug)]
#[must_use = "a change is undone through its FileChange"]
pub struct FileChange {
    path: PathBuf,
    previous: Option<Vec<u8>>,
}

impl FileChange {
    /// Puts the file back as it was before the change (or removes it if it did not exist).
    pub fn undo(self) -> Result<(), KnowledgeError> {
        let io = |error| KnowledgeError::Io {
            path: self.path.clone(),
            error,
        };
        match &self.previous {
            Some(bytes) => fsutil::write_atomic(&self.path, bytes, TMP_PREFIX).map_err(io),
            None => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
                _ => Ok(()),
            },
        }
    }
}

/// The bytes of `path` in the knowledge folder, or None when there is no such file.
pub(super) fn read_previous(path: &Path) -> Result<Option<Vec<u8>>, KnowledgeError> {
    fsutil::read_if_exists(path).map_err(|error| KnowledgeError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// Saves `bytes` as `name` in the knowledge folder, replacing any file of that name.
pub fn save_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<FileChange, KnowledgeError> {
    let path = dir.join(name);
    let previous = read_previous(&path)?;
    fsutil::write_atomic(&path, bytes, TMP_PREFIX).map_err(|error| KnowledgeError::Io {
        path: path.clone(),
        error,
    })?;
    Ok(FileChange { path, previous })
}

/// Removes `name` from the knowledge folder; None when there is no such file.
pub fn remove_file(dir: &Path, name: &str) -> Result<Option<FileChange>, KnowledgeError> {
    let path = dir.join(name);
    let Some(previous) = read_previous(&path)? else {
        return Ok(None);
    };
    std::fs::remove_file(&path).map_err(|error| KnowledgeError::Io {
        path: path.clone(),
        error,
    })?;
    Ok(Some(FileChange {
        path,
        previous: Some(previous),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_checked() {
        assert_eq!(upload_name("报告.md").unwrap(), "报告.md");
        assert_eq!(upload_name("../../etc/x.txt").unwrap(), "x.txt");
        assert!(matches!(
            upload_name("dict.txt"),
            Err(NameError::Reserved(_))
        ));
        for good in ["a.pdf", "a.DOCX", "page.htm", "old.doc", "old.wps"] {
            assert_eq!(upload_name(good).as_deref(), Ok(good));
        }
        for bad in ["", ".hidden.md", "a.xlsx", "a.zip", "dir/", "a\\"] {
            assert!(
                matches!(upload_name(bad), Err(NameError::NotText(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_empty_folder_is_seeded_once() {
        let seed_dir = tempfile::tempdir().unwrap();
        std::fs::write(seed_dir.path().join("a.md"), "# 甲\n\n正文。\n").unwrap();
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("knowledge");
        seed(&dir, seed_dir.path()).unwrap();
        assert!(dir.join("a.md").is_file());
        std::fs::write(dir.join("a.md"), "changed by an admin").unwrap();
        seed(&dir, seed_dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("a.md")).unwrap(),
            "changed by an admin"
        );
        assert!(writable(&dir).is_ok());
    }

    #[test]
    fn file_changes_undo_exactly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "old").unwrap();
        let change = save_file(dir.path(), "a.md", b"new").unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), b"new");
        change.undo().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), b"old");
        let added = save_file(dir.path(), "b.md", b"x").unwrap();
        added.undo().unwrap();
        assert!(!dir.path().join("b.md").exists());
        let removed = remove_file(dir.path(), "a.md").unwrap().unwrap();
        assert!(!dir.path().join("a.md").exists());
        removed.undo().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), b"old");
        assert!(remove_file(dir.path(), "none.md").unwrap().is_none());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
