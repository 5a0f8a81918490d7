// End to end: postwardenctl audit report's HTML in Chromium (issue 13). A database seeded with
// hostile values (pw-audit-seed --hostile) is rendered; Chromium loads the file with every request
// recorded (and anything but the file itself refused); the DOM is checked against counts sqlite3
// computes from the same database, the hostile names must appear as text with their invisible
// characters shown as escapes and no element injected. Screenshots (screen and print) and a PDF
// go to <build>/tests/e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPlaywright, CHROMIUM, ARTIFACTS } from './harness.mjs';

const BUILD = process.env.PW_BUILD_DIR;
assert.ok(BUILD, 'PW_BUILD_DIR must name the build tree');
const CTL = path.join(BUILD, 'cli', 'postwardenctl');
const SEED = path.join(BUILD, 'tests', 'pw-audit-seed');
const OUT_DIR = BUILD ? path.join(BUILD, 'tests', 'e2e', 'artifacts') : ARTIFACTS;
const SINCE = '2026-11-01T00:00Z';
const UNTIL = '2026-12-15T00:00Z';
const SINCE_US = Date.parse('2026-11-01T00:00:00Z') * 1000;
const UNTIL_US = Date.parse('2026-12-15T00:00:00Z') * 1000;

let tmp;
let db;
let reportFile;
let browser;
let page;
const requests = [];
const consoleErrors = [];

function reportArgs() {
  return ['audit', 'report'];
}

function sql(query) {
  return JSON.parse(execFileSync('sqlite3', ['-readonly', '-json', db, query], { encoding: 'utf8' }) || '[]');
}
const count = (where) => sql(`SELECT count(*) AS n FROM events WHERE time_us >= ${SINCE_US} AND time_us < ${UNTIL_US} AND ${where}`)[0].n;
const commas = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

// How the report must show a value: every control, format (bidi, zero-width), separator,
// private-use or unassigned character as a visible escape — an independent statement of
// cli/html.h's rule. keepNewlines: justifications keep \n and \t.
function visible(s, { keepNewlines = false } = {}) {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (keepNewlines && (ch === '\n' || ch === '\t')) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u.test(ch))
      out += c > 0xffff ? '\\U' + c.toString(16).toUpperCase().padStart(8, '0') : '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

before(async () => {
  for (const f of [CTL, SEED]) assert.ok(fs.existsSync(f), `${f} is not built`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: run tools/install-deps test`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-report-'));
  db = path.join(tmp, 'audit.db');
  execFileSync(SEED, ['--events', '1500', '--seed', '42', '--hostile', db], { stdio: 'ignore' });
  reportFile = path.join(tmp, 'report.html');
  execFileSync(CTL, [...reportArgs(), '--db', db, '--since', SINCE, '--until', UNTIL, '--utc', '-o', reportFile]);

  const { chromium } = loadPlaywright();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: false,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--no-default-browser-check',
      '--disable-default-apps', '--metrics-recording-only'],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const url = pathToFileURL(reportFile).href;
  // Every request is recorded; anything but the report itself is refused.
  context.on('request', (r) => requests.push(r.url()));
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  fs.mkdirSync(OUT_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the page loads nothing but itself and runs nothing', async () => {
  const url = pathToFileURL(reportFile).href;
  assert.deepEqual(requests.filter((u) => u !== url), [], 'requests besides the report');
  assert.deepEqual(consoleErrors, [], 'console errors (a blocked load would show here)');
  const active = await page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
      if (/^(script|iframe|object|embed|img|link|form|input|button|video|audio|source|base)$/i.test(el.localName)) found.push(el.localName);
      for (const a of el.attributes) if (/^on/i.test(a.name) || /^(src|href|srcset|action|formaction)$/i.test(a.name)) found.push(`${el.localName}@${a.name}`);
    }
    return found;
  });
  assert.deepEqual(active, [], 'active or loading elements');
});

test('the chain verification is shown, and says intact', async () => {
  const v = page.locator('[data-pw="verify"]');
  assert.equal(await v.getAttribute('data-pw-status'), 'ok');
  assert.match(await v.textContent(), /Chain intact/);
  const head = sql('SELECT lower(hex(hash)) AS h FROM events ORDER BY seq DESC LIMIT 1')[0].h;
  assert.equal(await page.locator('[data-pw="head"]').textContent(), head);
});

test('the counts are the database\'s', async () => {
  const shown = async (key) => (await page.locator(`[data-pw="${key}"]`).first().textContent()).trim();
  const overrides = count(`kind = 'override'`);
  const refused = count(`kind = 'auth_block'`);
  assert.ok(overrides > 0 && refused > 0, 'the seeded store has overrides and refused uses');
  assert.equal(await shown('overrides'), commas(overrides));
  assert.equal(await shown('auth-blocks'), commas(refused));
  assert.equal(await shown('blocked'), commas(count(`kind = 'post_attempt' AND action = 'block'`)));
  assert.equal(await shown('posts'), commas(count(`kind IN ('post_attempt', 'override')`)));
  assert.equal(await page.locator('[data-pw="override"]').count(), Math.min(overrides, 50));
  assert.equal(await page.locator('[data-pw="auth-block"]').count(), Math.min(refused, 50));
  // one bar per UTC day with a block, an override or a refused use
  const days = sql(`SELECT count(DISTINCT time_us / 86400000000) AS n FROM events WHERE time_us >= ${SINCE_US}
    AND time_us < ${UNTIL_US} AND (kind IN ('override', 'auth_block') OR (kind = 'post_attempt' AND action = 'block'))`)[0].n;
  assert.equal(await page.locator('svg[data-pw="timeline"] [data-pw="bar"]').count(), days);
  // company accounts: one section each, with its sessions
  // used in the period: a session acted as it, or an event names it
  const accounts = sql(`SELECT a.id, a.handle, (SELECT count(*) FROM session_accounts l WHERE l.account_id = a.id
    AND l.last_us >= ${SINCE_US} AND l.first_us < ${UNTIL_US}) AS links, (SELECT count(*) FROM events e
    WHERE e.account_id = a.id AND e.time_us >= ${SINCE_US} AND e.time_us < ${UNTIL_US}
    AND e.kind IN ('post_attempt', 'override', 'auth_block')) AS events FROM accounts a WHERE a.company = 1`)
    .filter((a) => a.links > 0 || a.events > 0);
  assert.equal(await page.locator('[data-pw="account"]').count(), accounts.length);
  const handles = await page.locator('[data-pw="account-handle"]').allTextContents();
  assert.deepEqual([...handles].sort(), accounts.map((a) => visible(a.handle)).sort());
  const sections = await page.locator('[data-pw="account"]').evaluateAll((els) => els.map((e) => ({
    handle: e.querySelector('[data-pw="account-handle"]').textContent,
    sessions: e.querySelector('[data-pw="account-sessions"]').textContent.trim(),
    rows: e.querySelectorAll('[data-pw="link"]').length,
  })));
  for (const a of accounts) {
    const s = sections.find((x) => x.handle === visible(a.handle));
    assert.ok(s, `a section for ${a.handle}`);
    assert.equal(s.sessions, commas(a.links), `sessions of ${a.handle}`);
    assert.equal(s.rows, Math.min(a.links, 20), `rows of ${a.handle}`);
  }
});

test('hostile names and justifications appear as text, with their hidden characters shown', async () => {
  const evil = sql(`SELECT handle, display_name FROM accounts WHERE company = 1 AND handle LIKE '%script%'`);
  assert.equal(evil.length, 1, 'the seeder wrote one hostile company account');
  const handle = evil[0].handle;
  assert.ok(handle.includes('<script>') && handle.includes('\x1b'), 'the handle is hostile');
  assert.equal(await page.locator('[data-pw="account-handle"]', { hasText: '<script>alert(1)</script>' }).count(), 1);
  assert.ok((await page.locator('[data-pw="account-handle"]').allTextContents()).includes(visible(handle)));
  const shownName = await page.locator('[data-pw="account-display-name"]').allTextContents();
  assert.ok(shownName.includes(visible(evil[0].display_name)), `display name ${JSON.stringify(shownName)}`);
  assert.ok(visible(evil[0].display_name).includes('\\u202E'), 'the display name holds U+202E');

  const user = sql(`SELECT user FROM sessions WHERE user LIKE 'mallory%' LIMIT 1`)[0].user;
  const cells = await page.locator('[data-pw="link-user"]').allTextContents();
  assert.ok(cells.some((c) => c.startsWith(visible(user))), 'the hostile login name, escaped');

  const just = sql(`SELECT DISTINCT justification AS j FROM events WHERE kind = 'override' AND justification LIKE '%script%'`);
  assert.ok(just.length >= 1, 'the seeder wrote a hostile justification');
  const shownJust = await page.locator('[data-pw="justification"]').allTextContents();
  assert.ok(shownJust.includes(visible(just[0].j, { keepNewlines: true })), 'the hostile justification, escaped');

  // nothing hostile became markup, and no bidi control reached the document
  const html = await page.content();
  assert.equal(await page.locator('script').count(), 0);
  assert.ok(!html.includes('\u202e') && !html.includes('\x1b'), 'a raw U+202E or ESC in the DOM');
  // every value is isolated: the escaped U+202E sits inside a <bdi>
  const escs = await page.locator('span.esc').evaluateAll((els) => els.map((e) => Boolean(e.closest('bdi'))));
  assert.ok(escs.length > 0 && escs.every(Boolean), 'an escape outside a <bdi>');
});

test('screenshots for the screen and for print, and a PDF', async () => {
  await page.screenshot({ path: path.join(OUT_DIR, 'audit-report.png'), fullPage: true });
  await page.locator('#verify').screenshot({ path: path.join(OUT_DIR, 'audit-report-verify.png') });
  await page.locator('#accounts').screenshot({ path: path.join(OUT_DIR, 'audit-report-accounts.png') });
  await page.locator('#overrides').screenshot({ path: path.join(OUT_DIR, 'audit-report-overrides.png') });
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: path.join(OUT_DIR, 'audit-report-print.png'), fullPage: true });
  await page.pdf({ path: path.join(OUT_DIR, 'audit-report.pdf'), format: 'A4', printBackground: true });
  assert.ok(fs.statSync(path.join(OUT_DIR, 'audit-report.pdf')).size > 10000);
  await page.emulateMedia({ media: 'screen' });
});
