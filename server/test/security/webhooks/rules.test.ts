import { describe, expect, it } from 'vitest';
import { graphql, startTestServer } from '../../helpers.js';
import { serverForSuite } from '../../suite-server.js';
import { CREATE, cpuRule, RULES, UPDATE } from './cases.js';

const PRIVATE_URLS = [
  'http://127.0.0.1:1/x',
  'http://[::1]/',
  'http://10.0.0.1/',
  'http://169.254.169.254/latest/meta-data',
  'http://192.168.1.1/',
  'http://[::ffff:127.0.0.1]/',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://localhost:8080/',
  'http://hooks.localhost/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'https://224.0.0.1/',
];

describe('creating a rule with a private webhook address, by default', () => {
  const srv = serverForSuite();

  it.each(PRIVATE_URLS)('refuses %s as BAD_USER_INPUT naming input.webhookUrl', async (webhookUrl) => {
    const res = await graphql(srv.url, CREATE, { input: cpuRule({ webhookUrl }) });
    expect(res.status).toBe(400);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.webhookUrl',
    });
    expect(res.body.errors?.[0]?.message).toContain('WEBHOOK_ALLOW_PRIVATE=true');
  });

  it('stored none of them', async () => {
    const rules = await graphql(srv.url, RULES);
    expect(rules.body).toEqual({ data: { alertRules: [] } });
  });
});

describe('updating a rule to a private webhook address, by default', () => {
  it('accepts a public https URL and refuses each private one, keeping the rule as it was', async () => {
    const srv = await startTestServer();
    try {
      const created = await graphql(srv.url, CREATE, {
        input: cpuRule({ webhookUrl: 'https://hooks.example.com/x' }),
      });
      expect(created.body.errors).toBeUndefined();
      const rule = created.body.data.createAlertRule;
      expect(rule.webhookUrl).toBe('https://hooks.example.com/x');
      for (const webhookUrl of PRIVATE_URLS) {
        const res = await graphql(srv.url, UPDATE, { id: rule.id, input: cpuRule({ webhookUrl }) });
        expect({ webhookUrl, extensions: res.body.errors?.[0]?.extensions }).toMatchObject({
          webhookUrl,
          extensions: { code: 'BAD_USER_INPUT', field: 'input.webhookUrl' },
        });
      }
      const rules = await graphql(srv.url, RULES);
      expect(rules.body.data.alertRules).toEqual([
        { id: rule.id, webhookUrl: 'https://hooks.example.com/x' },
      ]);
    } finally {
      await srv.stop();
    }
  });
});

describe('WEBHOOK_ALLOW_PRIVATE=true', () => {
  it('accepts private webhook addresses', async () => {
    const srv = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      for (const webhookUrl of ['http://127.0.0.1:1/x', 'http://localhost:8080/', 'http://[::1]/']) {
        const res = await graphql(srv.url, CREATE, { input: cpuRule({ webhookUrl }) });
        expect(res.body).toMatchObject({ data: { createAlertRule: { webhookUrl } } });
      }
    } finally {
      await srv.stop();
    }
  });
});
