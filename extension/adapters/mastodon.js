// Mastodon, on the instances the admin lists (settings: mastodonInstances). The web client shows
// the logged-in account in the compose panel's navigation bar; Mastodon posts as that account.
// The site name is the instance's host name (the policy's accounts name it, e.g.
// mastodon.social).
export default {
  adapter: 'mastodon',
  name: null, // per instance
  matches: [], // per instance: https://HOST/*
  compose: ['.compose-form textarea', 'textarea.autosuggest-textarea__textarea'],
  submit: ['.compose-form__publish button', '.compose-form button[type="submit"]'],
  scope: '.compose-form',
  container: '.compose-form',
  private: [],
  actors: [
    { how: 'mastodon-navigation-bar', within: 'page', selector: '.navigation-bar [data-account-id]',
      id: { attr: 'data-account-id', pattern: '^(\\d{1,25})$' }, handle: { pattern: '(@[A-Za-z0-9_]{1,30})' } },
  ],
  expect: [{ path: '^/(home|publish)/?$', compose: true, account: true }],
};
