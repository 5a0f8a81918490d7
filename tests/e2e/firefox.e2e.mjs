// End to end in Debian's firefox-esr (headless, WebDriver BiDi): the same extension source,
// installed unpacked with webExtension.install; the real postwarden-host standalone (behind
// host-relay.mjs), which Firefox starts with the host manifest's path and the extension id as
// arguments; the x.com site fixture over HTTPS. Cases: hello, a clean check, a warning, the
// acting account (personal, then the company account shown).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostBinaryOrSkip, setupHost, startSiteServer, writeSitesPolicy } from './harness.mjs';
import { launchFirefox, installFirefoxHostManifest, FIREFOX_EXTENSION_ID } from './bidi.mjs';

const hostBin = hostBinaryOrSkip();

const T = 15000;
let tmp;
let server;
let ff;
let host;
let context;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > T) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const frames = (type) => host.frames().filter((f) => f.type === type);
const attr = (sel, name) => ff.evaluate(context, (s, n) => document.querySelector(s)?.getAttribute(n) ?? null, sel, name);
const BOX = '[data-testid="tweetTextarea_0"]';
const COMPOSER = '[data-testid="tweetComposer"]';

// Replaces the editor's text the way a paste does (one input event).
const fill = (text) => ff.evaluate(context, (sel, t) => {
  const el = document.querySelector(sel);
  el.focus();
  el.textContent = t;
  el.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true, inputType: 'insertFromPaste' }));
}, BOX, text);

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-firefox-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  const policy = writeSitesPolicy(tmp);
  // The host's own configuration allows the Firefox extension id (what Firefox passes it).
  host = setupHost(tmp, hostBin, FIREFOX_EXTENSION_ID, { policy });
  installFirefoxHostManifest(home, host.hostPath);
  server = await startSiteServer(tmp);
  ff = await launchFirefox({ home, profile: path.join(tmp, 'profile') });
  const created = await ff.send('browsingContext.create', { type: 'tab' });
  context = created.context;
  await ff.send('browsingContext.navigate', { context, url: `https://x.com:${server.port}/home`, wait: 'complete' });
  await until('the content script', () => ff.evaluate(context, () => document.querySelector('postwarden-ui') !== null));
});

after(async () => {
  await ff?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('Firefox installs the same source under its gecko id', () => {
  assert.equal(ff.extensionId, FIREFOX_EXTENSION_ID);
});

test('hello: Firefox starts the host (manifest path + extension id as arguments) and the page says Postwarden is active', async () => {
  await until('a hello frame', () => frames('hello').length > 0);
  const start = frames('relay_start')[0];
  assert.ok(start.args.at(-2).endsWith('/.mozilla/native-messaging-hosts/com.postwarden.host.json'), start.args.at(-2));
  assert.equal(start.args.at(-1), FIREFOX_EXTENSION_ID);
  const state = await until('the indicator', () => ff.evaluate(context, () =>
    document.querySelector('postwarden-ui').shadowRoot.querySelector('[data-postwarden-indicator]')?.getAttribute('data-postwarden-indicator')));
  assert.equal(state, 'active');
});

test('check: a clean post typed with real key events is allowed', async () => {
  await ff.send('browsingContext.activate', { context });
  await ff.evaluate(context, (sel) => document.querySelector(sel).focus(), BOX);
  const text = 'Nice day';
  await ff.send('input.performActions', {
    context,
    actions: [{ type: 'key', id: 'kbd', actions: [...text].flatMap((c) => [{ type: 'keyDown', value: c }, { type: 'keyUp', value: c }]) }],
  });
  await until('allow', async () => (await attr(COMPOSER, 'data-postwarden-verdict')) === 'allow');
  const checks = frames('check');
  assert.ok(checks.length >= 1);
  assert.equal(checks.at(-1).text_length, text.length);
  assert.equal(checks.at(-1).site, 'x.com');
});

test('warning: a trademark in a personal post is warned and highlighted', async () => {
  await fill('Loving my new Acme Rocket Skates');
  await until('warn', async () => (await attr(COMPOSER, 'data-postwarden-verdict')) === 'warn');
  const rules = await ff.evaluate(context, () => [...document.querySelector('postwarden-ui').shadowRoot
    .querySelectorAll('[data-postwarden-finding]')].map((e) => e.getAttribute('data-postwarden-finding')));
  assert.deepEqual(rules, ['trademarks-personal']);
  assert.equal(await attr(COMPOSER, 'data-postwarden-highlights'), '1');
});

test('account: the acting account is found and reported; switching to the company account shows it', async () => {
  const personal = await until('account frame', () => frames('account').find((f) => f.handle === '@jdoe'));
  assert.equal(personal.stable_id, '42');
  assert.equal(personal.detected_by, 'dom:x-account-switcher');
  assert.equal(await attr(COMPOSER, 'data-postwarden-account-kind'), 'personal');
  await ff.evaluate(context, () => document.getElementById('as-company').click());
  await until('company account', async () => (await attr(COMPOSER, 'data-postwarden-account-kind')) === 'company');
  const line = await ff.evaluate(context, () => document.querySelector('postwarden-ui').shadowRoot
    .querySelector('[data-postwarden-account-line]')?.textContent);
  assert.equal(line, 'Posting as @AcmeCorp (company account)');
  const company = await until('company account frame', () => frames('account').find((f) => f.handle === '@AcmeCorp'));
  assert.equal(company.stable_id, '1234567890');
});
