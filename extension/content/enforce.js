// What to do with a submit, decided from data alone (tested in extension/test/enforce.test.js).
//
// decideSubmit({ verdict, justification, settings }) where `verdict` is the box's current verdict
// (DraftState.current(text): null when pending or older than the draft), `justification` the armed
// override for this draft or null. Returns one of:
//   { kind: 'check' }                       no current verdict: stop, check now, decide again
//   { kind: 'post', action, outcome }       let the submit through (outcome: posted | overridden)
//   { kind: 'stop', action, overridable }   stop the submit
// A submit never goes out on a stale verdict: no current verdict is always 'check'.

export function decideSubmit({ verdict, justification = null, settings }) {
  if (!verdict) return { kind: 'check' };
  if (verdict.unavailable) {
    if (settings.failMode === 'block') return { kind: 'stop', action: 'unavailable', overridable: false };
    return { kind: 'post', action: 'unavailable', outcome: 'posted' };
  }
  if (verdict.action === 'block') {
    const overridable = verdict.overridable && settings.overridesAllowed;
    if (overridable && justification) return { kind: 'post', action: 'block', outcome: 'overridden' };
    return { kind: 'stop', action: 'block', overridable };
  }
  return { kind: 'post', action: verdict.action, outcome: 'posted' };
}

// Several boxes share one submit control (e.g. a thread composer): the strictest decision wins.
const RANK = { post: 0, check: 1, stop: 2 };
export function combine(decisions) {
  let worst = { kind: 'post', action: 'allow', outcome: 'posted' };
  for (const d of decisions) if (RANK[d.kind] > RANK[worst.kind]) worst = d;
  if (worst.kind === 'stop') {
    const stops = decisions.filter((d) => d.kind === 'stop');
    return { ...worst, overridable: stops.every((d) => d.overridable) };
  }
  return worst;
}

// Whether a click is the second (third, …) click of a multi-click whose first click was already
// decided as a submit: same control, a click count above 1 (the event's `detail`, counted by the
// browser within the platform's double-click time), and no box's draft changed since. Such a click
// is part of that submit, whatever was decided for it (posted, stopped, or being checked and then
// re-dispatched): a double click on Post posts once, however long the check took.
//   last: { control, drafts } noted when the first click was decided, or null
//   click: { control, detail, drafts }; drafts: Map of box -> its draft's seq
export function repeatsSubmit(last, click) {
  if (!last || click.detail < 2 || click.control !== last.control) return false;
  if (click.drafts.size !== last.drafts.size) return false;
  for (const [box, seq] of click.drafts) if (last.drafts.get(box) !== seq) return false;
  return true;
}

// Whether a keydown is the "send" chord: Ctrl+Enter, or Cmd+Enter on macOS.
export function isSendChord(e) {
  return e.key === 'Enter' && Boolean(e.ctrlKey || e.metaKey) && !e.altKey && !e.isComposing;
}
