//! GitHub Actions workflow-command annotations (`::error file=…,line=…::…`), most
//! severe first.

use crate::findings::{Report, Severity};

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
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

/// One annotation line per finding (the report is already sorted by severity).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let mut message = f.message.clone();
        if !f.fix.is_empty() {
            message.push_str("\nFix: ");
            message.push_str(&f.fix);
        }
        out.push_str(&format!(
            "::{} file={},line={},col={},title={}::{}\n",
            level(f.severity),
            escape_property(&f.file),
            f.line,
            f.column,
            escape_property(&format!("sqlgate {}", f.rule)),
            escape_data(&message)
        ));
    }
    out
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
