//! `sqlgate lsp` driven over standard input and output, as an editor would.

use crate::support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Client {
    fn start(cwd: &std::path::Path) -> Client {
        let mut child = sqlgate(cwd)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sqlgate lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice(&body) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    /// The next message that `pick` accepts, within 10 s.
    fn wait(&self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(v) if pick(&v) => return v,
                Ok(_) => continue,
                Err(_) => panic!("no {what} within 10 s"),
            }
        }
    }

    /// `initialize` with `root` as the workspace, then `initialized`; the server's
    /// answer to `initialize` and the root's URI.
    fn initialize(&mut self, root: &std::path::Path) -> (Value, String) {
        let root_uri = format!("file://{}", root.display());
        self.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"processId": null, "rootUri": root_uri, "capabilities": {}}}));
        let init = self.wait("the initialize response", |v| v["id"] == 1);
        self.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        (init, root_uri)
    }

    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        let v = self.wait("publishDiagnostics", |v| {
            v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri
        });
        v["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

#[test]
fn diagnostics_as_you_type_with_the_history_as_context() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().canonicalize().unwrap();
    write(
        root.join("migrations/001_orders.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n",
    );
    let mut c = Client::start(&root);
    let (init, root_uri) = c.initialize(&root);
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"], 1,
        "{init}"
    );

    // A new migration, not saved yet: `orders` exists in the history, so the index
    // blocks writes on line 2.
    let uri = format!("{root_uri}/migrations/002_index.sql");
    let bad = "-- speed up totals\nCREATE INDEX orders_total ON orders (total);\n";
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "sql", "version": 1, "text": bad}}}),
    );
    let d = c.diagnostics(&uri);
    let index = d
        .iter()
        .find(|d| d["code"] == "create-index-non-concurrently")
        .unwrap_or_else(|| panic!("{d:?}"));
    assert_eq!(index["range"]["start"]["line"], 1, "{index}");
    assert_eq!(index["severity"], 1, "an error: {index}");
    assert_eq!(index["source"], "sqlgate");
    assert!(
        index["message"].as_str().unwrap().contains("why:"),
        "{index}"
    );

    // A syntax error is a diagnostic too.
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"text": "CREATE INDX orders_total ON orders (total);\n"}]}}),
    );
    let d = c.diagnostics(&uri);
    assert!(d.iter().any(|d| d["code"] == "syntax-error"), "{d:?}");

    // Fixed: the diagnostics clear.
    c.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 3},
        "contentChanges": [{"text": "CREATE INDEX CONCURRENTLY orders_total ON orders (total);\n"}]}}));
    let d = c.diagnostics(&uri);
    assert!(d.is_empty(), "{d:?}");

    // A file outside the migration directory gets nothing.
    let other = format!("{root_uri}/notes.sql");
    c.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": other, "languageId": "sql", "version": 1, "text": "DROP TABLE orders;"}}}));
    assert!(c.diagnostics(&other).is_empty());

    let started = Instant::now();
    c.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
    let _ = c.wait("the shutdown response", |v| v["id"] == 2);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    loop {
        if let Some(status) = c.child.try_wait().expect("wait") {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "no exit within 2 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn code_actions_offer_the_fixes_of_sqlgate_fix() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().canonicalize().unwrap();
    write(
        root.join("migrations/001_orders.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric, shop_id bigint);\nCREATE TABLE shops (id bigint PRIMARY KEY);\n",
    );
    let mut c = Client::start(&root);
    let (init, root_uri) = c.initialize(&root);
    assert_eq!(
        init["result"]["capabilities"]["codeActionProvider"], true,
        "{init}"
    );
    let uri = format!("{root_uri}/migrations/002_index.sql");
    let text = "-- speed up totals\nCREATE INDEX orders_total ON orders (total);\n";
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "sql", "version": 1, "text": text}}}),
    );
    let d = c.diagnostics(&uri);
    assert!(
        d.iter()
            .any(|d| d["code"] == "create-index-non-concurrently"),
        "{d:?}"
    );

    let ask = |c: &mut Client, id: u64, line: u64| {
        c.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 5}},
            "context": {"diagnostics": []}}}));
        c.wait("the code actions", |v| v["id"] == id)["result"].clone()
    };
    let actions = ask(&mut c, 2, 1);
    let action = &actions[0];
    assert_eq!(action["kind"], "quickfix", "{actions}");
    assert!(action["title"]
        .as_str()
        .unwrap()
        .contains("create-index-non-concurrently"));
    let edits = action["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(
        edits.len(),
        1,
        "the file becomes a no-transaction one in place: {edits:?}"
    );
    assert_eq!(edits[0]["textDocument"]["uri"], uri.as_str());
    assert_eq!(
        edits[0]["edits"][0]["newText"],
        "-- sqlgate:no-transaction\n-- speed up totals\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total ON orders (total);\n"
    );
    // A line without a fixable finding has none.
    assert_eq!(ask(&mut c, 3, 0), json!([]));

    // A fix that needs a later migration creates it beside the document.
    let text = "ALTER TABLE orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops;\n";
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}}),
    );
    let _ = c.diagnostics(&uri);
    let actions = ask(&mut c, 4, 0);
    let ops = actions[0]["edit"]["documentChanges"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        ops.iter().any(|o| o["kind"] == "create"
            && o["uri"]
                .as_str()
                .unwrap()
                .ends_with("/migrations/003_index_validate.sql")),
        "{ops:?}"
    );
    assert!(
        ops.iter().any(|o| o["edits"][0]["newText"]
            .as_str()
            .is_some_and(|t| t.contains("VALIDATE CONSTRAINT orders_shop_fk"))),
        "{ops:?}"
    );
    c.send(json!({"jsonrpc": "2.0", "id": 5, "method": "shutdown", "params": null}));
    let _ = c.wait("the shutdown response", |v| v["id"] == 5);
    c.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let _ = c.child.wait();
}
