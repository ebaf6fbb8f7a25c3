// The flowc extension: the language server `flowc lsp` for .flow files.
//
// Highlighting (syntaxes/flow.tmLanguage.json) and brackets and comments
// (language-configuration.json) need no code. This starts the server over
// stdin/stdout with the command in the setting `flowc.server.path`, and starts
// it again when that setting changes.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const command = vscode.workspace.getConfiguration("flowc").get("server.path", "flowc");
  return { command, args: ["lsp"] };
}

function start() {
  client = new LanguageClient("flowc", "flowc", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "flow" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.flow") },
  });
  return client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("flowc.server.path")) {
        await deactivate();
        await start();
      }
    })
  );
  await start();
}

async function deactivate() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

module.exports = { activate, deactivate };
