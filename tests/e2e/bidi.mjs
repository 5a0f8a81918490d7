// Debian's firefox-esr driven over WebDriver BiDi (a WebSocket, npm `ws`): playwright cannot drive
// Debian's Firefox, BiDi can. Firefox starts headless with a fresh profile and HOME pointed at a
// temporary directory (its native-messaging host manifests are read from
// $HOME/.mozilla/native-messaging-hosts/); the unpacked extension is installed with
// webExtension.install. Every host name resolves to 127.0.0.1 (network.dns.forceResolve), so the
// site fixtures are reached at https://x.com:PORT/ and nothing else is reachable.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { HERE, EXTENSION_DIR, HOST_NAME } from './harness.mjs';

export const FIREFOX = process.env.PW_FIREFOX ?? '/usr/bin/firefox-esr';
export const FIREFOX_EXTENSION_ID = 'postwarden@example.com'; // browser_specific_settings.gecko.id

const require = createRequire(path.join(HERE, 'package.json'));

export function loadWs() {
  try {
    return require('ws');
  } catch {
    console.error('e2e: npm package ws is not installed: run tools/install-deps test (npm ci in tests/e2e)');
    process.exit(1);
  }
}

// Writes Firefox's host manifest under $HOME (the test's temporary HOME).
export function installFirefoxHostManifest(home, hostPath) {
  const dir = path.join(home, '.mozilla', 'native-messaging-hosts');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${HOST_NAME}.json`), JSON.stringify({
    name: HOST_NAME,
    description: 'Postwarden native-messaging host (e2e test)',
    path: hostPath,
    type: 'stdio',
    allowed_extensions: [FIREFOX_EXTENSION_ID],
  }, null, 2));
}

const PREFS = {
  'network.dns.forceResolve': '127.0.0.1', // every name to the fixture server; nothing leaves
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'app.update.auto': false,
  'extensions.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
};

// Starts firefox-esr and opens a BiDi session. Resolves to { send, evaluate, close, extensionId }.
export async function launchFirefox({ home, profile }) {
  if (!fs.existsSync(FIREFOX)) {
    console.error(`e2e: ${FIREFOX} not found: run tools/install-deps test (Debian package firefox-esr)`);
    process.exit(1);
  }
  const WebSocket = loadWs();
  fs.mkdirSync(profile, { recursive: true });
  fs.writeFileSync(path.join(profile, 'user.js'),
    Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n'));
  const ff = spawn(FIREFOX, ['--headless', '--remote-debugging-port=0', '--profile', profile, '--no-remote'], {
    env: { ...process.env, HOME: home, MOZ_CRASHREPORTER_DISABLE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`firefox did not start BiDi:\n${log}`)), 30000);
    ff.stderr.on('data', (d) => {
      log += d;
      const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    ff.on('exit', (code) => reject(new Error(`firefox exited (${code}):\n${log}`)));
  });
  const ws = new WebSocket(`${url}/session`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map();
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    const w = m.id !== undefined && waiting.get(m.id);
    if (!w) return; // events: not subscribed to any
    waiting.delete(m.id);
    if (m.type === 'error') w.reject(new Error(`${m.error}: ${m.message}`));
    else w.resolve(m.result);
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
  await send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
  const { extension } = await send('webExtension.install', { extensionData: { type: 'path', path: EXTENSION_DIR } });

  // Runs `fn` (a function, called with `args`) in the page of `context`; resolves to its result
  // (through JSON both ways).
  const evaluate = async (context, fn, ...args) => {
    const r = await send('script.callFunction', {
      functionDeclaration: `async (a) => JSON.stringify((await (${fn})(...JSON.parse(a))) ?? null)`,
      target: { context },
      arguments: [{ type: 'string', value: JSON.stringify(args) }],
      awaitPromise: true,
      resultOwnership: 'none',
    });
    if (r.type === 'exception') throw new Error(`in page: ${r.exceptionDetails?.text}`);
    return JSON.parse(r.result.value);
  };

  return {
    extensionId: extension,
    send,
    evaluate,
    log: () => log,
    async close() {
      await send('session.end').catch(() => {});
      ws.close();
      ff.kill('SIGTERM');
      await new Promise((r) => (ff.exitCode !== null ? r() : ff.once('exit', r)));
    },
  };
}
