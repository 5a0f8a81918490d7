// UTF-16 spans from the host -> node positions for highlights, and overlay pieces for textareas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan, overlayPieces } from '../content/text.js';

// Segments as textModel builds them: { node, start, end }; null node = an added line break.
function segs(parts) {
  let at = 0;
  return parts.map((p) => {
    const s = { node: p === '\n' ? null : { data: p }, start: at, end: at + p.length };
    at += p.length;
    return s;
  });
}

test('a span inside one text node', () => {
  const s = segs(['Hello Phoenix launch']);
  assert.deepEqual(mapSpan(s, 6, 13), { startNode: s[0].node, startOffset: 6, endNode: s[0].node, endOffset: 13 });
});

test('a span across nodes and an added break', () => {
  const s = segs(['Hello ', 'Pho', '\n', 'enix']);
  const r = mapSpan(s, 6, 14);
  assert.equal(r.startNode, s[1].node);
  assert.equal(r.startOffset, 0);
  assert.equal(r.endNode, s[3].node);
  assert.equal(r.endOffset, 4);
});

test('spans on added breaks are moved into text; breaks alone map to nothing', () => {
  const s = segs(['ab', '\n', 'cd']);
  assert.equal(mapSpan(s, 2, 3), null);
  const r = mapSpan(s, 2, 4);
  assert.deepEqual([r.startNode, r.startOffset, r.endNode, r.endOffset], [s[2].node, 0, s[2].node, 1]);
  const q = mapSpan(s, 1, 3);
  assert.deepEqual([q.startNode, q.startOffset, q.endNode, q.endOffset], [s[0].node, 1, s[0].node, 2]);
});

test('UTF-16 units: a span after an emoji (surrogate pair) lands on the right characters', () => {
  const text = '😀 Phoenix';
  const s = segs([text]);
  assert.equal(text.length, 10);
  const r = mapSpan(s, 3, 10);
  assert.equal(text.slice(r.startOffset, r.endOffset), 'Phoenix');
});

test('empty, reversed and out-of-range spans map to nothing', () => {
  const s = segs(['abc']);
  assert.equal(mapSpan(s, 1, 1), null);
  assert.equal(mapSpan(s, 2, 1), null);
  assert.equal(mapSpan(s, 0, 4), null);
  assert.equal(mapSpan(s, -1, 2), null);
  assert.equal(mapSpan([], 0, 1), null);
});

test('many segments: binary search finds the right ones', () => {
  const parts = Array.from({ length: 1000 }, (_, i) => `w${String(i).padStart(3, '0')} `);
  const s = segs(parts);
  const r = mapSpan(s, 5 * 500, 5 * 500 + 4);
  assert.equal(r.startNode.data, 'w500 ');
  assert.equal(r.endNode.data, 'w500 ');
  assert.deepEqual([r.startOffset, r.endOffset], [0, 4]);
});

test('overlay pieces cover the text once; the stricter mark wins on overlap', () => {
  const text = 'say Phoenix and Acme now';
  const pieces = overlayPieces(text, [
    { start: 4, end: 11, action: 'block' },
    { start: 8, end: 20, action: 'warn' },
    { start: null, end: null, action: 'block' },
    { start: 0, end: 99, action: 'block' },
  ]);
  assert.equal(pieces.map((p) => p.text).join(''), text);
  assert.deepEqual(pieces.map((p) => [p.text, p.mark]), [
    ['say ', null], ['Phoenix', 'block'], [' and Acme', 'warn'], [' now', null],
  ]);
  assert.deepEqual(overlayPieces('abc', []), [{ text: 'abc', mark: null }]);
});
