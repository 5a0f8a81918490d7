// linkedin.com. A member posts as themself or, as a Page admin, as an organisation: the share box
// has an actor switcher that carries the organisation's URN (urn:li:organization:N), and the
// Page admin view (/company/N/admin/) names the Page in its URL and header. Order: the share
// box's own actor, then the admin view, then the logged-in member.
export default {
  adapter: 'linkedin',
  name: 'linkedin.com',
  matches: ['https://www.linkedin.com/*', 'https://linkedin.com/*'],
  compose: ['div.ql-editor[contenteditable="true"]', 'div[role="textbox"][contenteditable="true"]'],
  submit: ['button.share-actions__primary-action'],
  scope: '.share-box',
  container: '.share-box',
  private: ['.msg-form', '.msg-overlay-conversation-bubble'],
  actors: [
    { how: 'linkedin-actor-switcher', within: 'scope', selector: '[data-actor-urn]',
      id: { attr: 'data-actor-urn', pattern: '^(urn:li:(?:organization|member|person):[A-Za-z0-9_-]{1,64})$' },
      handle: { attr: 'data-actor-vanity' }, name: {} },
    { how: 'linkedin-page-admin', within: 'page', selector: '.org-admin-header [data-entity-urn]',
      id: { attr: 'data-entity-urn', pattern: '^(urn:li:organization:\\d{1,20})$' },
      handle: { attr: 'href', pattern: '/company/([^/]{1,100})/' }, name: {} },
    { how: 'linkedin-page-admin-url', url: '^https://(?:www\\.)?linkedin\\.com/company/(\\d{1,20})/admin/',
      id: { pattern: '/company/(\\d{1,20})/admin/', format: 'urn:li:organization:$1' } },
    { how: 'linkedin-me', within: 'page', selector: '.global-nav__me [data-member-urn]',
      id: { attr: 'data-member-urn', pattern: '^(urn:li:member:[A-Za-z0-9_-]{1,64})$' },
      handle: { attr: 'data-public-id' }, name: { attr: 'alt' } },
  ],
  expect: [
    { path: '^/feed/?$', compose: true, account: true },
    { path: '^/company/\\d+/admin/', compose: true, account: true },
  ],
};
