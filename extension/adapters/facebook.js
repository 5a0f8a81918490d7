// facebook.com, including business.facebook.com (Meta Business Suite). A person posts as
// themself or, as a Page admin, as the Page: the composer's "posting as" switcher carries the
// actor's numeric id; the Business Suite's Page view names the Page (asset_id in its URL, Page id
// in its header). Numeric ids first: Page names and usernames change.
export default {
  adapter: 'facebook',
  name: 'facebook.com',
  matches: ['https://www.facebook.com/*', 'https://facebook.com/*', 'https://web.facebook.com/*', 'https://business.facebook.com/*'],
  compose: ['div[role="textbox"][contenteditable="true"]', 'textarea[name="xhpc_message"]'],
  submit: ['[role="button"][aria-label="Post"]', '[role="button"][aria-label="Publish"]', 'button[aria-label="Post"]', 'button[aria-label="Publish"]'],
  scope: '[data-pagelet="Composer"]',
  container: '[data-pagelet="Composer"]',
  private: ['[data-pagelet="ChatTab"]', '[aria-label^="Message"]'],
  actors: [
    { how: 'facebook-actor-switcher', within: 'scope', selector: '[data-actor-id]',
      id: { attr: 'data-actor-id', pattern: '^(\\d{1,25})$' }, handle: { attr: 'data-actor-username' },
      name: { attr: 'aria-label', pattern: '^Posting as (.+)$' } },
    { how: 'facebook-page-admin', within: 'page', selector: '[data-page-id]',
      id: { attr: 'data-page-id', pattern: '^(\\d{1,25})$' }, handle: { attr: 'data-page-username' }, name: {} },
    { how: 'facebook-business-suite-url', url: '^https://business\\.facebook\\.com/.*[?&]asset_id=\\d',
      id: { pattern: '[?&]asset_id=(\\d{1,25})' } },
    { how: 'facebook-me', within: 'page', selector: '[aria-label="Your profile"][data-profile-id]',
      id: { attr: 'data-profile-id', pattern: '^(\\d{1,25})$' }, handle: { attr: 'data-username' } },
  ],
  expect: [
    { path: '^/?$', compose: true, account: true },
    { path: '^/latest/', compose: true, account: true },
  ],
};
