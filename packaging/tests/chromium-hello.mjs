// Over the DevTools protocol of a running Chromium: asks the force-installed extension's own
// service worker to say hello to com.postwarden.host (chrome.runtime.sendNativeMessage), and
// reads chrome://policy. Prints one JSON line: {"hello": <the host's reply>, "policies":
// {name: status as chrome://policy shows it ("OK", "Error, Warning", ...)}}.
// Node's WebSocket (--experimental-websocket on Node 20); no npm packages.
// Usage: node --experimental-websocket chromium-hello.mjs USER_DATA_DIR EXTENSION_ID
import fs from 'node:fs';

const [userDataDir, extId] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function devtoolsUrl() {
  for (let i = 0; i < 300; i++) {
    try {
      const [port, path] = fs.readFileSync(`${userDataDir}/DevToolsActivePort`, 'utf8').split('\n');
      return `ws://127.0.0.1:${port}${path}`;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('no DevToolsActivePort');
}

const ws = new WebSocket(await devtoolsUrl());
await new Promise((res, rej) => {
  ws.onopen = res;
  ws.onerror = rej;
});
let next = 0;
const pending = new Map();
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  if (m.id && pending.has(m.id)) {
    const { res, rej } = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) rej(new Error(JSON.stringify(m.error)));
    else res(m.result);
  }
};
const send = (method, params = {}, sessionId) =>
  new Promise((res, rej) => {
    const id = ++next;
    pending.set(id, { res, rej });
    ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
  });

// The worker appears once Chromium has installed the extension from the policy.
let target;
for (let i = 0; i < 600 && !target; i++) {
  const { targetInfos } = await send('Target.getTargets');
  target = targetInfos.find(
    (t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extId}/`),
  );
  if (!target) await sleep(100);
}
if (!target) throw new Error(`no service worker of ${extId} after 60 s`);
const { sessionId } = await send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
await send('Runtime.enable', {}, sessionId);
// Right after install the worker may still be starting: wait for its extension bindings.
for (let i = 0; i < 100; i++) {
  const r = await send('Runtime.evaluate', { expression: 'typeof chrome?.runtime?.sendNativeMessage', returnByValue: true }, sessionId);
  if (r.result.value === 'function') break;
  await sleep(100);
}
const { result, exceptionDetails } = await send(
  'Runtime.evaluate',
  {
    expression: `chrome.runtime.sendNativeMessage('com.postwarden.host', {v: 1, id: 1, type: 'hello'})
                   .then((r) => JSON.stringify(r), (e) => JSON.stringify({error: String(e.message || e)}))`,
    awaitPromise: true,
    returnByValue: true,
  },
  sessionId,
);
if (exceptionDetails) throw new Error(JSON.stringify(exceptionDetails));
const hello = JSON.parse(result.value);

// chrome://policy: its table is in shadow roots; its leaf texts run, per policy, name, value,
// "Platform", source, level ("Mandatory"), status.
const page = await send('Target.createTarget', { url: 'chrome://policy' });
const ps = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })).sessionId;
const leaves = `(() => { const out = []; const walk = (n) => { if (n.shadowRoot) walk(n.shadowRoot);
  for (const c of n.children || []) walk(c);
  if (n.nodeType === 1 && n.children.length === 0 && n.textContent.trim()) out.push(n.textContent.trim()); };
  walk(document.documentElement); return out; })()`;
const policies = {};
for (let i = 0; i < 100 && !Object.keys(policies).length; i++) {
  await sleep(100);
  const t = (await send('Runtime.evaluate', { expression: leaves, returnByValue: true }, ps)).result.value;
  if (!Array.isArray(t)) continue; // the page is still loading
  for (let j = 0; j + 5 < t.length; j++) {
    if (t[j + 2] === 'Platform' && /^[A-Z][A-Za-z0-9]+$/.test(t[j]) && !(t[j] in policies)) {
      policies[t[j]] = t[j + 5];
    }
  }
}
console.log(JSON.stringify({ hello, policies }));
ws.close();
process.exit(0);
