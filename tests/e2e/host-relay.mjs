// Test instrumentation between Chromium and the real postwarden-host: passes every byte through
// unchanged in both directions, and appends one JSON line per extension -> host frame to LOG with
// the frame's type and, for post_attempt, what the audit would get (never the draft: check texts
// are not logged). Usage: node host-relay.mjs LOG HOST [HOST ARGS...] (Chromium adds the caller).
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const [log, host, ...args] = process.argv.slice(2);
// The browser's arguments come last (Chromium: the caller's origin; Firefox: the host manifest's
// path and the extension id): logged so the tests can see how the browser started the host.
fs.appendFileSync(log, `${JSON.stringify({ type: 'relay_start', args: args.slice(-2) })}\n`);
const child = spawn(host, args, { stdio: ['pipe', 'inherit', 'inherit'] });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));

let buf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  child.stdin.write(chunk);
  buf = Buffer.concat([buf, chunk]);
  while (buf.length >= 4) {
    const n = buf.readUInt32LE(0);
    if (buf.length < 4 + n) break;
    let entry;
    try {
      const f = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
      entry = { type: f.type, id: f.id };
      if (f.type === 'post_attempt') {
        Object.assign(entry, { site: f.site, account: f.account, verdict: f.verdict, posted: f.posted, findings: f.findings, override_justification: f.override_justification ?? null, has_text: 'text' in f });
      }
      if (f.type === 'check') Object.assign(entry, { site: f.site, account: f.account, text_length: f.text.length });
      if (f.type === 'account') Object.assign(entry, { site: f.site, handle: f.handle, stable_id: f.stable_id ?? null, detected_by: f.detected_by });
      if (f.type === 'site_problem') Object.assign(entry, { site: f.site, problem: f.problem, adapter: f.adapter ?? null });
    } catch (e) {
      entry = { error: String(e) };
    }
    fs.appendFileSync(log, `${JSON.stringify(entry)}\n`);
    buf = buf.subarray(4 + n);
  }
});
process.stdin.on('end', () => child.stdin.end());
