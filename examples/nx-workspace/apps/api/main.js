'use strict';
// The example api: an HTTP server whose GET /health runs `SELECT 1` on the
// database pm2dock started. At startup it queries the database once, without
// retrying: "startup": "ok" in /health means the database was up before the
// api started, which is what `dependsOn: ["services:start-db"]` promises.
//
// Settings: PGHOST, PG_PORT, PGUSER and PGDATABASE from the environment (the
// ecosystem file and the shell), and the password from services/.env, the same
// file compose reads, so that the secret never enters PM2's app environment.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { query } = require('./pg');

const envFile = path.join(__dirname, '..', '..', 'services', '.env');

function readEnvFile(file) {
  const vars = {};
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`api: cannot read ${file}: ${err.message}`);
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

const fileVars = readEnvFile(envFile);
const db = {
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PG_PORT || fileVars.PG_PORT || 55433),
  user: process.env.PGUSER || 'app',
  database: process.env.PGDATABASE || 'app',
  password: fileVars.POSTGRES_PASSWORD || '',
};
const apiPort = Number(process.env.API_PORT || 3000);

async function selectOne() {
  const rows = await query(db, 'SELECT 1');
  return Number(rows[0][0]);
}

let startup = 'pending';
selectOne().then(
  (one) => { startup = 'ok'; console.log(`api: database ${db.host}:${db.port} reachable, SELECT 1 returned ${one}`); },
  (err) => { startup = err.message; console.error(`api: database ${db.host}:${db.port} unreachable at startup: ${err.message}`); },
);

const server = http.createServer(async (req, res) => {
  if (req.method !== 'GET' || req.url !== '/health') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found; try GET /health' }) + '\n');
    return;
  }
  let body;
  try {
    body = { db: 'ok', select1: await selectOne(), startup };
  } catch (err) {
    body = { db: err.message, select1: null, startup };
  }
  res.writeHead(body.db === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
});
server.listen(apiPort, '127.0.0.1', () => console.log(`api: listening on http://127.0.0.1:${apiPort}/health`));

// PM2 stops an app with SIGINT: close the server and leave.
process.on('SIGINT', () => server.close(() => process.exit(0)));
