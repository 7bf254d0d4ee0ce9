//! Reads a migration directory from disk into [`SourceFile`]s: each candidate file is
//! read once. Unreadable files and symlink loops become `unreadable-file` findings
//! later, not crashes.

use super::{is_candidate, Content, SourceFile};
use crate::error::Error;
use std::fs;
use std::path::Path;

/// Reads every candidate file of `dir` (top-level `.sql` files and `up.sql` /
/// `down.sql` / `metadata.toml` of migration folders). Paths are relative with `/`.
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| {
        Error::Usage(format!(
            "cannot read the migration directory `{}`: {e}. Pass --dir or set `dir` in sqlgate.toml.",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            Error::Usage(format!(
                "cannot list the migration directory `{}`: {e}",
                dir.display()
            ))
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        match fs::metadata(&path) {
            Err(e) => {
                // A dangling symlink or a loop: report it if it looks like a migration.
                if is_candidate(&name) {
                    files.push(SourceFile {
                        path: name,
                        content: Content::Unreadable(e.to_string()),
                    });
                }
            }
            Ok(meta) if meta.is_file() => {
                if is_candidate(&name) {
                    files.push(read_one(&path, name));
                }
            }
            Ok(meta) if meta.is_dir() => {
                if !name.starts_with(|c: char| c.is_ascii_digit()) {
                    continue;
                }
                let Ok(sub) = fs::read_dir(&path) else {
                    files.push(SourceFile {
                        path: format!("{name}/up.sql"),
                        content: Content::Unreadable("the folder cannot be listed".into()),
                    });
                    continue;
                };
                for child in sub.flatten() {
                    let child_name = child.file_name().to_string_lossy().into_owned();
                    let rel = format!("{name}/{child_name}");
                    if is_candidate(&rel) {
                        files.push(read_one(&child.path(), rel));
                    }
                }
            }
            Ok(_) => {}
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn read_one(path: &Path, rel: String) -> SourceFile {
    let content = match fs::read(path) {
        Ok(bytes) => Content::Bytes(bytes),
        Err(e) => Content::Unreadable(e.to_string()),
    };
    SourceFile { path: rel, content }
}
