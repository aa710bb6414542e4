'use strict';
// pm2dock/nx: the Nx plugin. Registered in nx.json as {"plugin": "pm2dock/nx"}
// (`pm2dock init --nx` adds it), it infers for every folder holding a
// pm2dock.yaml the targets `pm2dock init --nx --project-json` would write —
// start, stop, restart, status, logs, events, wait, prune for the stack and
// start-SVC … per service — asking the native binary for them, so the two
// never differ. The targets run the native binary of this machine, never the
// launcher. Targets a project.json defines win, as in every Nx plugin.
//
// Options: {"targetNames": {"start": "up", "stop": "down", …}} renames a verb's
// targets (the per-service ones become up-db, …).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { binaryPath } = require('./lib/binary');

const pattern = '**/pm2dock.yaml';

function renamed(targets, names) {
  if (!names || Object.keys(names).length === 0) return targets;
  const out = {};
  for (const [name, target] of Object.entries(targets)) {
    const dash = name.indexOf('-');
    const verb = dash < 0 ? name : name.slice(0, dash);
    const rest = dash < 0 ? '' : name.slice(dash);
    out[names[verb] ? names[verb] + rest : name] = target;
  }
  return out;
}

function nodesFor(file, options, context) {
  const root = path.dirname(file);
  const dir = path.join(context.workspaceRoot, root);
  const bin = binaryPath();
  const raw = execFileSync(bin, ['--dir', dir, 'nx-targets', '--workspace', context.workspaceRoot, '--bin', bin],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const project = { root: root === '' ? '.' : root, targets: renamed(JSON.parse(raw).targets, options && options.targetNames) };
  // A folder with its own project.json or package.json is named there.
  if (!fs.existsSync(path.join(dir, 'project.json')) && !fs.existsSync(path.join(dir, 'package.json'))) {
    project.name = path.basename(dir);
  }
  return { projects: { [project.root]: project } };
}

async function createNodesFunction(files, options, context) {
  const results = [];
  for (const file of files) {
    try {
      results.push([file, nodesFor(file, options, context)]);
    } catch (err) {
      const why = (err.stderr || err.message || '').toString().trim();
      throw new Error(`pm2dock/nx: ${file}: ${why}`);
    }
  }
  return results;
}

const createNodesV2 = [pattern, createNodesFunction];

module.exports = { name: 'pm2dock/nx', createNodesV2, createNodes: createNodesV2 };
