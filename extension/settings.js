// Settings: the admin's (storage.managed, shaped by managed_schema.json) over built-in defaults.
//
// The admin's settings win. Settings the extension's own local storage may hold (written only by
// the extension's own pages or a test harness, never by a web page) can add sites and make things
// stricter, never looser: they cannot turn fail mode from "block" to "warn", re-allow overrides, or
// remove an admin's site. Nothing else is ever kept in extension storage.

export const DEFAULTS = Object.freeze({
  sites: [], // admin-listed sites: [{ name, matches, compose, submit, container, private, scope }]
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
    if (k in s && (typeof s[k] !== 'string' || s[k] === '')) return [null, `${where} (${s.name}): ${k} must be a CSS selector`];
  }
  return [{
    name: s.name,
    matches: [...s.matches],
    compose: s.compose ? [...s.compose] : null,
    submit: s.submit ? [...s.submit] : null,
    private: s.private ? [...s.private] : null,
    container: s.container ?? null,
    scope: s.scope ?? null,
  }, null];
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
    if (!Array.isArray(list)) { problems.push(`${origin}.sites: not a list`); return; }
    list.forEach((s, i) => {
      const [site, why] = validateSite(s, `${origin}.sites[${i}]`);
      if (why) problems.push(why);
      else if (!out.sites.some((x) => x.name === site.name)) out.sites.push(site);
      else problems.push(`${origin}.sites[${i}]: site ${site.name} is already configured`);
    });
  };
  addSites(m.sites, 'managed');
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
