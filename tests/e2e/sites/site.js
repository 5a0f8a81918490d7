// Shared by the site fixtures (written for Postwarden's tests: they reproduce the DOM shapes the
// site adapters read, not any site's real pages). A "post" is appended to #posted; the buttons
// in #actors switch who the page posts as, the way the site's own switcher would; nothing leaves
// the page.
window.fixture = {
  posts: [],
  post(text) {
    this.posts.push(text);
    const li = document.createElement('li');
    li.textContent = text;
    document.getElementById('posted').append(li);
  },
  // actors: { personal: fn, company: fn, unauthorised: fn }, each changing the page's DOM.
  actors(table) {
    const bar = document.getElementById('actors');
    // Out of the way of Postwarden's panel, which sits beside or under the compose box.
    Object.assign(bar.style, { position: 'fixed', left: '0', bottom: '0', zIndex: '2147483647', background: '#eee' });
    for (const [name, fn] of Object.entries(table)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = `as-${name}`;
      b.textContent = `act as ${name}`;
      b.addEventListener('click', fn);
      bar.append(b);
    }
  },
  // The element's text as the site would post it.
  text(el) {
    return el.tagName === 'TEXTAREA' ? el.value : el.innerText.trim();
  },
};
