// The toolbar popup: is this tab a checked site, is protection available, which account the page
// posts as, and whether the site showed what its adapter expects (no compose box or account where
// one should be: the site may have changed, and the admin was told).
import { Kind, UNAVAILABLE_TEXT, SITE_PROBLEM_TEXT } from '../messages.js';

const api = globalThis.browser ?? globalThis.chrome;
// popup.html?tab=N shows tab N (the e2e tests open the popup as a page of its own).
const asked = Number(new URLSearchParams(location.search).get('tab'));
const tabId = Number.isSafeInteger(asked) && asked > 0 ? asked : (await api.tabs.query({ active: true, currentWindow: true }))[0]?.id;
const r = tabId !== undefined ? await api.runtime.sendMessage({ what: Kind.TAB_STATUS, tabId }) : null;
const page = document.getElementById('page');
const host = document.getElementById('host');
const account = document.getElementById('account');
const problems = document.getElementById('problems');
if (!r?.ok) {
  page.textContent = 'Postwarden could not be asked about this page.';
} else {
  page.textContent = r.tab?.site
    ? `Postwarden is active on this page (${r.tab.site}).`
    : 'This page is not one of the sites your company listed: nothing is checked here.';
  if (r.available === false) host.textContent = `Postwarden protection is unavailable: ${UNAVAILABLE_TEXT[r.reason] ?? r.reason}.`;
  else if (r.available === true) host.textContent = `Protection is on${r.policyId ? ` (policy ${r.policyId})` : ''}.`;
  else host.textContent = 'Protection starts when you open a listed site.';
  const a = r.tab?.account;
  if (a) {
    const kind = a.companyAccount ? (a.authorised ? 'company account' : 'company account, you are not authorised') : 'not a company account';
    account.textContent = `Posting as ${a.handle} (${kind})${a.selfDeclared ? ', as you told Postwarden' : ''}.`;
    account.dataset.postwardenPopupAccount = a.handle;
  }
  for (const p of r.tab?.problems ?? []) {
    const li = document.createElement('li');
    li.dataset.postwardenPopupProblem = p;
    li.textContent = SITE_PROBLEM_TEXT[p] ?? p;
    problems.append(li);
  }
}
