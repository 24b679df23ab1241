import type { ClientSighting } from '@metrics-collector/schema/clients/types';
import { expect, it } from 'vitest';
import { describeStateContract } from './contract.js';

const sighting = (overrides: Partial<ClientSighting> = {}): ClientSighting => ({
  id: 'a',
  hostname: 'a.example',
  osType: 'Linux',
  osVersion: '6.1',
  coreCount: 4,
  seenAt: 1_000,
  ...overrides,
});

describeStateContract((ctx) => {
  it('pages the registry by id: first, after, the last page short, new clients in their place', async () => {
    const { state } = ctx.open();
    for (const id of ['c', 'a', 'e', 'b', 'd']) await state.recordSighting(sighting({ id }));
    const ids = async (first: number, after: string | null) =>
      (await state.listClients({ first, after })).map((c) => c.id);
    expect(await ids(2, null)).toEqual(['a', 'b']);
    expect(await ids(2, 'b')).toEqual(['c', 'd']);
    expect(await ids(2, 'd')).toEqual(['e']);
    expect(await ids(2, 'e')).toEqual([]);
    // `after` need not be a registered id: the page starts at the next id in order.
    expect(await ids(10, 'bb')).toEqual(['c', 'd', 'e']);
    await state.recordSighting(sighting({ id: 'cc' }));
    expect(await ids(2, 'c')).toEqual(['cc', 'd']);
    // Code-point order, whatever a database's locale says: upper case before lower case.
    await state.recordSighting(sighting({ id: 'Z' }));
    expect(await ids(2, null)).toEqual(['Z', 'a']);
    expect(await state.countClients()).toBe(7);
  });

  it('forgets a client: gone from every read and after a restart, registered anew by its next sighting', async () => {
    const { state, close } = ctx.open();
    for (const id of ['a', 'b', 'c']) await state.recordSighting(sighting({ id }));
    // A lastSeen advance perhaps still in memory must not bring it back when it is written.
    await state.recordSighting(sighting({ id: 'b', seenAt: 2_000 }));
    expect(await state.forgetClient('b')).toMatchObject({ id: 'b', firstSeen: 1_000, lastSeen: 2_000 });
    expect(await state.forgetClient('b')).toBeNull();
    expect(await state.forgetClient('nobody')).toBeNull();
    expect(await state.getClient('b')).toBeNull();
    expect((await state.listClients({ first: 10, after: null })).map((c) => c.id)).toEqual(['a', 'c']);
    expect(await state.countClients()).toBe(2);
    await close();
    const reopened = ctx.open().state;
    expect(await reopened.getClient('b')).toBeNull();
    expect(await reopened.countClients()).toBe(2);
    await reopened.recordSighting(sighting({ id: 'b', seenAt: 7_000 }));
    expect(await reopened.getClient('b')).toMatchObject({ firstSeen: 7_000, lastSeen: 7_000 });
  });

  it('forgets a client whose first sighting is still being committed: it is not registered after all', async () => {
    const { state } = ctx.open();
    const recorded = state.recordSighting(sighting({ id: 'racing' }));
    const forgotten = state.forgetClient('racing');
    await recorded;
    expect(await forgotten).toMatchObject({ id: 'racing' });
    expect(await state.getClient('racing')).toBeNull();
  });

  it('registers a client on first sight and keeps first and last seen as the extremes', async () => {
    const { state } = ctx.open();
    await state.recordSighting(sighting({ seenAt: 5_000 }));
    await state.recordSighting(sighting({ seenAt: 9_000, hostname: null }));
    await state.recordSighting(sighting({ seenAt: 2_000 }));
    expect(await state.getClient('a')).toEqual({
      id: 'a',
      hostname: 'a.example',
      osType: 'Linux',
      osVersion: '6.1',
      coreCount: 4,
      firstSeen: 2_000,
      lastSeen: 9_000,
    });
    expect(await state.getClient('b')).toBeNull();
  });

  it("keeps the newest window's host details: an older sighting does not change them, a newer one does", async () => {
    const { state } = ctx.open();
    await state.recordSighting(sighting({ seenAt: 5_000, hostname: 'new', osVersion: '6.8', coreCount: 8 }));
    // A backlog window from before an outage, sent after the newer one.
    await state.recordSighting(sighting({ seenAt: 3_000, hostname: 'old', osVersion: '6.1', coreCount: 4 }));
    expect(await state.getClient('a')).toMatchObject({
      hostname: 'new',
      osVersion: '6.8',
      coreCount: 8,
      firstSeen: 3_000,
      lastSeen: 5_000,
    });
    await state.recordSighting(sighting({ seenAt: 6_000, hostname: 'newer', osVersion: '6.9' }));
    expect(await state.getClient('a')).toMatchObject({
      hostname: 'newer',
      osVersion: '6.9',
      coreCount: 4,
      firstSeen: 3_000,
      lastSeen: 6_000,
    });
  });

  it('lets an older sighting fill details that are still unknown, and only those', async () => {
    const { state } = ctx.open();
    await state.recordSighting(
      sighting({ seenAt: 5_000, hostname: 'new', osType: null, osVersion: null, coreCount: null }),
    );
    await state.recordSighting(sighting({ seenAt: 3_000, hostname: 'old', osVersion: '6.1', coreCount: 4 }));
    expect(await state.getClient('a')).toMatchObject({
      hostname: 'new',
      osType: 'Linux',
      osVersion: '6.1',
      coreCount: 4,
      firstSeen: 3_000,
      lastSeen: 5_000,
    });
  });

  it("keeps the newest window's details across a close and reopen", async () => {
    const first = ctx.open();
    await first.state.recordSighting(sighting({ seenAt: 5_000, hostname: 'new' }));
    await first.close();
    const reopened = ctx.open();
    await reopened.state.recordSighting(sighting({ seenAt: 3_000, hostname: 'old', osVersion: '5.4' }));
    expect(await reopened.state.getClient('a')).toMatchObject({
      hostname: 'new',
      osVersion: '6.1',
      firstSeen: 3_000,
    });
    await reopened.close();
    expect(await ctx.open().state.getClient('a')).toMatchObject({
      hostname: 'new',
      osVersion: '6.1',
      firstSeen: 3_000,
      lastSeen: 5_000,
    });
  });

  it('keeps the earliest first sighting when two first reports race', async () => {
    const first = ctx.open();
    await Promise.all([
      first.state.recordSighting(sighting({ seenAt: 20_000 })),
      first.state.recordSighting(sighting({ seenAt: 10_000 })),
    ]);
    await first.close();
    expect(await ctx.open().state.getClient('a')).toMatchObject({ firstSeen: 10_000, lastSeen: 20_000 });
  });

  it("applies many concurrent sightings of a few clients as if one by one: extremes, the newest's details", async () => {
    const { state } = ctx.open();
    // Windows out of order, several of a client in one turn of the event loop.
    const seen = Array.from({ length: 120 }, (_, i) => ({
      id: `c${i % 5}`,
      seenAt: ((i * 37) % 120) * 1_000,
    }));
    await Promise.all(seen.map((s) => state.recordSighting(sighting({ ...s, hostname: `h${s.seenAt}` }))));
    for (let c = 0; c < 5; c += 1) {
      const mine = seen.filter((s) => s.id === `c${c}`).map((s) => s.seenAt);
      const newest = Math.max(...mine);
      expect(await state.getClient(`c${c}`)).toMatchObject({
        hostname: `h${newest}`,
        firstSeen: Math.min(...mine),
        lastSeen: newest,
      });
    }
  });

  if (ctx.shared) {
    it('shows a client registered through one replica to another at once', async () => {
      const [a, b] = [ctx.open(), ctx.open()];
      await a.state.recordSighting(sighting({ id: 'x', seenAt: 7_000 }));
      expect(await b.state.getClient('x')).toMatchObject({ lastSeen: 7_000 });
      expect((await b.state.listClients({ first: 10, after: null })).map((c) => c.id)).toEqual(['x']);
      expect(await b.state.countClients()).toBe(1);
    });

    it('writes a lastSeen that alone moved later (seen at once by its replica) and on close', async () => {
      const [a, b] = [ctx.open(), ctx.open()];
      await a.state.recordSighting(sighting({ seenAt: 1_000 }));
      await a.state.recordSighting(sighting({ seenAt: 7_000, hostname: null }));
      expect(await a.state.getClient('a')).toMatchObject({ hostname: 'a.example', lastSeen: 7_000 });
      expect((await a.state.listClients({ first: 1, after: null }))[0]?.lastSeen).toBe(7_000);
      await a.close();
      expect(await b.state.getClient('a')).toMatchObject({ hostname: 'a.example', lastSeen: 7_000 });
    });

    it("keeps the newest window's details when two replicas record one client at once", async () => {
      const [a, b] = [ctx.open(), ctx.open()];
      // Each replica sends half the windows, newest and oldest interleaved, all at once.
      const windows = Array.from({ length: 60 }, (_, i) => ((i * 17) % 60) * 1_000 + 1_000);
      await Promise.all(
        windows.map((seenAt, i) =>
          (i % 2 === 0 ? a : b).state.recordSighting(
            sighting({ id: 'raced', seenAt, hostname: `h${seenAt}`, coreCount: i % 3 === 0 ? null : seenAt }),
          ),
        ),
      );
      const newest = Math.max(...windows);
      const newestCores = Math.max(...windows.filter((_, i) => i % 3 !== 0));
      const expected = {
        hostname: `h${newest}`,
        coreCount: windows.indexOf(newest) % 3 === 0 ? newestCores : newest,
        firstSeen: Math.min(...windows),
        lastSeen: newest,
      };
      expect(await a.state.getClient('raced')).toMatchObject(expected);
      expect(await b.state.getClient('raced')).toMatchObject(expected);
    });
  }
});
