// The worker's one connection to postwarden-host (chrome.runtime.connectNative). Requests are
// matched to replies by the envelope id; a reply nobody waits for is dropped. When the port
// disconnects every waiting request fails with the reason from chrome.runtime.lastError, and the
// next request starts the host again (after a short pause, so a missing host is not respawned on
// every keystroke). An open port also keeps the MV3 worker alive.

import {
  HOST_NAME, HostType, Unavailable, hostFrame, readHostFrame, errorOf, reasonFromCode,
  reasonFromLastError, parseHello,
} from './messages.js';

const RETRY_PAUSE_MS = 1000; // after a failed start, answer from the failure for this long

export class HostError extends Error {
  // reason: an Unavailable value; code: the protocol's error code when the host sent one
  constructor(reason, detail = '', code = 0) {
    super(detail || reason);
    this.reason = reason;
    this.code = code;
  }
}

export class HostConnection {
  // runtime: chrome.runtime (or browser.runtime); now: a clock in ms (tests pass their own).
  constructor(runtime, { name = HOST_NAME, timeoutMs = 3000, now = () => Date.now() } = {}) {
    this.runtime = runtime; // the extension runtime API
    this.name = name; // native-messaging host name
    this.timeoutMs = timeoutMs; // per-request timeout
    this.now = now; // clock
    this.port = null; // the open port, or null
    this.nextId = 1; // next envelope id
    this.pending = new Map(); // id -> { resolve, reject, timer }
    this.failure = null; // { reason, detail, at } of the last disconnect, or null
    this.hello = null; // the parsed hello reply of the current port, or null
    this.helloError = null; // the HostError the current port's hello failed with, or null
    this.helloPromise = null; // the hello request of the current port
    this.listeners = new Set(); // called with (status) when availability changes
    this.version = runtime.getManifest?.().version ?? '0'; // sent in hello
  }

  // What the worker knows now: { available, reason, detail, hello }.
  status() {
    if (this.port && this.hello) {
      if (!this.hello.serviceUp) return { available: false, reason: Unavailable.SERVICE, detail: '', hello: this.hello };
      return { available: true, reason: null, detail: '', hello: this.hello };
    }
    if (this.port && this.helloError) {
      return { available: false, reason: this.helloError.reason, detail: this.helloError.message, hello: null };
    }
    if (this.failure) return { available: false, reason: this.failure.reason, detail: this.failure.detail, hello: null };
    return { available: null, reason: null, detail: '', hello: null };
  }

  onChange(fn) { this.listeners.add(fn); }

  #emit() { for (const fn of this.listeners) fn(this.status()); }

  // Opens the port if needed and says hello. Resolves to the status; never rejects.
  async ensure() {
    if (!this.port) {
      if (this.failure && this.now() - this.failure.at < RETRY_PAUSE_MS) return this.status();
      this.#connect();
      if (!this.port) return this.status();
    }
    if (!this.helloPromise) {
      this.helloPromise = this.#send(HostType.HELLO, { client: `postwarden-extension/${this.version}` }).then((reply) => {
        const h = parseHello(reply);
        this.hello = h.ok ? h.value : null;
        this.helloError = null;
        this.#emit();
      }, (e) => {
        // A host that refuses hello (no policy, service down) is up but cannot protect.
        this.helloError = e instanceof HostError ? e : new HostError(Unavailable.REFUSED);
        this.helloPromise = null;
        this.#emit();
      });
    }
    await this.helloPromise;
    return this.status();
  }

  #connect() {
    let port;
    try {
      port = this.runtime.connectNative(this.name);
    } catch (e) {
      this.#fail(Unavailable.HOST_ERROR, String(e?.message ?? e));
      return;
    }
    this.port = port;
    this.failure = null;
    port.onMessage.addListener((frame) => this.#onFrame(frame));
    port.onDisconnect.addListener(() => {
      // lastError must be read inside this listener, or Chrome logs it as unchecked.
      const msg = this.runtime.lastError?.message ?? port.error?.message ?? 'Native host has exited.';
      if (this.port === port) this.#fail(reasonFromLastError(msg), msg);
    });
  }

  #fail(reason, detail) {
    this.port = null;
    this.hello = null;
    this.helloError = null;
    this.helloPromise = null;
    this.failure = { reason, detail, at: this.now() };
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new HostError(reason, detail));
    }
    this.#emit();
  }

  #onFrame(frame) {
    const r = readHostFrame(frame);
    if (!r.ok) return; // not ours to answer; the host's tests cover its frames
    const p = this.pending.get(r.value.id);
    if (!p) return; // late reply after a timeout: dropped
    this.pending.delete(r.value.id);
    clearTimeout(p.timer);
    if (r.value.type === HostType.ERROR) {
      const e = errorOf(frame);
      p.reject(new HostError(reasonFromCode(e.code), e.message || e.name, e.code));
    } else {
      p.resolve(frame);
    }
  }

  #send(type, body) {
    return this.#post((id) => hostFrame(id, type, body));
  }

  // Posts the frame built by `build(id)` on the open port; resolves to the reply frame.
  #post(build) {
    return new Promise((resolve, reject) => {
      if (!this.port) {
        const f = this.failure ?? { reason: Unavailable.HOST_ERROR, detail: '' };
        reject(new HostError(f.reason, f.detail));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new HostError(Unavailable.TIMEOUT));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.port.postMessage(build(id));
      } catch (e) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new HostError(Unavailable.HOST_EXITED, String(e?.message ?? e)));
      }
    });
  }

  // Sends a request built by `build(id)` (a full frame) and resolves to the reply frame; rejects
  // with a HostError carrying an Unavailable reason.
  async request(build) {
    const st = await this.ensure();
    if (!this.port) throw new HostError(st.reason ?? Unavailable.HOST_ERROR, st.detail);
    return this.#post(build);
  }
}
