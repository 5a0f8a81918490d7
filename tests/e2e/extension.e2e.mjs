// End to end: Debian's Chromium with the unpacked extension, fixture pages on 127.0.0.1, and the
// real postwarden-host (standalone, tests/e2e/policy/policy.json) behind host-relay.mjs, which
// logs the frames' types so the test can see every post_attempt. Skips (exit 77) only when the
// host binary is not built.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, startFixtureServer, hostBinaryOrSkip, setupHost, manifestKeyId, ARTIFACTS } from './harness.mjs';
import { DEFAULTS } from '../../extension/settings.js';

const hostBin = hostBinaryOrSkip();

const T = 10000; // per wait: generous, the machine is shared
let server;
let browser;
let host;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-host-'));
  host = setupHost(tmp, hostBin, manifestKeyId());
  server = await startFixtureServer();
  // perfMarks: the content script marks checks and verdicts (the latency-hiding tests read them).
  browser = await launch({ hostPath: host.hostPath, tag: 'host', settings: { perfMarks: true } });
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
const attempts = () => host.frames().filter((f) => f.type === 'post_attempt');
const verdictIs = (page, container, v) => page.locator(`${container}[data-postwarden-verdict="${v}"]`).waitFor({ state: 'attached', timeout: T });
const panel = (page) => page.locator('postwarden-ui [data-postwarden-panel]').first();

test('the extension id is the one derived from the manifest key', () => {
  assert.equal(browser.extensionId, browser.expectedId);
  assert.match(browser.extensionId, /^[a-p]{32}$/);
});

test('textarea: clean text is allowed and posted, and the post_attempt is sent', async () => {
  const page = await open('textarea.html');
  const before = attempts().length;
  await page.locator('#box').pressSequentially('Lovely weather for a team picnic today.');
  await verdictIs(page, '#compose', 'allow');
  await page.click('#post');
  assert.deepEqual(await posts(page), ['Lovely weather for a team picnic today.']);
  await page.waitForFunction(() => true);
  const sent = attempts().slice(before);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].posted, true);
  assert.equal(sent[0].verdict.action, 'allow');
  assert.equal(sent[0].has_text, false, 'a personal post\'s text is never sent with post_attempt');
  assert.equal(await page.locator('postwarden-ui [data-postwarden-indicator]').getAttribute('data-postwarden-indicator'), 'active');
  await page.close();
});

test('textarea: a confidential term blocks; Post does nothing; the warning is shown and highlighted', async () => {
  const page = await open('textarea.html');
  const before = attempts().length;
  await page.locator('#box').pressSequentially('Draft: this is strictly confidential, do not share');
  await verdictIs(page, '#compose', 'block');
  await page.click('#post');
  await page.click('#post');
  assert.deepEqual(await posts(page), []);
  const p = panel(page);
  assert.match(await p.textContent(), /Postwarden stopped this post/);
  assert.match(await p.textContent(), /strictly confidential and must not be posted/);
  assert.equal(await p.locator('[data-postwarden-override]').count(), 0, 'not overridable: no "Post anyway"');
  const mark = page.locator('postwarden-ui [data-postwarden-overlay] mark[data-mark="block"]');
  assert.equal(await mark.textContent(), 'strictly confidential', 'the overlay marks the UTF-16 span');
  await page.screenshot({ path: path.join(ARTIFACTS, 'textarea-block.png') });
  const sent = attempts().slice(before);
  assert.equal(sent.length, 2, 'every submit sends post_attempt, stopped ones too');
  assert.ok(sent.every((a) => a.posted === false && a.verdict.action === 'block'));
  await page.close();
});

test('textarea: Post inside the debounce window with a blocked term is blocked', async () => {
  const page = await open('textarea.html');
  await page.locator('#box').fill('Kestrel ships next week');
  await page.click('#post'); // well within the 250 ms debounce: no verdict yet
  await verdictIs(page, '#compose', 'block');
  assert.deepEqual(await posts(page), []);
  await page.close();
});

test('textarea: Post inside the debounce window with clean text is checked, then posted', async () => {
  const page = await open('textarea.html');
  await page.locator('#box').fill('Happy Friday everyone');
  await page.click('#post');
  await page.waitForFunction(() => window.fixture.posts.length === 1, null, { timeout: T });
  assert.deepEqual(await posts(page), ['Happy Friday everyone']);
  await page.close();
});

test('a form the page submits by script (requestSubmit) is enforced too, and decided once', async () => {
  const page = await open('textarea.html');
  const before = attempts().length;
  await page.locator('#box').pressSequentially('Kestrel in the lab');
  await verdictIs(page, '#compose', 'block');
  await page.click('#publish');
  assert.deepEqual(await posts(page), []);
  await page.locator('#box').fill('All fine in the lab');
  await verdictIs(page, '#compose', 'allow');
  await page.click('#publish');
  assert.deepEqual(await posts(page), ['All fine in the lab']);
  await page.click('#post');
  assert.equal((await posts(page)).length, 2);
  await page.waitForTimeout(200);
  assert.deepEqual(attempts().slice(before).map((a) => a.posted), [false, true, true], 'one post_attempt per submit');
  await page.close();
});

// Waits for the first post; a second one then fails the test's own assertion (waiting for
// exactly one post would turn a double post into a time-out).
const firstPost = (page) => page.waitForFunction(() => window.fixture.posts.length >= 1, null, { timeout: T });

test('a double click on Post inside the debounce window posts once', async () => {
  const page = await open('textarea.html');
  const before = attempts().length;
  await page.locator('#box').fill('Cake in the kitchen');
  await page.dblclick('#post');
  await firstPost(page);
  await page.waitForTimeout(300);
  assert.deepEqual(await posts(page), ['Cake in the kitchen']);
  assert.equal(attempts().slice(before).length, 1);
  await page.close();
});

// The two clicks of a double click in a fixed order, whatever the machine's speed: the browser
// numbers them (click event `detail` 1 and 2); the second comes only after the first was
// stopped, checked and re-dispatched (the post is out), or after the verdict was shown and the
// first went straight through. Either way it is the same submit: one post, one post_attempt.
// Records the `detail` of every click the page sees (the page's own capture listener runs first).
const watchClicks = (page) => page.addInitScript(() => {
  window.clicks = [];
  addEventListener('click', (e) => { if (e.isTrusted) window.clicks.push(e.detail); }, true);
});
for (const when of ['inside the debounce window', 'after the verdict is shown']) {
  test(`the second click of a double click, after the first posted (${when}), posts nothing more`, async () => {
    const page = await browser.context.newPage();
    await watchClicks(page);
    await page.goto(`${server.url}/textarea.html`);
    await page.locator('postwarden-ui').waitFor({ state: 'attached', timeout: T });
    const before = attempts().length;
    const b = await page.locator('#post').boundingBox();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.locator('#box').fill('Cake in the kitchen');
    if (when !== 'inside the debounce window') await verdictIs(page, '#compose', 'allow');
    await page.mouse.down();
    await page.mouse.up(); // click 1
    await firstPost(page);
    await page.mouse.down({ clickCount: 2 });
    await page.mouse.up({ clickCount: 2 }); // click 2 of the same double click
    await page.waitForFunction(() => window.clicks.length === 2, null, { timeout: T });
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => window.clicks), [1, 2], 'the page saw one double click');
    assert.deepEqual(await posts(page), ['Cake in the kitchen']);
    assert.deepEqual(attempts().slice(before).map((a) => a.posted), [true], 'one post_attempt for the double click');
    await page.close();
  });
}

test('two separate clicks on Post are two submits', async () => {
  const page = await open('textarea.html');
  await page.locator('#box').fill('Cake in the kitchen');
  await page.click('#post');
  await firstPost(page);
  await page.click('#post'); // a click of its own (detail 1): the page decides
  await page.waitForFunction(() => window.fixture.posts.length === 2, null, { timeout: T });
  await page.close();
});

test('override: "Post anyway" with a justification posts, and the justification is recorded', async () => {
  const page = await open('textarea.html');
  const before = attempts().length;
  await page.locator('#box').pressSequentially('Phoenix is live: see the launch page');
  await verdictIs(page, '#compose', 'block');
  await page.click('#post');
  assert.deepEqual(await posts(page), []);
  const p = panel(page);
  await p.locator('[data-postwarden-override]').click();
  await p.locator('[data-postwarden-justification]').fill('Announced at the keynote this morning');
  await p.locator('[data-postwarden-override-confirm]').click();
  await page.waitForFunction(() => window.fixture.posts.length === 1, null, { timeout: T });
  assert.deepEqual(await posts(page), ['Phoenix is live: see the launch page']);
  const sent = attempts().slice(before);
  assert.deepEqual(sent.map((a) => a.posted), [false, true]);
  assert.equal(sent[1].override_justification, 'Announced at the keynote this morning');
  assert.equal(sent[1].verdict.action, 'block');
  assert.equal(sent[1].verdict.overridable, true);
  await page.close();
});

test('override is for that draft only: an edit after it needs a new verdict', async () => {
  const page = await open('textarea.html');
  await page.locator('#box').pressSequentially('Phoenix soon');
  await verdictIs(page, '#compose', 'block');
  await page.click('#post');
  const p = panel(page);
  await p.locator('[data-postwarden-override]').click();
  await p.locator('[data-postwarden-justification]').fill('It was announced');
  await p.locator('[data-postwarden-override-confirm]').click();
  await page.waitForFunction(() => window.fixture.posts.length === 1, null, { timeout: T });
  await page.locator('#box').pressSequentially(' and Kestrel too');
  await page.click('#post');
  await verdictIs(page, '#compose', 'block');
  assert.equal((await posts(page)).length, 1, 'the edited draft did not ride on the old override');
  await page.close();
});

test('contenteditable: verdict, highlight ranges on the words, Ctrl+Enter blocked then allowed', async () => {
  const page = await open('editable.html');
  const box = page.locator('#box');
  await box.click();
  await page.keyboard.type('We start Kestrel on Monday');
  await verdictIs(page, '#composer', 'block');
  const ranges = await page.evaluate(() => [...(CSS.highlights.get('postwarden-block') ?? [])].map((r) => r.toString()));
  assert.deepEqual(ranges, ['Kestrel']);
  await page.keyboard.press('Control+Enter');
  assert.deepEqual(await posts(page), []);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('We start the picnic on Monday');
  await verdictIs(page, '#composer', 'allow');
  assert.deepEqual(await page.evaluate(() => [...(CSS.highlights.get('postwarden-block') ?? [])].length), 0);
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => window.fixture.posts.length === 1, null, { timeout: T });
  assert.deepEqual(await posts(page), ['We start the picnic on Monday']);
  await page.close();
});

test('a held Ctrl+Enter (auto-repeated keydowns) posts once', async () => {
  const page = await browser.context.newPage();
  await page.addInitScript(() => { // runs before the content script's listener: sees every keydown
    window.repeats = 0;
    addEventListener('keydown', (e) => { if (e.isTrusted && e.repeat) window.repeats++; }, true);
  });
  await page.goto(`${server.url}/editable.html`);
  await page.locator('postwarden-ui').waitFor({ state: 'attached', timeout: T });
  const before = attempts().length;
  await page.locator('#box').click();
  await page.keyboard.type('We start the picnic on Monday');
  await page.keyboard.down('Control');
  await page.keyboard.down('Enter'); // inside the debounce window: stopped, checked, re-dispatched
  await firstPost(page);
  await page.keyboard.down('Enter'); // the key is still held: repeat
  await page.keyboard.down('Enter');
  await page.keyboard.up('Enter');
  await page.keyboard.up('Control');
  await page.waitForFunction(() => window.repeats === 2, null, { timeout: T });
  await page.waitForTimeout(300);
  assert.deepEqual(await posts(page), ['We start the picnic on Monday']);
  assert.deepEqual(attempts().slice(before).map((a) => a.posted), [true], 'one post_attempt for the held chord');
  await page.close();
});

test('contenteditable: a warning (trademark) lets the post go, with the warning shown', async () => {
  const page = await open('editable.html');
  await page.locator('#box').click();
  await page.keyboard.type('I love working at Acme');
  await verdictIs(page, '#composer', 'warn');
  assert.match(await panel(page).textContent(), /views are your own/);
  await page.click('#post');
  assert.deepEqual(await posts(page), ['I love working at Acme']);
  await page.close();
});

test('shadow DOM editor: checked, verdict on the shadow host, Post blocked', async () => {
  const page = await open('shadow.html');
  await page.locator('x-composer #box').click();
  await page.keyboard.type('Phoenix demo');
  await verdictIs(page, 'x-composer', 'block');
  await page.locator('x-composer #post').click();
  assert.deepEqual(await posts(page), []);
  const ranges = await page.evaluate(() => [...(CSS.highlights.get('postwarden-block') ?? [])].map((r) => r.toString()));
  assert.deepEqual(ranges, ['Phoenix']);
  await page.locator('x-composer #box').click(); // the Post click took the focus
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Nice demo');
  await verdictIs(page, 'x-composer', 'allow');
  await page.locator('x-composer #post').click();
  assert.deepEqual(await posts(page), ['Nice demo']);
  await page.close();
});

test('typing fast: the final verdict always matches the final text', async () => {
  const page = await open('textarea.html');
  const box = page.locator('#box');
  const rounds = [
    ['Kestrel', 'block'],
    ['Kestrel is not what I meant, picnic is', 'block'],
    ['All good here', 'allow'],
    ['All good here with Acme', 'warn'],
    ['Phoenix', 'block'],
    ['Phoenixes are birds', 'allow'],
  ];
  for (const [text, expected] of rounds) {
    await box.fill('');
    await box.pressSequentially(text, { delay: 0 });
    await page.waitForFunction(
      ([t]) => {
        const c = document.querySelector('#compose');
        return document.querySelector('#box').value === t && c.dataset.postwardenVerdict !== 'pending';
      },
      [text],
      { timeout: T },
    );
    assert.equal(await page.locator('#compose').getAttribute('data-postwarden-verdict'), expected, text);
  }
  await page.close();
});

// Latency hiding (docs/extension.md, "Checking"): the check of a pause in typing is sent shortly
// before the debounce ends, and its verdict is shown no earlier than the debounce's end. Read from
// the content script's performance marks (settings.perfMarks): ordering only, no speed.
const DEBOUNCE_MS = DEFAULTS.debounceMs; // the e2e settings do not change it
const timeline = (page) => page.evaluate(() => {
  const at = (name) => performance.getEntriesByName(name).map((e) => e.startTime);
  return {
    inputs: at('postwarden-input'), // start of each input event's handling
    sent: at('postwarden-check-sent'),
    replies: at('postwarden-check-reply'),
    verdicts: performance.getEntriesByName('postwarden-verdict').map((e) => ({ t: e.startTime, ...e.detail })),
    shown: window.shown ?? [],
    editedAt: window.editedAt ?? null,
  };
});
// Records every verdict the page shows on `container` (data-postwarden-verdict), with its time.
const watchShown = (page, container) => page.evaluate((sel) => {
  window.shown = [];
  const c = document.querySelector(sel);
  new MutationObserver(() => window.shown.push({ t: performance.now(), v: c.getAttribute('data-postwarden-verdict') }))
    .observe(c, { attributes: true, attributeFilter: ['data-postwarden-verdict'] });
}, container);
// No verdict is shown before the debounce has passed since the last keystroke before it.
function assertNotEarly(tl) {
  for (const v of tl.verdicts) {
    const last = Math.max(...tl.inputs.filter((t) => t <= v.t));
    assert.ok(v.t >= last + DEBOUNCE_MS, `verdict (seq ${v.seq}) shown ${(v.t - last).toFixed(1)} ms after the last keystroke, before the ${DEBOUNCE_MS} ms debounce ended`);
  }
}

test('a pause in typing: the check is sent before the debounce ends, the verdict is shown no earlier', async () => {
  const page = await open('textarea.html');
  await page.locator('#box').pressSequentially('Kestrel goes to the printer', { delay: 25 });
  await verdictIs(page, '#compose', 'block');
  const tl = await timeline(page);
  const last = tl.inputs[tl.inputs.length - 1];
  const sent = tl.sent.filter((t) => t >= last);
  assert.equal(sent.length, 1, 'one check for the final draft');
  assert.ok(sent[0] < last + DEBOUNCE_MS, `check sent ${(sent[0] - last).toFixed(1)} ms after the last keystroke: not before the debounce ended`);
  assert.equal(tl.verdicts.filter((v) => v.t >= last).length, 1);
  assertNotEarly(tl);
  await page.close();
});

test('an edit after the early check was sent: its held reply is stale and never shown', async (t) => {
  const page = await open('textarea.html');
  await watchShown(page, '#compose');
  // As soon as the check of "Phoenix" (block) is sent, the page itself edits the draft into
  // "Phoenixes are birds" (allow): inside the lead window, before that check's verdict may show.
  await page.evaluate(() => new PerformanceObserver((list, obs) => {
    if (!list.getEntriesByName('postwarden-check-sent').length) return;
    obs.disconnect();
    const box = document.querySelector('#box');
    box.value += 'es are birds';
    box.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: 'es are birds' }));
    window.editedAt = performance.now();
  }).observe({ type: 'mark' }));
  await page.locator('#box').fill('Phoenix'); // one input event: the first check is for "Phoenix"
  await page.waitForFunction(() => window.editedAt !== undefined, null, { timeout: T });
  await verdictIs(page, '#compose', 'allow');
  const tl = await timeline(page);
  const typed = tl.inputs.filter((x) => x < tl.sent[0]);
  const heldUntil = typed[typed.length - 1] + DEBOUNCE_MS; // when "Phoenix"'s verdict was due
  if (tl.editedAt >= Math.max(heldUntil, tl.replies[0])) {
    t.skip(`the edit came ${(tl.editedAt - tl.sent[0]).toFixed(1)} ms after the check was sent, after the lead window (loaded machine): nothing to test`);
    await page.close();
    return;
  }
  assert.equal(tl.sent.length, 2, 'the check is sent again for the edited draft');
  assert.deepEqual(tl.verdicts.map((v) => v.action), ['allow'], 'only the final draft\'s verdict is shown');
  assert.deepEqual(tl.shown.map((s) => s.v).filter((v) => v !== 'pending'), ['allow'], 'the page never showed "block"');
  assertNotEarly(tl);
  await page.close();
});

// A submit while the timer's check is out (or its reply held) takes that check's reply at once,
// as before latency hiding: no second check, no wait for the debounce's end. (That it does not
// wait is timing; the test reports it as a diagnostic, and measure.mjs has the numbers.)
for (const [mark, when] of [['postwarden-check-sent', 'before its reply'], ['postwarden-check-reply', 'with its reply held']]) {
  test(`Post while the early check is out, ${when}: decided on that check, posted once`, async (t) => {
    const page = await open('textarea.html');
    const before = attempts().length;
    await page.evaluate((name) => new PerformanceObserver((list, obs) => {
      if (!list.getEntriesByName(name).length) return;
      obs.disconnect();
      document.querySelector('#post').click();
    }).observe({ type: 'mark' }), mark);
    await page.locator('#box').fill('Lunch at noon'); // one input event: one draft, one check
    await page.waitForFunction(() => window.fixture.posts.length === 1, null, { timeout: T });
    await page.waitForTimeout(DEBOUNCE_MS);
    assert.deepEqual(await posts(page), ['Lunch at noon']);
    const tl = await timeline(page);
    assert.equal(tl.sent.length, 1, 'the submit used the check already sent');
    assert.deepEqual(tl.verdicts.map((v) => v.action), ['allow']);
    const sent = attempts().slice(before);
    assert.deepEqual(sent.map((a) => [a.posted, a.verdict.action]), [[true, 'allow']], 'one post_attempt, posted on the check\'s verdict');
    const last = tl.inputs[tl.inputs.length - 1];
    t.diagnostic(`reply ${(tl.replies[0] - last).toFixed(1)} ms, verdict ${(tl.verdicts[0].t - last).toFixed(1)} ms after the last keystroke (debounce ${DEBOUNCE_MS} ms)`);
    await page.close();
  });
}

test('trusted-events-only page: the re-dispatched click is ignored; the next real click posts', async () => {
  const page = await open('trusted.html');
  await page.locator('#box').fill('See you at the picnic');
  await page.click('#post'); // inside the debounce: stopped, checked, re-dispatched (untrusted)
  await page.waitForFunction(() => document.getElementById('ignored').textContent === '1', null, { timeout: T });
  assert.deepEqual(await posts(page), []);
  assert.match(await panel(page).textContent(), /click Post again/);
  await page.click('#post'); // the verdict is current now: goes straight through
  assert.deepEqual(await posts(page), ['See you at the picnic']);
  await page.close();
});

test('trusted-events-only page: after "Post anyway" the next real click posts', async () => {
  const page = await open('trusted.html');
  await page.locator('#box').pressSequentially('Phoenix launch party');
  await verdictIs(page, '#composer', 'block');
  await page.click('#post');
  const p = panel(page);
  await p.locator('[data-postwarden-override]').click();
  await p.locator('[data-postwarden-justification]').fill('Launch is public since 9:00');
  await p.locator('[data-postwarden-override-confirm]').click();
  await page.waitForFunction(() => document.getElementById('ignored').textContent === '1', null, { timeout: T });
  assert.deepEqual(await posts(page), []);
  await page.click('#post');
  assert.deepEqual(await posts(page), ['Phoenix launch party']);
  await page.close();
});

test('private-message composer: not checked, no marks, sends normally', async () => {
  const page = await open('textarea.html');
  const before = host.frames().length;
  await page.locator('#dmbox').pressSequentially('Phoenix strictly confidential between us');
  await page.waitForTimeout(600);
  assert.equal(await page.locator('#dm').getAttribute('data-postwarden-verdict'), null);
  assert.equal(host.frames().slice(before).filter((f) => f.type === 'check').length, 0, 'nothing was sent for the private draft');
  await page.close();
});
