// A sanctioned publishing tool the admin lists (settings: publishingTools): a scheduling or team
// publishing web app that posts to the social sites for the company. It has no built-in
// selectors: the admin gives them, including where the tool shows the channel a post goes to
// (its account and the site it is on, e.g. an element with data-handle and data-network).
export default {
  adapter: 'tool',
  name: null,
  matches: [],
  compose: null,
  submit: null,
  scope: null,
  container: null,
  private: [],
  actors: [],
  expect: [],
};
