// The draft's text as Postwarden sends it, and the way back from the host's UTF-16 spans to the
// page's nodes. The host counts offsets in UTF-16 code units of exactly the text it was sent,
// which is what JavaScript strings index, so a span maps to nodes without any conversion.
//
// For a textarea the text is its value. For a contenteditable editor it is built from its text
// nodes, with "\n" for <br> and between block elements (close to innerText, without layout, so
// reading it costs no reflow). Each piece remembers its node, so a span maps back to a DOM Range.

const BLOCKS = new Set(['ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'DD', 'DIV', 'DL', 'DT', 'FIGCAPTION',
  'FIGURE', 'FOOTER', 'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'MAIN', 'NAV',
  'OL', 'P', 'PRE', 'SECTION', 'TABLE', 'TR', 'UL']);
const SKIP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT']);

// Builds { text, segments } for the editor `root`. segments: [{ node, start, end }] in text order,
// node null for a line break Postwarden added ("\n" for <br> or a block boundary).
export function textModel(root) {
  const parts = [];
  const segments = [];
  let len = 0;
  let pendingBreak = false; // a block ended or began: "\n" before the next text, if any follows
  const add = (node, s) => {
    parts.push(s);
    segments.push({ node, start: len, end: len + s.length });
    len += s.length;
  };
  const emit = (node, s) => {
    if (s.length === 0) return;
    if (pendingBreak) {
      pendingBreak = false;
      if (parts.length && !parts[parts.length - 1].endsWith('\n')) add(null, '\n');
    }
    add(node, s);
  };
  const walk = (n) => {
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) emit(c, c.data);
      else if (c.nodeType === 1) {
        const tag = c.tagName;
        if (SKIP.has(tag)) continue;
        if (tag === 'BR') {
          emit(null, '\n');
          continue;
        }
        const block = BLOCKS.has(tag);
        if (block) pendingBreak = true;
        walk(c);
        if (block) pendingBreak = true;
      }
    }
  };
  walk(root);
  return { text: parts.join(''), segments };
}

// Index of the first segment whose end is > offset (binary search), or segments.length.
function firstEndingAfter(segments, offset) {
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid].end > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Maps the UTF-16 span [start, end) of the model's text to node positions:
// { startNode, startOffset, endNode, endOffset }, both in text nodes; null when the span is empty,
// out of range, or covers only added line breaks.
export function mapSpan(segments, start, end) {
  if (!(Number.isInteger(start) && Number.isInteger(end)) || start < 0 || end <= start) return null;
  const last = segments.length ? segments[segments.length - 1].end : 0;
  if (end > last) return null;
  let i = firstEndingAfter(segments, start);
  while (i < segments.length && segments[i].node === null) i++; // span starts on an added break
  if (i >= segments.length || segments[i].start >= end) return null;
  const s = segments[i];
  const startOffset = Math.max(0, start - s.start);
  let j = firstEndingAfter(segments, end - 1);
  while (j > i && segments[j].node === null) j--; // span ends on an added break
  const e = segments[j];
  const endOffset = Math.min(e.end, end) - e.start;
  return { startNode: s.node, startOffset, endNode: e.node, endOffset };
}

// Splits `text` at the findings' spans for the overlay drawn over a textarea:
// [{ text, mark: null | 'block' | 'warn' }], covering the text exactly once. Overlapping spans
// take the stricter mark.
export function overlayPieces(text, findings) {
  const marks = new Array(text.length + 1).fill(0);
  let any = false;
  for (const f of findings) {
    if (f.start === null || f.end === null || f.end > text.length || f.start >= f.end) continue;
    const level = f.action === 'block' ? 2 : f.action === 'warn' ? 1 : 0;
    if (!level) continue;
    any = true;
    for (let k = f.start; k < f.end; k++) if (marks[k] < level) marks[k] = level;
  }
  if (!any) return [{ text, mark: null }];
  const out = [];
  let from = 0;
  for (let k = 1; k <= text.length; k++) {
    if (k === text.length || marks[k] !== marks[from]) {
      out.push({ text: text.slice(from, k), mark: marks[from] === 2 ? 'block' : marks[from] === 1 ? 'warn' : null });
      from = k;
    }
  }
  return out;
}
