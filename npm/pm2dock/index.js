'use strict';
// require('pm2dock'): the PM2 ecosystem helper.
//
//   // ecosystem.config.js
//   const pm2dock = require('pm2dock');
//   module.exports = { apps: [...myApps, ...pm2dock.apps({ dir: __dirname + '/services' })] };
//
// `pm2 start ecosystem.config.js` then starts the Node apps and the
// containers together (`--only db` one of them); `pm2dock wait` waits until
// they are healthy.
const { execFileSync } = require('child_process');
const path = require('path');
const { binaryPath, version } = require('./lib/binary');

// apps returns the PM2 app definitions of the services of the pm2dock.yaml
// (or zero-config compose project) in opts.dir (default: the current folder;
// relative to it), or of opts.file. opts.only keeps the named services.
//
// Each app runs the native pm2dock binary (no Node process in front of the
// shim) and holds no secret: the variables the compose project reads from
// this environment are handed to the shim through <state_dir>/handoff.env
// (mode 0600), and every app has filter_env, so PM2 copies none of the
// calling shell's environment into `pm2 env`, `pm2 jlist` or its dump file.
function apps(opts = {}) {
  const bin = binaryPath();
  const args = [];
  if (opts.file) args.push('--file', path.resolve(opts.file));
  else args.push('--dir', path.resolve(opts.dir || '.'));
  args.push('ecosystem', '--handoff');
  let out;
  try {
    out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  } catch (err) {
    const why = (err.stderr || err.message || '').toString().trim();
    const e = new Error(`pm2dock apps(${JSON.stringify(opts)}): ${bin} ${args.join(' ')} exited ${err.status}:\n${why}`);
    e.exitCode = err.status;
    throw e;
  }
  let list = JSON.parse(out).apps;
  if (opts.only !== undefined) {
    const only = [].concat(opts.only);
    const unknown = only.filter((n) => !list.some((a) => a.name === n));
    if (unknown.length > 0) {
      throw new Error(`pm2dock apps: unknown service(s) ${unknown.join(', ')}; known: ${list.map((a) => a.name).join(', ')}`);
    }
    list = list.filter((a) => only.includes(a.name));
  }
  return list;
}

module.exports = { apps, binaryPath, version };
