/**
 * Stand-ins for servers a hook starts later: a test file declares `const srv = serverForSuite()` while
 * vitest collects it, and its tests use `srv` once `beforeAll` has started the real server.
 */
export function standIn<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, key) {
      // Not a promise: `await` and promise resolution look for `then` and must find none.
      if (key === 'then') return undefined;
      const target = current();
      if (!target) throw new Error(`${what} is not running (used outside its tests?)`);
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
