// Names the configured sites on the first-run page (from the admin's settings, read-only).
import { effectiveSettings } from '../settings.js';

const api = globalThis.browser ?? globalThis.chrome;
const managed = await api.storage.managed.get(null).catch(() => ({}));
const { settings } = effectiveSettings(managed, {});
if (settings.sites.length) document.getElementById('sites').textContent = settings.sites.map((s) => s.name).join(', ');
