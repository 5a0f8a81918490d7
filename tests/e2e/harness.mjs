// The e2e harness: a fixture HTTP server on 127.0.0.1, Debian's Chromium with the unpacked
// extension (playwright-core over CDP), and the native-messaging host manifest in the profile.
// Nothing here talks to any address but 127.0.0.1; Chromium's own background traffic is off.

import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = path.resolve(HERE, '../..');
export const EXTENSION_DIR = path.join(SOURCE_DIR, 'extension');
export const ARTIFACTS = path.join(HERE, 'artifacts');
export const CHROMIUM = process.env.PW_CHROMIUM ?? '/usr/bin/chromium';
export const HOST_NAME = 'com.postwarden.host';
export const SKIP = 77; // ctest SKIP_RETURN_CODE

const require = createRequire(path.join(HERE, 'package.json'));

// playwright-core from tests/e2e/node_modules (tools/install-deps test installs it).
export function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch {
    console.error('e2e: playwright-core is not installed: run tools/install-deps test (npm ci in tests/e2e)');
    process.exit(1);
  }
}

// The extension id Chromium derives from the manifest's `key`: the first 32 hex digits of the
// SHA-256 of the DER public key, with 0-9a-f written as a-p.
export function extensionIdFromKey(keyBase64) {
  const hex = crypto.createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode('a'.charCodeAt(0) + parseInt(c, 16))).join('');
}

export function manifestKeyId() {
  const m = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'manifest.json'), 'utf8'));
  return extensionIdFromKey(m.key);
}

// Serves tests/e2e/fixtures on 127.0.0.1 (a free port). Resolves to { url, close }.
export async function startFixtureServer() {
  const dir = path.join(HERE, 'fixtures');
  const server = http.createServer(async (req, res) => {
    const name = path.basename(new URL(req.url, 'http://127.0.0.1').pathname) || 'index.html';
    const file = path.join(dir, name);
    try {
      const body = await fsp.readFile(file);
      const type = name.endsWith('.js') ? 'text/javascript' : 'text/html';
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

// Writes the host manifest into the profile (Debian's chromium reads
// <userDataDir>/NativeMessagingHosts/, not ~/.config/chromium/NativeMessagingHosts). `hostPath`
// null: no manifest at all (the "host missing" case).
export function installHostManifest(userDataDir, hostPath, extensionId) {
  const dir = path.join(userDataDir, 'NativeMessagingHosts');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${HOST_NAME}.json`);
  if (!hostPath) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.writeFileSync(file, JSON.stringify({
    name: HOST_NAME,
    description: 'Postwarden native-messaging host (e2e test)',
    path: hostPath,
    type: 'stdio',
    allowed_origins: [`chrome-extension://${extensionId}/`],
  }, null, 2));
}

// A wrapper script that runs the real host standalone with the test policy (Chromium passes the
// caller's origin as the argument; the wrapper forwards it).
export function writeHostWrapper(dir, hostBinary, args) {
  const file = path.join(dir, 'postwarden-host-e2e');
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(file, `#!/bin/sh\nexec ${q(hostBinary)} ${args.map(q).join(' ')} "$@"\n`, { mode: 0o755 });
  return file;
}

// The real host binary: $PW_HOST, else $PW_BUILD_DIR/nmhost/postwarden-host; null if not built.
export function hostBinary() {
  const candidates = [process.env.PW_HOST, process.env.PW_BUILD_DIR && path.join(process.env.PW_BUILD_DIR, 'nmhost', 'postwarden-host')];
  for (const c of candidates) if (c && fs.existsSync(c)) return path.resolve(c);
  return null;
}

// Sets up the real host in standalone mode with the e2e policy, behind host-relay.mjs (which logs
// the frame types and post_attempt fields). Returns { hostPath, frames() }.
// With { relay: false } the wrapper runs the host directly (for measurements; frames() is empty).
export function setupHost(dir, hostBin, extensionId, { relay = true } = {}) {
  const config = path.join(dir, 'host.json');
  fs.writeFileSync(config, JSON.stringify({ allowed_extensions: [extensionId] }));
  const log = path.join(dir, 'frames.jsonl');
  fs.writeFileSync(log, '');
  const hostArgs = ['--config', config, '--policy', path.join(HERE, 'policy', 'policy.json')];
  const hostPath = relay
    ? writeHostWrapper(dir, process.execPath, [path.join(HERE, 'host-relay.mjs'), log, hostBin, ...hostArgs])
    : writeHostWrapper(dir, hostBin, hostArgs);
  return {
    hostPath,
    frames: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
  };
}

// Changes the extension's local settings (see launch()) and waits until the worker has them.
export async function setSettings(worker, settings) {
  await worker.evaluate(async (s) => {
    await chrome.storage.local.set({ settings: s });
  }, { sites: [FIXTURE_SITE], ...settings });
}

// The site entry the tests configure: the fixture server's pages.
export const FIXTURE_SITE = {
  name: 'fixture.test',
  matches: ['http://127.0.0.1/*'],
  scope: '.composer',
  submit: ['#post', 'button[type="submit"]'],
};

// Launches Chromium with the extension; resolves to { context, worker, extensionId, userDataDir,
// close }. `settings` go to the extension's local settings (the stricter-only layer: sites,
// failMode, perfMarks) the way an admin's managed settings would, since managed storage needs a
// machine-wide policy file the tests must not write.
export async function launch({ hostPath = null, settings = {}, tag = 'run' } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`e2e: ${CHROMIUM} not found: run tools/install-deps test (Debian package chromium)`);
    process.exit(1);
  }
  const { chromium } = loadPlaywright();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), `pw-e2e-${tag}-`));
  const expectedId = manifestKeyId();
  installHostManifest(userDataDir, hostPath, expectedId);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false,
    viewport: { width: 1000, height: 700 },
    args: [
      '--headless=new',
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-default-apps',
      '--metrics-recording-only',
      '--password-store=basic',
    ],
  });
  let [worker] = context.serviceWorkers();
  if (!worker) worker = await context.waitForEvent('serviceworker', { timeout: 15000 });
  const extensionId = new URL(worker.url()).host;
  const registeredMs = await worker.evaluate(async (s) => {
    await chrome.storage.local.set({ settings: s });
    // Wait until the content script registration reflects the settings.
    // Chromium answers storage.managed slowly right after start (it waits for its policy
    // service), so the first registration can take a second or two.
    const t0 = Date.now();
    while (Date.now() - t0 < 15000) {
      const r = await chrome.scripting.getRegisteredContentScripts();
      if (r.length || !(s.sites && s.sites.length)) return Date.now() - t0;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error('content script was not registered');
  }, { sites: [FIXTURE_SITE], ...settings });
  // The first-run tab opens on install; note that it did, and close it so pages start clean.
  const isFirstRun = (p) => p.url().includes('/pages/firstrun.html');
  let firstRun = context.pages().find(isFirstRun);
  if (!firstRun) firstRun = await context.waitForEvent('page', { predicate: isFirstRun, timeout: 5000 }).catch(() => null);
  const firstRunSeen = Boolean(firstRun);
  for (const p of context.pages()) if (isFirstRun(p)) await p.close();
  if (process.env.PW_E2E_VERBOSE) console.error(`e2e: content script registered after ${registeredMs} ms`);
  return {
    context,
    worker,
    extensionId,
    expectedId,
    userDataDir,
    firstRunSeen,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Percentile of a list of numbers (nearest rank).
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
