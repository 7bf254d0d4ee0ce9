//! GitHub Actions workflow-command annotations (`::error file=…,line=…::…`), most
//! severe first.

use crate::model::{Failure, Finding, Report, Severity};

/// Escapes the message part of a workflow command (control characters shown as
/// escapes first, then GitHub's own `%`, CR and LF escapes).
pub fn escape_data(s: &str) -> String {
    // `##[` would start an old-style command anywhere in a line.
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace("##[", "##%5B");
    super::clean(&escaped).into_owned()
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotation command for one severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// The workflow command annotating one finding at its file, line and column.
pub fn annotation(f: &Finding) -> String {
    let mut message = f.message.clone();
    if !f.fix.is_empty() {
        message.push_str("\nFix: ");
        message.push_str(&f.fix);
    }
    format!(
        "::{} file={},line={},col={},title={}::{}",
        level(f.severity),
        escape_property(&f.file),
        f.line,
        f.column,
        escape_property(&format!("sqlgate {}", f.rule)),
        escape_data(&message)
    )
}

/// The annotation of a failed migration at its file (as GitHub knows it), line and
/// column.
pub fn failure_annotation(f: &Failure, file: &str) -> String {
    format!(
        "::error file={},line={},col={},title={}::{}",
        escape_property(file),
        f.line,
        f.column,
        escape_property("sqlgate apply failed"),
        escape_data(&f.message)
    )
}

/// One annotation line per finding (the report is already sorted by severity).
pub fn render(report: &Report) -> String {
    report
        .findings
        .iter()
        .map(|f| annotation(f) + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
