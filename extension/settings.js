// Settings: the admin's (storage.managed, shaped by managed_schema.json) over built-in defaults.
//
// The admin's settings win. Settings the extension's own local storage may hold (written only by
// the extension's own pages or a test harness, never by a web page) can add sites and make things
// stricter, never looser: they cannot turn fail mode from "block" to "warn", re-allow overrides, or
// remove an admin's site. Nothing else is ever kept in extension storage.
//
// Sites come from four places, in this order (a later entry with a name already taken is named
// in problems and skipped): the admin's own `sites`; the built-in site adapters (adapters/*.js:
// x.com, linkedin.com, facebook.com, instagram.com, reddit.com), each changed by
// `adapters.ID` (any selector, actor source or expectation; `enabled: false` turns it off);
// `mastodonInstances` (host names, with the Mastodon adapter); `publishingTools` (site entries
// with the publishing-tool adapter).

import { BUILTIN, TEMPLATES, ADAPTER_IDS } from './adapters/index.js';

export const DEFAULTS = Object.freeze({
  sites: [], // every checked site: [{ name, adapter, matches, compose, submit, container, private, scope, actors, expect }]
  failMode: 'warn', // host or service unavailable: 'warn' (post, warned) or 'block'
  debounceMs: 250, // pause in typing before a draft is checked
  overridesAllowed: true, // "Post anyway" with a justification where every block is overridable
  checkTimeoutMs: 3000, // a check with no answer by then counts as unavailable
  showFirstRun: true, // open the first-run page on install
  perfMarks: false, // record performance marks (tests and measurement only)
});

export const DEBOUNCE_MIN = 50;
export const DEBOUNCE_MAX = 2000;

const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const strList = (x) => Array.isArray(x) && x.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 1000);

// Validates one site entry; returns [site, null] or [null, 'why'] (the name of what is wrong).
export function validateSite(s, where) {
  if (!isObj(s)) return [null, `${where}: not an object`];
  if (typeof s.name !== 'string' || !/^[A-Za-z0-9._:-]{1,200}$/.test(s.name)) return [null, `${where}: name must be a host-like name`];
  if (!strList(s.matches) || s.matches.length === 0) return [null, `${where} (${s.name}): matches must be a non-empty list of match patterns`];
  for (const p of s.matches) if (!matchPatternToRegExp(p)) return [null, `${where} (${s.name}): bad match pattern ${JSON.stringify(p)}`];
  for (const k of ['compose', 'submit', 'private']) {
    if (k in s && !strList(s[k])) return [null, `${where} (${s.name}): ${k} must be a list of CSS selectors`];
  }
  for (const k of ['container', 'scope']) {
    if (k in s && s[k] !== null && (typeof s[k] !== 'string' || s[k] === '')) return [null, `${where} (${s.name}): ${k} must be a CSS selector`];
  }
  if ('adapter' in s && !ADAPTER_IDS.includes(s.adapter)) return [null, `${where} (${s.name}): adapter must be one of ${ADAPTER_IDS.join(', ')}`];
  if ('actors' in s) {
    if (!Array.isArray(s.actors) || s.actors.length > 20) return [null, `${where} (${s.name}): actors must be a list of at most 20 actor sources`];
    for (const [i, a] of s.actors.entries()) {
      const why = checkActor(a);
      if (why) return [null, `${where} (${s.name}): actors[${i}]: ${why}`];
    }
  }
  if ('expect' in s) {
    if (!Array.isArray(s.expect) || s.expect.length > 20) return [null, `${where} (${s.name}): expect must be a list`];
    for (const [i, e] of s.expect.entries()) {
      if (!isObj(e) || !isPattern(e.path) || Object.keys(e).some((k) => !['path', 'compose', 'account'].includes(k))
        || ('compose' in e && typeof e.compose !== 'boolean') || ('account' in e && typeof e.account !== 'boolean')) {
        return [null, `${where} (${s.name}): expect[${i}] must be {path: RegExp, compose: true|false, account: true|false}`];
      }
    }
  }
  return [{
    name: s.name,
    adapter: s.adapter ?? 'generic',
    matches: [...s.matches],
    compose: s.compose ? [...s.compose] : null,
    submit: s.submit ? [...s.submit] : null,
    private: s.private ? [...s.private] : null,
    container: s.container ?? null,
    scope: s.scope ?? null,
    actors: (s.actors ?? []).map((a) => structuredClone(a)),
    expect: (s.expect ?? []).map((e) => ({ path: e.path, compose: e.compose === true, account: e.account === true })),
  }, null];
}

const isPattern = (p) => {
  if (typeof p !== 'string' || p === '' || p.length > 1000) return false;
  try {
    new RegExp(p, 'u'); // eslint-disable-line no-new
    return true;
  } catch {
    return false;
  }
};

const FIELD_KEYS = ['attr', 'pattern', 'format', 'prefix'];
// An actor source (adapters/site.js); returns why it is not one, or null.
function checkActor(a) {
  if (!isObj(a)) return 'not an object';
  for (const k of Object.keys(a)) if (!['how', 'within', 'selector', 'url', 'id', 'handle', 'name', 'site'].includes(k)) return `unknown key "${k}"`;
  if (typeof a.how !== 'string' || !/^[a-z0-9-]{1,60}$/.test(a.how)) return 'how must be a short name (a-z, 0-9, -)';
  if (('selector' in a) === ('url' in a)) return 'give either selector or url';
  if ('selector' in a && (typeof a.selector !== 'string' || a.selector === '' || a.selector.length > 1000)) return 'selector must be a CSS selector';
  if ('url' in a && !isPattern(a.url)) return 'url must be a RegExp';
  if ('within' in a && a.within !== 'scope' && a.within !== 'page') return 'within must be "scope" or "page"';
  if (!('id' in a) && !('handle' in a)) return 'an actor source needs id or handle';
  for (const f of ['id', 'handle', 'name', 'site']) {
    if (!(f in a)) continue;
    const v = a[f];
    if (!isObj(v)) return `${f} must be an object`;
    for (const k of Object.keys(v)) if (!FIELD_KEYS.includes(k)) return `${f}: unknown key "${k}"`;
    if ('attr' in v && (typeof v.attr !== 'string' || !/^[A-Za-z][A-Za-z0-9_:.-]{0,99}$/.test(v.attr))) return `${f}.attr must be an attribute name`;
    if ('pattern' in v && !isPattern(v.pattern)) return `${f}.pattern must be a RegExp`;
    for (const k of ['format', 'prefix']) if (k in v && (typeof v[k] !== 'string' || v[k].length > 200)) return `${f}.${k} must be a string`;
  }
  return null;
}

// A built-in site (or the Mastodon template) with the admin's changes (adapters.ID) applied.
function withOverrides(def, over) {
  const out = { ...structuredClone(def) };
  for (const k of ['matches', 'compose', 'submit', 'private', 'container', 'scope', 'actors', 'expect']) {
    if (k in over) out[k] = over[k];
  }
  return out;
}


// Merges managed settings (the admin's) and local ones (stricter-only) over DEFAULTS.
// Returns { settings, problems: ['…'] }: bad entries are named in problems and skipped, so one
// mistyped site does not switch off the others.
export function effectiveSettings(managed = {}, local = {}) {
  const problems = [];
  const out = { ...DEFAULTS, sites: [] };
  const m = isObj(managed) ? managed : {};
  const l = isObj(local) ? local : {};

  const addSites = (list, origin) => {
    if (list === undefined) return;
    const at = origin.includes('.') || origin === 'adapters' || origin === 'mastodonInstances' ? origin : `${origin}.sites`;
    if (!Array.isArray(list)) { problems.push(`${at}: not a list`); return; }
    list.forEach((s, i) => {
      const [site, why] = validateSite(s, `${at}[${i}]`);
      if (why) problems.push(why);
      else if (!out.sites.some((x) => x.name === site.name)) out.sites.push(site);
      else problems.push(`${at}[${i}]: site ${site.name} is already configured`);
    });
  };
  addSites(m.sites, 'managed');

  // Built-in adapters, changed by the admin (adapters.ID). Only the admin may change them.
  const overrides = isObj(m.adapters) ? m.adapters : {};
  if ('adapters' in m && !isObj(m.adapters)) problems.push('managed.adapters: not an object');
  for (const k of Object.keys(overrides)) {
    if (!ADAPTER_IDS.includes(k) || k === 'tool') problems.push(`managed.adapters.${k}: no such adapter (${ADAPTER_IDS.filter((i) => i !== 'tool').join(', ')})`);
    else if (!isObj(overrides[k])) problems.push(`managed.adapters.${k}: not an object`);
  }
  const over = (id) => (isObj(overrides[id]) ? overrides[id] : {});
  const builtins = [];
  for (const def of BUILTIN) {
    const o = over(def.adapter);
    if (o.enabled === false) continue;
    builtins.push(withOverrides(def, o));
  }
  addSites(builtins, `adapters`);

  // Mastodon instances (admin's, and local additions), then publishing tools.
  const instances = [];
  for (const [src, origin] of [[m, 'managed'], [l, 'local']]) {
    if (!('mastodonInstances' in src)) continue;
    const list = src.mastodonInstances;
    if (!Array.isArray(list)) { problems.push(`${origin}.mastodonInstances: not a list`); continue; }
    list.forEach((h, i) => {
      if (typeof h !== 'string' || !/^[a-z0-9.-]{1,200}(:\d{1,5})?$/i.test(h)) problems.push(`${origin}.mastodonInstances[${i}]: not a host name`);
      else instances.push({ ...withOverrides(TEMPLATES.mastodon, over('mastodon')), name: h.replace(/:\d+$/, '').toLowerCase(), matches: [`https://${h.replace(/:\d+$/, '')}/*`] });
    });
  }
  addSites(instances, 'mastodonInstances');
  for (const [src, origin] of [[m, 'managed'], [l, 'local']]) {
    if (!('publishingTools' in src)) continue;
    if (!Array.isArray(src.publishingTools)) { problems.push(`${origin}.publishingTools: not a list`); continue; }
    addSites(src.publishingTools.map((t) => (isObj(t) ? { ...t, adapter: 'tool' } : t)), `${origin}.publishingTools`);
  }
  addSites(l.sites, 'local');

  if ('failMode' in m) {
    if (m.failMode === 'warn' || m.failMode === 'block') out.failMode = m.failMode;
    else problems.push('managed.failMode: must be "warn" or "block"');
  }
  if (l.failMode === 'block') out.failMode = 'block';

  if ('overridesAllowed' in m) {
    if (typeof m.overridesAllowed === 'boolean') out.overridesAllowed = m.overridesAllowed;
    else problems.push('managed.overridesAllowed: must be true or false');
  }
  if (l.overridesAllowed === false) out.overridesAllowed = false;

  for (const [src, origin] of [[m, 'managed'], [l, 'local']]) {
    if ('debounceMs' in src && !(origin === 'local' && 'debounceMs' in m)) {
      const d = src.debounceMs;
      if (Number.isInteger(d) && d >= DEBOUNCE_MIN && d <= DEBOUNCE_MAX) out.debounceMs = d;
      else problems.push(`${origin}.debounceMs: must be an integer from ${DEBOUNCE_MIN} to ${DEBOUNCE_MAX}`);
    }
  }
  if ('checkTimeoutMs' in m) {
    const t = m.checkTimeoutMs;
    if (Number.isInteger(t) && t >= 200 && t <= 30000) out.checkTimeoutMs = t;
    else problems.push('managed.checkTimeoutMs: must be an integer from 200 to 30000');
  }
  if ('showFirstRun' in m) {
    if (typeof m.showFirstRun === 'boolean') out.showFirstRun = m.showFirstRun;
    else problems.push('managed.showFirstRun: must be true or false');
  }
  if (l.perfMarks === true) out.perfMarks = true;
  return { settings: out, problems };
}

// A Chrome match pattern ("https://*.example.com/*", "http://127.0.0.1/*") as a RegExp over
// URLs, or null when the pattern is not one. Ports: a pattern's host matches any port, as in
// Chrome. "<all_urls>" is refused on purpose: a site list names sites.
export function matchPatternToRegExp(p) {
  if (typeof p !== 'string') return null;
  const m = /^(\*|https?):\/\/(\*|\*\.[^/*:]+|[^/*:]+)(\/.*)$/.exec(p);
  if (!m) return null;
  const [, scheme, host, path] = m;
  const esc = (s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const schemeRe = scheme === '*' ? 'https?' : scheme;
  let hostRe;
  if (host === '*') hostRe = '[^/:]+';
  else if (host.startsWith('*.')) hostRe = `(?:[^/:]+\\.)?${esc(host.slice(2))}`;
  else hostRe = esc(host);
  const pathRe = path.split('*').map(esc).join('.*');
  return new RegExp(`^${schemeRe}://${hostRe}(?::\\d+)?${pathRe}$`, 'i');
}

// The first configured site whose match patterns match `url`, or null.
export function siteForUrl(sites, url) {
  if (typeof url !== 'string') return null;
  for (const s of sites) {
    for (const p of s.matches) {
      const re = matchPatternToRegExp(p);
      if (re && re.test(url)) return s;
    }
  }
  return null;
}
