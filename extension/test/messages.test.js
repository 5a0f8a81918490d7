// messages.js: what the worker accepts from content scripts, and how host frames are read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  Kind, validateRuntimeMessage, trustedSender, reasonFromLastError, reasonFromCode, readHostFrame,
  parseVerdict, parseHello, checkFrame, postAttemptFrame, errorOf, Unavailable, MAX_TEXT_UNITS,
} from '../messages.js';

const check = (over = {}) => ({ what: 'check', seq: 3, site: 'fixture.test', account: null, text: 'hi', ...over });
const attempt = (over = {}) => ({ what: 'post_attempt', site: 'fixture.test', account: null, action: 'allow', outcome: 'posted', ...over });

test('a well-formed check passes, reduced to its fields', () => {
  const r = validateRuntimeMessage(check());
  assert.equal(r.ok, true);
  assert.deepEqual(r.value, check());
});

test('check: each wrong field is refused with its name', () => {
  const cases = [
    [check({ seq: -1 }), /seq/],
    [check({ seq: 1.5 }), /seq/],
    [check({ seq: '1' }), /seq/],
    [check({ site: '' }), /site/],
    [check({ site: 7 }), /site/],
    [check({ text: 5 }), /text/],
    [check({ text: 'x'.repeat(MAX_TEXT_UNITS + 1) }), /too long/],
    [check({ account: 'me' }), /account/],
    [check({ account: { handle: 5 } }), /account\.handle/],
    [check({ account: { handle: '@a', id: '1' } }), /unexpected field "id"/],
    [check({ account: { handle: '@a', password: 'x' } }), /unexpected field "password"/],
    [check({ extra: 1 }), /unexpected field "extra"/],
    [{ what: 'check', seq: 1, site: 's', account: null }, /missing field "text"/],
  ];
  for (const [msg, re] of cases) {
    const r = validateRuntimeMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg).slice(0, 80));
    assert.match(r.error, re);
  }
});

test('unknown kinds and non-objects are refused', () => {
  for (const m of [null, 'check', [], 42, { what: 'exec' }, {}]) {
    const r = validateRuntimeMessage(m);
    assert.equal(r.ok, false);
  }
  assert.match(validateRuntimeMessage({ what: 'exec' }).error, /unknown message kind/);
});

test('post_attempt: justification only with an override, and an override needs one', () => {
  assert.equal(validateRuntimeMessage(attempt()).ok, true);
  assert.equal(validateRuntimeMessage(attempt({ action: 'block', outcome: 'overridden', justification: 'approved by PR' })).ok, true);
  assert.match(validateRuntimeMessage(attempt({ action: 'block', outcome: 'overridden' })).error, /needs a justification/);
  assert.match(validateRuntimeMessage(attempt({ action: 'block', outcome: 'overridden', justification: '  ' })).error, /needs a justification/);
  assert.match(validateRuntimeMessage(attempt({ justification: 'why' })).error, /only an override/);
  assert.match(validateRuntimeMessage(attempt({ outcome: 'maybe' })).error, /outcome/);
  assert.match(validateRuntimeMessage(attempt({ action: 'ok' })).error, /action/);
  assert.match(validateRuntimeMessage(attempt({ findings: [1] })).error, /findings\[0\]/);
  assert.match(validateRuntimeMessage(attempt({ findings: [{ rule: 'r' }] })).error, /missing field "category"/);
  assert.equal(validateRuntimeMessage(attempt({ findings: [{ rule: 'r', category: 'c', excerpt: 'P…x', action: 'block' }] })).ok, true);
  assert.match(validateRuntimeMessage(attempt({ overridable: 'yes' })).error, /overridable/);
  assert.equal(validateRuntimeMessage(attempt({ action: 'unavailable' })).ok, true);
});

test('status and tab_status', () => {
  assert.deepEqual(validateRuntimeMessage({ what: Kind.STATUS }), { ok: true, value: { what: 'status' } });
  assert.equal(validateRuntimeMessage({ what: Kind.STATUS, x: 1 }).ok, false);
  assert.equal(validateRuntimeMessage({ what: Kind.TAB_STATUS, tabId: 4 }).ok, true);
  assert.equal(validateRuntimeMessage({ what: Kind.TAB_STATUS, tabId: -4 }).ok, false);
});

test('only this extension\'s content scripts and pages are trusted senders', () => {
  const own = 'abcdefghijklmnopabcdefghijklmnop';
  const origin = `chrome-extension://${own}/`;
  assert.equal(trustedSender({ id: own, tab: { id: 1 }, url: 'https://x.example/' }, own, origin), true);
  assert.equal(trustedSender({ id: own, url: `${origin}pages/popup.html` }, own, origin), true);
  assert.equal(trustedSender({ id: 'otherextension', tab: { id: 1 } }, own, origin), false);
  assert.equal(trustedSender({ id: own, url: 'https://evil.example/' }, own, origin), false);
  assert.equal(trustedSender(undefined, own, origin), false);
});

test('the browser\'s native-messaging errors map to reasons', () => {
  assert.equal(reasonFromLastError('Specified native messaging host not found.'), Unavailable.HOST_MISSING);
  assert.equal(reasonFromLastError('Native host has exited.'), Unavailable.HOST_EXITED);
  assert.equal(reasonFromLastError('Access to the specified native messaging host is forbidden.'), Unavailable.HOST_FORBIDDEN);
  assert.equal(reasonFromLastError('Error when communicating with the native messaging host.'), Unavailable.HOST_EXITED);
  assert.equal(reasonFromLastError('Failed to start native messaging host.'), Unavailable.HOST_ERROR);
  assert.equal(reasonFromLastError(undefined), Unavailable.HOST_ERROR);
});

test('protocol error codes map to reasons', () => {
  assert.equal(reasonFromCode(400), Unavailable.SERVICE);
  assert.equal(reasonFromCode(401), Unavailable.SERVICE);
  assert.equal(reasonFromCode(501), Unavailable.NO_POLICY);
  assert.equal(reasonFromCode(100), Unavailable.TOO_LONG);
  assert.equal(reasonFromCode(300), Unavailable.HOST_FORBIDDEN);
  assert.equal(reasonFromCode(203), Unavailable.REFUSED);
  assert.equal(reasonFromCode(201), Unavailable.HOST_VERSION);
  assert.equal(reasonFromCode(500), Unavailable.HOST_ERROR);
});

test('host frames: version, id and type are required; error frames need a code', () => {
  assert.equal(readHostFrame({ v: 1, id: 1, type: 'check' }).ok, true);
  assert.match(readHostFrame({ v: 2, id: 1, type: 'check' }).error, /protocol/);
  assert.match(readHostFrame({ v: 1, type: 'check' }).error, /no id/);
  assert.match(readHostFrame({ v: 1, id: 1 }).error, /no type/);
  assert.match(readHostFrame({ v: 1, id: 1, type: 'error' }).error, /code/);
  const e = { v: 1, id: 1, type: 'error', error: { code: 400, name: 'service_unavailable', message: 'postwardend is not running' } };
  assert.equal(readHostFrame(e).ok, true);
  assert.deepEqual(errorOf(e), { code: 400, name: 'service_unavailable', message: 'postwardend is not running' });
  assert.equal(errorOf({ v: 1, id: 1, type: 'error', code: 501, detail: 'no policy' }).message, 'no policy');
});

const finding = (over = {}) => ({
  rule: 'confidential-code-names', category: 'confidential', detector: null, action: 'block', overridable: true,
  confidence: 100, message: 'Code names are confidential.', excerpt: 'Ph…x',
  span: { bytes: [6, 13], cp: [6, 13], utf16: [6, 13] }, ...over,
});

test('verdicts: the engine\'s JSON shape is read, UTF-16 spans kept', () => {
  const r = parseVerdict({ action: 'block', overridable: true, mode: 'personal', company_account: false, authorised: true, findings: [finding()] }, 20);
  assert.equal(r.ok, true);
  assert.equal(r.value.action, 'block');
  assert.equal(r.value.overridable, true);
  assert.deepEqual([r.value.findings[0].start, r.value.findings[0].end], [6, 13]);
  assert.equal(r.value.findings[0].rule, 'confidential-code-names');
});

test('verdicts: findings the host trimmed are counted', () => {
  const r = parseVerdict({ v: 1, id: 3, type: 'check', verdict: { action: 'warn', findings: [] }, findings_trimmed: 12 });
  assert.equal(r.value.trimmed, 12);
  assert.equal(parseVerdict({ action: 'warn', findings: [] }).value.trimmed, 0);
});

test('verdicts: a reply carrying the verdict under "verdict" is read the same', () => {
  const r = parseVerdict({ v: 1, id: 3, type: 'check', verdict: { action: 'allow', overridable: false, findings: [] } });
  assert.equal(r.ok, true);
  assert.equal(r.value.action, 'allow');
});

test('verdicts: not overridable when one blocking finding is not, whatever the top level says', () => {
  const r = parseVerdict({ action: 'block', overridable: true, findings: [finding(), finding({ rule: 'x', overridable: false })] });
  assert.equal(r.value.overridable, false);
});

test('verdicts: a span outside the text is dropped, not trusted', () => {
  const r = parseVerdict({ action: 'warn', overridable: true, findings: [finding({ action: 'warn', span: { utf16: [5, 99] } })] }, 10);
  assert.equal(r.value.findings[0].start, null);
  const bad = parseVerdict({ action: 'warn', findings: [finding({ span: { utf16: [9, 3] } })] }, 10);
  assert.equal(bad.value.findings[0].start, null);
});

test('verdicts: anything else is refused', () => {
  assert.equal(parseVerdict(null).ok, false);
  assert.equal(parseVerdict({ action: 'ok' }).ok, false);
  assert.equal(parseVerdict({ action: 'allow', findings: {} }).ok, false);
  assert.equal(parseVerdict({ action: 'allow', findings: [3] }).ok, false);
});

test('hello: service availability', () => {
  assert.equal(parseHello({ service: 'unavailable' }).value.serviceUp, false);
  assert.equal(parseHello({ service: 'reachable', policy_id: 'abc' }).value.policyId, 'abc');
  assert.equal(parseHello({ service: 'standalone' }).value.serviceUp, true);
  assert.equal(parseHello({ service: 'available', policy: { id: 'p1', loaded_at: 'x' } }).value.policyId, 'p1');
});

test('frames to the host: check, and post_attempt with text only for a company account', () => {
  const c = checkFrame(7, validateRuntimeMessage(check({ account: { handle: '@me' } })).value);
  assert.deepEqual(c, { v: 1, id: 7, type: 'check', site: 'fixture.test', account: { handle: '@me', stable_id: null }, text: 'hi' });
  const m = validateRuntimeMessage(attempt({ text: 'the post' })).value;
  assert.equal('text' in postAttemptFrame(8, m, false), false);
  assert.equal(postAttemptFrame(8, m, true).text, 'the post');
  assert.deepEqual(postAttemptFrame(8, m, false), {
    v: 1, id: 8, type: 'post_attempt', site: 'fixture.test', account: null,
    verdict: { action: 'allow', overridable: false }, posted: true, findings: [],
  });
  const o = validateRuntimeMessage(attempt({ action: 'block', overridable: true, outcome: 'overridden', justification: 'announced' })).value;
  assert.equal(postAttemptFrame(9, o, false).override_justification, 'announced');
  assert.equal(postAttemptFrame(9, o, false).posted, true);
  const st = validateRuntimeMessage(attempt({ action: 'block', outcome: 'stopped' })).value;
  assert.equal(postAttemptFrame(9, st, false).posted, false);
  assert.equal(postAttemptFrame(9, validateRuntimeMessage(attempt({ action: 'unavailable' })).value, false), null);
});

test('account: the acting account with how it was found; handle and detected_by required', async () => {
  const { validateRuntimeMessage, accountFrame, parseAccountReply } = await import('../messages.js');
  const good = { what: 'account', site: 'x.com', account: { handle: '@AcmeCorp', stable_id: '1234567890', display_name: 'Acme Corp', detected_by: 'dom:x-account-switcher' } };
  const v = validateRuntimeMessage(good);
  assert.equal(v.ok, true);
  assert.deepEqual(accountFrame(7, v.value), { v: 1, id: 7, type: 'account', site: 'x.com', handle: '@AcmeCorp', stable_id: '1234567890', display_name: 'Acme Corp', detected_by: 'dom:x-account-switcher' });
  assert.match(validateRuntimeMessage({ ...good, account: { stable_id: '1', detected_by: 'dom' } }).error, /handle must be a non-empty string/);
  assert.match(validateRuntimeMessage({ ...good, account: { handle: '@a' } }).error, /detected_by/);
  assert.match(validateRuntimeMessage({ ...good, account: null }).error, /handle/);
  assert.match(validateRuntimeMessage({ ...good, extra: 1 }).error, /unexpected field "extra"/);
  assert.deepEqual(parseAccountReply({ v: 1, id: 7, type: 'account', company_account: true, authorised: false, account_name: 'acme-x', linked: true }).value,
    { companyAccount: true, authorised: false, accountName: 'acme-x', linked: true });
  assert.equal(parseAccountReply({ type: 'account', company_account: 'yes', authorised: false }).ok, false);
  // authorised means nothing without a company account
  assert.equal(parseAccountReply({ type: 'account', company_account: false, authorised: true }).value.authorised, false);
});

test('site_problem: only the known problems; the frame is the golden one', async () => {
  const { validateRuntimeMessage, siteProblemFrame } = await import('../messages.js');
  const v = validateRuntimeMessage({ what: 'site_problem', site: 'x.com', problem: 'no_compose_box', adapter: 'x' });
  assert.equal(v.ok, true);
  const golden = JSON.parse(fs.readFileSync(new URL('../../tests/golden/nm-site-problem.json', import.meta.url), 'utf8'));
  assert.deepEqual(siteProblemFrame(41, v.value), golden.request);
  assert.match(validateRuntimeMessage({ what: 'site_problem', site: 'x.com', problem: 'site_down' }).error, /problem must be/);
  assert.match(validateRuntimeMessage({ what: 'site_problem', site: 'x.com', problem: 'no_account', adapter: 'X!' }).error, /adapter/);
});
