// One compose box's draft and verdict, as numbers: no DOM here, so the rules that keep a post from
// going out on a stale verdict are tested on their own (extension/test/state.test.js).
//
// Every edit bumps `seq`. A check is started for the seq of the moment it reads the text; its reply
// is accepted only if no edit happened since (reply seq == current seq). So a slow reply for an
// older draft can never overwrite the verdict of a newer one, whatever order replies arrive in.

export class DraftState {
  constructor() {
    this.seq = 0; // bumped on every edit of the box
    this.verdict = null; // the accepted verdict (or { unavailable }) for verdictSeq, or null
    this.verdictSeq = -1; // the seq the verdict is for
    this.checkedText = null; // the text the verdict is for (catches edits that fire no event)
    this.override = null; // { seq, text, justification } once "Post anyway" was confirmed
  }

  // An edit happened: any verdict and any override are now for an older draft.
  edited() {
    this.seq += 1;
    this.override = null;
    return this.seq;
  }

  // A reply for the draft of `seq` (read as `text`) arrived. Returns true when it is current and
  // was taken, false when it is stale and was ignored.
  accept(seq, verdict, text) {
    if (seq !== this.seq) return false;
    this.verdict = verdict;
    this.verdictSeq = seq;
    this.checkedText = text;
    return true;
  }

  // The verdict, when it is for the draft as it is now (`text`: the box's text read now), else null.
  current(text) {
    if (this.verdict === null || this.verdictSeq !== this.seq) return null;
    if (text !== undefined && text !== this.checkedText) return null;
    return this.verdict;
  }

  // Arms "Post anyway" for the current draft only; any edit disarms it.
  armOverride(text, justification) {
    this.override = { seq: this.seq, text, justification };
  }

  // The justification if an override is armed for this very draft, else null.
  overrideFor(text) {
    const o = this.override;
    return o && o.seq === this.seq && o.text === text ? o.justification : null;
  }
}
