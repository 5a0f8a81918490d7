// Measures what the extension costs while typing and how fast a verdict shows, in real Chromium
// with the real host (standalone, the e2e policy). Not a test: prints numbers for the issue note.
//   PW_BUILD_DIR=build node tests/e2e/measure.mjs [trials]
// 1. Per keystroke: the content script's own input and keydown handlers, timed with
//    performance.measure() (settings.perfMarks) while 2,000 characters are typed, in a textarea
//    and in a contenteditable editor.
//    The same on the x.com site fixture (site adapter: the acting account is read again 60 ms
//    after the page changes): the handlers, the mutation observer's callback, and the re-read.
// 2. Last keystroke -> verdict shown: from the last input event's measure to the
//    "postwarden-verdict" mark set after the verdict is rendered, over `trials` drafts typed at
//    ~25 ms per key, each text unique so the host's verdict cache never answers. Its parts: the
//    timer (last keystroke -> check sent, the debounce less its lead), the round trip (check sent
//    -> reply), and the rest (reply -> verdict shown: held until the debounce ends, and rendering).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  launch, startFixtureServer, hostBinary, setupHost, manifestKeyId, setSettings, percentile, startSiteServer, hostResolverRules,
} from './harness.mjs';

const trials = Number(process.argv[2] ?? 50);
const hostBin = hostBinary();
if (!hostBin) {
  console.error('measure: postwarden-host is not built (PW_BUILD_DIR or PW_HOST)');
  process.exit(2);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-measure-'));
const host = setupHost(tmp, hostBin, manifestKeyId(), { relay: false }); // the product's path only
const server = await startFixtureServer();
const sites = await startSiteServer(tmp);
const browser = await launch({ hostPath: host.hostPath, tag: 'measure', settings: { perfMarks: true }, args: [hostResolverRules(sites.port), '--ignore-certificate-errors'] });
await setSettings(browser.worker, { perfMarks: true });

const fmt = (xs) => `p50 ${percentile(xs, 50).toFixed(3)} ms, p99 ${percentile(xs, 99).toFixed(3)} ms, max ${Math.max(...xs).toFixed(3)} ms (n=${xs.length})`;
const words = 'the team shipped a new release today and we are proud of the work everyone did this week '.repeat(30).slice(0, 2000);
const results = {};

async function open(name) {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/${name}`);
  await page.locator('postwarden-ui').waitFor({ state: 'attached' });
  return page;
}

for (const [name, sel] of [['textarea.html', '#box'], ['editable.html', '#box']]) {
  const page = await open(name);
  await page.locator(sel).click();
  await page.evaluate(() => performance.clearMeasures());
  await page.keyboard.type(words, { delay: 0 });
  await page.waitForTimeout(600);
  const m = await page.evaluate(() => ({
    input: performance.getEntriesByName('postwarden-input').map((e) => e.duration),
    keydown: performance.getEntriesByName('postwarden-keydown').map((e) => e.duration),
  }));
  results[name] = { input: m.input, keydown: m.keydown };
  console.log(`${name}: input handler per keystroke: ${fmt(m.input)}`);
  console.log(`${name}: keydown handler per keystroke: ${fmt(m.keydown)}`);
  const n = Math.min(m.input.length, m.keydown.length);
  const both = Array.from({ length: n }, (_, i) => m.input[i] + m.keydown[i]);
  console.log(`${name}: both per keystroke: ${fmt(both)}`);
  await page.close();
}

{
  const page = await browser.context.newPage();
  await page.goto('https://x.com/home');
  await page.locator('postwarden-ui').waitFor({ state: 'attached' });
  const sel = '[data-testid="tweetTextarea_0"]';
  await page.locator(sel).click();
  await page.evaluate(() => performance.clearMeasures());
  await page.keyboard.type(words, { delay: 0 });
  await page.waitForTimeout(600);
  const m = await page.evaluate(() => Object.fromEntries(['input', 'keydown', 'mutations', 'actors']
    .map((k) => [k, performance.getEntriesByName(`postwarden-${k}`).map((e) => e.duration)])));
  const n = Math.min(m.input.length, m.keydown.length);
  console.log(`x.com (site adapter): both handlers per keystroke: ${fmt(Array.from({ length: n }, (_, i) => m.input[i] + m.keydown[i]))}`);
  console.log(`x.com (site adapter): mutation observer callback: ${fmt(m.mutations)}`);
  console.log(`x.com (site adapter): acting-account re-read (after 60 ms without changes): ${fmt(m.actors)}`);
  await page.close();
}

const page = await open('textarea.html');
const lat = [];
const parts = [];
const verdicts = [];
for (let i = 0; i < trials; i++) {
  await page.locator('#box').fill('');
  await page.waitForTimeout(300);
  await page.evaluate(() => { performance.clearMeasures(); performance.clearMarks(); });
  const text = `${i % 3 === 0 ? 'Kestrel' : 'picnic'} draft ${i} ${Math.random().toString(36).slice(2, 8)}`;
  await page.locator('#box').pressSequentially(text, { delay: 25 });
  await page.waitForFunction((t) => document.querySelector('#box').value === t
    && !['pending', null].includes(document.querySelector('#compose').getAttribute('data-postwarden-verdict'))
    && performance.getEntriesByName('postwarden-verdict').length > 0, text, { timeout: 10000 });
  const d = await page.evaluate(() => {
    const inputs = performance.getEntriesByName('postwarden-input');
    const last = inputs[inputs.length - 1].startTime;
    const shown = performance.getEntriesByName('postwarden-verdict').map((e) => e.startTime).filter((t) => t >= last);
    const sent = performance.getEntriesByName('postwarden-check-sent').map((e) => e.startTime).filter((t) => t >= last);
    const reply = performance.getEntriesByName('postwarden-check-reply').map((e) => e.startTime).filter((t) => t >= last);
    return { total: shown.length ? shown[shown.length - 1] - last : NaN, timer: sent[0] - last, roundtrip: reply[reply.length - 1] - sent[sent.length - 1], render: shown[shown.length - 1] - reply[reply.length - 1] };
  });
  lat.push(d.total);
  verdicts.push(await page.locator('#compose').getAttribute('data-postwarden-verdict'));
  parts.push(d);
}
const bad = verdicts.filter((v) => v !== 'allow' && v !== 'block');
if (bad.length) {
  console.error(`measure: ${bad.length} drafts got no verdict (${bad[0]}): is the host working?`);
  process.exitCode = 1;
}
console.log(`last keystroke -> verdict shown (debounce 250 ms): ${fmt(lat)}`);
for (const k of ['timer', 'roundtrip', 'render']) console.log(`  ${k}: ${fmt(parts.map((p) => p[k]))}`);
const late = parts.filter((p) => p.timer + p.roundtrip > 250).length;
console.log(`  replies that came after the debounce ended (not hidden): ${late} of ${parts.length}`);
console.log(`  above debounce: p50 ${(percentile(lat, 50) - 250).toFixed(1)} ms, p99 ${(percentile(lat, 99) - 250).toFixed(1)} ms`);
await page.close();
await browser.close();
await server.close();
await sites.close();
fs.rmSync(tmp, { recursive: true, force: true });
