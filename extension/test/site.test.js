// Site adapters as data: actor fields, formats, and account identity (no DOM needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readField, accountFrom, sameAccount, compilePattern } from '../adapters/site.js';
import { BUILTIN, TEMPLATES } from '../adapters/index.js';
import { validateSite } from '../settings.js';

test('readField: url fields with a pattern and a format (LinkedIn admin view -> urn:li:organization:N)', () => {
  const spec = { pattern: '/company/(\\d{1,20})/admin/', format: 'urn:li:organization:$1' };
  assert.equal(readField(spec, null, 'https://www.linkedin.com/company/2414183/admin/feed/'), 'urn:li:organization:2414183');
  assert.equal(readField(spec, null, 'https://www.linkedin.com/feed/'), null, 'no match, no value');
  assert.equal(readField({ prefix: '@' }, null, 'AcmeCorp'), '@AcmeCorp');
  assert.equal(readField({ prefix: '@' }, null, '@AcmeCorp'), '@AcmeCorp', 'no double prefix');
  assert.equal(readField({}, null, '   '), null, 'blank is no value');
  assert.equal(readField({}, null, 'x'.repeat(300)), null, 'over 256 characters is no value');
});

test('accountFrom: a url source says how it found the account; nothing without id or handle', () => {
  const src = { how: 'fb-suite', url: '^https://business\\.facebook\\.com/.*[?&]asset_id=\\d', id: { pattern: '[?&]asset_id=(\\d{1,25})' } };
  assert.deepEqual(accountFrom(src, null, 'https://business.facebook.com/latest/home?asset_id=100064', 'facebook.com'),
    { handle: null, stable_id: '100064', display_name: null, detected_by: 'url:fb-suite', site: 'facebook.com' });
  assert.equal(accountFrom(src, null, 'https://www.facebook.com/', 'facebook.com'), null);
});

test('sameAccount compares id, handle and site; null is unknown', () => {
  const a = { handle: '@a', stable_id: '1', site: 'x.com' };
  assert.ok(sameAccount(a, { ...a, display_name: 'other name' }));
  assert.ok(!sameAccount(a, { ...a, stable_id: '2' }));
  assert.ok(!sameAccount(a, { ...a, site: 'other' }));
  assert.ok(!sameAccount(a, null));
  assert.ok(sameAccount(null, null));
});

test('every built-in adapter is valid data (the same validation an admin override gets)', () => {
  for (const def of BUILTIN) {
    const [site, why] = validateSite(def, def.adapter);
    assert.equal(why, null, `${def.adapter}: ${why}`);
    assert.ok(site.actors.length >= 1, `${def.adapter} has actor sources`);
    assert.ok(site.actors.some((a) => a.id), `${def.adapter} reads a stable id somewhere`);
    for (const a of site.actors) for (const f of ['id', 'handle', 'name']) if (a[f]?.pattern) assert.ok(compilePattern(a[f].pattern), `${def.adapter} ${a.how} ${f}`);
  }
  const [m, why] = validateSite({ ...TEMPLATES.mastodon, name: 'mastodon.social', matches: ['https://mastodon.social/*'] }, 'mastodon');
  assert.equal(why, null);
  assert.equal(m.adapter, 'mastodon');
});
