// Submit decisions: never a post on a stale verdict; block stops; unavailable per fail mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSubmit, combine, isSendChord, repeatsSubmit } from '../content/enforce.js';

const settings = { failMode: 'warn', overridesAllowed: true };
const v = (action, overridable = false) => ({ action, overridable, findings: [] });

test('no current verdict: check first', () => {
  assert.deepEqual(decideSubmit({ verdict: null, settings }), { kind: 'check' });
  assert.deepEqual(decideSubmit({ verdict: null, justification: 'x', settings }), { kind: 'check' });
});

test('allow and warn post; block stops', () => {
  assert.equal(decideSubmit({ verdict: v('allow'), settings }).kind, 'post');
  assert.equal(decideSubmit({ verdict: v('warn'), settings }).kind, 'post');
  assert.deepEqual(decideSubmit({ verdict: v('block'), settings }), { kind: 'stop', action: 'block', overridable: false });
});

test('override: only when overridable, allowed, and justified', () => {
  assert.deepEqual(decideSubmit({ verdict: v('block', true), settings }), { kind: 'stop', action: 'block', overridable: true });
  assert.deepEqual(decideSubmit({ verdict: v('block', true), justification: 'ok', settings }), { kind: 'post', action: 'block', outcome: 'overridden' });
  assert.equal(decideSubmit({ verdict: v('block', false), justification: 'ok', settings }).kind, 'stop');
  const noOverrides = { ...settings, overridesAllowed: false };
  assert.deepEqual(decideSubmit({ verdict: v('block', true), justification: 'ok', settings: noOverrides }), { kind: 'stop', action: 'block', overridable: false });
});

test('unavailable: posted with a warning, or stopped, per fail mode', () => {
  const verdict = { unavailable: 'host_missing' };
  assert.deepEqual(decideSubmit({ verdict, settings }), { kind: 'post', action: 'unavailable', outcome: 'posted' });
  assert.deepEqual(decideSubmit({ verdict, settings: { ...settings, failMode: 'block' } }), { kind: 'stop', action: 'unavailable', overridable: false });
});

test('several boxes: the strictest wins; overridable only if every stop is', () => {
  const post = { kind: 'post', action: 'allow', outcome: 'posted' };
  const check = { kind: 'check' };
  const stopO = { kind: 'stop', action: 'block', overridable: true };
  const stopN = { kind: 'stop', action: 'block', overridable: false };
  assert.equal(combine([post, check]).kind, 'check');
  assert.equal(combine([check, stopO]).kind, 'stop');
  assert.equal(combine([stopO, stopO]).overridable, true);
  assert.equal(combine([stopO, stopN]).overridable, false);
  assert.equal(combine([]).kind, 'post');
});

test('the send chord is Ctrl+Enter or Cmd+Enter', () => {
  assert.equal(isSendChord({ key: 'Enter', ctrlKey: true }), true);
  assert.equal(isSendChord({ key: 'Enter', metaKey: true }), true);
  assert.equal(isSendChord({ key: 'Enter' }), false);
  assert.equal(isSendChord({ key: 'Enter', ctrlKey: true, altKey: true }), false);
  assert.equal(isSendChord({ key: 'Enter', ctrlKey: true, isComposing: true }), false);
  assert.equal(isSendChord({ key: 'a', ctrlKey: true }), false);
});

test('the second click of a double click on the same control, same drafts, repeats the submit', () => {
  const post = {};
  const other = {};
  const a = {};
  const b = {};
  const last = { control: post, drafts: new Map([[a, 3], [b, 1]]) };
  const click = (detail, drafts = [[a, 3], [b, 1]], control = post) => ({ control, detail, drafts: new Map(drafts) });
  assert.equal(repeatsSubmit(last, click(2)), true);
  assert.equal(repeatsSubmit(last, click(3)), true, 'a triple click too');
  assert.equal(repeatsSubmit(last, click(1)), false, 'a click of its own is a new submit');
  assert.equal(repeatsSubmit(last, click(0)), false, 'a script click() or a keyboard activation has detail 0');
  assert.equal(repeatsSubmit(null, click(2)), false, 'no first click decided on this page');
  assert.equal(repeatsSubmit(last, click(2, [[a, 3], [b, 1]], other)), false, 'another control');
  assert.equal(repeatsSubmit(last, click(2, [[a, 4], [b, 1]])), false, 'a draft was edited in between');
  assert.equal(repeatsSubmit(last, click(2, [[a, 3]])), false, 'other boxes');
  assert.equal(repeatsSubmit(last, click(2, [[a, 3], [b, 1], [{}, 0]])), false, 'other boxes');
});
