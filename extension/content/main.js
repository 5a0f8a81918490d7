// Postwarden in the page of an admin-listed site: watches its compose boxes, has each draft
// checked (through the extension's own worker only: the draft goes nowhere else), shows the
// verdict, and enforces it when the employee submits.
//
// Per keystroke the work is a WeakMap look-up, a counter and a timer: the draft is read and sent
// only after a pause in typing (debounce), and at submit time when the verdict is not current.
// The check of a pause is sent a little before the debounce ends and its verdict held until the
// end (LEAD_MS_MAX), so the round trip to the host is hidden in the debounce.

import { Kind, PORT_NAME, Unavailable, SiteProblem, SELF_DECLARED } from '../messages.js';
import { createSiteAdapter, sameAccount } from '../adapters/site.js';
import { DraftState } from './state.js';
import { decideSubmit, combine, isSendChord, repeatsSubmit } from './enforce.js';
import { Ui } from './ui.js';

const EMPTY = Object.freeze({ action: 'allow', overridable: false, companyAccount: false, message: '', findings: [] });

// How long after the page settles (and after an in-page navigation) the adapter's expectations
// are checked: a configured site that shows no compose box or account where one should be.
const EXPECT_DELAY_MS = 1500;
// Pause after page mutations before acting accounts are read again (actor switchers).
const ACTOR_DELAY_MS = 60;
// Latency hiding: the check of a pause in typing is sent this long before the debounce ends (at
// most a quarter of the debounce), and its verdict is shown when the debounce ends, not earlier:
// the employee sees what they saw before, only without the wait for the worker and host. An edit
// in the lead window makes that reply stale (DraftState) and the pause starts again.
const LEAD_MS_MAX = 50;
const leadMs = (debounceMs) => Math.min(LEAD_MS_MAX, Math.floor(debounceMs / 4));

// The account as the messages carry it (the site it is on travels separately).
const wire = (a) => (a ? { handle: a.handle, stable_id: a.stable_id, display_name: a.display_name, detected_by: a.detected_by } : null);
const accountKey = (a) => (a ? `${a.site}|${a.stable_id ?? ''}|${a.handle ?? ''}` : '');

// A request/answer channel to the worker over one port (opened again after the worker restarts).
// Resolves every request, with { ok: false, unavailable: 'worker' } when the worker is gone.
function channel(api) {
  let port = null;
  let nextRid = 1;
  const waiting = new Map(); // rid -> resolve
  const open = () => {
    port = api.runtime.connect({ name: PORT_NAME });
    port.onMessage.addListener((m) => {
      const resolve = waiting.get(m?.rid);
      if (!resolve) return;
      waiting.delete(m.rid);
      resolve(m.reply);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      for (const resolve of waiting.values()) resolve({ ok: false, unavailable: Unavailable.WORKER });
      waiting.clear();
    });
  };
  return (msg) => new Promise((resolve) => {
    try {
      if (!port) open();
      const rid = nextRid++;
      waiting.set(rid, resolve);
      port.postMessage({ rid, msg });
    } catch {
      resolve({ ok: false, unavailable: Unavailable.WORKER }); // extension reloaded or updated
    }
  });
}

export async function start(api) {
  const send = channel(api);
  const status = await send({ what: Kind.STATUS });
  if (!status?.ok || !status.site) return null; // not an admin-listed site (or no worker)
  const page = new Page(api, send, status);
  page.listen();
  return page;
}

class Page {
  constructor(api, send, status) {
    this.send = send; // runtime message to the worker
    this.site = status.site; // the configured site entry
    this.settings = status.settings; // failMode, debounceMs, overridesAllowed, perfMarks
    this.adapter = createSiteAdapter(status.site);
    this.reported = new Map(); // accountKey -> Promise of the host's account reply (once per page)
    this.problems = new Set(); // site problems reported from this page
    this.path = location.pathname; // for in-page navigations
    this.actorTimer = 0; // pending re-read of acting accounts
    this.ui = new Ui(document, { top: window === window.top });
    this.byTarget = new WeakMap(); // event target -> Box, or null when it is no compose box
    this.boxes = new WeakMap(); // compose box element -> Box
    this.live = new Set(); // Boxes seen, for submits without a scope (pruned when disconnected)
    this.passing = false; // true while we re-dispatch a submit we decided to let through
    this.letThrough = new Set(); // Boxes whose submit was let through in this task (see onSubmit)
    // The last submit decided of each kind: { control, drafts: Map Box -> seq } (see repeated)
    this.lastSubmit = { click: null, chord: null };
    this.ui.setIndicator(status.available === false ? 'unavailable' : 'active', status.reason);
  }

  listen() {
    addEventListener('input', (e) => this.onInput(e), true);
    addEventListener('click', (e) => this.onClick(e), true);
    addEventListener('keydown', (e) => this.onKeydown(e), true);
    addEventListener('submit', (e) => this.onSubmit(e), true);
    // Drafts already in the page (restored by the site) are checked once now.
    for (const el of this.adapter.boxesIn(document)) {
      const { text } = this.adapter.read(el);
      if (text.trim() !== '') this.box(el).check();
    }
    if (this.adapter.knowsActors) {
      // An actor switcher, a Page admin view or an in-page navigation changes who a box posts as:
      // re-read the acting accounts shortly after the page changes (cheap when nothing did).
      const attributeFilter = [...this.adapter.actorAttributes, 'aria-checked', 'aria-selected', 'class'];
      new MutationObserver(() => {
        const t0 = this.settings.perfMarks ? performance.now() : 0;
        if (!this.actorTimer) this.actorTimer = setTimeout(() => this.actorsChanged(), ACTOR_DELAY_MS);
        if (t0) performance.measure('postwarden-mutations', { start: t0, end: performance.now() });
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter });
    }
    if (window === window.top && this.site.expect?.length) setTimeout(() => this.checkExpectations(), EXPECT_DELAY_MS);
  }

  // The acting account of a box now (null: unknown), with the site it posts to.
  accountOf(el) {
    return this.adapter.account(el);
  }

  // Tells the worker (and through it the host and service) the acting account, once per page and
  // account. Resolves to the host's answer ({ companyAccount, authorised, ... }) or null.
  // A page that shows only a stable id (e.g. a Page admin view's URL) reports it as the handle
  // too: the account message needs one (docs/protocol.md §3.3).
  report(account) {
    if (!account?.handle && !account?.stable_id) return Promise.resolve(null);
    const key = `${accountKey(account)}|${account.detected_by}`;
    if (!this.reported.has(key)) {
      const a = wire(account);
      a.handle ??= a.stable_id;
      this.reported.set(key, this.send({ what: Kind.ACCOUNT, site: account.site ?? this.site.name, account: a })
        .then((r) => (r?.ok ? r : null)));
    }
    return this.reported.get(key);
  }

  actorsChanged() {
    const t0 = this.settings.perfMarks ? performance.now() : 0;
    this.actorTimer = 0;
    for (const b of this.live) {
      if (!b.el.isConnected) { this.live.delete(b); continue; }
      b.actorMaybeChanged();
    }
    if (location.pathname !== this.path) {
      this.path = location.pathname;
      if (window === window.top && this.site.expect?.length) setTimeout(() => this.checkExpectations(), EXPECT_DELAY_MS);
    }
    if (t0) performance.measure('postwarden-actors', { start: t0, end: performance.now() });
  }

  // A configured site that shows no compose box, or no acting account, where its adapter expects
  // one: the popup says so and the host is told (the site may have changed; selectors need an
  // update in the managed settings).
  checkExpectations() {
    const e = this.adapter.expectation();
    if (!e) return;
    const boxes = this.adapter.boxesIn(document);
    let problem = null;
    if (e.compose && boxes.length === 0) problem = SiteProblem.NO_COMPOSE_BOX;
    else if (e.account && this.adapter.knowsActors && boxes.every((el) => !this.accountOf(el))) problem = SiteProblem.NO_ACCOUNT;
    if (!problem || this.problems.has(problem)) return;
    this.problems.add(problem);
    this.ui.setProblem(problem);
    this.send({ what: Kind.SITE_PROBLEM, site: this.site.name, problem, adapter: this.site.adapter ?? 'generic' });
  }

  box(el) {
    let b = this.boxes.get(el);
    if (!b) {
      b = new Box(this, el);
      this.boxes.set(el, b);
      this.live.add(b);
    }
    return b;
  }

  onInput(e) {
    const t0 = this.settings.perfMarks ? performance.now() : 0;
    const target = e.composedPath()[0];
    let b = this.byTarget.get(target);
    if (b === undefined) {
      const el = this.adapter.composeBoxFor(target);
      b = el ? this.box(el) : null;
      this.byTarget.set(target, b);
    }
    if (b) b.edited();
    if (t0) performance.measure('postwarden-input', { start: t0, end: performance.now() });
  }

  // The boxes a submit control posts: those in its form (or the site's scope); without a scope,
  // and only on a site whose admin named the submit controls, every box edited on the page.
  boxesFor(submit) {
    const scope = this.adapter.scopeOf(submit);
    if (scope) return this.adapter.boxesIn(scope).map((el) => this.box(el));
    if (!this.site.submit) return [];
    for (const b of this.live) if (!b.el.isConnected) this.live.delete(b);
    return [...this.live];
  }

  // The second click of a double click on a submit control is part of the first click's submit
  // (enforce.js repeatsSubmit): stopped, with nothing posted or recorded. Without this, a double
  // click inside the debounce window posted twice whenever the first click's check and
  // re-dispatch were done before the second click came (always at a human double-click speed).
  onClick(e) {
    if (this.passing) return;
    const submit = this.adapter.submitIn(e.composedPath());
    if (!submit) return;
    const boxes = this.boxesFor(submit);
    if (!boxes.length || this.repeated('click', e, submit, boxes, e.detail)) return;
    this.enforce(e, boxes, () => submit.click());
  }

  // Whether submit event `e` repeats the last submit of its kind ('click': a click count
  // `detail` above 1; 'chord': an auto-repeated keydown) on the same control with the same
  // drafts (enforce.js repeatsSubmit): it is then stopped here, nothing posted or recorded.
  // Otherwise it becomes the last submit of its kind.
  repeated(kind, e, control, boxes, detail) {
    const now = { control, detail, drafts: new Map(boxes.map((b) => [b, b.state.seq])) };
    if (repeatsSubmit(this.lastSubmit[kind], now)) {
      e.preventDefault();
      e.stopImmediatePropagation();
      return true;
    }
    this.lastSubmit[kind] = { control, drafts: now.drafts };
    return false;
  }

  // A safety net for forms the page submits by script (form.requestSubmit(), an Enter handler):
  // the submit event of a form holding compose boxes is decided like a click on its button. A
  // submit that follows a click we already let through (same task) is not decided twice.
  onSubmit(e) {
    if (this.passing) return;
    const form = e.target;
    if (!form || form.tagName !== 'FORM') return;
    const boxes = this.adapter.boxesIn(form).map((el) => this.box(el));
    if (!boxes.length || boxes.every((b) => this.letThrough.has(b))) return;
    const submitter = e.submitter && e.submitter.form === form ? e.submitter : undefined;
    this.enforce(e, boxes, () => form.requestSubmit(submitter));
  }

  // Remembers that these boxes' submit was let through, until the current task ends.
  passed(boxes) {
    if (!this.letThrough.size) setTimeout(() => this.letThrough.clear(), 0);
    for (const b of boxes) this.letThrough.add(b);
  }

  onKeydown(e) {
    if (this.settings.perfMarks) {
      const t0 = performance.now();
      this.keydown(e);
      performance.measure('postwarden-keydown', { start: t0, end: performance.now() });
    } else {
      this.keydown(e);
    }
  }

  // A held Ctrl+Enter repeats its keydown (`repeat`): like the second click of a double click,
  // a repeat on the same box with the same draft is part of the first press's submit, stopped
  // with nothing posted or recorded, however long the first press's check took.
  keydown(e) {
    if (this.passing || !isSendChord(e)) return;
    const target = e.composedPath()[0];
    const el = this.adapter.composeBoxFor(target);
    if (!el) return;
    const box = this.box(el);
    if (this.repeated('chord', e, el, [box], e.repeat ? 2 : 1)) return;
    const init = { key: e.key, code: e.code, ctrlKey: e.ctrlKey, metaKey: e.metaKey, shiftKey: e.shiftKey, bubbles: true, cancelable: true, composed: true };
    this.enforce(e, [box], () => target.dispatchEvent(new KeyboardEvent('keydown', init)));
  }

  decide(boxes) {
    const per = boxes.map((b) => {
      const { text } = this.adapter.read(b.el);
      const verdict = text.trim() === '' ? EMPTY : (b.accountCurrent() ? b.state.current(text) : null);
      const d = decideSubmit({ verdict, justification: b.state.overrideFor(text), settings: this.settings });
      return { b, text, verdict, d };
    });
    return { per, d: combine(per.map((p) => p.d)) };
  }

  // A submit of `boxes` is happening (event `e`, trusted or ours): let it through, stop it, or stop
  // it, check now and then re-dispatch it with `redispatch` if the fresh verdict allows.
  enforce(e, boxes, redispatch) {
    const { per, d } = this.decide(boxes);
    if (d.kind === 'post') {
      this.attempts(per, 'post');
      this.passed(boxes);
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    for (const p of per) p.b.lastSubmit = { boxes, redispatch };
    if (d.kind === 'stop') {
      this.attempts(per, 'stop');
      for (const p of per) p.b.render();
      return;
    }
    // A second click while this submit is being checked is the same submit: absorbed, not queued.
    if (per.some((p) => p.b.resubmitting)) return;
    for (const p of per) {
      p.b.resubmitting = true;
      p.b.render('Checking before posting…');
    }
    Promise.all(per.map((p) => (p.d.kind === 'check' ? p.b.check({ now: true }) : null))).then(() => {
      for (const p of per) p.b.resubmitting = false;
      this.resubmit(boxes, redispatch, 'Checked. If the post did not go out, click Post again.');
    });
  }

  // Decides again for a submit we stopped, and re-dispatches it when it may go. A page that only
  // accepts trusted events ignores the re-dispatch; the current verdict (or armed override) then
  // lets the employee's next click through at once, which the note tells them.
  resubmit(boxes, redispatch, note) {
    const { per, d } = this.decide(boxes);
    if (d.kind === 'post') {
      this.attempts(per, 'post');
      for (const p of per) p.b.render(note);
      this.passing = true;
      try {
        redispatch();
      } finally {
        this.passing = false;
      }
    } else if (d.kind === 'stop') {
      this.attempts(per, 'stop');
      for (const p of per) p.b.render();
    } else {
      for (const p of per) p.b.render('The draft changed while it was checked; click Post again.');
    }
  }

  // One post_attempt per box with a draft: every submit is recorded, posted or stopped.
  attempts(per, how) {
    for (const { b, text, verdict, d } of per) {
      if (text.trim() === '') continue;
      const stopped = how === 'stop' && (d.kind === 'stop' || d.kind === 'check');
      const outcome = stopped ? 'stopped' : d.outcome === 'overridden' ? 'overridden' : 'posted';
      const action = verdict?.unavailable ? 'unavailable' : (verdict?.action ?? (d.action === 'unavailable' ? 'unavailable' : 'block'));
      const msg = {
        what: Kind.POST_ATTEMPT,
        site: b.checkedSite ?? this.site.name,
        account: wire(b.checkedAccount),
        action,
        outcome,
        overridable: verdict?.overridable === true,
        findings: (verdict?.findings ?? []).filter((f) => f.rule).slice(0, 256)
          .map((f) => ({ rule: f.rule, category: f.category, excerpt: f.excerpt, action: f.action })),
      };
      if (outcome === 'overridden') msg.justification = b.state.overrideFor(text);
      if (verdict?.companyAccount) msg.text = text;
      this.send(msg);
    }
  }
}

class Box {
  constructor(page, el) {
    this.page = page; // the Page this box is on
    this.el = el; // the compose box (textarea or editing host)
    this.state = new DraftState(); // seq, verdict, override
    this.timer = 0; // debounce timer (fires leadMs before the debounce ends)
    this.showAt = 0; // performance.now() time: the timer's check shows its verdict no earlier
    this.release = null; // shows a reply held until showAt at once (see #held)
    this.dirty = false; // pending shown since the last verdict
    this.inflight = null; // { seq, promise } of the running check
    this.model = { text: '', segments: null }; // the text the verdict is for, with its nodes
    this.lastSubmit = null; // { boxes, redispatch } of the last stopped submit
    this.resubmitting = false; // a stopped submit is being checked, to be re-dispatched
    this.note = ''; // a line shown under the verdict
    this.account = undefined; // the acting account last read (null: unknown; undefined: not yet)
    this.checkedAccount = null; // the account the shown verdict was checked for
    this.checkedSite = null; // the site the shown verdict was checked for
    this.checkedDetected = null; // the account the adapter saw when the shown verdict was checked
    this.declared = null; // the employee's own answer: { handle, companyAccount, authorised }
    const container = page.adapter.containerOf(el);
    container.setAttribute('data-postwarden-box', '');
    this.view = page.ui.view(el, container, {
      rerender: () => this.render(this.note),
      override: (justification) => this.override(justification),
      declare: (handle) => this.declare(handle),
      // What the panel must never cover: the box's submit controls (read at render time only).
      avoid: () => {
        const scope = page.adapter.scopeOf(el);
        return scope ? page.adapter.submitsIn(scope) : [];
      },
    });
  }

  // Whether the shown verdict was checked for the account the box posts as now.
  accountCurrent() {
    return sameAccount(this.page.accountOf(this.el), this.checkedDetected);
  }

  // The page changed: if the acting account is another one now, the verdict no longer counts and
  // the draft is checked again for the new account (switching actor mid-draft re-checks).
  actorMaybeChanged() {
    const now = this.page.accountOf(this.el);
    if (this.account === undefined || sameAccount(now, this.account)) return;
    this.account = now;
    if (this.state.verdict || this.dirty) {
      this.edited();
      this.check({ now: true });
    }
  }

  // What a check is sent with: the detected account; without one, the employee's answer only if
  // it makes things stricter (a company account they may not post as); else none, so the policy
  // applies the stricter of both modes. A self-declared answer never lifts a block.
  checkAccount() {
    const a = this.page.accountOf(this.el);
    this.account = a;
    if (a) return a;
    const d = this.declared;
    if (d && d.companyAccount && !d.authorised) return { handle: d.handle, stable_id: null, display_name: null, detected_by: SELF_DECLARED, site: this.page.site.name };
    return null;
  }

  // The employee says which account this is (asked only when the adapter could not tell).
  async declare(handle) {
    const page = this.page;
    const r = await page.report({ handle, stable_id: null, display_name: null, detected_by: SELF_DECLARED, site: page.site.name });
    this.declared = { handle, companyAccount: r?.companyAccount === true, authorised: r?.authorised === true };
    if (this.declared.companyAccount && !this.declared.authorised) {
      this.edited();
      await this.check({ now: true });
    }
    this.render('Recorded as your own answer. It cannot lift a block: the stricter rules still apply.');
  }

  edited() {
    this.state.edited();
    if (!this.dirty) {
      this.dirty = true;
      this.note = '';
      this.page.ui.pending(this.view);
    }
    clearTimeout(this.timer);
    const debounceMs = this.page.settings.debounceMs;
    this.showAt = performance.now() + debounceMs;
    this.timer = setTimeout(() => this.check(), debounceMs - leadMs(debounceMs));
  }

  // Checks the draft as it is now. Resolves to true when the reply was current and is shown,
  // false when the draft changed meanwhile (the newer draft's own check will show its verdict).
  // The debounce timer's check holds its verdict until the debounce ends (showAt); `now` (submit,
  // actor change) wants the verdict at once, also that of the timer's check already sent.
  check({ now = false } = {}) {
    const seq = this.state.seq;
    if (now) {
      clearTimeout(this.timer);
      this.showAt = 0;
      this.release?.();
    }
    if (this.inflight && this.inflight.seq === seq) return this.inflight.promise;
    const promise = this.#run(seq).finally(() => {
      if (this.inflight?.seq === seq) this.inflight = null;
    });
    this.inflight = { seq, promise };
    return promise;
  }

  async #run(seq) {
    const page = this.page;
    const model = page.adapter.read(this.el);
    const account = this.checkAccount();
    const site = account?.site ?? page.site.name;
    let verdict;
    if (model.text.trim() === '') verdict = EMPTY;
    else {
      if (account && account.detected_by !== SELF_DECLARED) page.report(account);
      if (page.settings.perfMarks) performance.mark('postwarden-check-sent');
      const r = await page.send({ what: Kind.CHECK, seq, site, account: wire(account), text: model.text });
      if (page.settings.perfMarks) performance.mark('postwarden-check-reply');
      verdict = r?.ok ? r.verdict : { unavailable: r?.unavailable ?? Unavailable.WORKER };
      page.ui.setIndicator(r?.ok ? 'active' : 'unavailable', r?.unavailable);
    }
    if (this.showAt > performance.now() && seq === this.state.seq) await this.#held();
    if (!this.state.accept(seq, verdict, model.text)) return false; // stale: a newer draft exists
    this.dirty = false;
    this.model = model;
    this.checkedAccount = account;
    this.checkedSite = site;
    this.checkedDetected = this.account ?? null;
    this.render();
    if (page.settings.perfMarks) performance.mark('postwarden-verdict', { detail: { seq, action: verdict.action ?? 'unavailable' } });
    return true;
  }

  // Resolves when the debounce ends (showAt), or at once when check({ now: true }) calls release.
  #held() {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.ceil(this.showAt - performance.now())); // not a fraction early
      this.release = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  render(note = '') {
    this.note = note;
    const verdict = this.state.verdict;
    if (!verdict || this.dirty) {
      this.page.ui.note(this.view, note);
      return;
    }
    this.page.ui.render(this.view, {
      verdict, note, model: this.model, ...this.page.settings,
      account: this.checkedAccount, declared: this.declared, knowsActors: this.page.adapter.knowsActors,
    });
    this.view.container.setAttribute('data-postwarden-seq', String(this.state.verdictSeq));
  }

  // "Post anyway" was confirmed with a justification: arm it for this draft and submit again.
  override(justification) {
    const { text } = this.page.adapter.read(this.el);
    this.state.armOverride(text, justification);
    const last = this.lastSubmit;
    if (last) this.page.resubmit(last.boxes, last.redispatch, 'Override recorded. If the post did not go out, click Post again.');
    else this.render('Override recorded: click Post to post.');
  }
}
