//! `001_x.up.sql` + `001_x.down.sql` (golang-migrate, sqlx, harbor, kratos).

use super::{strip_suffix_ci, Hints, Role, Scheme};
use crate::model::Layout;

pub struct Pairs;

impl Scheme for Pairs {
    fn name(&self) -> &'static str {
        "`.up.sql`/`.down.sql` pairs"
    }

    fn rank(&self) -> u8 {
        1
    }

    fn classify(&self, path: &str) -> Option<(Role, String)> {
        if path.contains('/') {
            return None;
        }
        if let Some(stem) = strip_suffix_ci(path, ".up.sql") {
            Some((Role::Up, stem.to_string()))
        } else {
            strip_suffix_ci(path, ".down.sql").map(|stem| (Role::Down, stem.to_string()))
        }
    }

    fn layout(&self, _: Hints) -> Layout {
        Layout::Pairs
    }

    fn names(&self, layout: Layout) -> bool {
        layout == Layout::Pairs
    }
}
