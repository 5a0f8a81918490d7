// x.com (and twitter.com). The acting account: the "posting as" chip X shows in a composer when
// the employee acts for a delegated account, else the account switcher in the side navigation
// (the account that is logged in and selected). X exposes numeric user ids; the handle is read
// too, for people and for policies without an id.
export default {
  adapter: 'x',
  name: 'x.com',
  matches: ['https://x.com/*', 'https://twitter.com/*', 'https://mobile.x.com/*', 'https://mobile.twitter.com/*'],
  compose: ['div[data-testid^="tweetTextarea_"][contenteditable="true"]', 'div[role="textbox"][data-testid^="tweetTextarea_"]'],
  submit: ['[data-testid="tweetButton"]', '[data-testid="tweetButtonInline"]'],
  scope: '[data-testid="tweetComposer"]',
  container: '[data-testid="tweetComposer"]',
  private: ['[data-testid="dmComposerTextInput"]', '[data-testid="DmActivityViewport"]'],
  actors: [
    { how: 'x-delegate-chip', within: 'scope', selector: '[data-testid="composerActor"]',
      id: { attr: 'data-user-id', pattern: '^(\\d{1,25})$' }, handle: { attr: 'data-screen-name', prefix: '@' } },
    { how: 'x-account-switcher', within: 'page', selector: '[data-testid="SideNav_AccountSwitcher_Button"]',
      id: { attr: 'data-user-id', pattern: '^(\\d{1,25})$' }, handle: { pattern: '(@[A-Za-z0-9_]{1,15})' },
      name: { attr: 'aria-label', pattern: '^Account menu: (.+)$' } },
  ],
  expect: [{ path: '^/(home|compose/post)/?$', compose: true, account: true }],
};
