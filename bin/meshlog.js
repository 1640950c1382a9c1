#!/usr/bin/env node
// The meshlog binary: `meshlog server|agent|<command>` dispatches to the server app, the agent app or the CLI.
const [command, ...rest] = process.argv.slice(2);
const target = command === "server" ? "../apps/server/dist/main.js" : command === "agent" ? "../apps/agent/dist/main.js" : "../apps/cli/dist/main.js";
const args = command === "server" || command === "agent" ? rest : process.argv.slice(2);
let mod;
try {
  mod = await import(new URL(target, import.meta.url).href);
} catch (err) {
  if (err && err.code === "ERR_MODULE_NOT_FOUND") {
    process.stderr.write(`meshlog: not built yet (${err.message}); run npm run build\n`);
    process.exit(1);
  }
  throw err;
}
process.exitCode = await mod.main(args);
