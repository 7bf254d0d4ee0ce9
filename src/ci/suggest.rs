//! `suggestions: true` on a pull request: the fixes of `sqlgate fix` as a review whose
//! comments carry suggestion blocks on the lines they replace (re-runs leave their
//! own alone, or mark them resolved, and never post one twice), and the fixes that
//! split a migration as a `git apply` patch in the sticky comment. A fork's read-only
//! token, or a review GitHub refuses, puts everything in the patch.

use super::Run;
use crate::app;
use crate::commands::check;
use sqlgate_core::catalog::display_path;
use sqlgate_core::fix::{self, suggest};
use sqlgate_core::model::Report;
use sqlgate_core::Error;
use sqlgate_github::comment::Identity;
use sqlgate_github::context::PullRequest;
use sqlgate_github::review;

impl Run {
    /// Posts the inline suggestions as a review and returns the patch for the
    /// comment (empty when there is none). `rep` names files as the directory shows
    /// them (before they are made repository paths); `change` is what it judged.
    pub(super) fn suggestions(
        &mut self,
        rt: &tokio::runtime::Runtime,
        rep: &Report,
        change: &check::Change,
        pr: &PullRequest,
    ) -> Result<String, Error> {
        let (dir, vars) = (
            self.settings.dir_display.clone(),
            self.settings.vars.clone(),
        );
        let opts = fix::Options {
            dir: &dir,
            pg_version: self.settings.pg_version,
            vars: &vars,
            lock_timeout: "5s",
            now: chrono::Utc::now(),
        };
        let is_new = |m: &sqlgate_core::catalog::Migration| change.is_new(m);
        let s = suggest::suggest(&change.head, &change.files, &is_new, &rep.findings, &opts);
        let to_repo = |rel: &str| self.repo_path(&display_path(&dir, rel));
        let split = suggest::patch(&s.patch, &to_repo);
        // Everything as one patch: for a fork, or when the review is refused.
        let all: Vec<_> = rep
            .findings
            .iter()
            .filter(|f| fix::has_fix(f.rule.rule()))
            .cloned()
            .collect();
        let everything = if s.inline.is_empty() {
            split.clone()
        } else {
            let p = fix::plan(&change.head, &change.files, &is_new, &all, &opts);
            suggest::patch(&p.changes, &to_repo)
        };
        if pr.is_fork() {
            if s.inline.is_empty() {
                return Ok(split);
            }
            app::eprint("sqlgate: a pull request from a fork: the suggested fixes go in the comment as a patch (its token cannot post a review)\n");
            return Ok(everything);
        }
        let wanted: Vec<review::Wanted> = s
            .inline
            .iter()
            .map(|sug| {
                let path = self.repo_path(&sug.file);
                let key = format!("{path} {}", sug.rules.join(","));
                let what = format!(
                    "**sqlgate** suggests the safe equivalent ({}). Commit the suggestion, or run `sqlgate fix --base <ref>` locally.",
                    sug.rules.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
                );
                review::Wanted {
                    body: review::body(&key, &what, &sug.replacement),
                    key,
                    path,
                    start_line: sug.start_line,
                    end_line: sug.end_line,
                }
            })
            .collect();
        match self.post_review(rt, pr, &wanted) {
            Ok(()) => Ok(split),
            Err(e) => {
                self.warn(
                    "sqlgate: suggestions not posted as a review",
                    format!("the review with suggested fixes could not be posted ({e}); the fixes are in the comment as a patch instead"),
                );
                Ok(everything)
            }
        }
    }

    fn post_review(
        &mut self,
        rt: &tokio::runtime::Runtime,
        pr: &PullRequest,
        wanted: &[review::Wanted],
    ) -> Result<(), String> {
        let api = self.api(rt).ok_or("no GitHub token")?;
        let repo = self.ctx.repository.clone();
        let me = match rt.block_on(api.viewer()) {
            Some(login) => Identity::Login(login),
            None => Identity::ActionsBot,
        };
        // Without the listing, nothing of ours is known: post, never resolve.
        let existing = match rt.block_on(api.list_review_comments(&repo, pr.number)) {
            Ok(list) => list,
            Err(e) => {
                app::eprint(&format!(
                    "sqlgate: the pull request's review comments could not be listed ({e}); suggestions already posted cannot be recognised\n"
                ));
                Vec::new()
            }
        };
        let plan = review::sync(&existing, wanted, me.login());
        if !plan.create.is_empty() {
            let summary = format!(
                "sqlgate suggests {} fix(es) for the migrations of this pull request.",
                plan.create.len()
            );
            rt.block_on(api.create_review(&repo, pr.number, &pr.head_sha, &summary, &plan.create))
                .map_err(|e| e.to_string())?;
        }
        for (id, body) in &plan.resolve {
            rt.block_on(api.update_review_comment(&repo, *id, body))
                .map_err(|e| e.to_string())?;
        }
        let _ = app::print(&format!(
            "sqlgate: pull request #{}: {} suggestion(s) posted, {} resolved, {} kept\n",
            pr.number,
            plan.create.len(),
            plan.resolve.len(),
            wanted.len() - plan.create.len()
        ));
        Ok(())
    }
}

/// The sticky comment's section with the patch (`git apply`-able), or a pointer to
/// `sqlgate fix` when it does not fit in `room` bytes.
pub(super) fn patch_section(patch: &str, room: usize) -> String {
    if patch.is_empty() {
        return String::new();
    }
    let longest = patch.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let section = format!(
        "\n\n### Suggested fixes\n\nThe safe equivalents of the findings above, as a patch (`git apply` it from the repository's root, or run `sqlgate fix --base <ref>`):\n\n{fence}diff\n{patch}{fence}\n"
    );
    if section.len() <= room {
        section
    } else {
        "\n\n### Suggested fixes\n\n`sqlgate fix --base <ref>` rewrites the migrations into their safe equivalents (the patch is too long for this comment).\n".into()
    }
}
