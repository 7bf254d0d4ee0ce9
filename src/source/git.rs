//! Reads the migration directory as it is on a base git ref, in a fixed number of git
//! processes (`ls-tree` + `cat-file --batch`), fetching the base commit into a shallow
//! clone when it is missing.

use sqlgate_core::catalog::text::escape_name;
use sqlgate_core::catalog::{is_candidate, Content, SourceFile};
use sqlgate_core::Error;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The migration directory at the base ref.
#[derive(Debug)]
pub struct BaseTree {
    /// Candidate files, paths relative to the migration directory.
    pub files: Vec<SourceFile>,
    /// Candidate file paths at the merge base of the base and `HEAD`, when git can
    /// compute it (not in a shallow clone that lacks the history).
    pub merge_base_paths: Option<HashSet<String>>,
}

fn git(top: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(top).env("GIT_TERMINAL_PROMPT", "0");
    c
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, Error> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git(format!("cannot run git to {what}: {e}. Is git installed?")))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(Error::Git(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn trimmed(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// The repository's top-level directory and the migration directory relative to it.
pub fn locate(dir: &Path) -> Result<(PathBuf, String), Error> {
    let top = run(
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--show-toplevel"]),
        "find the git repository",
    )
    .map_err(|e| {
        Error::Git(format!(
            "`{}` is not inside a git repository, which --base needs ({e})",
            dir.display()
        ))
    })?;
    let top = PathBuf::from(trimmed(top));
    let canon_top = top.canonicalize().unwrap_or_else(|_| top.clone());
    let canon_dir = dir
        .canonicalize()
        .map_err(|e| Error::Usage(format!("cannot resolve `{}`: {e}", dir.display())))?;
    let rel = canon_dir.strip_prefix(&canon_top).map_err(|_| {
        Error::Git(format!(
            "`{}` is outside the repository `{}`",
            dir.display(),
            top.display()
        ))
    })?;
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok((canon_top, rel))
}

/// The content of the file at `path` (relative to the working directory) as it is at
/// `reference`; `None` when the file does not exist there.
pub fn file_at(path: &Path, reference: &str) -> Result<Option<Vec<u8>>, Error> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Io(format!("cannot read the working directory: {e}")))?;
    let full = cwd.join(path);
    let parent = full.parent().unwrap_or(&cwd).to_path_buf();
    let (top, rel_dir) = locate(&parent)?;
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rel = if rel_dir.is_empty() {
        name
    } else {
        format!("{rel_dir}/{name}")
    };
    let commit = resolve_or_fetch(&top, reference)?;
    let out = git(&top)
        .args(["cat-file", "blob", &format!("{commit}:{rel}")])
        .output()
        .map_err(|e| Error::Git(format!("cannot run git cat-file: {e}")))?;
    Ok(out.status.success().then_some(out.stdout))
}

fn resolve(top: &Path, reference: &str) -> Option<String> {
    run(
        git(top).args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ]),
        "resolve the base ref",
    )
    .ok()
    .map(trimmed)
    .filter(|s| !s.is_empty())
}

fn is_sha(s: &str) -> bool {
    s.len() >= 7 && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Resolves `reference` to a commit, fetching it from `origin` when the clone lacks
/// it (GitHub's default checkout is a shallow clone of one commit).
pub fn resolve_or_fetch(top: &Path, reference: &str) -> Result<String, Error> {
    if let Some(c) = resolve(top, reference) {
        return Ok(c);
    }
    let shallow = run(
        git(top).args(["rev-parse", "--is-shallow-repository"]),
        "inspect the clone",
    )
    .map(trimmed)
    .unwrap_or_default()
        == "true";
    let branch = reference.strip_prefix("origin/").unwrap_or(reference);
    let mut targets = Vec::new();
    if is_sha(reference) {
        targets.push(reference.to_string());
    } else {
        targets.push(format!("+refs/heads/{branch}:refs/remotes/origin/{branch}"));
        targets.push(format!("+refs/tags/{branch}:refs/tags/{branch}"));
    }
    let mut last_error = String::from("no remote tried");
    for target in &targets {
        let mut cmd = git(top);
        cmd.args(["fetch", "--quiet", "--no-tags"]);
        if shallow {
            cmd.arg("--depth=1");
        }
        cmd.args(["origin", target]);
        match run(&mut cmd, "fetch the base ref") {
            Ok(_) => {
                if let Some(c) = resolve(top, reference).or_else(|| resolve(top, "FETCH_HEAD")) {
                    return Ok(c);
                }
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(Error::Git(format!(
        "the base ref `{reference}` is not in this clone and could not be fetched from `origin` ({last_error}). \
         In GitHub Actions use `actions/checkout` with `fetch-depth: 0`, or run `git fetch origin {branch}` before sqlgate."
    )))
}

/// Lists `(oid, path relative to rel_dir, name not UTF-8)` of candidate blobs under
/// `rel_dir` at `commit`. Symlinks (mode 120000) are not migrations.
fn ls_tree(top: &Path, commit: &str, rel_dir: &str) -> Result<Vec<(String, String, bool)>, Error> {
    let mut cmd = git(top);
    cmd.args(["ls-tree", "-r", "-z", "--full-tree", commit]);
    if !rel_dir.is_empty() {
        cmd.args(["--", rel_dir]);
    }
    let out = run(&mut cmd, "list the base tree")?;
    let prefix = if rel_dir.is_empty() {
        String::new()
    } else {
        format!("{rel_dir}/")
    };
    let mut entries = Vec::new();
    for record in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let Some(tab) = record.iter().position(|&b| b == b'\t') else {
            continue;
        };
        let meta = String::from_utf8_lossy(&record[..tab]);
        let (path, not_utf8) = escape_name(&record[tab + 1..]);
        let mut parts = meta.split(' ');
        let (Some(mode), Some(kind), Some(oid)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if kind != "blob" || mode == "120000" {
            continue;
        }
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if is_candidate(rel) {
            entries.push((oid.to_string(), rel.to_string(), not_utf8));
        }
    }
    Ok(entries)
}

/// The bytes of each entry `(oid, path, _)`: the working file's where its object id
/// matches, the rest from `git cat-file`.
fn base_blobs(
    top: &Path,
    entries: &[(String, String, bool)],
    working: &[SourceFile],
) -> Result<Vec<Vec<u8>>, Error> {
    let by_path: std::collections::HashMap<&str, &[u8]> = working
        .iter()
        .filter(|f| !f.name_not_utf8)
        .filter_map(|f| match &f.content {
            Content::Bytes(b) => Some((f.path.as_str(), b.as_slice())),
            _ => None,
        })
        .collect();
    let mut known: Vec<Option<Vec<u8>>> = entries
        .iter()
        .map(|(oid, path, not_utf8)| {
            let bytes = by_path.get(path.as_str()).filter(|_| !not_utf8)?;
            (blob_id(bytes, oid.len()).as_deref() == Some(oid.as_str())).then(|| bytes.to_vec())
        })
        .collect();
    let missing: Vec<&str> = entries
        .iter()
        .zip(&known)
        .filter(|(_, k)| k.is_none())
        .map(|((oid, ..), _)| oid.as_str())
        .collect();
    let mut fetched = if missing.is_empty() {
        Vec::new()
    } else {
        cat_blobs(top, &missing)?
    }
    .into_iter();
    for slot in known.iter_mut().filter(|k| k.is_none()) {
        *slot = fetched.next();
    }
    Ok(known.into_iter().map(Option::unwrap_or_default).collect())
}

/// Git's object id of a blob with these bytes, in lower-case hex: SHA-1 for a
/// 40-digit id, SHA-256 for a 64-digit one (`None` for anything else).
fn blob_id(bytes: &[u8], hex_digits: usize) -> Option<String> {
    use sha2::Digest;
    let header = format!("blob {}\0", bytes.len());
    let digest: Vec<u8> = match hex_digits {
        40 => {
            let mut h = sha1::Sha1::new();
            h.update(header.as_bytes());
            h.update(bytes);
            h.finalize().to_vec()
        }
        64 => {
            let mut h = sha2::Sha256::new();
            h.update(header.as_bytes());
            h.update(bytes);
            h.finalize().to_vec()
        }
        _ => return None,
    };
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads many blobs in one `git cat-file --batch` process.
fn cat_blobs(top: &Path, oids: &[&str]) -> Result<Vec<Vec<u8>>, Error> {
    let mut child = git(top)
        .args(["cat-file", "--batch", "--buffer"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Git(format!("cannot run git cat-file: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Git("git cat-file has no stdin".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Git("git cat-file has no stdout".into()))?;
    let result = std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let mut buf = String::with_capacity(oids.len() * 41);
            for oid in oids {
                buf.push_str(oid);
                buf.push('\n');
            }
            let r = stdin.write_all(buf.as_bytes());
            drop(stdin);
            r
        });
        let mut reader = BufReader::with_capacity(1 << 16, stdout);
        let mut blobs = Vec::with_capacity(oids.len());
        let mut header = Vec::new();
        for oid in oids {
            header.clear();
            reader
                .read_until(b'\n', &mut header)
                .map_err(|e| Error::Git(format!("reading git cat-file: {e}")))?;
            let h = String::from_utf8_lossy(&header);
            let mut f = h.split_whitespace();
            let size = match (f.next(), f.next(), f.next()) {
                (Some(_), Some("blob"), Some(size)) => size.parse::<usize>().map_err(|_| {
                    Error::Git(format!("unexpected git cat-file header `{}`", h.trim()))
                })?,
                _ => {
                    return Err(Error::Git(format!(
                        "git cat-file could not read {oid}: `{}`",
                        h.trim()
                    )))
                }
            };
            let mut blob = vec![0u8; size + 1];
            reader
                .read_exact(&mut blob)
                .map_err(|e| Error::Git(format!("reading git cat-file: {e}")))?;
            blob.pop();
            blobs.push(blob);
        }
        let written = writer.join();
        match written {
            Ok(Ok(())) => Ok(blobs),
            Ok(Err(e)) => Err(Error::Git(format!("writing to git cat-file: {e}"))),
            Err(_) => Err(Error::Git("the git cat-file writer stopped".into())),
        }
    });
    let status = child
        .wait()
        .map_err(|e| Error::Git(format!("git cat-file: {e}")))?;
    let blobs = result?;
    if !status.success() {
        return Err(Error::Git("git cat-file failed".into()));
    }
    Ok(blobs)
}

/// Loads the migration directory `dir` as it is at `reference`.
/// The commit checked out in the repository holding `dir`, if it is one.
pub fn head(dir: &Path) -> Option<String> {
    let (top, _) = locate(dir).ok()?;
    let out = run(git(&top).args(["rev-parse", "HEAD"]), "git rev-parse HEAD").ok()?;
    Some(String::from_utf8_lossy(&out).trim().to_string()).filter(|s| !s.is_empty())
}

/// `working` is the working tree's reading of the same directory: a base file whose
/// object id is the id of the working file at the same path has that file's bytes,
/// so only the blobs that differ are read from git (a pull request changes a few
/// files of thousands). Ids are git's own (SHA-1, or SHA-256 in a SHA-256
/// repository); a file that git filters on checkout (line endings, LFS) simply has
/// another id and is read from git.
pub fn load_base(dir: &Path, reference: &str, working: &[SourceFile]) -> Result<BaseTree, Error> {
    let (top, rel) = locate(dir)?;
    let commit = resolve_or_fetch(&top, reference)?;
    let entries = ls_tree(&top, &commit, &rel)?;
    let blobs = base_blobs(&top, &entries, working)?;
    let base_paths = || entries.iter().map(|(_, p, _)| p.clone()).collect();
    // Where the branch forked; usually the base commit itself (the base has not
    // moved since), whose tree was just listed.
    let merge_base_paths = run(
        git(&top).args(["merge-base", &commit, "HEAD"]),
        "find the merge base",
    )
    .ok()
    .map(trimmed)
    .and_then(|mb| {
        if mb == commit {
            Some(base_paths())
        } else {
            ls_tree(&top, &mb, &rel)
                .ok()
                .map(|entries| entries.into_iter().map(|(_, p, _)| p).collect())
        }
    });
    let files = entries
        .into_iter()
        .zip(blobs)
        .map(|((_, path, name_not_utf8), bytes)| SourceFile {
            path,
            content: Content::Bytes(bytes),
            name_not_utf8,
        })
        .collect();
    Ok(BaseTree {
        files,
        merge_base_paths,
    })
}

#[cfg(test)]
mod tests {
    /// The object ids `blob_id` computes are git's (`git hash-object`), SHA-1 and
    /// SHA-256: a wrong one would quietly read every base file from git.
    #[test]
    fn blob_ids_are_git_s() {
        for (format, digits) in [("sha1", 40), ("sha256", 64)] {
            let t = tempfile::tempdir().expect("tempdir");
            let init = std::process::Command::new("git")
                .args(["init", "-q", &format!("--object-format={format}")])
                .arg(t.path())
                .status()
                .expect("git init");
            assert!(init.success());
            for bytes in [
                &b""[..],
                b"create table t (id int);\n",
                b"a\r\nb\r\n\xef\xbb\xbf",
            ] {
                let file = t.path().join("f");
                std::fs::write(&file, bytes).expect("write");
                let out = std::process::Command::new("git")
                    .arg("-C")
                    .arg(t.path())
                    .args(["hash-object", "f"])
                    .output()
                    .expect("git hash-object");
                let want = String::from_utf8_lossy(&out.stdout).trim().to_string();
                assert_eq!(
                    super::blob_id(bytes, digits).as_deref(),
                    Some(want.as_str())
                );
            }
        }
        assert_eq!(super::blob_id(b"x", 12), None);
    }
}
