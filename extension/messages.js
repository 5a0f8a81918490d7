// Postwarden's messages, in one place: what the content script may ask the worker, what the
// worker sends the native host, and how the host's replies are read. Every message that crosses
// a boundary is validated here and nowhere else; the worker and the content script only switch
// on kinds that passed through these functions.
//
// Two layers:
//   - runtime messages (content script or popup -> worker): { what: Kind.*, ... }
//   - host frames (worker <-> postwarden-host, docs/protocol.md): { v: 1, id, type, ... }

export const PROTOCOL_VERSION = 1;
export const HOST_NAME = 'com.postwarden.host';

// The name of the port a content script opens to the worker (runtime.connect).
export const PORT_NAME = 'postwarden';

// Runtime message kinds (content script / popup -> worker).
export const Kind = Object.freeze({
  STATUS: 'status', // which site this page is, the settings for it, whether the host answers
  CHECK: 'check', // a draft to check
  POST_ATTEMPT: 'post_attempt', // a submit happened (posted or stopped)
  TAB_STATUS: 'tab_status', // popup: what the worker knows about a tab
  ACCOUNT: 'account', // the acting account of a compose box (detected, or declared by the employee)
  SITE_PROBLEM: 'site_problem', // a configured site shows no compose box or account where expected
});

// What a site can lack (site_problem); the host is told, the popup says it.
export const SiteProblem = Object.freeze({
  NO_COMPOSE_BOX: 'no_compose_box',
  NO_ACCOUNT: 'no_account',
});
export const SITE_PROBLEM_TEXT = Object.freeze({
  no_compose_box: 'Postwarden found no compose box on this page, where this site usually has one. The site may have changed; your admin has been told.',
  no_account: 'Postwarden could not tell which account this page posts as. The stricter rules apply; your admin has been told.',
});

// How an account was found: the adapters' "dom:HOW" / "url:HOW", or the employee's own answer.
export const SELF_DECLARED = 'self-declared';

// Host frame types (docs/protocol.md).
export const HostType = Object.freeze({
  HELLO: 'hello',
  CHECK: 'check',
  ACCOUNT: 'account',
  POST_ATTEMPT: 'post_attempt',
  SITE_PROBLEM: 'site_problem',
  ERROR: 'error',
});

// The protocol's numbered error codes (docs/protocol.md "Errors"; nmhost.h enum pw_nm_code).
export const ErrorCode = Object.freeze({
  FRAME_TOO_LARGE: 100,
  FRAME_EMPTY: 101,
  FRAME_TRUNCATED: 102,
  BAD_UTF8: 103,
  BAD_JSON: 104,
  NOT_OBJECT: 105,
  BAD_ENVELOPE: 200,
  BAD_VERSION: 201,
  UNKNOWN_TYPE: 202,
  BAD_FIELDS: 203,
  BAD_VALUE: 204,
  CALLER_DENIED: 300,
  SERVICE_UNAVAILABLE: 400,
  SERVICE_TIMEOUT: 401,
  SERVICE_LOST: 402,
  SERVICE_ERROR: 403,
  INTERNAL: 500,
  NO_POLICY: 501,
  UNSUPPORTED: 502,
});

// Why protection is unavailable. Each is shown to the employee in words (UNAVAILABLE_TEXT).
export const Unavailable = Object.freeze({
  HOST_MISSING: 'host_missing', // "Specified native messaging host not found."
  HOST_EXITED: 'host_exited', // "Native host has exited."
  HOST_FORBIDDEN: 'host_forbidden', // the host's manifest does not allow this extension
  HOST_ERROR: 'host_error', // any other connect failure
  SERVICE: 'service_unavailable', // the host answers, the policy service does not
  NO_POLICY: 'no_policy', // standalone host without a usable policy
  TIMEOUT: 'timeout', // no answer in time
  REFUSED: 'refused', // the host refused our request (a bug on one side)
  TOO_LONG: 'too_long', // the draft is over what one frame may carry
  HOST_VERSION: 'host_version', // the host speaks another protocol version
  WORKER: 'worker', // the content script could not reach the worker
});

export const UNAVAILABLE_TEXT = Object.freeze({
  host_missing: 'the Postwarden program is not installed on this computer',
  host_exited: 'the Postwarden program stopped',
  host_forbidden: 'the Postwarden program does not accept this extension',
  host_error: 'the Postwarden program could not be started',
  service_unavailable: 'the Postwarden policy service is not running',
  no_policy: 'the company policy could not be loaded',
  timeout: 'the Postwarden program did not answer in time',
  refused: 'the Postwarden program refused the request',
  too_long: 'the draft is too long to be checked',
  host_version: 'the Postwarden program on this computer is out of date',
  worker: 'the extension is restarting',
});

export const ACTIONS = Object.freeze(['allow', 'warn', 'block']);

// The host's frame cap is 1 MiB of UTF-8; a UTF-16 unit is at most 3 UTF-8 bytes, so this many
// units always fit with room for the envelope.
export const MAX_TEXT_UNITS = 300000;
export const MAX_JUSTIFICATION = 1000;
export const MAX_SITE = 200;

// ---- small checks -------------------------------------------------------------------------------

const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const isStr = (x, max) => typeof x === 'string' && x.length <= max;
const isSeq = (x) => Number.isSafeInteger(x) && x >= 0;

// Fails unless `obj` has exactly the keys in `required` plus any of `optional`.
function exactKeys(obj, required, optional = []) {
  for (const k of required) if (!(k in obj)) return `missing field "${k}"`;
  for (const k of Object.keys(obj))
    if (!required.includes(k) && !optional.includes(k)) return `unexpected field "${k}"`;
  return null;
}

// An acting account as the content script reports it: null, or { handle, stable_id } (strings
// or null; the site adapters of issue 11 add display_name and detected_by).
const ACCOUNT_KEYS = ['handle', 'stable_id', 'display_name', 'detected_by'];
function checkAccount(a) {
  if (a === null) return null;
  if (!isObj(a)) return 'account must be null or an object';
  const bad = exactKeys(a, [], ACCOUNT_KEYS);
  if (bad) return `account: ${bad}`;
  for (const k of ACCOUNT_KEYS)
    if (k in a && a[k] !== null && !isStr(a[k], 512)) return `account.${k} must be a string`;
  return null;
}

const ok = (value) => ({ ok: true, value });
const fail = (error) => ({ ok: false, error });

// ---- runtime messages ---------------------------------------------------------------------------

// Validates a runtime message from a content script or the popup. Returns { ok: true, value }
// with the message reduced to its documented fields, or { ok: false, error } naming what is wrong.
export function validateRuntimeMessage(msg) {
  if (!isObj(msg)) return fail('message must be an object');
  switch (msg.what) {
    case Kind.STATUS: {
      const bad = exactKeys(msg, ['what']);
      return bad ? fail(`status: ${bad}`) : ok({ what: msg.what });
    }
    case Kind.TAB_STATUS: {
      const bad = exactKeys(msg, ['what', 'tabId']);
      if (bad) return fail(`tab_status: ${bad}`);
      if (!isSeq(msg.tabId)) return fail('tab_status: tabId must be a non-negative integer');
      return ok({ what: msg.what, tabId: msg.tabId });
    }
    case Kind.CHECK: {
      const bad = exactKeys(msg, ['what', 'seq', 'site', 'account', 'text']);
      if (bad) return fail(`check: ${bad}`);
      if (!isSeq(msg.seq)) return fail('check: seq must be a non-negative integer');
      if (!isStr(msg.site, MAX_SITE) || msg.site === '') return fail('check: site must be a non-empty string');
      const badAccount = checkAccount(msg.account);
      if (badAccount) return fail(`check: ${badAccount}`);
      if (typeof msg.text !== 'string') return fail('check: text must be a string');
      if (msg.text.length > MAX_TEXT_UNITS) return fail('check: text is too long');
      return ok({ what: msg.what, seq: msg.seq, site: msg.site, account: msg.account, text: msg.text });
    }
    case Kind.POST_ATTEMPT: {
      const bad = exactKeys(
        msg,
        ['what', 'site', 'account', 'action', 'outcome'],
        ['overridable', 'justification', 'text', 'findings'],
      );
      if (bad) return fail(`post_attempt: ${bad}`);
      if (!isStr(msg.site, MAX_SITE) || msg.site === '') return fail('post_attempt: site must be a non-empty string');
      const badAccount = checkAccount(msg.account);
      if (badAccount) return fail(`post_attempt: ${badAccount}`);
      if (![...ACTIONS, 'unavailable'].includes(msg.action)) return fail('post_attempt: action must be allow, warn, block or unavailable');
      if (!['posted', 'stopped', 'overridden'].includes(msg.outcome)) return fail('post_attempt: outcome must be posted, stopped or overridden');
      const j = msg.justification ?? null;
      if (j !== null && !isStr(j, MAX_JUSTIFICATION)) return fail('post_attempt: justification must be a string of at most 1000 characters');
      if (msg.outcome === 'overridden' && (j === null || j.trim() === '')) return fail('post_attempt: an override needs a justification');
      if (msg.outcome !== 'overridden' && j !== null) return fail('post_attempt: only an override carries a justification');
      const text = msg.text ?? null;
      if (text !== null && (typeof text !== 'string' || text.length > MAX_TEXT_UNITS)) return fail('post_attempt: text must be a string');
      const overridable = msg.overridable ?? false;
      if (typeof overridable !== 'boolean') return fail('post_attempt: overridable must be true or false');
      const findings = msg.findings ?? [];
      if (!Array.isArray(findings) || findings.length > 256) return fail('post_attempt: findings must be a list of at most 256');
      for (const [i, f] of findings.entries()) {
        const badF = isObj(f) ? exactKeys(f, ['rule', 'category'], ['excerpt', 'action']) : 'not an object';
        if (badF) return fail(`post_attempt: findings[${i}]: ${badF}`);
        if (!isStr(f.rule, 256) || !isStr(f.category, 256) || ('excerpt' in f && !isStr(f.excerpt, 256)) || ('action' in f && !ACTIONS.includes(f.action))) {
          return fail(`post_attempt: findings[${i}]: rule, category, excerpt must be short strings, action allow, warn or block`);
        }
      }
      return ok({
        what: msg.what, site: msg.site, account: msg.account, action: msg.action, outcome: msg.outcome,
        overridable, justification: j, text, findings,
      });
    }
    case Kind.ACCOUNT: {
      const bad = exactKeys(msg, ['what', 'site', 'account']);
      if (bad) return fail(`account: ${bad}`);
      if (!isStr(msg.site, MAX_SITE) || msg.site === '') return fail('account: site must be a non-empty string');
      const badAccount = checkAccount(msg.account);
      if (badAccount) return fail(`account: ${badAccount}`);
      const a = msg.account;
      if (a === null || !isStr(a.handle ?? null, 256) || !a.handle) return fail('account: account.handle must be a non-empty string');
      if (!isStr(a.detected_by ?? null, 256) || !a.detected_by) return fail('account: account.detected_by must be a non-empty string');
      return ok({ what: msg.what, site: msg.site, account: { handle: a.handle, stable_id: a.stable_id ?? null, display_name: a.display_name ?? null, detected_by: a.detected_by } });
    }
    case Kind.SITE_PROBLEM: {
      const bad = exactKeys(msg, ['what', 'site', 'problem'], ['adapter']);
      if (bad) return fail(`site_problem: ${bad}`);
      if (!isStr(msg.site, MAX_SITE) || msg.site === '') return fail('site_problem: site must be a non-empty string');
      if (!Object.values(SiteProblem).includes(msg.problem)) return fail(`site_problem: problem must be ${Object.values(SiteProblem).join(' or ')}`);
      if ('adapter' in msg && !(typeof msg.adapter === 'string' && /^[a-z0-9-]{1,40}$/.test(msg.adapter))) return fail('site_problem: adapter must be an adapter name');
      return ok({ what: msg.what, site: msg.site, problem: msg.problem, adapter: msg.adapter ?? null });
    }
    default:
      return fail(`unknown message kind ${JSON.stringify(String(msg.what)).slice(0, 40)}`);
  }
}

// Whether a runtime message comes from this extension: its own content scripts (in a tab) or its
// own pages (popup). Anything else (another extension, a web page through externally_connectable)
// is refused before the message is read.
export function trustedSender(sender, ownId, ownOrigin) {
  if (!isObj(sender) || sender.id !== ownId) return false;
  if (sender.tab) return true; // a content script of ours
  return typeof sender.url === 'string' && sender.url.startsWith(ownOrigin);
}

// ---- host frames --------------------------------------------------------------------------------

// The frame the worker sends for a validated runtime `check` / `post_attempt`, or a `hello`.
export function hostFrame(id, type, body = {}) {
  return { v: PROTOCOL_VERSION, id, type, ...body };
}

export function checkFrame(id, m) {
  return hostFrame(id, HostType.CHECK, { site: m.site, account: hostAccount(m.account), text: m.text });
}

// post_attempt: the full text goes only with a company account (the verdict said so); the
// worker is the one that decides, from the verdict it saw, never the content script alone.
// Returns null for an attempt the host cannot take: one made while protection was unavailable
// (there is no verdict to record, and no host or service to record it).
export function postAttemptFrame(id, m, companyAccount) {
  if (!ACTIONS.includes(m.action)) return null;
  const body = {
    site: m.site,
    account: hostAccount(m.account),
    verdict: { action: m.action, overridable: m.overridable },
    posted: m.outcome !== 'stopped',
    findings: m.findings,
  };
  if (m.justification !== null) body.override_justification = m.justification;
  if (companyAccount && m.text !== null) body.text = m.text;
  return hostFrame(id, HostType.POST_ATTEMPT, body);
}

// account: the acting account of a compose box, for the host (docs/protocol.md §3.3). The service
// links a company account to the employee's login session.
export function accountFrame(id, m) {
  return hostFrame(id, HostType.ACCOUNT, {
    site: m.site, handle: m.account.handle, stable_id: m.account.stable_id, display_name: m.account.display_name,
    detected_by: m.account.detected_by,
  });
}

// site_problem: a configured site shows no compose box or no acting account where its adapter
// expects one (docs/protocol.md §3.5).
export function siteProblemFrame(id, m) {
  const body = { site: m.site, problem: m.problem };
  if (m.adapter) body.adapter = m.adapter;
  return hostFrame(id, HostType.SITE_PROBLEM, body);
}

// Reads an account reply: { companyAccount, authorised, accountName, linked }.
export function parseAccountReply(frame) {
  if (!isObj(frame) || frame.type !== HostType.ACCOUNT) return fail('not an account reply');
  if (typeof frame.company_account !== 'boolean' || typeof frame.authorised !== 'boolean') return fail('account reply lacks company_account or authorised');
  return ok({
    companyAccount: frame.company_account,
    authorised: frame.company_account && frame.authorised,
    accountName: typeof frame.account_name === 'string' ? frame.account_name : null,
    linked: frame.linked === true,
  });
}

// The host's account object: { handle, stable_id }, or null.
function hostAccount(a) {
  if (a === null) return null;
  return { handle: a.handle ?? null, stable_id: a.stable_id ?? null };
}

// Maps chrome.runtime.lastError's message on a native port to an Unavailable reason.
export function reasonFromLastError(message) {
  const m = String(message ?? '');
  if (/native messaging host not found/i.test(m)) return Unavailable.HOST_MISSING;
  // Chromium says "exited" when it reads end of input from the host, and "Error when
  // communicating" when its write fails because the host is already gone (a host that dies at
  // once gives either, by timing): both mean the host stopped.
  if (/native host has exited|error when communicating with the native messaging host/i.test(m)) return Unavailable.HOST_EXITED;
  if (/forbidden/i.test(m)) return Unavailable.HOST_FORBIDDEN;
  return Unavailable.HOST_ERROR;
}

// Maps a protocol error code to an Unavailable reason.
export function reasonFromCode(code) {
  if (code >= 400 && code < 500) return Unavailable.SERVICE;
  if (code === ErrorCode.NO_POLICY) return Unavailable.NO_POLICY;
  if (code === ErrorCode.FRAME_TOO_LARGE) return Unavailable.TOO_LONG;
  if (code === ErrorCode.CALLER_DENIED) return Unavailable.HOST_FORBIDDEN;
  if (code === ErrorCode.BAD_VERSION) return Unavailable.HOST_VERSION;
  if (code === ErrorCode.INTERNAL) return Unavailable.HOST_ERROR;
  return Unavailable.REFUSED;
}

// Reads a frame from the host. Returns { ok: true, value: { id, type, frame } } or
// { ok: false, error }. An error frame is a valid frame (type "error", with code and message).
export function readHostFrame(frame) {
  if (!isObj(frame)) return fail('host frame is not an object');
  if (frame.v !== PROTOCOL_VERSION) return fail(`host speaks protocol ${JSON.stringify(frame.v)}, not ${PROTOCOL_VERSION}`);
  if (typeof frame.type !== 'string') return fail('host frame has no type');
  if (!('id' in frame)) return fail('host frame has no id');
  if (frame.type === HostType.ERROR) {
    const e = isObj(frame.error) ? frame.error : frame;
    if (!Number.isInteger(e.code)) return fail('error frame has no numeric code');
  }
  return ok({ id: frame.id, type: frame.type, frame });
}

// The code and message of an error frame (already passed through readHostFrame).
export function errorOf(frame) {
  const e = isObj(frame.error) ? frame.error : frame;
  return { code: e.code, name: typeof e.name === 'string' ? e.name : '', message: typeof e.message === 'string' ? e.message : (typeof e.detail === 'string' ? e.detail : '') };
}

// Reads the span of a finding in UTF-16 code units, whatever of the documented spellings the host
// used; null when the finding has none (a whole-draft finding, e.g. an account rule).
function u16Span(f) {
  const s = isObj(f.span) ? f.span : f;
  const pairs = [
    [s.u16_start, s.u16_end],
    [s.utf16_start, s.utf16_end],
    Array.isArray(s.u16) ? s.u16 : [],
    Array.isArray(s.utf16) ? s.utf16 : [],
    isObj(s.u16) ? [s.u16.start, s.u16.end] : [],
    isObj(s.utf16) ? [s.utf16.start, s.utf16.end] : [],
  ];
  for (const [a, b] of pairs) if (isSeq(a) && isSeq(b) && a <= b) return [a, b];
  return null;
}

// Reads a verdict from a check reply (the verdict object or the reply carrying its fields) into
// the one shape the content script uses:
//   { action, overridable, companyAccount, authorised, accountName, mode, message,
//     findings: [{ rule, category, message, action, overridable, start, end, excerpt }] }
// Returns { ok: false, error } for anything that is not a verdict; findings whose span lies
// outside the text (textLength) are kept without a span rather than trusted.
export function parseVerdict(reply, textLength = Infinity) {
  const v = isObj(reply) && isObj(reply.verdict) ? reply.verdict : reply;
  if (!isObj(v)) return fail('verdict is not an object');
  if (!ACTIONS.includes(v.action)) return fail(`verdict action ${JSON.stringify(v.action)} is not allow, warn or block`);
  const raw = v.findings ?? [];
  if (!Array.isArray(raw)) return fail('verdict findings must be a list');
  const findings = [];
  for (const f of raw) {
    if (!isObj(f)) return fail('a finding is not an object');
    const action = ACTIONS.includes(f.action) ? f.action : v.action;
    const span = u16Span(f);
    const inText = span && span[1] <= textLength;
    findings.push({
      rule: String(f.rule_id ?? f.rule ?? ''),
      category: String(f.category ?? ''),
      message: typeof f.message === 'string' ? f.message : '',
      action,
      overridable: f.overridable === true,
      start: inText ? span[0] : null,
      end: inText ? span[1] : null,
      excerpt: typeof f.excerpt === 'string' ? f.excerpt : '',
    });
  }
  const blocking = findings.filter((f) => f.action === 'block');
  // Overridable only when the host says so and every blocking finding agrees: the stricter wins.
  const overridable = v.action === 'block' && v.overridable === true && blocking.every((f) => f.overridable);
  const messages = Array.isArray(v.messages) ? v.messages.filter((m) => typeof m === 'string') : [];
  return ok({
    action: v.action,
    overridable,
    companyAccount: v.company_account === true,
    authorised: v.authorised !== false,
    accountName: typeof v.account === 'string' ? v.account : (typeof v.account_name === 'string' ? v.account_name : null),
    mode: typeof v.mode === 'string' ? v.mode : null,
    message: typeof v.message === 'string' ? v.message : (messages[0] ?? ''),
    findings,
    // findings the host dropped to keep its reply under 1 MiB (reply-level field)
    trimmed: Number.isSafeInteger(reply?.findings_trimmed) && reply.findings_trimmed > 0 ? reply.findings_trimmed : 0,
  });
}

// Reads a hello reply: { service: 'reachable' | 'unavailable' | 'standalone', policyId, ... }.
export function parseHello(frame) {
  if (!isObj(frame)) return fail('hello reply is not an object');
  const service = typeof frame.service === 'string' ? frame.service : (isObj(frame.service) ? String(frame.service.state ?? '') : '');
  return ok({
    service,
    serviceUp: service === 'available' || service === 'standalone' || service === 'reachable',
    policyId: typeof frame.policy_id === 'string' ? frame.policy_id : (isObj(frame.policy) ? String(frame.policy.id ?? '') : ''),
    hostVersion: typeof frame.host_version === 'string' ? frame.host_version : '',
    mode: typeof frame.mode === 'string' ? frame.mode : '',
  });
}
