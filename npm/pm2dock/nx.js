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
const { execFile } = require('child_process');
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

function targetsOf(bin, dir, workspaceRoot) {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--dir', dir, 'nx-targets', '--workspace', workspaceRoot, '--bin', bin],
      { encoding: 'utf8', windowsHide: true, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) {
          reject(new Error((stderr || err.message || '').toString().trim()));
          return;
        }
        try {
          resolve(JSON.parse(stdout).targets);
        } catch (e) {
          reject(new Error(`pm2dock nx-targets printed no JSON: ${e.message}`));
        }
      });
  });
}

async function nodesFor(bin, file, options, context) {
  const root = path.dirname(file);
  const dir = path.join(context.workspaceRoot, root);
  const targets = await targetsOf(bin, dir, context.workspaceRoot);
  const project = { root: root === '' ? '.' : root, targets: renamed(targets, options && options.targetNames) };
  // A folder with its own project.json or package.json is named there.
  if (!fs.existsSync(path.join(dir, 'project.json')) && !fs.existsSync(path.join(dir, 'package.json'))) {
    project.name = path.basename(dir);
  }
  return { projects: { [project.root]: project } };
}

// aggregateError is Nx's error for a plugin that found some projects and
// failed on others: Nx reports each failed file and keeps the rest.
function aggregateError(errors, results, workspaceRoot) {
  try {
    const nx = require(require.resolve('nx/src/devkit-exports', { paths: [workspaceRoot] }));
    if (nx.AggregateCreateNodesError) return new nx.AggregateCreateNodesError(errors, results);
  } catch (_) {
    // an Nx without it: one error naming every file
  }
  return new Error(errors.map(([file, err]) => err.message).join('\n'));
}

// Every pm2dock.yaml is asked about at once (a binary each). A broken one is
// reported as that file's error, with pm2dock's reason and fix, alongside the
// others' results (Nx then refuses a project graph with errors, as it does for
// every plugin's).
async function createNodesFunction(files, options, context) {
  let bin;
  try {
    bin = binaryPath();
  } catch (err) {
    throw new Error(`pm2dock/nx: ${err.message}`);
  }
  const settled = await Promise.allSettled(files.map((file) => nodesFor(bin, file, options, context)));
  const results = [];
  const errors = [];
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') results.push([files[i], r.value]);
    else errors.push([files[i], new Error(`pm2dock/nx: ${files[i]}: ${r.reason.message}`)]);
  });
  if (errors.length) throw aggregateError(errors, results, context.workspaceRoot);
  return results;
}

const createNodesV2 = [pattern, createNodesFunction];

module.exports = { name: 'pm2dock/nx', createNodesV2, createNodes: createNodesV2 };
