//! Flyway's naming: `V1__init.sql` and dotted versions `V1.2.3__add_x.sql` (compared
//! part by part), `U1.2.3__add_x.sql` undo files (the down), and `R__views.sql`
//! repeatable migrations, re-applied after the versioned ones whenever they change;
//! a `V1__init.sql.conf` beside a script holds its settings (`executeInTransaction`).

use super::{Hints, Role, Scheme};
use crate::catalog::Version;
use crate::model::Layout;

pub struct Flyway;

/// `(prefix, version, description)` of a Flyway file name without `.sql`.
fn split(stem: &str) -> Option<(char, &str, &str)> {
    let prefix = stem.chars().next()?;
    let rest = &stem[prefix.len_utf8()..];
    let (version, description) = rest.split_once("__")?;
    Some((prefix, version, description))
}

impl Scheme for Flyway {
    fn name(&self) -> &'static str {
        "Flyway's `V<version>__<name>.sql`"
    }

    fn rank(&self) -> u8 {
        3
    }

    fn classify(&self, path: &str) -> Option<(Role, String)> {
        if path.contains('/') {
            return None;
        }
        // `V1__x.sql.conf` beside the script: its per-script settings
        // (`executeInTransaction=false`).
        if let Some(script) = path.strip_suffix(".sql.conf") {
            let (prefix, version, description) = split(script)?;
            return (prefix == 'V'
                && !description.is_empty()
                && Version::parse_dotted(version).is_some())
            .then(|| (Role::Meta, format!("V{version}__{description}")));
        }
        let stem = path.strip_suffix(".sql")?;
        let (prefix, version, description) = split(stem)?;
        if description.is_empty() {
            return None;
        }
        match prefix {
            'R' if version.is_empty() => Some((Role::Repeatable, stem.to_string())),
            'V' | 'U' if Version::parse_dotted(version).is_some() => Some((
                if prefix == 'V' { Role::Up } else { Role::Down },
                // Named as the versioned file (`V1__init`), which its undo joins.
                format!("V{version}__{description}"),
            )),
            _ => None,
        }
    }

    fn has_dialects(&self) -> bool {
        false
    }

    fn parse_name(&self, stem: &str) -> Result<(Version, String), crate::Invalid> {
        let (version, description) = stem
            .strip_prefix('V')
            .unwrap_or(stem)
            .split_once("__")
            .ok_or_else(|| {
                crate::Invalid::FileName(format!("`{stem}` is not `<version>__<description>`"))
            })?;
        let v = Version::parse_dotted(version).ok_or_else(|| {
            crate::Invalid::FileName(format!(
                "`{version}` is not a Flyway version (digits and dots)"
            ))
        })?;
        Ok((v, description.to_string()))
    }

    fn layout(&self, _: Hints) -> Layout {
        Layout::Flyway
    }

    fn names(&self, layout: Layout) -> bool {
        layout == Layout::Flyway
    }
}
