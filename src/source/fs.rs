//! Reads a migration directory from disk into [`SourceFile`]s. Only regular files
//! inside the directory are read — a symlink is followed only to a file inside the
//! directory, and never a FIFO, socket or device — each at most `max_file_size`
//! bytes, each once. Everything else becomes an `unreadable-file` finding that names
//! the file and says why, never its content. Names that are not UTF-8 keep their
//! bytes (escaped) so two such files are two migrations.

use sqlgate_core::catalog::text::escape_name;
use sqlgate_core::catalog::{is_candidate, Content, SourceFile};
use sqlgate_core::Error;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What to read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files larger than this are not read (`max_file_size`).
    pub max_file_size: u64,
}

/// A file to read, or why it is not read.
enum Entry {
    Read(PathBuf),
    Refused(String),
}

/// Reads every candidate file of `dir` (top-level `.sql` files and `up.sql` /
/// `down.sql` / `metadata.toml` of migration folders). Paths are relative with `/`.
pub fn read_dir(dir: &Path, limits: Limits) -> Result<Vec<SourceFile>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| {
        Error::Usage(format!(
            "cannot read the migration directory `{}`: {e}. Pass --dir or set `dir` in sqlgate.toml.",
            dir.display()
        ))
    })?;
    // Symlinks may point at files inside the directory, nowhere else.
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut found: Vec<(String, bool, Entry)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            Error::Usage(format!(
                "cannot list the migration directory `{}`: {e}",
                dir.display()
            ))
        })?;
        let (name, not_utf8) = escape_name(entry.file_name().as_bytes());
        let path = entry.path();
        // The listing's own file type (no `stat` on most file systems).
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let Ok(sub) = fs::read_dir(&path) else {
                found.push((
                    format!("{name}/up.sql"),
                    not_utf8,
                    Entry::Refused("the folder cannot be listed".into()),
                ));
                continue;
            };
            for child in sub.flatten() {
                let (child_name, child_not_utf8) = escape_name(child.file_name().as_bytes());
                let rel = format!("{name}/{child_name}");
                if is_candidate(&rel) {
                    let entry = match child.file_type() {
                        Ok(k) if k.is_file() => Entry::Read(child.path()),
                        _ => classify(&child.path(), &root),
                    };
                    found.push((rel, not_utf8 || child_not_utf8, entry));
                }
            }
        } else if is_candidate(&name) {
            // A regular file as listed needs no second look (read_one checks what it
            // opened); links and the rest are classified.
            let entry = if kind.is_file() {
                Entry::Read(path)
            } else {
                classify(&path, &root)
            };
            found.push((name, not_utf8, entry));
        }
    }
    let mut files = read_all(found, limits);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// One candidate file of `dir` (`rel` with `/`), read as [`read_dir`] would.
pub fn read_file(dir: &Path, rel: &str, limits: Limits) -> Content {
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match classify(&dir.join(rel), &root) {
        Entry::Read(path) => read_one(&path, limits),
        Entry::Refused(why) => Content::Unreadable(why),
    }
}

/// Whether a candidate path may be read: a regular file, or a symlink to a regular
/// file inside `root`.
fn classify(path: &Path, root: &Path) -> Entry {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return Entry::Refused(e.to_string()),
    };
    if meta.file_type().is_symlink() {
        return match fs::canonicalize(path) {
            Err(e) => Entry::Refused(format!("a symlink that cannot be followed ({e})")),
            Ok(target) if !target.starts_with(root) => Entry::Refused(
                "a symlink to a file outside the migration directory; sqlgate reads only files inside it".into(),
            ),
            Ok(target) => match fs::metadata(&target) {
                Ok(m) if m.is_file() => Entry::Read(target),
                Ok(_) => Entry::Refused("a symlink to something that is not a regular file".into()),
                Err(e) => Entry::Refused(e.to_string()),
            },
        };
    }
    if meta.is_file() {
        Entry::Read(path.to_path_buf())
    } else {
        Entry::Refused(
            "not a regular file (a FIFO, socket or device); sqlgate reads only regular files"
                .into(),
        )
    }
}

/// Reads files on a few threads (directories of thousands of small files are
/// dominated by system-call latency).
fn read_all(found: Vec<(String, bool, Entry)>, limits: Limits) -> Vec<SourceFile> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let one = |(rel, not_utf8, entry): &(String, bool, Entry)| SourceFile {
        path: rel.clone(),
        content: match entry {
            Entry::Read(path) => read_one(path, limits),
            Entry::Refused(why) => Content::Unreadable(why.clone()),
        },
        name_not_utf8: *not_utf8,
    };
    if found.len() < 64 || threads == 1 {
        return found.iter().map(one).collect();
    }
    let chunk = found.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = found
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(found.len());
        for (h, part) in handles.into_iter().zip(found.chunks(chunk)) {
            match h.join() {
                Ok(read) => out.extend(read),
                // A reader thread died: read its share here.
                Err(_) => out.extend(part.iter().map(one)),
            }
        }
        out
    })
}

/// Reads one regular file, at most `max_file_size` bytes. Opened without following
/// a symlink and without blocking, then checked again to be a regular file (it may
/// have been replaced since it was listed).
fn read_one(path: &Path, limits: Limits) -> Content {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file: File = match file {
        Ok(f) => f,
        Err(e) => return Content::Unreadable(e.to_string()),
    };
    let size = match file.metadata() {
        Ok(m) if !m.is_file() => {
            return Content::Unreadable(
                "not a regular file; sqlgate reads only regular files".into(),
            )
        }
        Ok(m) if m.len() > limits.max_file_size => {
            return Content::Unreadable(too_large(m.len(), limits))
        }
        Err(e) => return Content::Unreadable(e.to_string()),
        Ok(m) => m.len(),
    };
    // Room for the whole file and one byte: one read for the bytes, one for the end
    // (a growing buffer costs a probe read and a copy per file: 10,000 files, 10,000
    // more reads). The file may still grow: reading goes on to the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    match file.take(limits.max_file_size + 1).read_to_end(&mut bytes) {
        Ok(n) if n as u64 > limits.max_file_size => {
            Content::Unreadable(too_large(n as u64, limits))
        }
        Ok(_) => Content::Bytes(bytes),
        Err(e) => Content::Unreadable(e.to_string()),
    }
}

fn too_large(size: u64, limits: Limits) -> String {
    format!(
        "{} bytes or more, above the limit of {} bytes (`max_file_size` in sqlgate.toml); it was not read",
        size, limits.max_file_size
    )
}
