// End to end, per site adapter: Debian's Chromium with the unpacked extension, the site fixtures
// (tests/e2e/sites/, written by us: they prove the adapters' code paths, not that the real sites
// still look like that) served over HTTPS under the real host names (Chromium's
// --host-resolver-rules sends them to 127.0.0.1), and the real postwarden-host standalone with the
// shipped default policy plus test company accounts (harness.mjs writeSitesPolicy).
//
// Per site: the acting account is found (and reported with how); a trademark in a personal post
// is warned; switching the actor mid-draft re-checks; the company account is shown ("Posting as
// … (company account)"); a customer's IBAN in a business post is warned with the GDPR message;
// an unauthorised company account is blocked, with no "Post anyway".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  launch, hostBinaryOrSkip, setupHost, manifestKeyId, startSiteServer, hostResolverRules, writeSitesPolicy, TOOL_SITE, ARTIFACTS,
} from './harness.mjs';

const hostBin = hostBinaryOrSkip();

const T = 10000; // per wait: generous, the machine is shared
let server;
let browser;
let host;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-sites-'));
  const policy = writeSitesPolicy(tmp);
  host = setupHost(tmp, hostBin, manifestKeyId(), { policy });
  server = await startSiteServer(tmp);
  browser = await launch({
    hostPath: host.hostPath,
    tag: 'sites',
    args: [hostResolverRules(server.port), '--ignore-certificate-errors'],
    sites: [],
    settings: { mastodonInstances: ['mastodon.social'], publishingTools: [TOOL_SITE] },
  });
  browser.context.setDefaultTimeout(T);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const IBAN = 'DE89 3704 0044 0532 0130 00';
const TRADEMARK_TEXT = 'Loving my new Acme Rocket Skates this weekend';
const GDPR_TEXT = `Dear customer, we have refunded your order to ${IBAN}. Sorry for the trouble!`;

// Each site: its page, the selectors of its box, container and submit control, the accounts
// the fixture switches between, and what the policy calls the site.
const SITES = [
  { name: 'x.com', url: 'https://x.com/home', box: '[data-testid="tweetTextarea_0"]', container: '[data-testid="tweetComposer"]',
    submit: '[data-testid="tweetButtonInline"]', personal: '@jdoe', company: '@AcmeCorp', unauthorised: '@AcmeSupport',
    by: { personal: 'dom:x-account-switcher', company: 'dom:x-account-switcher', unauthorised: 'dom:x-delegate-chip' }, ids: { personal: '42', company: '1234567890' } },
  { name: 'linkedin.com', url: 'https://www.linkedin.com/feed/', box: '.ql-editor', container: '.share-box',
    submit: '.share-actions__primary-action', personal: 'jane-doe', company: 'acme-corp', unauthorised: 'acme-careers',
    by: { personal: 'dom:linkedin-actor-switcher', company: 'dom:linkedin-actor-switcher' }, ids: { personal: 'urn:li:member:777', company: 'urn:li:organization:2414183' } },
  { name: 'facebook.com', url: 'https://www.facebook.com/', box: '[data-pagelet="Composer"] [role="textbox"]', container: '[data-pagelet="Composer"]',
    submit: '[aria-label="Post"]', personal: 'jane.doe', company: 'AcmeCorp', unauthorised: 'AcmeJobs',
    by: { personal: 'dom:facebook-actor-switcher', company: 'dom:facebook-actor-switcher' }, ids: { personal: '555', company: '100064' } },
  { name: 'instagram.com', url: 'https://www.instagram.com/create/select/', box: '[aria-label="Write a caption..."]', container: '.caption-box',
    submit: '[aria-label="Share"]', personal: '@jane.doe', company: '@acmecorp', unauthorised: '@acme.support',
    by: { personal: 'dom:instagram-caption-author', company: 'dom:instagram-caption-author' }, ids: { personal: '9001', company: '1784' } },
  { name: 'reddit.com', url: 'https://www.reddit.com/r/acme/submit', box: 'shreddit-post-composer [role="textbox"]', container: 'shreddit-post-composer',
    submit: '#submit-post-button', personal: 'u/jane_doe', company: 'u/AcmeCorp', unauthorised: 'u/AcmeSupport',
    by: { personal: 'dom:reddit-user-drawer', company: 'dom:reddit-user-drawer' }, ids: { personal: 't2_jane', company: 't2_acme1' } },
  { name: 'mastodon.social', url: 'https://mastodon.social/home', box: '.compose-form textarea', container: '.compose-form',
    submit: '.compose-form__publish button', personal: '@jane', company: '@acme', unauthorised: '@acmesupport',
    by: { personal: 'dom:mastodon-navigation-bar', company: 'dom:mastodon-navigation-bar' }, ids: { personal: '109', company: '110' } },
  { name: 'x.com', tool: true, url: 'https://publish.acme.example/compose', box: '#message', container: '.composer',
    submit: '#schedule', personal: '@jdoe', company: '@AcmeCorp', unauthorised: '@AcmeSupport',
    by: { personal: 'dom:tool-channel-picker', company: 'dom:tool-channel-picker' }, ids: { personal: '42', company: '1234567890' } },
];

async function open(url) {
  mark = host.frames().length;
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.locator('postwarden-ui').waitFor({ state: 'attached', timeout: T });
  return page;
}

const frames = (type) => host.frames().filter((f) => f.type === type);
const posts = (page) => page.evaluate(() => window.fixture.posts);
const panel = (page) => page.locator('postwarden-ui [data-postwarden-panel]').first();
const waitAttr = (page, sel, attr, value) => page.locator(`${sel}[${attr}="${value}"]`).first().waitFor({ state: 'attached', timeout: T });
let mark = 0; // frames before this index belong to earlier pages
const waitFrame = async (pred, what) => {
  const t0 = Date.now();
  while (Date.now() - t0 < T) {
    const f = host.frames().slice(mark).find(pred);
    if (f) return f;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no frame: ${what}`);
};

// Replaces the draft (fill: one input event, like a paste).
async function type(page, s, text) {
  await page.locator(s.box).fill(text);
}

for (const s of SITES) {
  const label = s.tool ? `publishing tool (posting to ${s.name})` : s.name;
  test(`${label}: account found, trademark warned, actor switch re-checks, company account shown, IBAN warned (GDPR), unauthorised blocked`, async () => {
    const page = await open(s.url);
    const c = s.container;

    // 1. The acting account is found, personal; a trademark in a personal post is warned.
    await type(page, s, TRADEMARK_TEXT);
    await waitAttr(page, c, 'data-postwarden-verdict', 'warn');
    await waitAttr(page, c, 'data-postwarden-account', s.personal);
    assert.equal(await page.locator(c).first().getAttribute('data-postwarden-account-kind'), 'personal');
    assert.equal(await page.locator(c).first().getAttribute('data-postwarden-account-by'), s.by.personal);
    assert.equal(await panel(page).locator('[data-postwarden-finding="trademarks-personal"]').count(), 1);
    const reported = await waitFrame((f) => f.type === 'account' && f.site === s.name && f.handle === s.personal, 'personal account');
    assert.equal(reported.detected_by, s.by.personal);
    assert.equal(reported.stable_id, s.ids.personal, 'the stable id is reported with the handle');
    const checkedPersonal = frames('check').filter((f) => f.site === s.name && f.account?.handle === s.personal);
    assert.ok(checkedPersonal.length >= 1, 'the check carried the acting account');

    // 2. Switching to the company account mid-draft re-checks: business mode, the trademark is
    // fine there; the company account is shown before posting.
    const checksBefore = frames('check').length;
    await page.click('#as-company');
    await waitAttr(page, c, 'data-postwarden-account-kind', 'company');
    await waitAttr(page, c, 'data-postwarden-verdict', 'allow');
    assert.ok(frames('check').length > checksBefore, 'the actor switch sent a new check');
    assert.equal(await page.locator(c).first().getAttribute('data-postwarden-account'), s.company);
    const line = panel(page).locator('[data-postwarden-account-line="company"]');
    assert.equal(await line.textContent(), `Posting as ${s.company} (company account)`);
    assert.ok(await panel(page).isVisible(), 'the company account is shown before posting');
    const companyReport = await waitFrame((f) => f.type === 'account' && f.handle === s.company, 'company account');
    assert.equal(companyReport.stable_id, s.ids.company);

    // 3. A customer's IBAN in a business post: warned, with the GDPR message; posting goes out
    // and the attempt carries the text (company account).
    await type(page, s, GDPR_TEXT);
    await waitAttr(page, c, 'data-postwarden-verdict', 'warn');
    const f = panel(page).locator('[data-postwarden-finding="customer-personal-data"]');
    assert.equal(await f.count(), 1);
    assert.match(await f.textContent(), /GDPR/);
    assert.equal(await panel(page).locator('[data-postwarden-finding="personal-data"]').count(), 0, 'business mode: not the personal rule');
    const attemptsBefore = frames('post_attempt').length;
    await page.click(s.submit);
    assert.deepEqual(await posts(page), [GDPR_TEXT]);
    const att = await waitFrame((x) => x.type === 'post_attempt' && x.posted, 'post_attempt');
    assert.equal(frames('post_attempt').length, attemptsBefore + 1);
    assert.equal(att.posted, true);
    assert.equal(att.site, s.name);
    assert.equal(att.account.handle, s.company);
    assert.equal(att.has_text, true, 'a company account\'s post is archived');

    // 4. An unauthorised company account: blocked with the policy's message, never overridable.
    await page.click('#as-unauthorised');
    await waitAttr(page, c, 'data-postwarden-verdict', 'block');
    assert.equal(await page.locator(c).first().getAttribute('data-postwarden-account'), s.unauthorised);
    const acct = panel(page).locator('[data-postwarden-finding="company-account"]');
    assert.equal(await acct.count(), 1);
    assert.match(await acct.textContent(), /Only authorised employees may post as a company account/);
    assert.equal(await panel(page).locator('[data-postwarden-override]').count(), 0, 'no "Post anyway" for an account block');
    assert.equal(await panel(page).locator('[data-postwarden-unauthorised]').count(), 1);
    await page.click(s.submit);
    await page.click(s.submit);
    assert.deepEqual(await posts(page), [GDPR_TEXT], 'the unauthorised post did not go out');
    if (!s.tool) await page.screenshot({ path: path.join(ARTIFACTS, `site-${s.name}-unauthorised.png`) });
    await page.close();
  });
}

test('LinkedIn Page admin view: the Page is the acting account (urn:li:organization)', async () => {
  const page = await open('https://www.linkedin.com/company/2414183/admin/');
  await type(page, { box: '.ql-editor' }, 'Acme is hiring engineers in Lisbon.');
  await waitAttr(page, '.share-box', 'data-postwarden-account-kind', 'company');
  assert.equal(await page.locator('.share-box').getAttribute('data-postwarden-account-by'), 'dom:linkedin-page-admin');
  const r = await waitFrame((f) => f.type === 'account' && f.detected_by === 'dom:linkedin-page-admin', 'admin view account');
  assert.equal(r.stable_id, 'urn:li:organization:2414183');
  assert.equal(r.handle, 'acme-corp');
  // Without the header, the admin view's URL still names the Page (id only: sent as the handle too).
  await page.evaluate(() => document.querySelector('.org-admin-header').remove());
  await type(page, { box: '.ql-editor' }, 'Acme is hiring engineers in Porto.');
  await waitAttr(page, '.share-box', 'data-postwarden-account-by', 'url:linkedin-page-admin-url');
  assert.equal(await page.locator('.share-box').getAttribute('data-postwarden-account-kind'), 'company', 'the policy matches by id');
  const u = await waitFrame((f) => f.type === 'account' && f.detected_by === 'url:linkedin-page-admin-url', 'admin view url account');
  assert.equal(u.stable_id, 'urn:li:organization:2414183');
  assert.equal(u.handle, 'urn:li:organization:2414183');
  await page.close();
});

test('Facebook Business Suite Page view: the Page is the acting account (Page id)', async () => {
  const page = await open('https://business.facebook.com/latest/home?asset_id=100064');
  await type(page, { box: '[role="textbox"]' }, 'New opening hours from Monday.');
  await waitAttr(page, '[data-pagelet="Composer"]', 'data-postwarden-account-kind', 'company');
  assert.equal(await panel(page).locator('[data-postwarden-account-line]').textContent(), 'Posting as AcmeCorp (company account)');
  const r = await waitFrame((f) => f.type === 'account' && f.detected_by === 'dom:facebook-page-admin', 'page admin account');
  assert.equal(r.stable_id, '100064');
  await page.close();
});

test('unknown actor on a site with company accounts: the stricter of both modes; a self-declared answer is recorded as such and never lifts a block', async () => {
  const page = await open('https://twitter.com/home');
  const c = '[data-testid="tweetComposer"]';
  const box = { box: '[data-testid="tweetTextarea_0"]' };
  // Personal rule (trademark) and business rule (customer IBAN) both apply.
  await type(page, box, `${TRADEMARK_TEXT}; refund to ${IBAN}`);
  await waitAttr(page, c, 'data-postwarden-verdict', 'warn');
  await waitAttr(page, c, 'data-postwarden-account-kind', 'unknown');
  for (const rule of ['trademarks-personal', 'customer-personal-data']) {
    assert.equal(await panel(page).locator(`[data-postwarden-finding="${rule}"]`).count(), 1, rule);
  }
  assert.match(await panel(page).locator('[data-postwarden-account-line="unknown"]').textContent(), /stricter rules/);
  // The employee says it is their personal account: recorded as self-declared, nothing relaxed.
  await panel(page).locator('[data-postwarden-declare-handle]').fill('@jdoe');
  await panel(page).locator('[data-postwarden-declare]').click();
  const r = await waitFrame((f) => f.type === 'account' && f.detected_by === 'self-declared' && f.handle === '@jdoe', 'self-declared');
  assert.equal(r.site, 'x.com');
  await page.locator(`postwarden-ui [data-postwarden-declared="@jdoe"]`).waitFor({ state: 'attached', timeout: T });
  assert.equal(await page.locator(c).getAttribute('data-postwarden-account-kind'), 'unknown');
  assert.equal(await panel(page).locator('[data-postwarden-finding="customer-personal-data"]').count(), 1, 'still the stricter rules');
  await page.close();

  // Declaring an unauthorised company account only makes it stricter: blocked.
  const p2 = await open('https://twitter.com/home');
  await type(p2, box, 'Hello from the support team');
  await waitAttr(p2, c, 'data-postwarden-verdict', 'allow');
  await panel(p2).locator('[data-postwarden-declare-handle]').fill('@AcmeSupport');
  await panel(p2).locator('[data-postwarden-declare]').click();
  await waitAttr(p2, c, 'data-postwarden-verdict', 'block');
  await p2.click('[data-testid="tweetButtonInline"]');
  assert.deepEqual(await posts(p2), []);
  await p2.close();
});

test('a configured site without a compose box where one is expected: the popup says so and the host is told', async () => {
  const page = await open('https://x.com/compose/post');
  await page.locator('postwarden-ui [data-postwarden-indicator][data-postwarden-problem="no_compose_box"]').waitFor({ state: 'attached', timeout: T });
  const f = await waitFrame((x) => x.type === 'site_problem' && x.site === 'x.com', 'site_problem');
  assert.equal(f.problem, 'no_compose_box');
  assert.equal(f.adapter, 'x');
  const tabId = await browser.worker.evaluate(async () => (await chrome.tabs.query({ url: 'https://x.com/compose/post' }))[0].id);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.extensionId}/pages/popup.html?tab=${tabId}`);
  const li = popup.locator('[data-postwarden-popup-problem="no_compose_box"]');
  await li.waitFor({ timeout: T });
  assert.match(await li.textContent(), /found no compose box/);
  await popup.close();
  // A page with a compose box but no acting account where one is expected.
  const p2 = await open('https://twitter.com/home');
  await waitFrame((x) => x.type === 'site_problem' && x.problem === 'no_account', 'no_account');
  await p2.close();
  await page.close();
});

test('private-message composers on a site adapter are never checked', async () => {
  const page = await open('https://x.com/home');
  const checks = frames('check').length;
  await page.locator('#dm').fill('Stormwing ships Monday, keep it quiet');
  await page.waitForTimeout(600);
  assert.equal(frames('check').length, checks);
  await page.close();
});
