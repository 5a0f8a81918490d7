// Postwarden's service worker (Chromium: "background.service_worker" as a module; Firefox later:
// "background.scripts" loading this same module). It is the only part that talks to the native
// host. Listeners are registered at the top level, synchronously, so that an event that wakes the
// worker finds them; one switch on the message kind answers trusted senders only.

import {
  Kind, PORT_NAME, Unavailable, validateRuntimeMessage, trustedSender, checkFrame, postAttemptFrame, parseVerdict,
  accountFrame, siteProblemFrame, parseAccountReply, MAX_TEXT_UNITS, SELF_DECLARED,
} from './messages.js';
import { effectiveSettings, siteForUrl } from './settings.js';
import { HostConnection, HostError } from './host.js';

const api = globalThis.browser ?? globalThis.chrome;
const OWN_ORIGIN = api.runtime.getURL('');
const CONTENT_SCRIPT_ID = 'postwarden-sites';

const host = new HostConnection(api.runtime);

// Per-tab facts for the popup, in memory only (never the draft).
const tabs = new Map(); // tabId -> { site, available, reason, lastAction, boxes }

// Company-account verdicts seen per tab and site: post_attempt carries the full text only when the
// worker itself saw a verdict saying the acting account is a company one.
const companyVerdicts = new Map(); // `${tabId}|${site}` -> boolean

let settingsPromise = null;

function loadSettings() {
  settingsPromise ??= (async () => {
    const [managed, local] = await Promise.all([
      api.storage.managed.get(null).catch(() => ({})), // no policy installed: {}
      api.storage.local.get('settings').then((r) => r.settings ?? {}).catch(() => ({})),
    ]);
    const { settings, problems } = effectiveSettings(managed, local);
    for (const p of problems) console.warn(`Postwarden settings: ${p}`);
    host.timeoutMs = settings.checkTimeoutMs;
    return settings;
  })();
  return settingsPromise;
}

// Registers the content script for the configured sites only (no site: no script anywhere).
async function registerContentScripts() {
  const settings = await loadSettings();
  const matches = [...new Set(settings.sites.flatMap((s) => s.matches))];
  const existing = await api.scripting.getRegisteredContentScripts({ ids: [CONTENT_SCRIPT_ID] }).catch(() => []);
  if (existing.length) await api.scripting.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
  if (matches.length === 0) return;
  await api.scripting.registerContentScripts([{
    id: CONTENT_SCRIPT_ID,
    matches,
    js: ['content/loader.js'],
    css: ['styles/page.css'],
    runAt: 'document_idle',
    allFrames: true,
    persistAcrossSessions: true,
  }]);
}

// Registrations run one after the other: two at once would both find none and both register.
let registering = Promise.resolve();

function settingsChanged() {
  settingsPromise = null;
  registering = registering
    .then(registerContentScripts)
    .catch((e) => console.error('Postwarden: registering content scripts failed', e));
  return registering;
}

api.runtime.onInstalled.addListener(async (details) => {
  settingsChanged();
  if (details.reason === 'install') {
    const settings = await loadSettings();
    if (settings.showFirstRun) api.tabs.create({ url: api.runtime.getURL('pages/firstrun.html') });
  }
});
api.runtime.onStartup.addListener(settingsChanged);
api.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && 'settings' in changes)) settingsChanged();
});

function noteTab(sender, facts) {
  const id = sender.tab?.id;
  if (id === undefined || sender.frameId !== 0 && !tabs.has(id)) return;
  tabs.set(id, { ...(tabs.get(id) ?? {}), ...facts });
  const st = tabs.get(id);
  const text = st.available === false || st.problems?.length ? '!' : '';
  api.action.setBadgeText({ tabId: id, text }).catch(() => {});
  api.action.setBadgeBackgroundColor({ tabId: id, color: '#b00020' }).catch(() => {});
}
api.tabs.onRemoved.addListener((id) => {
  tabs.delete(id);
  for (const k of companyVerdicts.keys()) if (k.startsWith(`${id}|`)) companyVerdicts.delete(k);
});

function unavailableReply(e, extra = {}) {
  const reason = e instanceof HostError ? e.reason : Unavailable.HOST_ERROR;
  return { ok: false, unavailable: reason, code: e?.code ?? 0, ...extra };
}

async function answer(msg, sender) {
  switch (msg.what) {
    case Kind.STATUS: {
      const settings = await loadSettings();
      const site = sender.tab ? siteForUrl(settings.sites, sender.url) : null;
      const st = await host.ensure();
      // A new page in the tab's top frame starts with no problems and no account seen.
      const fresh = sender.frameId === 0 ? { problems: [], account: null } : {};
      if (site) noteTab(sender, { site: site.name, available: st.available, reason: st.reason, ...fresh });
      return {
        ok: true,
        site,
        settings: {
          failMode: settings.failMode,
          debounceMs: settings.debounceMs,
          overridesAllowed: settings.overridesAllowed,
          checkTimeoutMs: settings.checkTimeoutMs,
          perfMarks: settings.perfMarks,
        },
        available: st.available,
        reason: st.reason,
      };
    }
    case Kind.CHECK: {
      if (msg.text.length > MAX_TEXT_UNITS) return { ok: false, seq: msg.seq, unavailable: Unavailable.TOO_LONG };
      try {
        const reply = await host.request((id) => checkFrame(id, msg));
        const v = parseVerdict(reply, msg.text.length);
        if (!v.ok) return { ok: false, seq: msg.seq, unavailable: Unavailable.REFUSED, detail: v.error };
        companyVerdicts.set(`${sender.tab?.id}|${msg.site}`, v.value.companyAccount);
        noteTab(sender, { available: true, reason: null, lastAction: v.value.action });
        return { ok: true, seq: msg.seq, verdict: v.value };
      } catch (e) {
        noteTab(sender, { available: false, reason: e.reason ?? Unavailable.HOST_ERROR });
        return unavailableReply(e, { seq: msg.seq });
      }
    }
    case Kind.POST_ATTEMPT: {
      const company = companyVerdicts.get(`${sender.tab?.id}|${msg.site}`) === true;
      if (!postAttemptFrame(0, msg, company)) return { ok: false, unavailable: Unavailable.HOST_ERROR, recorded: false };
      try {
        await host.request((id) => postAttemptFrame(id, msg, company));
        return { ok: true };
      } catch (e) {
        return unavailableReply(e);
      }
    }
    case Kind.ACCOUNT: {
      // The acting account of a compose box: the service links a company account to the login
      // session. A self-declared answer is sent as such (detected_by) and changes nothing else.
      try {
        const reply = await host.request((id) => accountFrame(id, msg));
        const r = parseAccountReply(reply);
        if (!r.ok) return { ok: false, unavailable: Unavailable.REFUSED, detail: r.error };
        noteTab(sender, {
          account: {
            handle: msg.account.handle, site: msg.site, detectedBy: msg.account.detected_by,
            selfDeclared: msg.account.detected_by === SELF_DECLARED, companyAccount: r.value.companyAccount, authorised: r.value.authorised,
          },
        });
        return { ok: true, ...r.value };
      } catch (e) {
        return unavailableReply(e);
      }
    }
    case Kind.SITE_PROBLEM: {
      const id = sender.tab?.id;
      const have = tabs.get(id)?.problems ?? [];
      if (!have.includes(msg.problem)) noteTab(sender, { problems: [...have, msg.problem] });
      try {
        await host.request((rid) => siteProblemFrame(rid, msg));
        return { ok: true, told: true };
      } catch (e) {
        return unavailableReply(e, { told: false });
      }
    }
    case Kind.TAB_STATUS: {
      const st = host.status();
      return { ok: true, tab: tabs.get(msg.tabId) ?? null, available: st.available, reason: st.reason, policyId: st.hello?.policyId ?? '' };
    }
    default:
      return { ok: false, error: 'unknown message kind' };
  }
}

// Content scripts talk over one port each (runtime.connect): no message channel is set up per
// check. Each request is { rid, msg }; the answer { rid, reply } echoes the rid.
api.runtime.onConnect.addListener((port) => {
  if (port.name !== PORT_NAME || !trustedSender(port.sender, api.runtime.id, OWN_ORIGIN)) {
    port.disconnect();
    return;
  }
  port.onMessage.addListener((env) => {
    if (env === null || typeof env !== 'object' || !Number.isSafeInteger(env.rid)) return;
    const post = (reply) => {
      try {
        port.postMessage({ rid: env.rid, reply });
      } catch {
        // the page went away: nobody to answer
      }
    };
    const v = validateRuntimeMessage(env.msg);
    if (!v.ok) {
      post({ ok: false, error: v.error });
      return;
    }
    answer(v.value, port.sender).then(post, (e) => post({ ok: false, error: String(e?.message ?? e) }));
  });
});

// One-off messages: the popup (and any page of ours).
api.runtime.onMessage.addListener((raw, sender, sendResponse) => {
  if (!trustedSender(sender, api.runtime.id, OWN_ORIGIN)) return false;
  const v = validateRuntimeMessage(raw);
  if (!v.ok) {
    sendResponse({ ok: false, error: v.error });
    return false;
  }
  answer(v.value, sender).then(sendResponse, (e) => sendResponse({ ok: false, error: String(e?.message ?? e) }));
  return true; // the answer comes asynchronously
});
