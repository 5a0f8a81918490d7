// instagram.com. The "create post" dialog shows the account the post goes out as above the
// caption (Instagram's numeric owner id where the page exposes it), else the profile link of the
// account that is logged in.
export default {
  adapter: 'instagram',
  name: 'instagram.com',
  matches: ['https://www.instagram.com/*', 'https://instagram.com/*'],
  compose: ['div[aria-label="Write a caption..."][contenteditable="true"]', 'textarea[aria-label="Write a caption..."]'],
  submit: ['[role="button"][aria-label="Share"]', 'button[aria-label="Share"]'],
  scope: 'div[role="dialog"][aria-label="Create new post"]',
  container: '.caption-box',
  private: ['textarea[placeholder="Message..."]', 'div[aria-label="Message"]'],
  actors: [
    { how: 'instagram-caption-author', within: 'scope', selector: '[data-owner-id]',
      id: { attr: 'data-owner-id', pattern: '^(\\d{1,25})$' }, handle: { pattern: '^([A-Za-z0-9._]{1,30})$', prefix: '@' } },
    { how: 'instagram-profile-link', within: 'page', selector: 'a[aria-label="Profile"][href]',
      handle: { attr: 'href', pattern: '^/([A-Za-z0-9._]{1,30})/?$', prefix: '@' } },
  ],
  expect: [{ path: '^/create/', compose: true, account: true }],
};
