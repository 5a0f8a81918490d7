// Postwarden's content script entry. Content scripts declared to the browser are classic scripts;
// this one loads the ES modules (listed in web_accessible_resources) and starts them. It runs only
// on the sites the admin listed (the worker registers it for those match patterns).
(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  try {
    const main = await import(api.runtime.getURL('content/main.js'));
    await main.start(api);
  } catch (e) {
    console.error('Postwarden: the content script could not start', e);
  }
})();
