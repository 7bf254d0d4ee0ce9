//! `sqlgate create <name>`: writes the files the core planned for the next migration.

use crate::app;
use crate::config::Settings;
use sqlgate_core::create::plan;
use sqlgate_core::Error;

/// Creates the migration files and prints their paths.
pub fn run(settings: &Settings, name: &str) -> Result<i32, Error> {
    if !settings.dir.exists() {
        std::fs::create_dir_all(&settings.dir)
            .map_err(|e| Error::Io(format!("cannot create `{}`: {e}", settings.dir.display())))?;
    }
    let cat = app::load_catalog(settings)?;
    let planned = plan(
        &cat,
        name,
        settings.layout,
        settings.numbering,
        chrono::Utc::now(),
    )
    .map_err(Error::Usage)?;
    for f in &planned {
        let path = settings.dir.join(&f.path);
        if path.exists() {
            return Err(Error::Usage(format!("`{}` already exists", path.display())));
        }
    }
    let mut out = String::new();
    for f in planned {
        let path = settings.dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Io(format!("cannot create `{}`: {e}", parent.display())))?;
        }
        std::fs::write(&path, f.content)
            .map_err(|e| Error::Io(format!("cannot write `{}`: {e}", path.display())))?;
        out.push_str(&format!("created {}\n", path.display()));
    }
    app::print(&out)?;
    Ok(0)
}
