// Starts `sqlgate lsp` for the workspace's .sql files (see docs/editors.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("sqlgate").get("path") || "sqlgate";
  client = new LanguageClient(
    "sqlgate",
    "sqlgate",
    { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "sql" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
