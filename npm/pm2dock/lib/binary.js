'use strict';
// Finds the native pm2dock binary of this platform: PM2DOCK_BINARY when set,
// else the binary of the platform package npm installed as an optional
// dependency (@pm2dock/<os>-<cpu>), the way esbuild, Biome and turbo ship theirs.
const fs = require('fs');
const path = require('path');

const version = require('../package.json').version;

const platforms = {
  'linux x64': '@pm2dock/linux-x64',
  'linux arm64': '@pm2dock/linux-arm64',
  'darwin x64': '@pm2dock/darwin-x64',
  'darwin arm64': '@pm2dock/darwin-arm64',
  'win32 x64': '@pm2dock/win32-x64',
};

class BinaryNotFound extends Error {}

function platformPackage() {
  return platforms[`${process.platform} ${process.arch}`];
}

// binaryPath returns the absolute path of the native binary, or throws a
// BinaryNotFound whose message says what to do.
function binaryPath() {
  const override = process.env.PM2DOCK_BINARY;
  if (override) {
    if (!fs.existsSync(override)) {
      throw new BinaryNotFound(`pm2dock: PM2DOCK_BINARY=${override}: no such file.\n  → point it at a pm2dock binary, or unset it to use the installed platform package`);
    }
    return path.resolve(override);
  }
  const pkg = platformPackage();
  if (!pkg) {
    throw new BinaryNotFound(
      `pm2dock: no prebuilt binary for ${process.platform}/${process.arch} (there are: ${Object.keys(platforms).map((k) => k.replace(' ', '/')).join(', ')}).\n` +
        '  → build it with Go (go install github.com/pm2dock/pm2dock/cmd/pm2dock@latest) and set PM2DOCK_BINARY to it');
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (_) {
    throw new BinaryNotFound(
      `pm2dock: the platform package ${pkg} is not installed, so there is no pm2dock binary to run.\n` +
        '  npm leaves optional dependencies out with --omit=optional (or --no-optional),\n' +
        '  and a lockfile written on another platform may lack this one.\n' +
        `  → install it: npm install --save-optional ${pkg}@${version}   (or npm install without --omit=optional)\n` +
        '  → or set PM2DOCK_BINARY to a pm2dock binary');
  }
  const bin = path.join(dir, 'bin', process.platform === 'win32' ? 'pm2dock.exe' : 'pm2dock');
  if (!fs.existsSync(bin)) {
    throw new BinaryNotFound(`pm2dock: ${pkg} is installed but has no ${bin}.\n  → reinstall it: npm install --save-optional ${pkg}@${version}`);
  }
  if (process.platform !== 'win32') {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch (_) {
      try {
        fs.chmodSync(bin, 0o755); // some package managers drop the mode bits
      } catch (err) {
        throw new BinaryNotFound(`pm2dock: ${bin} is not executable and cannot be made so (${err.code || err.message}).\n` +
          `  → chmod +x ${bin}, or reinstall ${pkg} as the user that owns node_modules`);
      }
    }
  }
  return bin;
}

module.exports = { binaryPath, platformPackage, platforms, version, BinaryNotFound };
