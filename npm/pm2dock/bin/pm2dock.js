#!/usr/bin/env node
'use strict';
// The launcher npm links as `pm2dock`: it runs the native binary with the
// arguments unchanged and passes its exit code — or the signal that ended it —
// through unchanged. PM2 and Nx do not go through it (they run the binary).
const { spawn } = require('child_process');
const { binaryPath, BinaryNotFound } = require('../lib/binary');

let bin;
try {
  bin = binaryPath();
} catch (err) {
  if (!(err instanceof BinaryNotFound)) throw err;
  process.stderr.write(err.message + '\n');
  process.exit(2); // pm2dock's exit code for a configuration error
}

const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
// On Windows there are no signals to pass on: child.kill() there is
// TerminateProcess, and a console's Ctrl-C reaches the child by itself.
const forwarded = process.platform === 'win32' ? [] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
const handlers = {};
for (const sig of forwarded) {
  handlers[sig] = () => {
    try {
      child.kill(sig);
    } catch (_) {
      // the child is gone; its exit is on its way
    }
  };
  try {
    process.on(sig, handlers[sig]);
  } catch (_) {
    // not a signal on this platform (Windows)
  }
}
child.on('error', (err) => {
  process.stderr.write(`pm2dock: cannot run ${bin}: ${err.message}\n`);
  process.exit(2);
});
child.on('exit', (code, signal) => {
  for (const sig of forwarded) process.removeListener(sig, handlers[sig]);
  if (signal) {
    // End the same way, so the caller sees the signal. Node ignores some
    // (SIGPIPE) and handles others itself; if this process is still here
    // after the re-raise, exit as a shell reports a death by that signal.
    process.kill(process.pid, signal);
    const signo = require('os').constants.signals[signal] || 0;
    setTimeout(() => process.exit(128 + signo), 100);
    return;
  }
  process.exit(code === null ? 1 : code);
});
