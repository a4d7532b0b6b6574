#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages this machine's registry does not
// serve (it serves Linux builds only, so `npm install` leaves the macOS/Windows/... variants out of the lock,
// and `npm ci` then refuses the lock as out of sync). Each missing optional dependency gets an entry with its
// version and the os/cpu/libc read from its name, marked optional: npm skips it on other platforms without
// fetching it, exactly as it does for a complete lock. Run after `npm install` changes the lock.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['x64', 'arm64', 'ia32', 'arm', 'ppc64', 's390x', 'loong64', 'riscv64', 'wasm32', 'mips64el'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = OS.filter((o) => parts.includes(o));
  const cpu = CPU.filter((c) => parts.includes(c));
  const entry = {};
  if (os.length) entry.os = os;
  if (cpu.length) entry.cpu = cpu;
  if (parts.includes('musl') || parts.includes('musleabihf')) entry.libc = ['musl'];
  else if (os.includes('linux') && (parts.includes('gnu') || parts.includes('gnueabihf'))) entry.libc = ['glibc'];
  return entry;
}

const lockPath = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const added = [];
for (const [location, pkg] of Object.entries(lock.packages)) {
  for (const [dep, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform.os && !platform.cpu) continue; // not a platform build: leave it to npm
    lock.packages[hoisted] = { version: range.replace(/^[\^~=]/, ''), ...(pkg.dev ? { dev: true } : {}), optional: true, ...platform };
    added.push(`${dep}@${range}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(added.length ? `added ${added.length} platform entries:\n  ${added.join('\n  ')}\n` : 'lock already complete\n');
