import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/** The secrets of the three tokens the auth tests configure, one a scope. */
export const SECRETS = {
  agent: 'agent-secret-0123456789',
  viewer: 'viewer-secret-0123456789',
  root: 'admin-secret-0123456789',
};
/** `agent` may ingest, `viewer` read, `root` administer. */
export const API_TOKENS = `agent:ingest:${SECRETS.agent},viewer:read:${SECRETS.viewer},root:admin:${SECRETS.root}`;

/** The problems `loadConfig` reports for `env`; fails when it accepts it. */
export function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}
