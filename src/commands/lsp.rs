//! `sqlgate lsp`: a language server over standard input and output. For each `.sql`
//! file of the migration directory an editor has open, it publishes the findings
//! `sqlgate check --all` would report for that file — judged against every other
//! migration of the directory as its history (the schema they built, the versions
//! they use) — as the text is typed. Syntax errors are diagnostics too. The rule id is
//! the diagnostic's code; the message says what happened, why it matters and what to
//! do.

use crate::app;
use crate::config::{Overrides, Settings};
use crate::source;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, InitializeParams, MessageType, NumberOrString,
    Position, PublishDiagnosticsParams, Range, ServerCapabilities, ShowMessageParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use sqlgate_core::catalog::{self, Content, SourceFile};
use sqlgate_core::model::{Finding, Severity};
use sqlgate_core::{check, Error};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where each rule's documentation is (the diagnostic's link).
const RULES_DOC: &str = "https://github.com/sqlgate/sqlgate/blob/main/docs/rules.md";

fn protocol(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("language server protocol: {e}"))
}

/// Serves until the client says `shutdown` and `exit` (or closes the stream).
pub fn run(config: Option<&Path>) -> Result<i32, Error> {
    let (conn, io) = Connection::stdio();
    let caps = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    };
    let caps = serde_json::to_value(caps).map_err(protocol)?;
    let init = conn.initialize(caps).map_err(protocol)?;
    // The workspace's root holds sqlgate.toml and the migration directory.
    if let Some(root) = serde_json::from_value::<InitializeParams>(init)
        .ok()
        .and_then(|p| p.root_uri)
        .and_then(|u| u.to_file_path().ok())
    {
        if let Err(e) = std::env::set_current_dir(&root) {
            show(
                &conn,
                MessageType::WARNING,
                format!(
                    "sqlgate: cannot use the workspace root {}: {e}",
                    root.display()
                ),
            );
        }
    }
    let mut server = Server {
        conn: &conn,
        config: config.map(Path::to_path_buf),
        docs: HashMap::new(),
    };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(protocol)? {
                    break;
                }
                if req.method == "textDocument/codeAction" {
                    server.code_actions(req)?;
                } else {
                    server.unknown(req)?;
                }
            }
            Message::Notification(n) => server.notify(n)?,
            Message::Response(_) => {}
        }
    }
    drop(conn);
    io.join().map_err(protocol)?;
    Ok(0)
}

fn show(conn: &Connection, typ: MessageType, message: String) {
    let params = ShowMessageParams { typ, message };
    let _ = conn.sender.send(Message::Notification(Notification::new(
        ShowMessage::METHOD.to_string(),
        params,
    )));
}

struct Server<'a> {
    conn: &'a Connection,
    config: Option<PathBuf>,
    /// The open documents' text, as the editor has it.
    docs: HashMap<Url, String>,
}

impl Server<'_> {
    fn unknown(&self, req: Request) -> Result<(), Error> {
        let resp = Response::new_err(
            req.id,
            lsp_server::ErrorCode::MethodNotFound as i32,
            format!("sqlgate lsp does not answer {}", req.method),
        );
        self.conn
            .sender
            .send(Message::Response(resp))
            .map_err(protocol)
    }

    fn notify(&mut self, n: Notification) -> Result<(), Error> {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(n.params).map_err(protocol)?;
                self.docs
                    .insert(p.text_document.uri.clone(), p.text_document.text);
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(n.params).map_err(protocol)?;
                // Full sync: the last change is the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.docs.insert(p.text_document.uri.clone(), change.text);
                }
                p.text_document.uri
            }
            DidSaveTextDocument::METHOD => {
                let p: lsp_types::DidSaveTextDocumentParams =
                    serde_json::from_value(n.params).map_err(protocol)?;
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(n.params).map_err(protocol)?;
                self.docs.remove(&p.text_document.uri);
                return self.publish(p.text_document.uri, Vec::new());
            }
            _ => return Ok(()),
        };
        let diagnostics = match self.diagnose(&uri) {
            Ok(d) => d,
            Err(e) => {
                show(self.conn, MessageType::ERROR, format!("sqlgate: {e}"));
                Vec::new()
            }
        };
        self.publish(uri, diagnostics)
    }

    fn publish(&self, uri: Url, diagnostics: Vec<Diagnostic>) -> Result<(), Error> {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                PublishDiagnostics::METHOD.to_string(),
                params,
            )))
            .map_err(protocol)
    }

    /// The findings for one open document: the directory as on disk, with the
    /// editor's text for the open documents, judged as `check --all` would.
    fn diagnose(&self, uri: &Url) -> Result<Vec<Diagnostic>, Error> {
        let Some(j) = self.judge(uri)? else {
            return Ok(Vec::new());
        };
        Ok(j.report
            .findings
            .iter()
            .filter(|f| f.file == j.shown)
            .map(|f| diagnostic(f, &j.text))
            .collect())
    }

    /// The directory with the editor's open documents, judged; `None` for a document
    /// that is not a migration of this workspace.
    fn judge(&self, uri: &Url) -> Result<Option<Judged>, Error> {
        let Some(text) = self.docs.get(uri) else {
            return Ok(None);
        };
        let Ok(path) = uri.to_file_path() else {
            return Ok(None);
        };
        let settings = Settings::load(self.config.as_deref(), &Overrides::default())?;
        let Some(rel) = relative(&settings.dir, &path) else {
            return Ok(None); // not a migration of this workspace
        };
        let mut files = source::fs::read_dir(
            &settings.dir,
            source::fs::Limits {
                max_file_size: settings.max_file_size,
            },
        )?;
        // Every open document of the directory as the editor has it.
        for (open_uri, open_text) in &self.docs {
            let Some(open_rel) = open_uri
                .to_file_path()
                .ok()
                .and_then(|p| relative(&settings.dir, &p))
            else {
                continue;
            };
            let file = SourceFile {
                path: open_rel.clone(),
                content: Content::Bytes(open_text.clone().into_bytes()),
                name_not_utf8: false,
            };
            match files.iter_mut().find(|f| f.path == open_rel) {
                Some(f) => *f = file,
                None => files.push(file),
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let cat = catalog::build(&files, &app::catalog_options(&settings));
        let report = check::evaluate(&cat, &files, None, &app::check_options(&settings), true);
        let shown = catalog::display_path(&settings.dir_display, &rel);
        Ok(Some(Judged {
            text: text.clone(),
            shown,
            rel,
            path,
            settings,
            files,
            cat,
            report,
        }))
    }

    /// `textDocument/codeAction`: for each fixable finding on the requested lines,
    /// the rewrite `sqlgate fix` would make (the open document is the one being
    /// written; the other migrations count as shipped).
    fn code_actions(&self, req: Request) -> Result<(), Error> {
        let p: lsp_types::CodeActionParams =
            serde_json::from_value(req.params).map_err(protocol)?;
        let actions = match self.judge(&p.text_document.uri) {
            Ok(Some(j)) => j.actions(&p.text_document.uri, p.range),
            Ok(None) => Vec::new(),
            Err(e) => {
                show(self.conn, MessageType::ERROR, format!("sqlgate: {e}"));
                Vec::new()
            }
        };
        let resp = Response::new_ok(req.id, actions);
        self.conn
            .sender
            .send(Message::Response(resp))
            .map_err(protocol)
    }
}

/// An open document judged with its directory.
struct Judged {
    text: String,
    /// The document as findings name it, and relative to the directory.
    shown: String,
    rel: String,
    path: PathBuf,
    settings: Settings,
    files: Vec<SourceFile>,
    cat: catalog::Catalog,
    report: sqlgate_core::model::Report,
}

impl Judged {
    fn actions(&self, uri: &Url, range: Range) -> Vec<lsp_types::CodeActionOrCommand> {
        use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, WorkspaceEdit};
        let wanted = |f: &&Finding| {
            f.file == self.shown
                && sqlgate_core::fix::has_fix(f.rule.rule())
                && f.line.saturating_sub(1) >= range.start.line
                && f.line.saturating_sub(1) <= range.end.line
        };
        let mut out = Vec::new();
        for f in self.report.findings.iter().filter(wanted) {
            let plan = sqlgate_core::fix::plan(
                &self.cat,
                &self.files,
                &|m| m.up.path == self.rel,
                std::slice::from_ref(f),
                &sqlgate_core::fix::Options {
                    dir: &self.settings.dir_display,
                    pg_version: self.settings.pg_version,
                    vars: &self.settings.vars,
                    lock_timeout: "5s",
                    now: chrono::Utc::now(),
                },
            );
            if plan.changes.is_empty() {
                continue;
            }
            let Some(edit) = self.workspace_edit(uri, &plan) else {
                continue;
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("sqlgate: fix {} (the safe equivalent)", f.rule.as_str()),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic(f, &self.text)]),
                edit: Some(WorkspaceEdit {
                    document_changes: Some(edit),
                    ..Default::default()
                }),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        out
    }

    /// The plan as document changes: the open document rewritten, new migrations
    /// created beside it.
    fn workspace_edit(
        &self,
        uri: &Url,
        plan: &sqlgate_core::fix::Plan,
    ) -> Option<lsp_types::DocumentChanges> {
        use lsp_types::{
            CreateFile, DocumentChangeOperation, DocumentChanges, OneOf,
            OptionalVersionedTextDocumentIdentifier, ResourceOp, TextDocumentEdit, TextEdit,
        };
        let dir = self.path.parent()?;
        let depth = self.rel.matches('/').count();
        let root = dir.ancestors().nth(depth)?;
        let mut ops = Vec::new();
        for c in &plan.changes {
            let target = if c.path == self.rel {
                uri.clone()
            } else {
                Url::from_file_path(root.join(&c.path)).ok()?
            };
            let range = if c.old.is_some() {
                Range {
                    start: Position::new(0, 0),
                    end: Position::new(self.text.lines().count() as u32 + 1, 0),
                }
            } else {
                ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                    CreateFile {
                        uri: target.clone(),
                        options: None,
                        annotation_id: None,
                    },
                )));
                Range::default()
            };
            ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: target,
                    version: None,
                },
                edits: vec![OneOf::Left(TextEdit {
                    range,
                    new_text: c.new.clone(),
                })],
            }));
        }
        Some(DocumentChanges::Operations(ops))
    }
}

/// `path` relative to the migration directory, `/`-separated; `None` outside it.
fn relative(dir: &Path, path: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    // The document may not exist on disk yet: its folder does.
    let path = match path.canonicalize() {
        Ok(p) => p,
        Err(_) => path.parent()?.canonicalize().ok()?.join(path.file_name()?),
    };
    let rel = path.strip_prefix(&dir).ok()?;
    let parts: Vec<&str> = rel.iter().map(|c| c.to_str()).collect::<Option<_>>()?;
    Some(parts.join("/"))
}

/// A finding as a diagnostic: at its line and column (LSP counts lines from 0 and
/// characters in UTF-16 units), to the end of that line.
fn diagnostic(f: &Finding, text: &str) -> Diagnostic {
    let line = f.line.saturating_sub(1);
    let source_line = text.lines().nth(line as usize).unwrap_or("");
    let utf16 = |chars: usize| -> u32 {
        source_line
            .chars()
            .take(chars)
            .map(char::len_utf16)
            .sum::<usize>() as u32
    };
    let start = utf16(f.column.saturating_sub(1) as usize);
    let end = utf16(usize::MAX).max(start);
    let rule = f.rule.rule();
    Diagnostic {
        range: Range {
            start: Position {
                line,
                character: start,
            },
            end: Position {
                line,
                character: end,
            },
        },
        severity: Some(match f.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(f.rule.as_str().to_string())),
        code_description: Url::parse(RULES_DOC)
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("sqlgate".into()),
        message: format!("{}\nwhy: {}\nfix: {}", f.message, rule.why, f.fix),
        ..Default::default()
    }
}
