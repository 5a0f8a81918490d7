// The generic adapter: admin-listed sites described by data (settings.js validateSite). It finds
// compose boxes (textarea, contenteditable editors, editors inside open shadow roots), the submit
// controls that belong to them, and skips private-message composers. Site adapters of the next
// issue have the same shape: data, plus small functions where data is not enough.

import { textModel } from '../content/text.js';

export const DEFAULT_COMPOSE = Object.freeze([
  'textarea',
  '[contenteditable=""]',
  '[contenteditable="true"]',
  '[contenteditable="plaintext-only"]',
]);
export const DEFAULT_SUBMIT = Object.freeze(['form button[type="submit"]', 'form input[type="submit"]', 'form button:not([type])']);
// Private-message composers are never checked: drafts there are nobody's business.
export const DEFAULT_PRIVATE = Object.freeze(['[data-postwarden-private]', '[data-postwarden-private] *']);
export const DEFAULT_SCOPE = 'form';

// The parent of `n` in the flattened tree: its parent, or the host of the shadow root it is in.
export function parentDeep(n) {
  if (n.parentNode && n.parentNode.nodeType === 11) return n.parentNode.host ?? null;
  return n.parentNode ?? null;
}

// Element.closest() that continues through open shadow boundaries to the hosts.
export function closestDeep(el, selector) {
  let n = el;
  while (n) {
    const hit = n.nodeType === 1 ? n.closest(selector) : null;
    if (hit) return hit;
    const root = n.getRootNode();
    n = root && root.nodeType === 11 ? root.host : null;
  }
  return null;
}

// Every element matching `selector` under `root`, including inside open shadow roots.
export function queryDeep(root, selector, out = []) {
  for (const el of root.querySelectorAll(selector)) out.push(el);
  const walker = (root.ownerDocument ?? root).createTreeWalker(root, 1 /* SHOW_ELEMENT */);
  for (let n = walker.currentNode; n; n = walker.nextNode()) {
    if (n.shadowRoot) queryDeep(n.shadowRoot, selector, out);
  }
  return out;
}

const join = (list) => list.join(', ');
const EDITABLE = new Set(['', 'true', 'plaintext-only']);

// The editing host of `el`: the outermost element up from it with contenteditable on, stopping at
// a contenteditable="false" island; null when `el` is not in an editor.
export function editingHost(el) {
  let host = null;
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const v = n.getAttribute('contenteditable');
    if (v === null) continue;
    if (!EDITABLE.has(v.toLowerCase())) break;
    host = n;
  }
  return host;
}

// An adapter for one configured site (a validated entry of settings.sites).
export function createAdapter(site) {
  const compose = join(site.compose ?? DEFAULT_COMPOSE);
  const submit = join(site.submit ?? DEFAULT_SUBMIT);
  const priv = join([...DEFAULT_PRIVATE, ...(site.private ?? [])]);
  const scope = site.scope ?? DEFAULT_SCOPE;

  // Whether `el` is an editable compose box of this site (and not a private-message one).
  function isComposeBox(el) {
    if (!el || el.nodeType !== 1 || !el.matches(compose)) return false;
    if (el.tagName === 'TEXTAREA' && (el.readOnly || el.disabled)) return false;
    if (el.tagName === 'INPUT') return false;
    return !closestDeep(el, priv);
  }

  return {
    site,

    // The compose box an event target belongs to: the target itself for a textarea, the editing
    // host (outermost contenteditable) for an editor; null when it is none or a private composer.
    composeBoxFor(target) {
      if (!target || target.nodeType !== 1) target = target?.parentElement ?? null;
      if (!target) return null;
      if (target.tagName === 'TEXTAREA') return isComposeBox(target) ? target : null;
      const host = editingHost(target);
      return host && isComposeBox(host) ? host : null;
    },

    // The submit control in an event's composed path (innermost first), or null.
    submitIn(path) {
      for (const n of path) {
        if (n && n.nodeType === 1 && n.matches(submit)) {
          if (closestDeep(n, priv)) return null;
          return n;
        }
      }
      return null;
    },

    // The submit controls under `root` (a scope), through open shadow roots.
    submitsIn(root) {
      return queryDeep(root, submit);
    },

    // The element holding a box or a submit control together (the form, or the site's scope).
    scopeOf(el) {
      return closestDeep(el, scope);
    },

    // Compose boxes under `root` (document or a scope), through open shadow roots.
    boxesIn(root) {
      return queryDeep(root, compose).filter(isComposeBox);
    },

    // The element that gets data-postwarden-verdict: the site's container, else the shadow host
    // for an editor in a shadow root (what the page's own DOM shows), else the box's parent.
    containerOf(box) {
      if (site.container) {
        const c = closestDeep(box, site.container);
        if (c) return c;
      }
      let outer = box;
      for (let root = box.getRootNode(); root && root.nodeType === 11; root = outer.getRootNode()) outer = root.host;
      if (outer !== box) return outer;
      return box.parentElement ?? box;
    },

    // The draft and, for editors, the pieces that map spans back to nodes.
    read(box) {
      if (box.tagName === 'TEXTAREA') return { text: box.value, segments: null };
      return textModel(box);
    },

    // The acting account: the generic adapter does not know it (the site adapters will).
    account() {
      return null;
    },

    isComposeBox,
  };
}
