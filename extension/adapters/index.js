// The built-in site adapters (data) and how the admin's settings pick and change them.
import x from './x.js';
import linkedin from './linkedin.js';
import facebook from './facebook.js';
import instagram from './instagram.js';
import reddit from './reddit.js';
import mastodon from './mastodon.js';
import tool from './tool.js';

// Sites that are on unless the admin turns them off (settings: adapters.ID.enabled = false).
export const BUILTIN = Object.freeze([x, linkedin, facebook, instagram, reddit]);
// Templates for admin-listed sites: Mastodon instances and publishing tools.
export const TEMPLATES = Object.freeze({ mastodon, tool });
export const ADAPTER_IDS = Object.freeze([...BUILTIN.map((s) => s.adapter), 'mastodon', 'tool']);
