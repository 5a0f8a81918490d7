// Settings: the admin's win; local settings can only add sites or be stricter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveSettings, matchPatternToRegExp, siteForUrl, DEFAULTS } from '../settings.js';
import { BUILTIN } from '../adapters/index.js';

const BUILTIN_NAMES = BUILTIN.map((s) => s.name);
const own = (sites) => sites.map((s) => s.name).filter((n) => !BUILTIN_NAMES.includes(n));

const site = (over = {}) => ({ name: 'social.example', matches: ['https://social.example/*'], ...over });

test('defaults: warn when unavailable, 250 ms debounce, overrides allowed, the built-in sites only', () => {
  const { settings, problems } = effectiveSettings();
  assert.deepEqual({ ...settings, sites: [] }, { ...DEFAULTS, sites: [] });
  assert.deepEqual(settings.sites.map((s) => s.name), ['x.com', 'linkedin.com', 'facebook.com', 'instagram.com', 'reddit.com']);
  assert.deepEqual(problems, []);
});

test('managed settings apply; bad entries are named and skipped, the rest kept', () => {
  const { settings, problems } = effectiveSettings({
    sites: [site(), site({ name: 'bad name!' }), site({ name: 'b.example', matches: ['<all_urls>'] }), site({ name: 'c.example', compose: 'textarea' })],
    failMode: 'block', debounceMs: 400, overridesAllowed: false,
  });
  assert.deepEqual(own(settings.sites), ['social.example']);
  assert.equal(settings.failMode, 'block');
  assert.equal(settings.debounceMs, 400);
  assert.equal(settings.overridesAllowed, false);
  assert.equal(problems.length, 3);
  assert.match(problems[0], /managed\.sites\[1\]: name/);
  assert.match(problems[1], /b\.example.*bad match pattern/);
  assert.match(problems[2], /c\.example.*compose must be a list/);
});

test('bad scalar values are named and the default kept', () => {
  const { settings, problems } = effectiveSettings({ failMode: 'off', debounceMs: 5, overridesAllowed: 'yes' });
  assert.equal(settings.failMode, 'warn');
  assert.equal(settings.debounceMs, 250);
  assert.equal(settings.overridesAllowed, true);
  assert.equal(problems.length, 3);
});

test('local settings add sites and tighten, never loosen', () => {
  const managed = { sites: [site()], failMode: 'block', overridesAllowed: false, debounceMs: 300 };
  const local = { sites: [site({ name: 'extra.example', matches: ['http://127.0.0.1/*'] })], failMode: 'warn', overridesAllowed: true, debounceMs: 100 };
  const { settings } = effectiveSettings(managed, local);
  assert.deepEqual(own(settings.sites), ['social.example', 'extra.example']);
  assert.equal(settings.failMode, 'block');
  assert.equal(settings.overridesAllowed, false);
  assert.equal(settings.debounceMs, 300, 'the admin\'s debounce wins');
  const tighter = effectiveSettings({}, { failMode: 'block', overridesAllowed: false }).settings;
  assert.equal(tighter.failMode, 'block');
  assert.equal(tighter.overridesAllowed, false);
});

test('a local site cannot replace the admin\'s site of the same name', () => {
  const { settings, problems } = effectiveSettings({ sites: [site()] }, { sites: [site({ matches: ['https://other.example/*'] })] });
  assert.deepEqual(settings.sites[0].matches, ['https://social.example/*']);
  assert.match(problems[0], /already configured/);
});

test('match patterns as Chrome reads them (any port when none is given)', () => {
  const re = matchPatternToRegExp('https://*.example.com/*');
  assert.ok(re.test('https://example.com/home'));
  assert.ok(re.test('https://www.example.com/x?y'));
  assert.ok(!re.test('https://evilexample.com/'));
  assert.ok(!re.test('http://www.example.com/'));
  assert.ok(matchPatternToRegExp('http://127.0.0.1/*').test('http://127.0.0.1:40123/textarea.html'));
  assert.ok(matchPatternToRegExp('*://a.example/compose/*').test('http://a.example/compose/x'));
  assert.ok(!matchPatternToRegExp('*://a.example/compose/*').test('http://a.example/messages/x'));
  for (const bad of ['<all_urls>', 'ftp://a/*', 'https://a', 'https://a*b/*', 42]) assert.equal(matchPatternToRegExp(bad), null, String(bad));
});

test('siteForUrl picks the first site that matches', () => {
  const sites = [site(), site({ name: 'local', matches: ['http://127.0.0.1/*'] })];
  assert.equal(siteForUrl(sites, 'http://127.0.0.1:8080/a').name, 'local');
  assert.equal(siteForUrl(sites, 'https://social.example/feed').name, 'social.example');
  assert.equal(siteForUrl(sites, 'https://elsewhere.example/'), null);
  assert.equal(siteForUrl(sites, undefined), null);
});

test('built-in adapters: the admin changes selectors and actor sources, or turns one off', () => {
  const actor = { how: 'new-switcher', within: 'scope', selector: '.who', id: { attr: 'data-uid', pattern: '^(\\d+)$' }, handle: { prefix: '@' } };
  const { settings, problems } = effectiveSettings({
    adapters: { x: { submit: ['button.post-now'], actors: [actor] }, reddit: { enabled: false }, myspace: {} },
  });
  assert.deepEqual(problems.length, 1);
  assert.match(problems[0], /managed\.adapters\.myspace: no such adapter/);
  const x = settings.sites.find((s) => s.name === 'x.com');
  assert.deepEqual(x.submit, ['button.post-now']);
  assert.deepEqual(x.actors, [actor]);
  assert.equal(x.adapter, 'x');
  assert.equal(settings.sites.find((s) => s.name === 'reddit.com'), undefined);
});

test('a bad actor source is named and its site skipped; the other sites keep working', () => {
  const { settings, problems } = effectiveSettings({ adapters: { linkedin: { actors: [{ how: 'x', selector: '.a', url: '^https' , id: {} }] } } });
  assert.match(problems[0], /linkedin\.com\): actors\[0\]: give either selector or url/);
  assert.ok(!settings.sites.some((s) => s.name === 'linkedin.com'));
  assert.ok(settings.sites.some((s) => s.name === 'x.com'));
  const bad = effectiveSettings({ adapters: { x: { actors: [{ how: 'x', selector: '.a', id: { pattern: '(' } }] } } }).problems;
  assert.match(bad[0], /id\.pattern must be a RegExp/);
});

test('Mastodon instances and publishing tools come from the admin (and local additions)', () => {
  const tool = { name: 'publish.acme.example', matches: ['https://publish.acme.example/*'], compose: ['textarea'], submit: ['#send'],
    actors: [{ how: 'channel', within: 'scope', selector: '.channel', handle: { attr: 'data-handle' }, site: { attr: 'data-network' } }] };
  const { settings, problems } = effectiveSettings({ mastodonInstances: ['mastodon.social', 'bad host!'], publishingTools: [tool] }, { mastodonInstances: ['social.example.org'] });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /mastodonInstances\[1\]: not a host name/);
  const m = settings.sites.find((s) => s.name === 'mastodon.social');
  assert.equal(m.adapter, 'mastodon');
  assert.deepEqual(m.matches, ['https://mastodon.social/*']);
  assert.ok(settings.sites.some((s) => s.name === 'social.example.org'));
  const t = settings.sites.find((s) => s.name === 'publish.acme.example');
  assert.equal(t.adapter, 'tool');
  assert.equal(t.actors[0].site.attr, 'data-network');
});
