// reddit.com. Posts go out as the logged-in user (a brand account is a user account); Reddit's
// composer is a web component with the editor in its shadow root. The user drawer button carries
// the account's id (t2_...) and name.
export default {
  adapter: 'reddit',
  name: 'reddit.com',
  matches: ['https://www.reddit.com/*', 'https://reddit.com/*', 'https://new.reddit.com/*'],
  compose: ['div[contenteditable="true"][role="textbox"]', 'textarea[name="text"]', 'textarea[name="body"]'],
  submit: ['#submit-post-button', 'button[type="submit"][slot="submit-button"]'],
  scope: 'shreddit-post-composer',
  container: 'shreddit-post-composer',
  private: ['shreddit-chat', '[data-testid="chat-composer"]'],
  actors: [
    { how: 'reddit-user-drawer', within: 'page', selector: '[data-testid="user-drawer-button"]',
      id: { attr: 'data-user-id', pattern: '^(t2_[a-z0-9]{1,20})$' }, handle: { attr: 'data-username', pattern: '^(?:u/)?([A-Za-z0-9_-]{1,30})$', prefix: 'u/' } },
  ],
  expect: [{ path: '^/(r|user)/[^/]+/submit', compose: true, account: true }],
};
