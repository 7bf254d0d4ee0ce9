//! GitHub Actions workflow commands and environment files: annotations (capped at
//! GitHub's 10 per level per step, most severe first), `::add-mask::`, step outputs in
//! `$GITHUB_OUTPUT` (multi-line safe) and the job summary in `$GITHUB_STEP_SUMMARY`
//! (GitHub rejects more than 1 MiB per step).

use sqlgate_core::model::{Finding, Severity};
use sqlgate_core::report::github::{annotation, escape_data, escape_property};
use sqlgate_core::Error;
use std::io::Write;
use std::path::Path;

/// GitHub shows at most this many annotations of each level per step.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

/// The job summary limit per step (1 MiB), with room for what other steps wrote.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// Annotation lines for the most severe findings, at most [`ANNOTATIONS_PER_LEVEL`]
/// per level, errors first; and how many findings were left out.
pub fn annotations(findings: &[Finding]) -> (Vec<String>, usize) {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
    });
    let mut lines = Vec::new();
    let mut skipped = 0;
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let of_level: Vec<&&Finding> = sorted.iter().filter(|f| f.severity == sev).collect();
        for f in of_level.iter().take(ANNOTATIONS_PER_LEVEL) {
            lines.push(annotation(f));
        }
        skipped += of_level.len().saturating_sub(ANNOTATIONS_PER_LEVEL);
    }
    (lines, skipped)
}

/// A plain annotation without a location (`::warning::…`).
pub fn message(kind: &str, title: &str, text: &str) -> String {
    format!(
        "::{kind} title={}::{}",
        escape_property(title),
        escape_data(text)
    )
}

/// The `::add-mask::` command for a secret, or `None` when there is nothing worth
/// masking. Multi-line values are escaped so every line is masked.
pub fn add_mask(secret: &str) -> Option<String> {
    if secret.trim().is_empty() {
        return None;
    }
    Some(format!("::add-mask::{}", escape_data(secret)))
}

/// Formats step outputs for `$GITHUB_OUTPUT`: `name=value` for single-line values,
/// the heredoc form with a delimiter that does not occur in the value otherwise.
pub fn format_outputs(outputs: &[(&str, String)], nonce: &str) -> String {
    let mut out = String::new();
    for (name, value) in outputs {
        if value.contains('\n') || value.contains('\r') {
            let mut delimiter = format!("ghadelimiter_{nonce}");
            while value.contains(&delimiter) || name.contains(&delimiter) {
                delimiter.push('_');
            }
            out.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            out.push_str(&format!("{name}={value}\n"));
        }
    }
    out
}

/// A value no output can guess, for heredoc delimiters and `::stop-commands::`
/// tokens: 24 hex digits from the operating system's random source (a token derived
/// from the time and the process id could be predicted by a migration written to
/// end the block early).
pub fn nonce() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 12];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        // No random source: hash what this process alone knows (addresses, time).
        use sha2::{Digest, Sha256};
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let local = 0u8;
        let digest = Sha256::digest(
            format!("{now}:{}:{:p}:{:p}", std::process::id(), &local, &bytes).as_bytes(),
        );
        bytes.copy_from_slice(&digest[..12]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends text to an environment file (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`).
pub fn append(path: &Path, text: &str) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::Io(format!("cannot open `{}`: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::Io(format!("cannot write `{}`: {e}", path.display())))
}

/// How many bytes of job summary are still free for this step.
pub fn summary_room(path: &Path) -> usize {
    let used = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    SUMMARY_LIMIT.saturating_sub(usize::try_from(used).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(sev: Severity, i: usize) -> Finding {
        let mut f = Finding::new(
            &sqlgate_core::rules::history::MODIFIED_MIGRATION,
            format!("m/{i:03}.sql"),
            "edited: a, b",
        );
        f.severity = sev;
        f
    }

    #[test]
    fn annotations_are_capped_per_level_most_severe_first() {
        let mut all = Vec::new();
        for i in 0..25 {
            all.push(finding(Severity::Warning, i));
        }
        for i in 0..12 {
            all.push(finding(Severity::Error, i));
        }
        all.push(finding(Severity::Info, 0));
        let (lines, skipped) = annotations(&all);
        assert_eq!(lines.len(), 21);
        assert_eq!(skipped, 17);
        assert!(lines[..10].iter().all(|l| l.starts_with("::error ")));
        assert!(lines[10..20].iter().all(|l| l.starts_with("::warning ")));
        assert!(lines[20].starts_with("::notice "));
        assert!(lines[0].contains(
            "file=m/000.sql,line=1,col=1,title=sqlgate modified-migration::edited: a, b"
        ));
    }

    #[test]
    fn outputs_single_and_multi_line() {
        let s = format_outputs(
            &[
                ("errors", "3".into()),
                ("text", "a\nghadelimiter_x\nb".into()),
            ],
            "x",
        );
        assert_eq!(
            s,
            "errors=3\ntext<<ghadelimiter_x_\na\nghadelimiter_x\nb\nghadelimiter_x_\n"
        );
    }

    #[test]
    fn masks() {
        assert_eq!(add_mask(""), None);
        assert_eq!(add_mask("p%w\nx").unwrap(), "::add-mask::p%25w%0Ax");
    }
}
