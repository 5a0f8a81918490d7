// The stale-reply rule: a reply for an older draft never overwrites a newer verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DraftState } from '../content/state.js';

const allow = { action: 'allow', findings: [] };
const block = { action: 'block', findings: [] };

test('a reply for the current draft is taken', () => {
  const s = new DraftState();
  const seq = s.edited();
  assert.equal(s.accept(seq, allow, 'a'), true);
  assert.equal(s.current('a'), allow);
});

test('a reply for an older draft is ignored, in either arrival order', () => {
  const s = new DraftState();
  const old = s.edited(); // "Phoenix" typed, check 1 sent
  const now = s.edited(); // more typed, check 2 sent
  // check 2 arrives first, then the slow check 1
  assert.equal(s.accept(now, allow, 'fine text'), true);
  assert.equal(s.accept(old, block, 'Phoenix'), false);
  assert.equal(s.current('fine text'), allow);
  // and the other order
  const t = new DraftState();
  const a = t.edited();
  const b = t.edited();
  assert.equal(t.accept(a, allow, 'x'), false);
  assert.equal(t.current(), null, 'no verdict yet for the newest draft');
  assert.equal(t.accept(b, block, 'xy'), true);
  assert.equal(t.current('xy'), block);
});

test('an edit makes the verdict pending; a text change without an event does too', () => {
  const s = new DraftState();
  s.accept(s.edited(), allow, 'abc');
  assert.equal(s.current('abc'), allow);
  assert.equal(s.current('abcd'), null, 'the page changed the text behind our back');
  s.edited();
  assert.equal(s.current('abc'), null);
});

test('an override is for one draft only', () => {
  const s = new DraftState();
  s.accept(s.edited(), block, 'Phoenix');
  s.armOverride('Phoenix', 'announced today');
  assert.equal(s.overrideFor('Phoenix'), 'announced today');
  assert.equal(s.overrideFor('Phoenix!'), null);
  s.edited();
  assert.equal(s.overrideFor('Phoenix'), null, 'an edit disarms it');
});
