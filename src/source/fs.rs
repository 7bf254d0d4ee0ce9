//! Reads a migration directory from disk into [`SourceFile`]s: each candidate file is
//! read once. Unreadable files and symlink loops become `unreadable-file` findings
//! later, not crashes.

use sqlgate_core::catalog::{is_candidate, Content, SourceFile};
use sqlgate_core::Error;
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
    // Paths to read, collected first and read in parallel below.
    let mut to_read: Vec<(std::path::PathBuf, String)> = Vec::new();
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
                    to_read.push((path, name));
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
                        to_read.push((child.path(), rel));
                    }
                }
            }
            Ok(_) => {}
        }
    }
    files.extend(read_all(to_read));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Reads files on a few threads (directories of thousands of small files are
/// dominated by system-call latency).
fn read_all(paths: Vec<(std::path::PathBuf, String)>) -> Vec<SourceFile> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    if paths.len() < 64 || threads == 1 {
        return paths
            .into_iter()
            .map(|(p, rel)| read_one(&p, rel))
            .collect();
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(p, rel)| read_one(p, rel.clone()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(paths.len());
        for (h, part) in handles.into_iter().zip(paths.chunks(chunk)) {
            match h.join() {
                Ok(read) => out.extend(read),
                // A reader thread died: read its share here.
                Err(_) => out.extend(part.iter().map(|(p, rel)| read_one(p, rel.clone()))),
            }
        }
        out
    })
}

fn read_one(path: &Path, rel: String) -> SourceFile {
    let content = match fs::read(path) {
        Ok(bytes) => Content::Bytes(bytes),
        Err(e) => Content::Unreadable(e.to_string()),
    };
    SourceFile { path: rel, content }
}
