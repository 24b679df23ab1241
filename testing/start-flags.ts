import root from '../package.json' with { type: 'json' };

/**
 * The Node.js flags `npm start` runs the server with: those of `node <flags> scripts/launch.mjs`, package.json's
 * `start` script. The bench starts every server process with them, and a test holds the Dockerfile's `CMD` to them.
 */
export const START_FLAGS: readonly string[] = (() => {
  const words = root.scripts.start.split(/\s+/);
  return words.slice(1, words.indexOf('scripts/launch.mjs')).filter((word) => word.startsWith('--'));
})();
