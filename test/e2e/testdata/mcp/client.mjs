// A real MCP client for the e2e tests: the TypeScript SDK's Client over
// stdio, spawning COMMAND ARGS... in DIR (as an agent spawns a server its
// config names). It makes the calls of CALLS (a JSON array of {"list": true}
// or {"name": TOOL, "arguments": {...}}) in order and prints one JSON array
// of answers:
// {"tools": [names]} | {"isError": bool, "text": "…"} | {"protocolError": "…"}.
//
// usage: node client.mjs DIR CALLS COMMAND [ARGS...]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [dir, calls, command, ...args] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command,
  args,
  cwd: dir,
  env: process.env, // the test's PM2_HOME and engine
  stderr: 'inherit',
});
const client = new Client({ name: 'pm2dock-e2e', version: '1.0.0' });
await client.connect(transport);
const answers = [];
for (const call of JSON.parse(calls)) {
  if (call.list) {
    const res = await client.listTools();
    answers.push({ tools: res.tools.map((t) => t.name).sort() });
    continue;
  }
  try {
    const res = await client.callTool({ name: call.name, arguments: call.arguments ?? {} }, undefined, { timeout: 180_000 });
    answers.push({ isError: Boolean(res.isError), text: res.content.map((c) => c.text ?? '').join('') });
  } catch (err) {
    answers.push({ protocolError: String(err && err.message) });
  }
}
await client.close();
process.stdout.write(JSON.stringify(answers) + '\n');
