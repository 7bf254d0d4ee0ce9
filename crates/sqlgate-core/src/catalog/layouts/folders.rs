//! One folder per migration: `2019-02-26-002946_create_user/up.sql` + `down.sql`, with
//! diesel's `metadata.toml` (lemmy, diesel); Prisma's `<folder>/migration.sql`.

use super::{Hints, Role, Scheme};
use crate::model::Layout;

pub struct Folders;

impl Scheme for Folders {
    fn name(&self) -> &'static str {
        "one folder per migration"
    }

    fn rank(&self) -> u8 {
        0
    }

    fn classify(&self, path: &str) -> Option<(Role, String)> {
        let (folder, file) = path.split_once('/')?;
        if file.contains('/') || !folder.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let role = match file.to_ascii_lowercase().as_str() {
            // Prisma: `20240101000000_init/migration.sql`, no down.
            "up.sql" | "migration.sql" => Role::Up,
            "down.sql" => Role::Down,
            "metadata.toml" => Role::Meta,
            _ => return None,
        };
        Some((role, folder.to_string()))
    }

    fn has_dialects(&self) -> bool {
        false
    }

    fn layout(&self, _: Hints) -> Layout {
        Layout::Folders
    }

    fn names(&self, layout: Layout) -> bool {
        layout == Layout::Folders
    }
}
