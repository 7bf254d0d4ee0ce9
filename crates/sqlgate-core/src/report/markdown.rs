//! The markdown report used for pull-request comments and job summaries: verdict,
//! counts, a findings table, diffs and details in collapsible sections, a footer.
//! Shortens itself to stay under a size limit (GitHub comments: 65,536 characters),
//! dropping statement previews, then diffs, then per-finding detail, then table rows —
//! never the verdict and counts. Sizes are counted in bytes, which is never less than
//! characters or UTF-16 units, so the limit holds however GitHub counts.
//! Also renders the post-merge apply report ([`render_apply`]).

use crate::model::RuleId;
use crate::model::{ApplyReport, State, StatusLine};
use crate::model::{Finding, Report, Severity};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// GitHub's limit for an issue comment body (65,536), with room for the marker.
pub const COMMENT_LIMIT: usize = 65_000;

/// Where `file:line` locations link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Links {
    /// Plain text.
    None,
    /// A file view: `{prefix}{file}#L{line}`, e.g. prefix `https://github.com/o/r/blob/<sha>/`.
    Blob(String),
    /// The pull request's diff: `{files_url}#diff-<sha256(file)>R{line}`, e.g.
    /// `https://github.com/o/r/pull/7/files`.
    PullDiff(String),
}

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// Maximum length in bytes.
    pub max_chars: usize,
    pub links: Links,
    /// The environment label (`production`, `staging`) shown in the heading.
    pub environment: Option<String>,
    /// A line for the end (version, run link).
    pub footer: Option<String>,
    /// Where the unshortened report can be found, said when shortening.
    pub full_report_hint: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_chars: COMMENT_LIMIT,
            links: Links::None,
            environment: None,
            footer: None,
            full_report_hint: "Run `sqlgate check` locally or see the JSON report for everything."
                .into(),
        }
    }
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🔴",
        Severity::Warning => "🟡",
        Severity::Info => "🔵",
    }
}

/// Data as an inline code span that cannot end early, break a table or a line:
/// backticks become `'`, `|` is escaped, line breaks become spaces.
pub fn code(s: &str) -> String {
    format!(
        "`{}`",
        super::clean(s)
            .replace('`', "'")
            .replace('|', "\\|")
            .replace(['\r', '\n'], " ")
            // Never the start or end of an HTML comment, even inside a code span.
            .replace("<!--", "<\u{200B}!--")
            .replace("-->", "--\u{200B}>")
    )
}

/// Data inside HTML (a `<summary>`), where markdown does not apply: `&`, `<`, `>` and
/// quotes as entities, line breaks as spaces.
pub fn html(s: &str) -> String {
    inert(
        &super::clean(s)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace(['\r', '\n'], " "),
    )
}

/// Text outside code spans that came from data (an error message of the server, a
/// file name) must not mention, link or embed: `@name` would notify a user,
/// `[x](url)` and `![x](url)` would link or load an image, and GitHub links bare
/// `https://…`, `www.…` and e-mail addresses by itself. A zero-width space after `@`,
/// before `://` and after `www`, and escaped brackets leave the text as written but
/// inert.
pub fn inert(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let lower = s.to_ascii_lowercase();
    for (i, c) in s.char_indices() {
        match c {
            '@' => out.push_str("@\u{200B}"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            ':' if s[i..].starts_with("://") => out.push_str("\u{200B}:"),
            '.' if i >= 3 && lower[..i].ends_with("www") => out.push_str("\u{200B}."),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for a table cell or a one-line list item. Text between backticks
/// stays a code span (only `|` and line breaks change there, so `<name>` reads as
/// written); elsewhere HTML and table syntax are neutralised.
pub fn cell(s: &str) -> String {
    let s = super::clean(s);
    let parts: Vec<&str> = s.split('`').collect();
    let balanced = parts.len() % 2 == 1;
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('`');
        }
        if balanced && i % 2 == 1 {
            out.push_str(
                &part
                    .replace('|', "\\|")
                    .replace(['\r', '\n'], " ")
                    .replace("<!--", "<\u{200B}!--")
                    .replace("-->", "--\u{200B}>"),
            );
        } else {
            out.push_str(&inert(
                &part
                    .replace('\\', "\\\\")
                    .replace('|', "\\|")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace("\r\n", "<br>")
                    .replace('\n', "<br>"),
            ));
        }
    }
    out
}

/// A why/fix text for the details list: its first line inline, further lines (a SQL
/// rewrite) as a code block inside the list item.
fn detail(s: &str) -> String {
    match s.split_once('\n') {
        None => cell(s),
        Some((first, rest)) => {
            let body: String = rest
                .lines()
                .map(|l| format!("{}\n", l.trim_start()))
                .collect();
            let block: String = fence(&body, "sql")
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect();
            format!("{}\n\n{block}", cell(first))
        }
    }
}

pub(crate) fn fence(body: &str, lang: &str) -> String {
    let body = super::clean(body);
    let mut ticks = "```".to_string();
    while body.contains(&ticks) {
        ticks.push('`');
    }
    format!("{ticks}{lang}\n{}\n{ticks}\n", body.trim_end_matches('\n'))
}

/// The link for `file:line` (`None` when links are off).
pub fn link(links: &Links, file: &str, line: u32) -> Option<String> {
    let path: String = file
        .split('/')
        .map(|seg| utf8_percent_encode(seg, PATH_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    match links {
        Links::None => None,
        Links::Blob(prefix) => Some(format!("{prefix}{path}#L{line}")),
        Links::PullDiff(files) => Some(format!(
            "{files}#diff-{}R{line}",
            crate::catalog::text::sha256_hex(file.as_bytes())
        )),
    }
}

/// What a path segment of a link escapes: `%`, spaces and what would end the link or
/// start a fragment in markdown (`#`, parentheses), and control characters.
const PATH_SEGMENT: &AsciiSet = &CONTROLS.add(b'%').add(b' ').add(b'#').add(b'(').add(b')');

fn location(f: &Finding, opts: &Options) -> String {
    let text = format!("{}:{}", f.file, f.line);
    match link(&opts.links, &f.file, f.line) {
        Some(url) => format!("[{}]({url})", code(&text)),
        None => code(&text),
    }
}

fn env_label(opts: &Options) -> String {
    opts.environment
        .as_deref()
        .map(|e| format!(" · environment **{}**", cell(e)))
        .unwrap_or_default()
}

/// The verdict line and counts, kept at every level of shortening.
pub fn head(report: &Report) -> String {
    head_with(report, &Options::default())
}

fn head_with(report: &Report, opts: &Options) -> String {
    let c = report.counts();
    let verdict = if report.failed() {
        format!(
            "❌ **sqlgate: {} error(s), {} warning(s)** — this change needs fixes",
            c.error, c.warning
        )
    } else if c.total() == 0 {
        "✅ **sqlgate: no problems found**".to_string()
    } else {
        format!(
            "⚠️ **sqlgate: {} warning(s), {} info** — nothing blocking",
            c.warning, c.info
        )
    };
    let base = report
        .base
        .as_deref()
        .map(|b| format!(" · compared with {}", code(b)))
        .unwrap_or_default();
    format!(
        "### {verdict}\n\n{}{} · {} {}, {} new · layout {} · numbering {}{base} · fail-on `{}`\n\n| 🔴 errors | 🟡 warnings | 🔵 info |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        code(&report.dir),
        env_label(opts),
        report.migrations,
        if report.migrations == 1 { "migration" } else { "migrations" },
        report.new_migrations,
        report.layout,
        report.numbering,
        report.fail_on.as_str(),
        c.error,
        c.warning,
        c.info
    )
}

/// The findings of one file, grouped the way a reviewer reads them.
struct FileGroup<'a> {
    file: &'a str,
    findings: Vec<&'a Finding>,
    counts: [usize; 3],
}

impl FileGroup<'_> {
    /// Errors, warnings, info: the most serious file sorts first.
    fn key(&self) -> (std::cmp::Reverse<[usize; 3]>, &str) {
        (std::cmp::Reverse(self.counts), self.file)
    }
}

fn sev_index(s: Severity) -> usize {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn by_file(report: &Report) -> Vec<FileGroup<'_>> {
    let mut groups: Vec<FileGroup> = Vec::new();
    for f in &report.findings {
        let g = match groups.iter_mut().position(|g| g.file == f.file) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(FileGroup {
                    file: &f.file,
                    findings: Vec::new(),
                    counts: [0; 3],
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.counts[sev_index(f.severity)] += 1;
        g.findings.push(f);
    }
    groups.sort_by(|a, b| a.key().cmp(&b.key()));
    groups
}

/// One rule's findings in one file, collapsed into a row.
struct RuleRow<'a> {
    first: &'a Finding,
    /// Distinct lines, in order.
    lines: Vec<u32>,
    /// Findings in the row (a line may have several: one per column).
    count: usize,
    same_message: bool,
}

fn rule_rows<'a>(g: &FileGroup<'a>) -> Vec<RuleRow<'a>> {
    let mut rows: Vec<RuleRow> = Vec::new();
    for f in &g.findings {
        match rows
            .iter_mut()
            .find(|r| r.first.rule == f.rule && r.first.severity == f.severity)
        {
            Some(r) => {
                if !r.lines.contains(&f.line) {
                    r.lines.push(f.line);
                }
                r.count += 1;
                r.same_message &= r.first.message == f.message;
            }
            None => rows.push(RuleRow {
                first: f,
                lines: vec![f.line],
                count: 1,
                same_message: true,
            }),
        }
    }
    rows.sort_by_key(|r| (sev_index(r.first.severity), std::cmp::Reverse(r.count)));
    rows
}

fn file_link(file: &str, opts: &Options) -> String {
    let line = 1;
    match link(&opts.links, file, line) {
        Some(url) => {
            // The file itself, not a line of it.
            let url = url
                .rsplit_once("#L")
                .map_or(url.clone(), |(u, _)| u.to_string());
            let url = url
                .rsplit_once('R')
                .filter(|_| url.contains("#diff-"))
                .map_or(url.clone(), |(u, _)| u.to_string());
            format!("[{}]({url})", code(file))
        }
        None => code(file),
    }
}

fn lines_cell(f: &Finding, lines: &[u32], opts: &Options) -> String {
    const SHOWN: usize = 12;
    let mut parts: Vec<String> = lines
        .iter()
        .take(SHOWN)
        .map(|l| match link(&opts.links, &f.file, *l) {
            Some(url) => format!("[{l}]({url})"),
            None => l.to_string(),
        })
        .collect();
    if lines.len() > SHOWN {
        parts.push(format!("… ({} in all)", lines.len()));
    }
    parts.join(", ")
}

fn counts_text(c: [usize; 3]) -> String {
    let mut parts = Vec::new();
    for (n, word) in c.iter().zip(["error", "warning", "info"]) {
        if *n > 0 {
            parts.push(format!(
                "{n} {word}{}",
                if *n > 1 && word != "info" { "s" } else { "" }
            ));
        }
    }
    parts.join(", ")
}

/// The rules about the integrity of what already shipped or ran.
static INTEGRITY: &[&crate::model::Rule] = &[
    &crate::rules::history::MODIFIED_MIGRATION,
    &crate::rules::history::DELETED_MIGRATION,
    &crate::rules::history::RENAMED_MIGRATION,
    &crate::rules::history::DOWN_MODIFIED,
    &crate::rules::database::CHECKSUM_MISMATCH,
    &crate::rules::database::MISSING_FILE,
    &crate::rules::database::FAILED_MIGRATION,
];

/// How dangerous a finding is for the top of the comment, most dangerous first: what
/// the SQL does to existing data and running systems (security, data loss, locks and
/// rewrites, breaking changes, SQL that fails), then the integrity of the history
/// (edited, deleted, renamed shipped migrations), then numbering and names, then
/// style — each by severity.
fn danger(f: &Finding) -> (usize, usize) {
    let category = match f.rule.rule().category {
        "Security" => 0,
        "Data loss" => 1,
        "Locking and rewrites" => 2,
        "Scratch replay (`check --scratch`)" => 2,
        "Breaking changes for running code" => 3,
        "SQL validity and transactions" => 4,
        "Directory and history" if INTEGRITY.iter().any(|r| RuleId::of(r) == f.rule) => 5,
        "Directory and history" => 6,
        _ => 7,
    };
    (sev_index(f.severity), category)
}

/// The `n` most dangerous findings, one per rule and file (a repeated finding is
/// one), in [`danger`] order.
fn top_findings(report: &Report, n: usize) -> Vec<&Finding> {
    let mut all: Vec<&Finding> = report.findings.iter().collect();
    all.sort_by_key(|f| danger(f));
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut out = Vec::new();
    for f in all {
        let key = (f.rule.as_str(), f.file.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(f);
        if out.len() == n {
            break;
        }
    }
    out
}

/// The check report for a pull request: the verdict and counts, the top findings,
/// one summary row per file (most serious first), then per-file details — repeated
/// findings of one rule collapsed into one row with their lines. `level` drops detail
/// (1: diffs, 2: why and fix, 3: the per-file details); `max_files` limits the files.
fn body(report: &Report, opts: &Options, level: u8, max_files: usize) -> String {
    let mut out = head_with(report, opts);
    if report.findings.is_empty() {
        out.push_str("\nNo findings: numbering, names and shipped migrations are all in order.\n");
    } else {
        let groups = by_file(report);
        let top = top_findings(report, 3);
        out.push_str("\n**Top findings**\n\n");
        for f in &top {
            out.push_str(&format!(
                "- {} `{}` at {}: {}\n",
                icon(f.severity),
                f.rule,
                location(f, opts),
                cell(&f.message)
            ));
            // What to do, visible without opening anything.
            if level < 2 && !f.fix.trim().is_empty() {
                let fix = detail(f.fix.trim_end());
                out.push_str(&format!("  - *Fix:* {}", fix.trim_end()));
                out.push('\n');
            }
        }
        out.push_str("\n| File | 🔴 | 🟡 | 🔵 | Rules |\n|---|---:|---:|---:|---|\n");
        for g in groups.iter().take(max_files) {
            let rules: Vec<String> = rule_rows(g)
                .iter()
                .map(|r| match r.count {
                    1 => format!("`{}`", r.first.rule),
                    n => format!("`{}` ×{n}", r.first.rule),
                })
                .collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                file_link(g.file, opts),
                g.counts[0],
                g.counts[1],
                g.counts[2],
                rules.join(", ")
            ));
        }
        if groups.len() > max_files {
            let hidden: usize = groups[max_files..].iter().map(|g| g.findings.len()).sum();
            out.push_str(&format!(
                "\n…and {hidden} more findings not shown here, in {} more file(s).\n",
                groups.len() - max_files
            ));
        }
        if level < 3 {
            for g in groups.iter().take(max_files) {
                out.push_str(&format!(
                    "\n<details><summary>{} <code>{}</code> — {}</summary>\n\n| | Rule | Lines | Finding |\n|---|---|---|---|\n",
                    icon(g.findings.iter().map(|f| f.severity).min_by_key(|s| sev_index(*s)).unwrap_or(Severity::Info)),
                    html(g.file),
                    counts_text(g.counts)
                ));
                let rows = rule_rows(g);
                for r in &rows {
                    let more = if r.count > 1 && !r.same_message {
                        format!(" (and {} more like it)", r.count - 1)
                    } else {
                        String::new()
                    };
                    out.push_str(&format!(
                        "| {} | `{}` | {} | {}{more} |\n",
                        icon(r.first.severity),
                        r.first.rule,
                        lines_cell(r.first, &r.lines, opts),
                        cell(&r.first.message)
                    ));
                }
                if level < 2 {
                    out.push('\n');
                    for r in &rows {
                        out.push_str(&format!(
                            "- **`{}`** — *Why:* {}\n  *Fix:* {}\n",
                            r.first.rule,
                            cell(&r.first.why),
                            detail(&r.first.fix)
                        ));
                    }
                }
                if level < 1 {
                    for f in g.findings.iter().filter(|f| f.diff.is_some()) {
                        if let Some(diff) = &f.diff {
                            out.push_str(&format!(
                                "\n*Diff* ({}):\n\n{}",
                                f.rule,
                                fence(diff, "diff")
                            ));
                        }
                    }
                }
                out.push_str("\n</details>\n");
            }
        }
    }
    if let Some(r) = &report.replay {
        out.push_str(&replay_section(r, opts, level));
    }
    if level > 0 {
        out.push_str(&format!(
            "\n> This report was shortened to fit. {}\n",
            opts.full_report_hint
        ));
    }
    if let Some(footer) = &opts.footer {
        out.push_str(&format!("\n<sub>{footer}</sub>\n"));
    }
    out
}

/// The scratch replay: per-statement timings, locks and rewrites, and the schema diff
/// (both dropped from the second level of shortening on).
fn replay_section(r: &crate::model::Replay, opts: &Options, level: u8) -> String {
    let mut out = format!(
        "\n**Scratch replay** on {}: {} new statement(s){}.\n",
        cell(&r.server),
        r.steps.len(),
        if r.completed {
            ""
        } else {
            ", stopped at the failing one"
        }
    );
    if level >= 2 {
        return out;
    }
    if !r.steps.is_empty() {
        out.push_str("\n<details><summary>Timings, locks and rewrites</summary>\n\n| Statement | ms | Locks on existing tables | Rewrites |\n|---|---:|---|---|\n");
        for s in &r.steps {
            let loc = format!("{}:{}", s.file, s.line);
            let shown = match link(&opts.links, &s.file, s.line) {
                Some(url) => format!("[{}]({url})", code(&loc)),
                None => code(&loc),
            };
            out.push_str(&format!(
                "| {shown} | {} | {} | {} |\n",
                s.duration_ms,
                cell(&s.locks.join(", ")),
                cell(&s.rewrites.join(", "))
            ));
        }
        out.push_str("\n</details>\n");
    }
    if !r.schema_diff.is_empty() {
        out.push_str(&format!(
            "\n<details><summary>Schema diff</summary>\n\n{}\n</details>\n",
            fence(&r.schema_diff, "diff")
        ));
    }
    out
}

/// Renders the report, shortening it until it fits `opts.max_chars` bytes.
pub fn render(report: &Report, opts: &Options) -> String {
    let all = by_file(report).len();
    for level in 0..=3u8 {
        let s = body(report, opts, level, all);
        if s.len() <= opts.max_chars {
            return s;
        }
    }
    fit(opts.max_chars, all, |files| body(report, opts, 3, files))
}

/// The one shortener: the body with the most table rows (at most `all`) that fits in
/// `max` bytes, found by binary search; cut at a character boundary if even none fit.
fn fit(max: usize, all: usize, body: impl Fn(usize) -> String) -> String {
    let (mut lo, mut hi) = (0usize, all);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if body(mid).len() <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(body(lo), max)
}

/// Cuts to at most `max` bytes at a character boundary (only for absurdly small limits).
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// What an apply report is about, besides the result itself.
#[derive(Debug, Clone)]
pub struct ApplyContext {
    /// The migration directory as shown.
    pub dir: String,
    /// The database, password masked.
    pub target: String,
    /// The commit that was deployed.
    pub commit: Option<String>,
    /// A fatal error before anything could run (connection refused, …).
    pub error: Option<String>,
}

fn apply_body(
    rep: &ApplyReport,
    ctx: &ApplyContext,
    opts: &Options,
    detail: bool,
    rows: usize,
) -> String {
    let env = env_label(opts);
    let commit = ctx
        .commit
        .as_deref()
        .map(|c| format!(" · commit `{}`", c.chars().take(12).collect::<String>()))
        .unwrap_or_default();
    let verdict = if let Some(e) = &ctx.error {
        format!(
            "❌ **sqlgate apply failed** — {}",
            cell(e.lines().next().unwrap_or_default())
        )
    } else if !rep.blockers.is_empty() {
        format!(
            "❌ **sqlgate apply refused: {} problem(s) must be fixed first** — nothing was applied",
            rep.blockers.len()
        )
    } else if let Some(f) = &rep.failure {
        format!(
            "❌ **sqlgate apply failed at {}** — {} applied before it, {} not run",
            code(&f.migration),
            rep.applied.len(),
            rep.pending_after.saturating_sub(1)
        )
    } else if rep.interrupted {
        format!(
            "⚠️ **sqlgate apply interrupted** — {} applied, {} not started",
            rep.applied.len(),
            rep.pending_after
        )
    } else if rep.applied.is_empty() {
        "✅ **sqlgate apply: the database was already up to date**".to_string()
    } else {
        format!(
            "✅ **sqlgate applied {} migration(s)** in {} ms",
            rep.applied.len(),
            rep.applied.iter().map(|a| a.execution_ms).sum::<u64>()
        )
    };
    let mut out = format!(
        "### {verdict}\n\n{} → {}{env}{commit}\n\n| ✅ applied | ⏳ pending | ❌ failed |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        code(&ctx.dir),
        code(&ctx.target),
        rep.applied.len(),
        if rep.failure.is_some() { rep.pending_after.saturating_sub(1) } else { rep.pending_after },
        usize::from(rep.failure.is_some() || ctx.error.is_some()),
    );
    if let Some(e) = &ctx.error {
        out.push_str(&format!("\n{}", fence(e, "text")));
    }
    if let Some(f) = &rep.failure {
        let loc = format!("{}:{}:{}", f.file, f.line, f.column);
        let shown = match link(&opts.links, &f.file, f.line) {
            Some(url) => format!("[{}]({url})", code(&loc)),
            None => code(&loc),
        };
        let state = match f.statements_done {
            Some(n) => format!("It ran without a transaction: {n} statement(s) before the failing one stayed applied, and it is recorded as failed until `sqlgate repair`."),
            None => "Its transaction was rolled back: nothing of it was applied.".to_string(),
        };
        out.push_str(&format!(
            "\n**Failed:** {} at {shown}\n\n{}\n{state}\n",
            code(&f.migration),
            fence(&f.message, "text")
        ));
    }
    if !rep.blockers.is_empty() {
        out.push_str("\n| | Rule | Location | Finding |\n|---|---|---|---|\n");
        for b in rep.blockers.iter().take(rows) {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                icon(b.severity),
                b.rule,
                location(b, opts),
                cell(&b.message)
            ));
        }
        if detail {
            out.push_str("\n<details><summary>What to do</summary>\n\n");
            for b in rep.blockers.iter().take(rows) {
                out.push_str(&format!("- **`{}`**: {}\n", b.rule, cell(&b.fix)));
            }
            out.push_str("\n</details>\n");
        }
    }
    if !rep.applied.is_empty() {
        out.push_str("\n| Applied migration | Duration |\n|---|---:|\n");
        for a in rep.applied.iter().take(rows) {
            out.push_str(&format!("| {} | {} ms |\n", code(&a.name), a.execution_ms));
        }
        if rep.applied.len() > rows {
            out.push_str(&format!("\n…and {} more.\n", rep.applied.len() - rows));
        }
    }
    if rows < rep.applied.len().max(rep.blockers.len()) || !detail {
        out.push_str(&format!(
            "\n> This report was shortened to fit. {}\n",
            opts.full_report_hint
        ));
    }
    if let Some(footer) = &opts.footer {
        out.push_str(&format!("\n<sub>{footer}</sub>\n"));
    }
    out
}

/// Renders an apply report (post-merge comment, job summary), shortening it to fit.
pub fn render_apply(rep: &ApplyReport, ctx: &ApplyContext, opts: &Options) -> String {
    let all = rep.applied.len().max(rep.blockers.len());
    let s = apply_body(rep, ctx, opts, true, all);
    if s.len() <= opts.max_chars {
        return s;
    }
    fit(opts.max_chars, all, |rows| {
        apply_body(rep, ctx, opts, false, rows)
    })
}

/// What a status report is about.
#[derive(Debug, Clone)]
pub struct StatusContext {
    /// The migration directory as shown.
    pub dir: String,
    /// The database, password masked.
    pub target: String,
}

fn status_body(lines: &[StatusLine], ctx: &StatusContext, opts: &Options, rows: usize) -> String {
    let pending = lines.iter().filter(|l| l.state == State::Pending).count();
    let applied = lines.iter().filter(|l| l.state.is_in_database()).count();
    let mut out = format!(
        "### sqlgate status: {applied} applied, {pending} pending{}\n\n{} → {}\n\n| Migration | State | Applied at |\n|---|---|---|\n",
        env_label(opts),
        code(&ctx.dir),
        code(&ctx.target)
    );
    for l in lines.iter().take(rows) {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            code(&l.name),
            l.state,
            cell(l.applied_at.as_deref().unwrap_or(""))
        ));
    }
    if rows < lines.len() {
        out.push_str(&format!(
            "\n…and {} more.\n\n> This report was shortened to fit. {}\n",
            lines.len() - rows,
            opts.full_report_hint
        ));
    }
    if let Some(footer) = &opts.footer {
        out.push_str(&format!("\n<sub>{footer}</sub>\n"));
    }
    out
}

/// Renders `sqlgate status` (the job summary of `sqlgate ci` with `command: status`),
/// shortening it to fit.
pub fn render_status(lines: &[StatusLine], ctx: &StatusContext, opts: &Options) -> String {
    fit(opts.max_chars, lines.len(), |rows| {
        status_body(lines, ctx, opts, rows)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FailOn;

    fn report(n: usize, diff_len: usize) -> Report {
        let findings = (0..n)
            .map(|i| {
                Finding::new(
                    &crate::rules::history::MODIFIED_MIGRATION,
                    format!("migrations/{i:03}_x.sql"),
                    format!("edited | {i}"),
                )
                .diff("+x\n".repeat(diff_len))
            })
            .collect();
        Report {
            dir: "migrations".into(),
            base: Some("origin/main".into()),
            layout: crate::model::Layout::Flat,
            numbering: crate::model::Numbering::Sequential,
            migrations: n,
            new_migrations: 0,
            fail_on: FailOn::Error,
            findings,
            replay: None,
            ignores: Vec::new(),
        }
    }

    #[test]
    fn data_cannot_mention_link_or_embed() {
        let hostile = "relation x: @octocat ![px](https://evil.example/p.png) [click](http://a.b) www.evil.example mail me@evil.example";
        for out in [cell(hostile), html(hostile)] {
            assert!(!out.contains("@octocat"), "{out}");
            assert!(!out.contains("![px]("), "{out}");
            assert!(!out.contains("[click]("), "{out}");
            assert!(!out.contains("https://"), "{out}");
            assert!(!out.contains("http://"), "{out}");
            assert!(!out.contains("www.evil"), "{out}");
            assert!(!out.contains("me@evil"), "{out}");
            // The words stay readable.
            assert!(
                out.contains("octocat") && out.contains("evil.example"),
                "{out}"
            );
        }
        // Inside a code span nothing renders: kept as written.
        assert_eq!(cell("`@octocat`"), "`@octocat`");
    }

    #[test]
    fn cells_keep_code_spans_readable_and_neutralise_html() {
        assert_eq!(
            cell("run `sqlgate create <name>` | x"),
            "run `sqlgate create <name>` \\| x"
        );
        assert_eq!(cell("<script> a\nb"), "&lt;script&gt; a<br>b");
        assert_eq!(cell("`a|b`"), "`a\\|b`");
        assert_eq!(cell("odd ` <b>"), "odd ` &lt;b&gt;");
        let d = detail("Do this:\n    CREATE INDEX CONCURRENTLY i ON t (c);");
        assert_eq!(
            d,
            "Do this:\n\n    ```sql\n    CREATE INDEX CONCURRENTLY i ON t (c);\n    ```\n"
        );
    }

    #[test]
    fn clean_report_says_so() {
        let s = render(&report(0, 0), &Options::default());
        assert!(s.contains("no problems found"));
        assert!(!s.contains("shortened"));
    }

    #[test]
    fn full_report_has_table_diff_and_escaping() {
        let s = render(&report(2, 3), &Options::default());
        assert!(s.contains("❌"));
        assert!(s.contains("| 2 | 0 | 0 |"));
        assert!(s.contains("edited \\| 1"));
        assert!(s.contains("```diff\n+x\n+x\n+x\n```"));
    }

    #[test]
    fn huge_report_is_shortened_but_keeps_verdict_and_counts() {
        let r = report(3000, 200);
        let s = render(&r, &Options::default());
        assert!(s.len() <= COMMENT_LIMIT, "{}", s.len());
        assert!(s.contains("❌ **sqlgate: 3000 error(s)"));
        assert!(s.contains("| 3000 | 0 | 0 |"));
        assert!(s.contains("shortened"));
        assert!(s.contains("more findings not shown"));
        // Just under the limit at 3000 findings: the binary search keeps as many rows as fit.
        assert!(s.len() > COMMENT_LIMIT - 200, "{}", s.len());
        // A mid-size one only loses the diffs.
        let r = report(20, 5000);
        let s = render(&r, &Options::default());
        assert!(!s.contains("```diff"));
        assert!(s.contains("migrations/019_x.sql"));
    }

    #[test]
    fn links_to_the_pull_request_diff() {
        let l = Links::PullDiff("https://github.com/o/r/pull/7/files".into());
        assert_eq!(
            link(&l, "migrations/001_init.sql", 3).unwrap(),
            "https://github.com/o/r/pull/7/files#diff-a0d2f4b5a80e8c4b52bee0ea8d2e2b4ce4a9e5d1e3da5bfb0e04bde0ef0b5d56R3"
                .replace("a0d2f4b5a80e8c4b52bee0ea8d2e2b4ce4a9e5d1e3da5bfb0e04bde0ef0b5d56", &{
                    use sha2::{Digest, Sha256};
                    Sha256::digest(b"migrations/001_init.sql").iter().map(|b| format!("{b:02x}")).collect::<String>()
                })
        );
        let b = Links::Blob("https://github.com/o/r/blob/abc/".into());
        assert_eq!(
            link(&b, "db/my file.sql", 2).unwrap(),
            "https://github.com/o/r/blob/abc/db/my%20file.sql#L2"
        );
        let opts = Options {
            links: b,
            environment: Some("staging".into()),
            ..Options::default()
        };
        let s = render(&report(1, 1), &opts);
        assert!(s.contains("[`migrations/000_x.sql:1`](https://github.com/o/r/blob/abc/migrations/000_x.sql#L1)"), "{s}");
        assert!(s.contains("environment **staging**"));
    }

    #[test]
    fn apply_report_success_failure_and_size() {
        use crate::model::{Applied, ApplyReport, Failure};
        let ctx = ApplyContext {
            dir: "migrations".into(),
            target: "postgres://u:***@h/db".into(),
            commit: Some("0123456789abcdef".into()),
            error: None,
        };
        let applied: Vec<Applied> = (0..3)
            .map(|i| Applied {
                version: i.to_string(),
                name: format!("00{i}_x.sql"),
                execution_ms: 5,
            })
            .collect();
        let ok = ApplyReport {
            applied: applied.clone(),
            ..ApplyReport::default()
        };
        let s = render_apply(
            &ok,
            &ctx,
            &Options {
                environment: Some("production".into()),
                ..Options::default()
            },
        );
        assert!(s.contains("✅ **sqlgate applied 3 migration(s)**"), "{s}");
        assert!(s.contains("| `002_x.sql` | 5 ms |"));
        assert!(s.contains("environment **production**"));
        assert!(s.contains("commit `0123456789ab`"));
        let failed = ApplyReport {
            applied,
            failure: Some(Failure {
                migration: "004_bad.sql".into(),
                file: "migrations/004_bad.sql".into(),
                line: 3,
                column: 15,
                message: "relation \"nope\" does not exist (42P01)".into(),
                statements_done: None,
            }),
            pending_after: 2,
            ..ApplyReport::default()
        };
        let s = render_apply(&failed, &ctx, &Options::default());
        assert!(
            s.contains("❌ **sqlgate apply failed at `004_bad.sql`**"),
            "{s}"
        );
        assert!(s.contains("`migrations/004_bad.sql:3:15`"));
        assert!(s.contains("relation \"nope\" does not exist (42P01)"));
        assert!(s.contains("rolled back"));
        let many = ApplyReport {
            applied: (0..5000)
                .map(|i| Applied {
                    version: i.to_string(),
                    name: format!("{i:05}_a_rather_long_migration_name_to_fill_the_comment.sql"),
                    execution_ms: 1,
                })
                .collect(),
            ..ApplyReport::default()
        };
        let s = render_apply(&many, &ctx, &Options::default());
        assert!(s.len() <= COMMENT_LIMIT);
        assert!(
            s.contains("applied 5000 migration(s)") && s.contains("more."),
            "{}",
            &s[..300]
        );
    }
}
