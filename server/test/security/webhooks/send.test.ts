import { describe, expect, it } from 'vitest';
import { PrivateAddressError, type ResolveHost, sendWebhook } from '../../../src/alerts/webhook.js';
import { closeReceiversAfterEach, startReceiver } from './cases.js';

closeReceiversAfterEach();

/** A resolver stub that records the names asked and answers `addresses` for each. */
function stubLookup(addresses: { address: string; family: number }[]) {
  const asked: string[] = [];
  const lookup: ResolveHost = async (hostname) => {
    asked.push(hostname);
    return addresses;
  };
  return { asked, lookup };
}

const timeout = () => AbortSignal.timeout(10_000);

describe('sendWebhook, on the address it connects to', () => {
  it('refuses a name that resolves to loopback when sent, without connecting', async () => {
    const receiver = await startReceiver();
    const { asked, lookup } = stubLookup([{ address: '127.0.0.1', family: 4 }]);
    const sent = sendWebhook(`http://hooks.example.com:${receiver.port}/x`, '{}', {
      signal: timeout(),
      lookup,
    });
    await expect(sent).rejects.toBeInstanceOf(PrivateAddressError);
    await expect(sent).rejects.toMatchObject({ hostname: 'hooks.example.com', address: '127.0.0.1' });
    expect(asked).toEqual(['hooks.example.com']);
    expect(receiver.connections).toBe(0);
  });

  it('connects to the address the lookup gave when private addresses are allowed', async () => {
    // The same stub and receiver as above: the refusal is what kept the request away.
    const receiver = await startReceiver();
    const { lookup } = stubLookup([{ address: '127.0.0.1', family: 4 }]);
    const status = await sendWebhook(`http://hooks.example.com:${receiver.port}/x`, '{"state":"FIRING"}', {
      signal: timeout(),
      lookup,
      allowPrivate: true,
    });
    expect(status).toBe(204);
    expect(receiver.received).toMatchObject([
      {
        path: '/x',
        body: '{"state":"FIRING"}',
        headers: { 'content-type': 'application/json', 'user-agent': 'metrics-collector' },
      },
    ]);
  });

  it.each([
    [[{ address: '::ffff:127.0.0.1', family: 6 }], '::ffff:127.0.0.1'],
    [
      [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
      '10.0.0.7',
    ],
    [[{ address: '::1', family: 6 }], '::1'],
  ])('refuses a name that resolves to %j', async (addresses, address) => {
    const receiver = await startReceiver();
    const { lookup } = stubLookup(addresses);
    const sent = sendWebhook(`http://hooks.example.com:${receiver.port}/x`, '{}', {
      signal: timeout(),
      lookup,
    });
    await expect(sent).rejects.toMatchObject({ name: 'PrivateAddressError', address });
    expect(receiver.connections).toBe(0);
  });

  it.each([
    (port: number) => `http://127.0.0.1:${port}/x`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/x`,
    (port: number) => `http://2130706433:${port}/x`,
    (port: number) => `http://localhost:${port}/x`,
  ])('refuses the literal host of %s before connecting', async (urlFor) => {
    const receiver = await startReceiver();
    const { asked, lookup } = stubLookup([{ address: '93.184.215.14', family: 4 }]);
    await expect(
      sendWebhook(urlFor(receiver.port), '{}', { signal: timeout(), lookup }),
    ).rejects.toBeInstanceOf(PrivateAddressError);
    expect(asked).toEqual([]);
    expect(receiver.connections).toBe(0);
  });

  it('does not follow a redirect', async () => {
    const target = await startReceiver();
    const redirecting = await startReceiver((res) =>
      res.writeHead(302, { location: `${target.url}/internal` }).end(),
    );
    const status = await sendWebhook(`${redirecting.url}/hook`, '{}', {
      signal: timeout(),
      allowPrivate: true,
    });
    expect(status).toBe(302);
    expect(redirecting.received).toHaveLength(1);
    expect(target.connections).toBe(0);
  });
});
