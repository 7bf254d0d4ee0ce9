//! `--scratch auto` with a cache directory (`scratch_cache`, `SQLGATE_SCRATCH_CACHE`):
//! the private server's data directory, saved right after the shipped history's base
//! was built (before any pull-request SQL ran) and restored by later runs instead of
//! `initdb` and the replay of the shipped migrations. An entry is named and checked by
//! the base's key (the hash of exactly what built it, [`base::key`]); one whose key
//! file does not match is not used, and is rebuilt. The directory suits
//! `actions/cache`: docs/security.md says why a pull request cannot write into it.

use super::base::{self, Key};
use crate::scratch::LocalServer;
use sqlgate_core::Error;
use std::path::{Path, PathBuf};

/// How many saved servers the directory keeps (the newest).
const KEEP: usize = 3;
/// The file beside a saved data directory that holds the base's full key.
const KEY_FILE: &str = "KEY";

/// A cache entry: `<dir>/<base name>/{data, KEY}`.
fn entry(dir: &Path, key: &Key) -> PathBuf {
    dir.join(&key.name)
}

/// The saved data directory for `key`, when there is one whose key file matches.
pub fn saved(dir: &Path, key: &Key) -> Option<PathBuf> {
    let e = entry(dir, key);
    let written = std::fs::read_to_string(e.join(KEY_FILE)).ok()?;
    (written == key.full && e.join("data").join("PG_VERSION").is_file()).then(|| e.join("data"))
}

/// Saves the server's data directory for `key` (written beside and renamed into
/// place, so a reader never sees half of it), then keeps the newest [`KEEP`].
pub fn store(server: &LocalServer, dir: &Path, key: &Key) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::Io(format!(
            "cannot create the scratch cache {}: {e}",
            dir.display()
        ))
    })?;
    let tmp = dir.join(format!(".{}.{}", key.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", tmp.display())))?;
    let result = server.save(&tmp.join("data")).and_then(|()| {
        std::fs::write(tmp.join(KEY_FILE), &key.full)
            .map_err(|e| Error::Io(format!("cannot write the cache key: {e}")))?;
        let target = entry(dir, key);
        let _ = std::fs::remove_dir_all(&target);
        std::fs::rename(&tmp, &target)
            .map_err(|e| Error::Io(format!("cannot move the cache entry into place: {e}")))
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    prune(dir);
    result
}

/// Removes all but the newest [`KEEP`] entries.
fn prune(dir: &Path) {
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("sqlgate_base_"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    entries.sort();
    while entries.len() > KEEP {
        let (_, p) = entries.remove(0);
        let _ = std::fs::remove_dir_all(p);
    }
}

/// The key the cache is looked up by: the base's, for the local binaries' version.
pub fn key(
    cat: &sqlgate_core::catalog::Catalog,
    is_new: &dyn Fn(&sqlgate_core::catalog::Migration) -> bool,
    opts: &super::ReplayOptions,
) -> Option<Key> {
    let major = LocalServer::binaries_major()?;
    base::key(cat, is_new, opts.vars, opts.extensions, &major)
}
