// The host's golden frames (tests/golden/, shared with nmhost's C tests): the frames the extension
// builds are exactly the documented requests, and every documented reply reads as it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  validateRuntimeMessage, checkFrame, postAttemptFrame, hostFrame, readHostFrame, parseVerdict,
  parseHello, errorOf, reasonFromCode, ErrorCode,
} from '../messages.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tests/golden');
const goldens = fs.readdirSync(dir).filter((f) => f.startsWith('nm-') && f.endsWith('.json'))
  .map((f) => ({ name: f, ...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }));

test('there are golden frames to test against', () => {
  assert.ok(goldens.length >= 10, `${goldens.length} golden frames in ${dir}`);
});

// The runtime message the content script would send for a golden request.
function runtimeFor(req) {
  if (req.type === 'check') return { what: 'check', seq: 1, site: req.site, account: req.account, text: req.text };
  const m = {
    what: 'post_attempt', site: req.site, account: req.account, action: req.verdict.action,
    overridable: req.verdict.overridable ?? false,
    outcome: req.override_justification ? 'overridden' : req.posted ? 'posted' : 'stopped',
    findings: req.findings ?? [],
  };
  if (req.override_justification) m.justification = req.override_justification;
  if ('text' in req) m.text = req.text;
  return m;
}

for (const g of goldens) {
  const { reply } = g;
  const req = g.request ?? {}; // frames given as raw bytes (request_hex) are not ones we build
  if (reply.type !== 'error' && ['check', 'post_attempt'].includes(req.type)) {
    test(`${g.name}: the extension builds exactly this request`, () => {
      const v = validateRuntimeMessage(runtimeFor(req));
      assert.equal(v.ok, true, v.error);
      const frame = req.type === 'check' ? checkFrame(req.id, v.value) : postAttemptFrame(req.id, v.value, 'text' in req);
      assert.deepEqual(frame, req);
    });
  }
  if (req.type === 'hello' && reply.type === 'hello') {
    test(`${g.name}: the extension's hello is this request; the reply reads`, () => {
      assert.deepEqual(hostFrame(req.id, 'hello', { client: req.client }), req);
      const h = parseHello(reply);
      assert.equal(h.ok, true);
      assert.equal(h.value.serviceUp, reply.service !== 'unavailable');
    });
  }
  test(`${g.name}: the reply reads as a ${reply.type} frame`, () => {
    const r = readHostFrame(reply);
    assert.equal(r.ok, true, r.error);
    assert.equal(r.value.id, reply.id);
    if (reply.type === 'error') {
      const e = errorOf(reply);
      assert.ok(Object.values(ErrorCode).includes(e.code), `code ${e.code} is one the extension knows`);
      assert.equal(typeof reasonFromCode(e.code), 'string');
    }
    if (reply.type === 'check') {
      const text = req.text ?? '';
      const v = parseVerdict(reply, text.length);
      assert.equal(v.ok, true, v.error);
      assert.equal(v.value.action, reply.verdict.action);
      for (const [i, f] of v.value.findings.entries()) {
        const span = reply.verdict.findings[i].span.utf16;
        assert.deepEqual([f.start, f.end], span, 'UTF-16 span kept');
        assert.ok(text.slice(f.start, f.end).length > 0);
      }
    }
  });
}

test('service unavailable (code 400) means "protection unavailable", not a verdict', () => {
  const g = goldens.find((x) => x.name === 'nm-check-service-unavailable.json');
  assert.ok(g);
  assert.equal(reasonFromCode(errorOf(g.reply).code), 'service_unavailable');
});
