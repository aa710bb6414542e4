'use strict';
// A minimal PostgreSQL client: connect, authenticate (SCRAM-SHA-256, MD5 or
// cleartext, as the server asks), run one simple query, return its rows as
// text. Enough for the example to run a real `SELECT 1` without adding an npm
// dependency; a real app would use the `pg` package.
const crypto = require('node:crypto');
const net = require('node:net');

function message(type, body) {
  const head = Buffer.alloc(type ? 5 : 4);
  let off = 0;
  if (type) head.write(type, off++);
  head.writeInt32BE(body.length + 4, off);
  return Buffer.concat([head, body]);
}

const cstr = (s) => Buffer.from(s + '\0');

function startup(user, database) {
  const version = Buffer.alloc(4);
  version.writeInt32BE(196608); // protocol 3.0
  return message('', Buffer.concat([version, cstr('user'), cstr(user), cstr('database'), cstr(database), Buffer.from([0])]));
}

// Reads whole backend messages off a socket as {type, body}.
function reader(socket) {
  let buf = Buffer.alloc(0);
  const queue = [];
  const waiters = [];
  let failure = null;
  const flush = () => {
    while (waiters.length && (queue.length || failure)) {
      const w = waiters.shift();
      queue.length ? w.resolve(queue.shift()) : w.reject(failure);
    }
  };
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
      const len = buf.readInt32BE(1);
      queue.push({ type: String.fromCharCode(buf[0]), body: buf.subarray(5, 1 + len) });
      buf = buf.subarray(1 + len);
    }
    flush();
  });
  const fail = (err) => { failure = failure || err; flush(); };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the server closed the connection')));
  return () => new Promise((resolve, reject) => { waiters.push({ resolve, reject }); flush(); });
}

function serverError(body) {
  const fields = {};
  for (const part of body.toString('utf8').split('\0')) if (part) fields[part[0]] = part.slice(1);
  return new Error(`${fields.S || 'ERROR'}: ${fields.M || 'unknown error'} (SQLSTATE ${fields.C || '?'})`);
}

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// scram runs the SCRAM-SHA-256 exchange of RFC 7677 as PostgreSQL does it.
async function scram(socket, next, password) {
  const nonce = crypto.randomBytes(18).toString('base64');
  const clientFirstBare = `n=*,r=${nonce}`;
  const first = Buffer.from('n,,' + clientFirstBare);
  const len = Buffer.alloc(4);
  len.writeInt32BE(first.length);
  socket.write(message('p', Buffer.concat([cstr('SCRAM-SHA-256'), len, first])));
  const cont = await expectAuth(next, 11);
  const serverFirst = cont.toString('utf8');
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  if (!attrs.r || !attrs.r.startsWith(nonce)) throw new Error('SCRAM: the server nonce does not extend ours');
  const salted = crypto.pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = crypto.createHash('sha256').update(clientKey).digest();
  const finalNoProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${finalNoProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  socket.write(message('p', Buffer.from(`${finalNoProof},p=${proof.toString('base64')}`)));
  const final = (await expectAuth(next, 12)).toString('utf8');
  const expected = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
  if (final !== `v=${expected}`) throw new Error('SCRAM: the server signature does not match');
}

async function expectAuth(next, code) {
  const m = await next();
  if (m.type === 'E') throw serverError(m.body);
  if (m.type !== 'R' || m.body.readInt32BE(0) !== code) throw new Error(`unexpected message ${m.type} during authentication`);
  return m.body.subarray(4);
}

async function authenticate(socket, next, { user, password }) {
  for (;;) {
    const m = await next();
    if (m.type === 'E') throw serverError(m.body);
    if (m.type === 'Z') return; // ready for query
    if (m.type !== 'R') continue; // parameter status, backend key data
    const code = m.body.readInt32BE(0);
    if (code === 10) await scram(socket, next, password);
    else if (code === 3) socket.write(message('p', cstr(password)));
    else if (code === 5) {
      const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');
      socket.write(message('p', cstr('md5' + md5(Buffer.concat([Buffer.from(md5(password + user)), m.body.subarray(4, 8)])))));
    } else if (code !== 0 && code !== 12) throw new Error(`unsupported authentication method ${code}`);
  }
}

// query connects with {host, port, user, password, database}, runs sql and
// returns the rows as arrays of text values. It gives up after timeoutMs.
async function query(cfg, sql, timeoutMs = 5000) {
  const socket = net.connect({ host: cfg.host, port: cfg.port });
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${cfg.host}:${cfg.port} in ${timeoutMs} ms`)));
  const next = reader(socket);
  try {
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.write(startup(cfg.user, cfg.database));
    await authenticate(socket, next, cfg);
    socket.write(message('Q', cstr(sql)));
    const rows = [];
    for (;;) {
      const m = await next();
      if (m.type === 'E') throw serverError(m.body);
      if (m.type === 'Z') return rows;
      if (m.type !== 'D') continue;
      const row = [];
      for (let i = 0, off = 2; i < m.body.readInt16BE(0); i++) {
        const n = m.body.readInt32BE(off);
        row.push(n < 0 ? null : m.body.toString('utf8', off + 4, off + 4 + n));
        off += 4 + Math.max(n, 0);
      }
      rows.push(row);
    }
  } finally {
    socket.setTimeout(0);
    if (!socket.destroyed) socket.end(message('X', Buffer.alloc(0))); // Terminate: a clean goodbye
  }
}

module.exports = { query };
