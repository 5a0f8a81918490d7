// The toolbar popup: is this tab a checked site, and is protection available.
import { Kind, UNAVAILABLE_TEXT } from '../messages.js';

const api = globalThis.browser ?? globalThis.chrome;
const [tab] = await api.tabs.query({ active: true, currentWindow: true });
const r = tab ? await api.runtime.sendMessage({ what: Kind.TAB_STATUS, tabId: tab.id }) : null;
const page = document.getElementById('page');
const host = document.getElementById('host');
if (!r?.ok) {
  page.textContent = 'Postwarden could not be asked about this page.';
} else {
  page.textContent = r.tab?.site
    ? `Postwarden is active on this page (${r.tab.site}).`
    : 'This page is not one of the sites your company listed: nothing is checked here.';
  if (r.available === false) host.textContent = `Postwarden protection is unavailable: ${UNAVAILABLE_TEXT[r.reason] ?? r.reason}.`;
  else if (r.available === true) host.textContent = `Protection is on${r.policyId ? ` (policy ${r.policyId})` : ''}.`;
  else host.textContent = 'Protection starts when you open a listed site.';
}
