// The generic adapter on a real DOM implementation (jsdom, from tests/e2e/node_modules):
// compose boxes in textareas, contenteditable editors and open shadow roots; submit controls
// found by configured selectors; private-message composers skipped; text model round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.resolve(here, '../../../tests/e2e/package.json'));
const { JSDOM } = require('jsdom');

const { createAdapter, closestDeep, queryDeep, editingHost } = await import('../../adapters/generic.js');
const { textModel, mapSpan } = await import('../../content/text.js');

function page(html) {
  const dom = new JSDOM(`<!doctype html><body>${html}</body>`);
  return dom.window.document;
}

const site = (over = {}) => ({ name: 'fixture.test', matches: ['http://127.0.0.1/*'], compose: null, submit: null, private: null, container: null, scope: null, ...over });

test('textarea and contenteditable are compose boxes; the editing host is the box', () => {
  const doc = page(`<form><textarea id="t"></textarea>
    <div id="ed" contenteditable="true"><p id="p">Hi <b id="b">there</b></p></div>
    <div contenteditable="true" id="outer"><span contenteditable="false"><i id="island">x</i></span></div>
    <input id="search"><button type="submit" id="go">Post</button></form>`);
  const a = createAdapter(site());
  assert.equal(a.composeBoxFor(doc.getElementById('t')), doc.getElementById('t'));
  assert.equal(a.composeBoxFor(doc.getElementById('b')), doc.getElementById('ed'));
  assert.equal(a.composeBoxFor(doc.getElementById('b').firstChild), doc.getElementById('ed'), 'a text node target');
  assert.equal(a.composeBoxFor(doc.getElementById('island')), null, 'contenteditable=false island');
  assert.equal(a.composeBoxFor(doc.getElementById('search')), null);
  assert.equal(editingHost(doc.getElementById('p')), doc.getElementById('ed'));
});

test('read-only and disabled textareas are not compose boxes', () => {
  const doc = page('<textarea id="r" readonly></textarea><textarea id="d" disabled></textarea>');
  const a = createAdapter(site());
  assert.equal(a.composeBoxFor(doc.getElementById('r')), null);
  assert.equal(a.composeBoxFor(doc.getElementById('d')), null);
});

test('private-message composers are skipped, by default marker and by the site\'s selectors', () => {
  const doc = page(`<div data-postwarden-private><textarea id="dm1"></textarea><button type="submit" id="s1">Send</button></div>
    <section class="messages"><div contenteditable="true" id="dm2"></div></section>
    <textarea id="pub"></textarea>`);
  const a = createAdapter(site({ private: ['.messages'] }));
  assert.equal(a.composeBoxFor(doc.getElementById('dm1')), null);
  assert.equal(a.composeBoxFor(doc.getElementById('dm2')), null);
  assert.equal(a.composeBoxFor(doc.getElementById('pub')), doc.getElementById('pub'));
  assert.equal(a.submitIn([doc.getElementById('s1')]), null, 'the send button of a private composer is not enforced');
  assert.deepEqual(a.boxesIn(doc).map((e) => e.id), ['pub']);
});

test('editors inside open shadow roots are found, and their form is their scope', () => {
  const doc = page('<x-composer id="host"></x-composer><button id="outside">x</button>');
  const host = doc.getElementById('host');
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = '<form class="composer"><div id="box" contenteditable="true">Hello</div><button type="submit" id="post">Post</button></form>';
  const a = createAdapter(site({ scope: '.composer' }));
  const box = root.getElementById('box');
  assert.deepEqual(a.boxesIn(doc), [box]);
  assert.equal(a.composeBoxFor(box), box);
  const post = root.getElementById('post');
  assert.equal(a.submitIn([post, root.querySelector('form'), root, host, doc.body]), post);
  assert.equal(a.scopeOf(post), root.querySelector('form'));
  assert.deepEqual(a.boxesIn(a.scopeOf(post)), [box]);
  assert.equal(a.containerOf(box), host, 'the shadow host carries data-postwarden-verdict');
});

test('closestDeep and queryDeep cross shadow boundaries', () => {
  const doc = page('<div class="outer"><x-a id="a"></x-a></div>');
  const ra = doc.getElementById('a').attachShadow({ mode: 'open' });
  ra.innerHTML = '<x-b id="b"></x-b>';
  const rb = ra.getElementById('b').attachShadow({ mode: 'open' });
  rb.innerHTML = '<textarea id="deep"></textarea>';
  const deep = rb.getElementById('deep');
  assert.equal(closestDeep(deep, '.outer'), doc.querySelector('.outer'));
  assert.deepEqual(queryDeep(doc, 'textarea'), [deep]);
});

test('submit controls come from the site\'s selectors, default to form submit buttons', () => {
  const doc = page(`<form id="f"><textarea></textarea><button id="plain">B</button><button type="button" id="other">O</button></form>
    <div class="c"><textarea></textarea><span role="button" data-testid="tweet" id="tw"><span id="label">Post</span></span></div>`);
  const def = createAdapter(site());
  assert.equal(def.submitIn([doc.getElementById('plain')]), doc.getElementById('plain'));
  assert.equal(def.submitIn([doc.getElementById('other')]), null);
  const custom = createAdapter(site({ submit: ['[data-testid="tweet"]'], scope: '.c' }));
  const label = doc.getElementById('label');
  assert.equal(custom.submitIn([label, label.parentElement]), doc.getElementById('tw'), 'a click on the label finds the control');
  assert.equal(custom.scopeOf(doc.getElementById('tw')), doc.querySelector('.c'));
});

test('container: the site\'s selector, else the box\'s parent', () => {
  const doc = page('<article class="card"><div><textarea id="t"></textarea></div></article>');
  assert.equal(createAdapter(site({ container: '.card' })).containerOf(doc.getElementById('t')), doc.querySelector('.card'));
  assert.equal(createAdapter(site()).containerOf(doc.getElementById('t')), doc.getElementById('t').parentElement);
});

test('text model of an editor: blocks and <br> become newlines, spans map back to the words', () => {
  const doc = page('<div id="ed" contenteditable="true"><div>Launch of <b>Phoe</b>nix</div><div><br></div><div>next 😀 Kestrel</div><script>x</script></div>');
  const ed = doc.getElementById('ed');
  const { text, segments } = textModel(ed);
  assert.equal(text, 'Launch of Phoenix\n\nnext 😀 Kestrel');
  for (const word of ['Phoenix', 'Kestrel']) {
    const start = text.indexOf(word);
    const pos = mapSpan(segments, start, start + word.length);
    const range = doc.createRange();
    range.setStart(pos.startNode, pos.startOffset);
    range.setEnd(pos.endNode, pos.endOffset);
    assert.equal(range.toString(), word);
  }
  assert.deepEqual(createAdapter(site()).read(doc.createElement('textarea')), { text: '', segments: null });
});
