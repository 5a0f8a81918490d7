// The site adapters on the e2e site fixtures (tests/e2e/sites/, loaded into jsdom without their
// scripts): each finds its compose box and the acting account, preferring the composer's own
// actor (delegation, "posting as") over the logged-in user, and says how it found it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const sites = path.resolve(here, '../../../tests/e2e/sites');
const require = createRequire(path.resolve(here, '../../../tests/e2e/package.json'));
const { JSDOM } = require('jsdom');

const { createSiteAdapter } = await import('../../adapters/site.js');
const { effectiveSettings } = await import('../../settings.js');

const configured = effectiveSettings({ mastodonInstances: ['mastodon.social'] }).settings.sites;
const siteNamed = (n) => configured.find((s) => s.name === n);

function load(file, url) {
  const dom = new JSDOM(fs.readFileSync(path.join(sites, file), 'utf8'), { url });
  return { doc: dom.window.document, location: dom.window.location };
}

function boxAndAccount(siteName, file, url) {
  const { doc, location } = load(file, url);
  const a = createSiteAdapter(siteNamed(siteName), { location });
  const boxes = a.boxesIn(doc);
  return { a, doc, boxes, account: boxes.length ? a.account(boxes[0], doc) : null };
}

test('x.com: the account switcher, then a delegation chip in the composer wins', () => {
  const { a, doc, boxes, account } = boxAndAccount('x.com', 'x/home.html', 'https://x.com/home');
  assert.equal(boxes.length, 1, 'the DM composer is not a compose box');
  assert.deepEqual(account, { handle: '@jdoe', stable_id: '42', display_name: 'Jane Doe', detected_by: 'dom:x-account-switcher', site: 'x.com' });
  const chip = doc.createElement('div');
  chip.dataset.testid = 'composerActor';
  chip.dataset.userId = '1234567891';
  chip.dataset.screenName = 'AcmeSupport';
  doc.querySelector('[data-testid="tweetComposer"]').prepend(chip);
  assert.equal(a.account(boxes[0], doc).handle, '@AcmeSupport');
  assert.equal(a.account(boxes[0], doc).detected_by, 'dom:x-delegate-chip');
  assert.deepEqual(a.expectation(), { path: '^/(home|compose/post)/?$', compose: true, account: true });
});

test('linkedin.com: the share box actor (member or organization URN); the Page admin view', () => {
  const feed = boxAndAccount('linkedin.com', 'linkedin/feed.html', 'https://www.linkedin.com/feed/');
  assert.equal(feed.account.stable_id, 'urn:li:member:777');
  assert.equal(feed.account.handle, 'jane-doe');
  const admin = boxAndAccount('linkedin.com', 'linkedin/company_2414183_admin.html', 'https://www.linkedin.com/company/2414183/admin/');
  assert.deepEqual({ ...admin.account, display_name: null }, { handle: 'acme-corp', stable_id: 'urn:li:organization:2414183', display_name: null, detected_by: 'dom:linkedin-page-admin', site: 'linkedin.com' });
  // Without the header, the admin view's URL still names the organization.
  admin.doc.querySelector('.org-admin-header').remove();
  const byUrl = admin.a.account(admin.boxes[0], admin.doc);
  assert.equal(byUrl.stable_id, 'urn:li:organization:2414183');
  assert.equal(byUrl.detected_by, 'url:linkedin-page-admin-url');
});

test('facebook.com: the composer\'s "posting as" switcher; business.facebook.com Page view', () => {
  const fb = boxAndAccount('facebook.com', 'facebook/index.html', 'https://www.facebook.com/');
  assert.deepEqual(fb.account, { handle: 'jane.doe', stable_id: '555', display_name: 'Jane Doe', detected_by: 'dom:facebook-actor-switcher', site: 'facebook.com' });
  const biz = boxAndAccount('facebook.com', 'fbbusiness/latest_home.html', 'https://business.facebook.com/latest/home?asset_id=100064');
  assert.equal(biz.account.stable_id, '100064');
  assert.equal(biz.account.detected_by, 'dom:facebook-page-admin');
});

test('instagram.com, mastodon: the caption author / navigation bar account', () => {
  const ig = boxAndAccount('instagram.com', 'instagram/create_select.html', 'https://www.instagram.com/create/select/');
  assert.equal(ig.account.handle, '@jane.doe');
  assert.equal(ig.account.stable_id, '9001');
  const m = boxAndAccount('mastodon.social', 'mastodon/home.html', 'https://mastodon.social/home');
  assert.equal(m.account.handle, '@jane');
  assert.equal(m.account.site, 'mastodon.social');
});

test('no account shown: null (the policy then applies the stricter of both modes)', () => {
  const t = boxAndAccount('x.com', 'twitter/home.html', 'https://twitter.com/home');
  assert.equal(t.boxes.length, 1);
  assert.equal(t.account, null);
  const gone = boxAndAccount('x.com', 'x/compose_post.html', 'https://x.com/compose/post');
  assert.equal(gone.boxes.length, 0, 'the redesigned page: no compose box the adapter knows');
});

test('an admin override of the selectors takes effect without a release', () => {
  const s = effectiveSettings({ adapters: { x: { compose: ['.new-editor-2031'], actors: [{ how: 'x-new-nav', within: 'page', selector: '[data-user-id]', id: { attr: 'data-user-id' }, handle: { pattern: '(@\\w+)' } }] } } }).settings.sites.find((x) => x.name === 'x.com');
  const { doc, location } = load('x/compose_post.html', 'https://x.com/compose/post');
  doc.querySelector('.new-editor-2031').setAttribute('contenteditable', 'true');
  const a = createSiteAdapter(s, { location });
  const boxes = a.boxesIn(doc);
  assert.equal(boxes.length, 1);
  assert.equal(a.account(boxes[0], doc).detected_by, 'dom:x-new-nav');
});
