import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../helpers/server-process.js';
import { startProduction, TOKEN, tryLive } from './security-helpers.js';

// Issue 19, row 1: the WebSocket at <prefix>/live in production.
describe('row 1: live updates in production without a token', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction({ token: undefined }, { PERFORMANCE_MONITORING_INTERVAL: '1000' });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('does not open the WebSocket with no token or any token, and sends no frame', async () => {
    for (const token of [undefined, 'guessed-token', TOKEN]) {
      const attempt = await tryLive(server.url, { ...(token === undefined ? {} : { token }), listenMs: 1200 });
      expect(attempt.opened, `token ${String(token)}`).toBe(false);
      expect(attempt.frames).toEqual([]);
    }
  });

  it('tells the page that live updates are off', async () => {
    const page = await (await fetch(`${server.url}/api/performance/enhanced/`)).text();
    expect(page).toContain('"livePath":null');
  });
});

describe('row 1: live updates in production with a token', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startProduction({ token: TOKEN }, { PERFORMANCE_MONITORING_INTERVAL: '1000' });
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('refuses an upgrade without the token or with a wrong one (401)', async () => {
    expect(await tryLive(server.url)).toMatchObject({ opened: false, status: 401, frames: [] });
    expect(await tryLive(server.url, { token: 'wrong' })).toMatchObject({ opened: false, status: 401, frames: [] });
    expect(await tryLive(server.url, { headers: { authorization: 'Bearer wrong' } })).toMatchObject({ opened: false, status: 401 });
  });

  it('120 anonymous clients do not use up the 100-client cap: the token holder still gets frames', async () => {
    const anonymous = await Promise.all(Array.from({ length: 120 }, () => tryLive(server.url, { listenMs: 100 })));
    expect(anonymous.filter((attempt) => attempt.opened)).toHaveLength(0);
    expect(new Set(anonymous.map((attempt) => attempt.status))).toEqual(new Set([401]));
    const viewer = await tryLive(server.url, { token: TOKEN, listenMs: 2500 });
    expect(viewer.opened).toBe(true);
    expect(viewer.frames.some((frame) => frame.type === 'snapshot')).toBe(true);
  });

  it('accepts the token in the Authorization header too', async () => {
    const viewer = await tryLive(server.url, { headers: { authorization: `Bearer ${TOKEN}` }, listenMs: 1500 });
    expect(viewer.opened).toBe(true);
  });
});
