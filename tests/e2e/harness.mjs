// The e2e harness: a fixture HTTP server on 127.0.0.1, Debian's Chromium with the unpacked
// extension (playwright-core over CDP), and the native-messaging host manifest in the profile.
// Nothing here talks to any address but 127.0.0.1; Chromium's own background traffic is off.

import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
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

// The site fixtures (tests/e2e/sites/DIR/) and the host names the browser maps to them. Pages are
// named by path: /home -> home.html, /company/1/admin/ -> company_1_admin.html, / -> index.html.
export const SITE_HOSTS = Object.freeze({
  'x.com': 'x',
  'twitter.com': 'twitter',
  'www.linkedin.com': 'linkedin',
  'www.facebook.com': 'facebook',
  'business.facebook.com': 'fbbusiness',
  'www.instagram.com': 'instagram',
  'www.reddit.com': 'reddit',
  'mastodon.social': 'mastodon',
  'publish.acme.example': 'tool',
});

// A throw-away self-signed certificate for the site server (openssl; the browsers are told to
// accept it: the built-in site adapters match https:// pages only).
export function selfSignedCert(dir) {
  const key = path.join(dir, 'site-key.pem');
  const cert = path.join(dir, 'site-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=postwarden-e2e',
    '-addext', `subjectAltName=${Object.keys(SITE_HOSTS).map((h) => `DNS:${h}`).join(',')}`], { stdio: 'ignore' });
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

// Serves tests/e2e/sites over HTTPS on 127.0.0.1 (a free port), choosing the fixture directory by
// the Host header. Resolves to { port, close }.
export async function startSiteServer(tmpDir) {
  const root = path.join(HERE, 'sites');
  const server = https.createServer(selfSignedCert(tmpDir), async (req, res) => {
    const u = new URL(req.url, 'https://fixture');
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    const dir = SITE_HOSTS[host];
    let name = u.pathname.replace(/^\/+|\/+$/g, '').replace(/\//g, '_') || 'index';
    if (!/\.(html|js)$/.test(name)) name += '.html';
    const file = name === 'site.js' ? path.join(root, 'site.js') : dir && path.join(root, dir, path.basename(name));
    try {
      if (!file) throw new Error('no such site');
      const body = await fsp.readFile(file);
      const type = name.endsWith('.js') ? 'text/javascript' : 'text/html';
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

// Chromium's flag that sends the fixture host names to the site server (and nothing else
// anywhere: every other name fails to resolve).
export function hostResolverRules(port) {
  return `--host-resolver-rules=${Object.keys(SITE_HOSTS).map((h) => `MAP ${h} 127.0.0.1:${port}`).join(', ')}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`;
}

// A test policy: the shipped default policy (its rules, lists and messages) with test company
// accounts on every site, some the user running the test may post as and some nobody may.
export function writeSitesPolicy(dir, user = os.userInfo().username) {
  const src = path.join(SOURCE_DIR, 'policy', 'default');
  const policy = JSON.parse(fs.readFileSync(path.join(src, 'policy.json'), 'utf8'));
  for (const f of fs.readdirSync(src)) if (f.endsWith('.txt')) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const me = [user];
  const nobody = ['nobody-postwarden-e2e'];
  policy.accounts = [
    { name: 'acme-x', site: 'x.com', handle: '@AcmeCorp', id: '1234567890', users: me },
    { name: 'acme-x-support', site: 'x.com', handle: '@AcmeSupport', id: '1234567891', users: nobody },
    { name: 'acme-linkedin', site: 'linkedin.com', handle: 'acme-corp', id: 'urn:li:organization:2414183', users: me },
    { name: 'acme-linkedin-careers', site: 'linkedin.com', handle: 'acme-careers', id: 'urn:li:organization:2414184', users: nobody },
    { name: 'acme-facebook', site: 'facebook.com', handle: 'AcmeCorp', id: '100064', users: me },
    { name: 'acme-facebook-jobs', site: 'facebook.com', handle: 'AcmeJobs', id: '100065', users: nobody },
    { name: 'acme-instagram', site: 'instagram.com', handle: '@acmecorp', id: '1784', users: me },
    { name: 'acme-instagram-support', site: 'instagram.com', handle: '@acme.support', id: '1785', users: nobody },
    { name: 'acme-reddit', site: 'reddit.com', handle: 'u/AcmeCorp', id: 't2_acme1', users: me },
    { name: 'acme-reddit-support', site: 'reddit.com', handle: 'u/AcmeSupport', id: 't2_acme2', users: nobody },
    { name: 'acme-mastodon', site: 'mastodon.social', handle: '@acme', users: me },
    { name: 'acme-mastodon-support', site: 'mastodon.social', handle: '@acmesupport', users: nobody },
  ];
  const file = path.join(dir, 'policy.json');
  fs.writeFileSync(file, JSON.stringify(policy, null, 2));
  return file;
}

// The publishing tool the site tests list (an admin would put this in managed storage).
export const TOOL_SITE = {
  name: 'publish.acme.example',
  matches: ['https://publish.acme.example/*'],
  compose: ['textarea#message'],
  submit: ['#schedule'],
  scope: '.composer',
  container: '.composer',
  actors: [{ how: 'tool-channel-picker', within: 'scope', selector: '.channel[aria-selected="true"]',
    id: { attr: 'data-account-id' }, handle: { attr: 'data-handle' }, site: { attr: 'data-network' } }],
};

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

// The host binary for a test file; without one the file is skipped (ctest SKIP_RETURN_CODE).
export function hostBinaryOrSkip() {
  const bin = hostBinary();
  if (!bin) {
    console.log('e2e: postwarden-host is not built (set PW_BUILD_DIR or PW_HOST): skipped');
    process.exit(SKIP);
  }
  return bin;
}

// Sets up the real host in standalone mode with the e2e policy, behind host-relay.mjs (which logs
// the frame types and post_attempt fields). Returns { hostPath, frames() }.
// With { relay: false } the wrapper runs the host directly (for measurements; frames() is empty).
export function setupHost(dir, hostBin, extensionId, { relay = true, policy = path.join(HERE, 'policy', 'policy.json'), socket = null } = {}) {
  const config = path.join(dir, 'host.json');
  fs.writeFileSync(config, JSON.stringify({ allowed_extensions: [extensionId] }));
  const log = path.join(dir, 'frames.jsonl');
  fs.writeFileSync(log, '');
  // standalone with a policy, or relay to a real postwardend on `socket`
  const hostArgs = socket ? ['--config', config, '--socket', socket] : ['--config', config, '--policy', policy];
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
export async function launch({ hostPath = null, settings = {}, tag = 'run', args = [], sites = [FIXTURE_SITE], env = undefined, executablePath = CHROMIUM } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`e2e: ${CHROMIUM} not found: run tools/install-deps test (Debian package chromium)`);
    process.exit(1);
  }
  const { chromium } = loadPlaywright();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), `pw-e2e-${tag}-`));
  const expectedId = manifestKeyId();
  installHostManifest(userDataDir, hostPath, expectedId);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: false,
    viewport: { width: 1000, height: 700 },
    ignoreHTTPSErrors: true,
    ...(env ? { env } : {}),
    args: [
      ...args,
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
      // the built-in sites are always registered: wait for the test's own sites too
      const have = new Set(r.flatMap((x) => x.matches));
      const want = [...(s.sites ?? []), ...(s.publishingTools ?? [])].flatMap((x) => x.matches)
        .concat((s.mastodonInstances ?? []).map((h) => `https://${h}/*`));
      if (r.length && want.every((m) => have.has(m))) return Date.now() - t0;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error('content script was not registered');
  }, { sites, ...settings });
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
