// What the employee sees in the page: a small "Postwarden active" indicator, a panel under each
// compose box with the verdict, findings highlighted in the text (CSS Custom Highlight API in
// editors; an overlay drawn over a textarea, where highlights cannot reach), and the "Post anyway"
// form. Everything lives in one open shadow root of its own, so the page's CSS does not restyle it
// and Postwarden's CSS does not leak into the page. The only marks on the page's own elements are
// data-postwarden-* attributes on a box's container (stable hooks for tests and admins).

import { mapSpan, overlayPieces } from './text.js';
import { UNAVAILABLE_TEXT, SITE_PROBLEM_TEXT } from '../messages.js';

const CSS_TEXT = `
:host { all: initial; }
.pw-root { position: absolute; top: 0; left: 0; width: 0; height: 0; z-index: 2147483646; font: 13px/1.4 system-ui, sans-serif; }
.pw-indicator { position: fixed; right: 10px; bottom: 10px; padding: 3px 9px; border-radius: 10px; background: #1f5130; color: #fff; font: 12px/1.4 system-ui, sans-serif; opacity: .85; pointer-events: none; z-index: 2147483646; }
.pw-indicator[data-state="unavailable"] { background: #b00020; opacity: 1; }
.pw-panel { position: absolute; box-sizing: border-box; min-width: 260px; max-width: 560px; padding: 8px 10px; border-radius: 6px; border: 1px solid #999; background: #fff; color: #222; box-shadow: 0 2px 8px rgba(0,0,0,.2); }
.pw-panel[hidden] { display: none; }
.pw-panel[data-postwarden-verdict="block"] { border-color: #b00020; background: #fff4f5; }
.pw-panel[data-postwarden-verdict="warn"] { border-color: #a86400; background: #fffaf0; }
.pw-panel[data-postwarden-verdict="unavailable"] { border-color: #b00020; background: #fff4f5; }
.pw-title { font-weight: 600; margin: 0 0 4px; }
.pw-findings { margin: 4px 0; padding-left: 18px; }
.pw-excerpt { font-family: ui-monospace, monospace; color: #555; }
.pw-account { margin: 0 0 4px; font-weight: 600; }
.pw-account[data-kind="company"] { color: #0b3d91; }
.pw-account[data-kind="unknown"] { color: #a86400; font-weight: normal; }
.pw-declare { margin-top: 6px; display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
.pw-declare input { font: inherit; }
.pw-note { margin: 4px 0 0; color: #333; font-style: italic; }
.pw-actions { margin-top: 6px; display: flex; gap: 6px; flex-wrap: wrap; align-items: flex-start; }
.pw-actions textarea { width: 100%; min-height: 3em; box-sizing: border-box; font: inherit; }
button { font: inherit; padding: 2px 10px; cursor: pointer; }
.pw-overlay { position: absolute; overflow: hidden; pointer-events: none; color: transparent; white-space: pre-wrap; overflow-wrap: break-word; box-sizing: border-box; border-color: transparent !important; background: transparent !important; }
.pw-overlay mark { color: transparent; border-radius: 2px; }
.pw-overlay mark[data-mark="block"] { background: rgba(220, 0, 40, .28); border-bottom: 2px solid #b00020; }
.pw-overlay mark[data-mark="warn"] { background: rgba(255, 170, 0, .30); border-bottom: 2px solid #a86400; }
`;

// Styles copied from a textarea to its overlay so the overlay's text lies exactly on the box's.
const MIRRORED = ['font-family', 'font-size', 'font-weight', 'font-style', 'letter-spacing', 'line-height',
  'text-transform', 'word-spacing', 'text-indent', 'text-align', 'tab-size', 'padding-top', 'padding-right',
  'padding-bottom', 'padding-left', 'border-top-width', 'border-right-width', 'border-bottom-width',
  'border-left-width', 'border-style', 'direction'];

const HIGHLIGHT_NAMES = { block: 'postwarden-block', warn: 'postwarden-warn' };
const SHADOW_HIGHLIGHT_CSS = `::highlight(postwarden-block) { background-color: rgba(220,0,40,.28); text-decoration: underline wavy #b00020; }
::highlight(postwarden-warn) { background-color: rgba(255,170,0,.30); text-decoration: underline wavy #a86400; }`;

function el(doc, tag, attrs = {}, text = '') {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

export class Ui {
  // doc: the page's document; top: whether this frame shows the page-wide indicator.
  constructor(doc, { top }) {
    this.doc = doc; // the page's document
    this.host = el(doc, 'postwarden-ui'); // our element in the page; all we show is in its shadow
    this.shadow = this.host.attachShadow({ mode: 'open' }); // open: tests and tools can read it
    const style = el(doc, 'style');
    style.textContent = CSS_TEXT;
    this.root = el(doc, 'div', { class: 'pw-root' }); // page-positioned layer for panels/overlays
    this.shadow.append(style, this.root);
    this.indicator = top ? el(doc, 'div', { class: 'pw-indicator', 'data-postwarden-indicator': 'active', role: 'status' }) : null;
    if (this.indicator) this.shadow.append(this.indicator);
    doc.documentElement.append(this.host);
    this.highlightApi = typeof CSS !== 'undefined' && CSS.highlights && typeof Highlight === 'function';
    this.highlights = {}; // 'block' | 'warn' -> Highlight shared by every box of this document
    this.styledRoots = new WeakSet(); // shadow roots that got the ::highlight() rules
    this.panels = new Set(); // views with a visible panel, to re-position on scroll/resize
    this.raf = 0; // pending re-position frame
    const reposition = () => {
      if (this.raf) return;
      this.raf = requestAnimationFrame(() => {
        this.raf = 0;
        for (const v of this.panels) this.#place(v);
      });
    };
    addEventListener('scroll', reposition, { capture: true, passive: true });
    addEventListener('resize', reposition, { passive: true });
  }

  // The indicator: 'active' or 'unavailable' (with the reason in words).
  setIndicator(state, reason = null) {
    if (!this.indicator) return;
    this.indicator.dataset.postwardenIndicator = state;
    this.indicator.dataset.state = state;
    this.indicator.textContent = state === 'unavailable'
      ? `Postwarden protection is unavailable: ${UNAVAILABLE_TEXT[reason] ?? reason ?? 'unknown reason'}`
      : 'Postwarden active';
  }

  // A site that shows no compose box or account where its adapter expects one (the popup says
  // it in words; the indicator carries it for admins and tests).
  setProblem(problem) {
    if (!this.indicator) return;
    this.indicator.dataset.postwardenProblem = problem;
    this.indicator.title = SITE_PROBLEM_TEXT[problem] ?? problem;
  }

  // A view for one compose box: its panel and overlay, created on first use.
  view(box, container, handlers) {
    const doc = this.doc;
    const panel = el(doc, 'div', { class: 'pw-panel', 'data-postwarden-panel': '', role: 'alert', hidden: '' });
    this.root.append(panel);
    return { box, container, panel, overlay: null, ranges: [], handlers, formOpen: false };
  }

  // Marks the draft as changed since the last verdict (cheap: called on the first edit only).
  pending(v) {
    v.container.setAttribute('data-postwarden-verdict', 'pending');
    v.panel.dataset.postwardenVerdict = 'pending';
    if (v.overlay) v.overlay.hidden = true;
    this.#clearRanges(v);
  }

  // Shows only a note (e.g. "Checking before posting…") while no verdict is current.
  note(v, text) {
    v.panel.replaceChildren();
    v.panel.dataset.postwardenVerdict = 'pending';
    if (!text) {
      v.panel.hidden = true;
      this.panels.delete(v);
      return;
    }
    v.panel.append(el(this.doc, 'p', { class: 'pw-note', 'data-postwarden-note': '' }, text));
    v.panel.hidden = false;
    this.panels.add(v);
    this.#place(v);
  }

  // Shows the verdict state of a box.
  //   state: { verdict, failMode, overridesAllowed, note, model: { text, segments } }
  render(v, state) {
    const { verdict, note, model } = state;
    const kind = verdict.unavailable ? 'unavailable' : verdict.action;
    v.container.setAttribute('data-postwarden-verdict', kind);
    v.panel.dataset.postwardenVerdict = kind;
    v.panel.replaceChildren();
    const doc = this.doc;
    const add = (...nodes) => v.panel.append(...nodes);
    const accountKind = this.#account(v, state, add);

    if (kind === 'unavailable') {
      add(el(doc, 'p', { class: 'pw-title' }, `Postwarden protection is unavailable: ${UNAVAILABLE_TEXT[verdict.unavailable] ?? verdict.unavailable}.`));
      add(el(doc, 'p', {}, state.failMode === 'block'
        ? 'Posting is blocked until protection is back (your company\'s setting).'
        : 'You can post, but this post is not checked against the company policy.'));
    } else if (kind === 'block' || kind === 'warn') {
      add(el(doc, 'p', { class: 'pw-title' }, kind === 'block'
        ? 'Postwarden stopped this post'
        : 'Postwarden: please check this post before it goes out'));
      if (verdict.message) add(el(doc, 'p', { 'data-postwarden-message': '' }, verdict.message));
      const ul = el(doc, 'ul', { class: 'pw-findings' });
      for (const f of verdict.findings) {
        const li = el(doc, 'li', { 'data-postwarden-finding': f.rule, 'data-action': f.action });
        li.append(el(doc, 'span', {}, f.message || f.category));
        if (f.excerpt) li.append(' ', el(doc, 'span', { class: 'pw-excerpt' }, `(${f.excerpt})`));
        ul.append(li);
      }
      if (verdict.trimmed) ul.append(el(doc, 'li', {}, `…and ${verdict.trimmed} more`));
      if (verdict.findings.length) add(ul);
      if (kind === 'block' && verdict.overridable && state.overridesAllowed) this.#overrideControls(v);
    }
    if (note) add(el(doc, 'p', { class: 'pw-note', 'data-postwarden-note': '' }, note));

    const visible = kind !== 'allow' || Boolean(note) || accountKind === 'company' || accountKind === 'unknown';
    v.panel.hidden = !visible;
    if (visible) this.panels.add(v);
    else this.panels.delete(v);
    this.#highlight(v, verdict.unavailable ? [] : verdict.findings, model);
    if (visible) this.#place(v);
  }

  // The acting account: "Posting as @AcmeCorp (company account)" for a company account; for an
  // unknown actor on a site that shows actors, that the stricter rules apply, and a question the
  // employee may answer (recorded as self-declared; it never lifts a block). Marks the container:
  // data-postwarden-account (handle), -account-kind (company | personal | unknown), -account-by.
  #account(v, state, add) {
    const { verdict, account, declared, knowsActors } = state;
    const c = v.container;
    if (verdict.unavailable || !knowsActors) {
      for (const a of ['data-postwarden-account', 'data-postwarden-account-kind', 'data-postwarden-account-by']) c.removeAttribute(a);
      return null;
    }
    const doc = this.doc;
    const selfDeclared = account?.detected_by === 'self-declared';
    const known = account && !selfDeclared;
    // unknown only where it matters: the policy has company accounts on this site (mode unknown)
    const kind = verdict.companyAccount ? 'company' : (known || verdict.mode !== 'unknown' ? 'personal' : 'unknown');
    c.setAttribute('data-postwarden-account-kind', kind);
    c.setAttribute('data-postwarden-account', account?.handle ?? '');
    c.setAttribute('data-postwarden-account-by', account?.detected_by ?? '');
    const name = account?.handle ?? account?.stable_id ?? '';
    if (kind === 'company') {
      const line = el(doc, 'p', { class: 'pw-account', 'data-postwarden-account-line': 'company', 'data-kind': 'company' },
        `Posting as ${name} (company account)${selfDeclared ? ', as you told Postwarden' : ''}`);
      add(line);
      if (!verdict.authorised) add(el(doc, 'p', { 'data-postwarden-unauthorised': '' }, 'You are not authorised to post as this account.'));
    } else if (kind === 'unknown') {
      add(el(doc, 'p', { class: 'pw-account', 'data-postwarden-account-line': 'unknown', 'data-kind': 'unknown' },
        'Postwarden could not tell which account this box posts as: the stricter rules of personal and company posts apply.'));
      if (declared) {
        add(el(doc, 'p', { 'data-postwarden-declared': declared.handle }, `You said: ${declared.handle}. This is recorded as your own answer.`));
      } else {
        const form = el(doc, 'div', { class: 'pw-declare' });
        const input = el(doc, 'input', { type: 'text', 'data-postwarden-declare-handle': '', placeholder: '@account', maxlength: '100', 'aria-label': 'Which account are you posting as?' });
        const ok = el(doc, 'button', { type: 'button', 'data-postwarden-declare': '' }, 'Tell Postwarden');
        ok.addEventListener('click', (e) => {
          e.stopPropagation();
          const h = input.value.trim();
          if (h) v.handlers.declare(h);
        });
        form.append(el(doc, 'span', {}, 'Which account is this?'), input, ok);
        add(form);
      }
    }
    return kind;
  }

  #overrideControls(v) {
    const doc = this.doc;
    const actions = el(doc, 'div', { class: 'pw-actions' });
    if (!v.formOpen) {
      const b = el(doc, 'button', { type: 'button', 'data-postwarden-override': '' }, 'Post anyway…');
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        v.formOpen = true;
        v.handlers.rerender();
      });
      actions.append(b);
    } else {
      const label = el(doc, 'label', {}, 'Why does this post need to go out? Your reason is recorded.');
      const ta = el(doc, 'textarea', { 'data-postwarden-justification': '', maxlength: '1000' });
      const ok = el(doc, 'button', { type: 'button', 'data-postwarden-override-confirm': '', disabled: '' }, 'Post anyway');
      const cancel = el(doc, 'button', { type: 'button', 'data-postwarden-override-cancel': '' }, 'Cancel');
      ta.addEventListener('input', () => { ok.disabled = ta.value.trim().length < 5; });
      ok.addEventListener('click', (e) => {
        e.stopPropagation();
        v.formOpen = false;
        v.handlers.override(ta.value.trim());
      });
      cancel.addEventListener('click', (e) => {
        e.stopPropagation();
        v.formOpen = false;
        v.handlers.rerender();
      });
      actions.append(label, ta, ok, cancel);
    }
    v.panel.append(actions);
  }

  #place(v) {
    if (!v.box.isConnected) {
      this.panels.delete(v);
      v.panel.hidden = true;
      if (v.overlay) v.overlay.hidden = true;
      return;
    }
    const r = v.box.getBoundingClientRect();
    const x = r.left + scrollX;
    const y = r.top + scrollY;
    // Beside the box, else under it, else above it, else under the whole scope: the first place
    // that covers none of the box's submit controls (the Post button must stay clickable).
    const width = 300;
    const h = v.panel.offsetHeight || 120;
    const vw = document.documentElement.clientWidth;
    const avoid = v.handlers.avoid().map((e) => e.getBoundingClientRect());
    const lowest = Math.max(r.bottom, ...avoid.map((a) => a.bottom));
    const candidates = [
      [r.right + 8, r.top],
      [r.left, r.bottom + 4],
      [r.left, r.top - h - 4],
      [r.left, lowest + 4],
    ];
    const free = ([cx, cy]) => cx + width <= vw && cy >= 0
      && !avoid.some((a) => cx < a.right && cx + width > a.left && cy < a.bottom && cy + h > a.top);
    const [cx, cy] = candidates.find(free) ?? candidates[candidates.length - 1];
    const left = cx + scrollX;
    const top = cy + scrollY;
    v.panel.style.left = `${left}px`;
    v.panel.style.top = `${top}px`;
    v.panel.style.width = `${width}px`;
    if (v.overlay && !v.overlay.hidden) {
      Object.assign(v.overlay.style, { left: `${x}px`, top: `${y}px`, width: `${r.width}px`, height: `${r.height}px` });
      v.overlay.scrollTop = v.box.scrollTop;
    }
  }

  #clearRanges(v) {
    if (!v.ranges.length) return;
    for (const [name, range] of v.ranges) this.highlights[name]?.delete(range);
    v.ranges = [];
  }

  // Highlights the findings' spans: Custom Highlight ranges in an editor, an overlay on a textarea.
  #highlight(v, findings, model) {
    this.#clearRanges(v);
    const marked = findings.filter((f) => f.start !== null && (f.action === 'block' || f.action === 'warn'));
    v.container.setAttribute('data-postwarden-highlights', String(marked.length));
    if (v.box.tagName === 'TEXTAREA') {
      if (!marked.length) {
        if (v.overlay) v.overlay.hidden = true;
        return;
      }
      this.#overlay(v, marked, model.text);
      return;
    }
    if (!this.highlightApi || !model.segments) return;
    this.#styleRoot(v.box.getRootNode());
    for (const f of marked) {
      const pos = mapSpan(model.segments, f.start, f.end);
      if (!pos) continue;
      const range = this.doc.createRange();
      try {
        range.setStart(pos.startNode, pos.startOffset);
        range.setEnd(pos.endNode, pos.endOffset);
      } catch {
        continue; // the editor changed under us; the next verdict redraws
      }
      const name = f.action === 'block' ? 'block' : 'warn';
      if (!this.highlights[name]) {
        this.highlights[name] = new Highlight();
        CSS.highlights.set(HIGHLIGHT_NAMES[name], this.highlights[name]);
      }
      this.highlights[name].add(range);
      v.ranges.push([name, range]);
    }
  }

  // ::highlight() rules do not cross into shadow trees: give an editor's shadow root its own.
  #styleRoot(root) {
    if (!root || root.nodeType !== 11 || this.styledRoots.has(root)) return;
    this.styledRoots.add(root);
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(SHADOW_HIGHLIGHT_CSS);
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    } catch {
      // A page that froze its adoptedStyleSheets: the findings are still listed in the panel.
    }
  }

  #overlay(v, findings, text) {
    const doc = this.doc;
    if (!v.overlay) {
      v.overlay = el(doc, 'div', { class: 'pw-overlay', 'data-postwarden-overlay': '', 'aria-hidden': 'true' });
      this.root.append(v.overlay);
      v.box.addEventListener('scroll', () => { if (v.overlay) v.overlay.scrollTop = v.box.scrollTop; }, { passive: true });
    }
    const cs = getComputedStyle(v.box);
    for (const p of MIRRORED) v.overlay.style.setProperty(p, cs.getPropertyValue(p));
    v.overlay.replaceChildren();
    for (const piece of overlayPieces(text, findings)) {
      if (piece.mark) v.overlay.append(el(doc, 'mark', { 'data-mark': piece.mark }, piece.text));
      else v.overlay.append(doc.createTextNode(piece.text));
    }
    // A trailing newline needs a character after it to take up its line, as in the textarea.
    v.overlay.append(doc.createTextNode('\u200b'));
    v.overlay.hidden = false;
    this.panels.add(v);
    this.#place(v);
  }
}
