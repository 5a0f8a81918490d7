// End to end without a working host: what the employee sees when protection is unavailable.
// Needs no build: the host is missing, or a stand-in that exits at once (Chromium then reports
// "Native host has exited."). Runs whenever Chromium and playwright-core are installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, startFixtureServer, setSettings, installHostManifest, ARTIFACTS } from './harness.mjs';

const T = 10000;
let server;
let browser;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-nohost-'));
  server = await startFixtureServer();
  browser = await launch({ hostPath: null, tag: 'nohost' });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(name) {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/${name}`);
  await page.locator('postwarden-ui').waitFor({ state: 'attached', timeout: T });
  return page;
}
const posts = (page) => page.evaluate(() => window.fixture.posts);
const panel = (page) => page.locator('postwarden-ui [data-postwarden-panel]').first();

test('the extension id Chromium reports is the one derived from the manifest key', () => {
  assert.equal(browser.extensionId, browser.expectedId);
});

test('the first-run page opens on install and says what is checked, stored and never stored', async () => {
  assert.equal(browser.firstRunSeen, true);
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/pages/firstrun.html`);
  const text = await page.locator('[data-postwarden-firstrun]').textContent();
  for (const s of ['What is checked', 'What is stored', 'What is never stored', 'Drafts of your personal posts', 'company account']) {
    assert.ok(text.includes(s), s);
  }
  await page.close();
});

test('host missing: the page says protection is unavailable; posting is allowed with the warning', async () => {
  const page = await open('textarea.html');
  const indicator = page.locator('postwarden-ui [data-postwarden-indicator]');
  await page.locator('postwarden-ui [data-postwarden-indicator="unavailable"]').waitFor({ state: 'attached', timeout: T });
  assert.match(await indicator.textContent(), /Postwarden protection is unavailable: the Postwarden program is not installed/);
  await page.locator('#box').pressSequentially('Phoenix launches tomorrow');
  await page.locator('#compose[data-postwarden-verdict="unavailable"]').waitFor({ state: 'attached', timeout: T });
  assert.match(await panel(page).textContent(), /Postwarden protection is unavailable/);
  assert.match(await panel(page).textContent(), /not checked/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'host-missing.png') });
  await page.click('#post');
  assert.deepEqual(await posts(page), ['Phoenix launches tomorrow']);
  await page.close();
});

test('host missing with fail mode "block": the post is stopped, and the page says why', async () => {
  await setSettings(browser.worker, { failMode: 'block' });
  try {
    const page = await open('editable.html');
    await page.locator('#box').click();
    await page.keyboard.type('Nothing secret here');
    await page.click('#post');
    await page.locator('#composer[data-postwarden-verdict="unavailable"]').waitFor({ state: 'attached', timeout: T });
    assert.match(await panel(page).textContent(), /Posting is blocked until protection is back/);
    await page.click('#post');
    assert.deepEqual(await posts(page), []);
    await page.close();
  } finally {
    await setSettings(browser.worker, {});
  }
});

test('host exits at once ("Native host has exited."): protection unavailable, said plainly', async () => {
  const stub = path.join(tmp, 'exits-at-once');
  fs.writeFileSync(stub, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  installHostManifest(browser.userDataDir, stub, browser.extensionId);
  try {
    // The worker retries a failed host after a pause; wait it out so this test sees the new one.
    await new Promise((r) => setTimeout(r, 1100));
    const page = await open('textarea.html');
    await page.locator('#box').pressSequentially('hello');
    await page.locator('#compose[data-postwarden-verdict="unavailable"]').waitFor({ state: 'attached', timeout: T });
    assert.match(await panel(page).textContent(), /Postwarden protection is unavailable: the Postwarden program stopped/);
    await page.close();
  } finally {
    installHostManifest(browser.userDataDir, null, browser.extensionId);
  }
});

test('pages of sites nobody listed get no content script at all', async () => {
  const page = await browser.context.newPage();
  await page.goto(server.url.replace('127.0.0.1', 'localhost') + '/textarea.html');
  await page.locator('#box').pressSequentially('Phoenix');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('postwarden-ui').count(), 0);
  assert.equal(await page.locator('#compose').getAttribute('data-postwarden-verdict'), null);
  await page.close();
});

test('the popup answers: not a listed page, and protection unavailable', async () => {
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/pages/popup.html`);
  await page.locator('[data-postwarden-popup-page]').filter({ hasNotText: '…' }).waitFor({ timeout: T });
  assert.match(await page.locator('[data-postwarden-popup-page]').textContent(), /not one of the sites your company listed/);
  assert.match(await page.locator('[data-postwarden-popup-host]').textContent(), /Postwarden protection is unavailable/);
  await page.close();
});
