//! The fixes as a pull request shows them: a fix that stays inside its file becomes a
//! suggestion on the lines it replaces (one per file, at most [`MAX_LINES`] lines);
//! the others — a migration split into new ones — become one patch `git apply` takes.
//! Pure.

use super::{plan, FileChange, Options, Plan};
use crate::catalog::{display_path, Catalog, Migration, SourceFile};
use crate::model::Finding;

/// The longest stretch of lines one suggestion replaces.
pub const MAX_LINES: usize = 40;

/// A replacement of lines `start_line..=end_line` of `file` (as findings name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub file: String,
    pub start_line: u32,
    pub end_line: u32,
    pub replacement: String,
    /// The rules it fixes, by id.
    pub rules: Vec<&'static str>,
}

/// Inline suggestions, and what only a patch can carry.
#[derive(Debug, Clone, Default)]
pub struct Suggestions {
    pub inline: Vec<Suggestion>,
    /// File changes for the patch, paths relative to the migration directory.
    pub patch: Vec<FileChange>,
}

/// The one stretch of lines where `old` and `new` differ: (first line, lines of old,
/// the new lines), 0-based; a pure insertion takes the line after it (or before, at
/// the end) so there is a line to suggest on.
fn hunk(old: &str, new: &str) -> Option<(usize, usize, Vec<String>)> {
    let o: Vec<&str> = old.lines().collect();
    let n: Vec<&str> = new.lines().collect();
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let max_suffix = o.len().min(n.len()) - prefix;
    let suffix = o
        .iter()
        .rev()
        .zip(n.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let (mut start, mut old_end, mut new_end) = (prefix, o.len() - suffix, n.len() - suffix);
    if start == old_end && start == new_end {
        return None;
    }
    if start == old_end {
        if old_end < o.len() {
            old_end += 1;
            new_end += 1;
        } else if start > 0 {
            start -= 1;
        } else {
            return None; // an empty file
        }
    }
    Some((
        start,
        old_end - start,
        n[start..new_end].iter().map(|s| s.to_string()).collect(),
    ))
}

/// The suggestions for the findings of the migrations `is_new` accepts.
pub fn suggest(
    cat: &Catalog,
    files: &[SourceFile],
    is_new: &dyn Fn(&Migration) -> bool,
    findings: &[Finding],
    opts: &Options,
) -> Suggestions {
    let mut out = Suggestions::default();
    let mut for_patch: Vec<Finding> = Vec::new();
    for m in cat.migrations.iter().filter(|m| is_new(m)) {
        let file = display_path(opts.dir, &m.up.path);
        let mine: Vec<Finding> = findings
            .iter()
            .filter(|f| f.file == file && super::has_fix(f.rule.rule()))
            .cloned()
            .collect();
        if mine.is_empty() {
            continue;
        }
        let only = |m2: &Migration| m2.up.path == m.up.path;
        let p: Plan = plan(cat, files, &only, &mine, opts);
        let inline = match p.changes.as_slice() {
            [c] if c.path == m.up.path => c.old.as_deref().and_then(|old| hunk(old, &c.new)),
            _ => None,
        };
        match inline {
            Some((start, lines, new)) if lines <= MAX_LINES => {
                let mut rules: Vec<&'static str> = p
                    .outcomes
                    .iter()
                    .filter(|o| o.not_fixed.is_none())
                    .map(|o| o.rule.as_str())
                    .collect();
                rules.dedup();
                out.inline.push(Suggestion {
                    file,
                    start_line: start as u32 + 1,
                    end_line: (start + lines) as u32,
                    replacement: new.join("\n"),
                    rules,
                });
            }
            _ if !p.changes.is_empty() => for_patch.extend(mine),
            _ => {}
        }
    }
    if !for_patch.is_empty() {
        // One plan for all of them: new migrations are numbered one after another.
        out.patch = plan(cat, files, is_new, &for_patch, opts).changes;
    }
    out
}

/// The changes as a patch `git apply` takes from the repository's root; `repo_path`
/// turns a path relative to the migration directory into one relative to the root.
pub fn patch(changes: &[FileChange], repo_path: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    for c in changes {
        let path = repo_path(&c.path);
        let (old, from) = match &c.old {
            Some(old) => (old.as_str(), format!("a/{path}")),
            None => ("", "/dev/null".to_string()),
        };
        let diff = similar::TextDiff::from_lines(old, &c.new);
        let body = diff
            .unified_diff()
            .context_radius(3)
            .header(&from, &format!("b/{path}"))
            .to_string();
        if c.old.is_none() {
            out.push_str(&format!(
                "diff --git a/{path} b/{path}\nnew file mode 100644\n"
            ));
        } else {
            out.push_str(&format!("diff --git a/{path} b/{path}\n"));
        }
        out.push_str(&body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::hunk;

    #[test]
    fn the_changed_stretch_of_lines() {
        assert_eq!(
            hunk("a\nb\nc\n", "a\nB\nc\n"),
            Some((1, 1, vec!["B".into()]))
        );
        // An insertion at the top takes the line after it.
        assert_eq!(
            hunk(
                "-- x\nCREATE INDEX i ON t (a);\n",
                "-- ntx\n-- x\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
            ),
            Some((
                0,
                2,
                vec![
                    "-- ntx".into(),
                    "-- x".into(),
                    "CREATE INDEX CONCURRENTLY i ON t (a);".into()
                ]
            ))
        );
        assert_eq!(
            hunk("a\n", "a\nb\n"),
            Some((0, 1, vec!["a".into(), "b".into()]))
        );
        assert_eq!(hunk("a\n", "a\n"), None);
    }
}
