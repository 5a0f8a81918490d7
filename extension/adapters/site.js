// A site adapter: the generic adapter (compose boxes, submit controls, private composers) plus
// the ACTING ACCOUNT of a compose box, read from data. Each site file next to this one (x.js,
// linkedin.js, ...) is such data; an admin can override any of it through managed storage
// (settings.js), so a site's redesign needs a setting, not a release.
//
// An actor source says where a page shows who a compose box posts as:
//   { how,                    a short name of the place, reported as detected_by "dom:HOW" / "url:HOW"
//     selector, within,       a CSS selector, searched in the box's scope first ("scope") or in the
//                             whole page ("page"), through open shadow roots
//     url,                    instead of a selector: a RegExp over location.href
//     id, handle, name,       fields: { attr, pattern, format, prefix } (see readField)
//     site }                  optional field: the site the account is on (publishing tools post
//                             to other sites; default: the configured site's name)
// Sources are tried in order: put the most specific first (the composer's own actor switcher,
// then a Page admin view, then the logged-in user). Stable ids (numeric user ids,
// urn:li:organization:N, Page ids) are read wherever a page exposes them: the policy matches by
// id when both sides have one, because handles and display names can change or be faked.

import { createAdapter, closestDeep, queryDeep } from './generic.js';

export const MAX_FIELD = 256;

// Compiles an admin- or site-given pattern; null when it is not a valid RegExp.
export function compilePattern(p) {
  if (typeof p !== 'string' || p.length === 0 || p.length > 1000) return null;
  try {
    return new RegExp(p, 'u');
  } catch {
    return null;
  }
}

// Reads one field of an account from element `el` (null for a url source: `raw` is the URL).
//   attr:    the attribute to read (default: the element's text, trimmed)
//   pattern: a RegExp whose first group (or whole match) is the value; no match -> no value
//   format:  "urn:li:organization:$1" style template over the pattern's groups
//   prefix:  put in front unless the value already starts with it (e.g. "@")
export function readField(spec, el, raw = null) {
  if (!spec) return null;
  let v = raw;
  if (v === null) {
    if (!el) return null;
    v = spec.attr ? el.getAttribute(spec.attr) : el.textContent;
  }
  if (typeof v !== 'string') return null;
  v = v.trim();
  if (spec.pattern) {
    const re = compilePattern(spec.pattern);
    const m = re ? re.exec(v) : null;
    if (!m) return null;
    v = spec.format ? spec.format.replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? '') : (m[1] ?? m[0]);
  }
  if (spec.prefix && v && !v.startsWith(spec.prefix)) v = spec.prefix + v;
  v = v.trim();
  if (v === '' || v.length > MAX_FIELD) return null;
  return v;
}

// The account a source yields, or null: { handle, stable_id, display_name, detected_by, site }.
export function accountFrom(source, el, url, fallbackSite) {
  const raw = source.url ? url : null;
  if (source.url) {
    const re = compilePattern(source.url);
    if (!re || !re.test(url)) return null;
  }
  const stable = readField(source.id, el, raw);
  let handle = readField(source.handle, el, raw);
  if (!stable && !handle) return null;
  const name = readField(source.name, el, raw);
  const site = readField(source.site, el, raw) ?? fallbackSite;
  return {
    handle: handle ?? null,
    stable_id: stable ?? null,
    display_name: name ?? null,
    detected_by: `${source.url ? 'url' : 'dom'}:${source.how}`,
    site,
  };
}

// Whether two accounts are the same acting account (null = unknown).
export function sameAccount(a, b) {
  if (!a || !b) return a === b;
  return a.stable_id === b.stable_id && a.handle === b.handle && a.site === b.site;
}

// A site adapter for one configured site (settings.js validateSite output).
export function createSiteAdapter(site, { location = globalThis.location } = {}) {
  const base = createAdapter(site);
  const actors = site.actors ?? [];

  // The acting account of `box`, or null when no source shows it.
  function account(box, doc = box?.ownerDocument ?? globalThis.document) {
    const url = String(location?.href ?? '');
    for (const src of actors) {
      if (src.url) {
        const a = accountFrom(src, null, url, site.name);
        if (a) return a;
        continue;
      }
      let candidates = [];
      if (src.within === 'scope') {
        const scope = box ? base.scopeOf(box) : null;
        if (!scope) continue;
        candidates = queryDeep(scope, src.selector);
        // the scope itself may carry the actor (e.g. a composer element with data-actor-id)
        if (scope.matches?.(src.selector)) candidates.unshift(scope);
      } else {
        candidates = queryDeep(doc, src.selector);
      }
      for (const el of candidates) {
        const a = accountFrom(src, el, url, site.name);
        if (a) return a;
      }
    }
    return null;
  }

  // What this page is expected to show (site.expect: [{ path, compose, account }]): the first
  // entry whose path RegExp matches location.pathname, or null.
  function expectation() {
    const path = String(location?.pathname ?? '');
    for (const e of site.expect ?? []) {
      const re = compilePattern(e.path);
      if (re && re.test(path)) return e;
    }
    return null;
  }

  return {
    ...base,
    account,
    expectation,
    // Whether the site shows acting accounts at all (sources configured): an unknown actor then
    // means "unknown", and the policy applies the stricter of both modes.
    knowsActors: actors.length > 0,
    // Attributes whose change may switch the acting account (for the mutation observer).
    actorAttributes: [...new Set(actors.flatMap((s) => [s.id?.attr, s.handle?.attr, s.name?.attr, s.site?.attr]).filter(Boolean))],
    closestDeep,
  };
}
