import { httpJson, waitFor } from '@finance/shared/testing';
import { startRecordingUpstream, startTestGateway, type RecordingUpstream } from './upstreams';

/**
 * SIGTERM's drain at the edge (what a rolling restart of the gateway relies on behind a balancer
 * without a preStop hook): readiness red first, the listener still serving for
 * SHUTDOWN_DRAIN_DELAY_MS, then closed.
 */
describe('gateway shutdown', () => {
  let auth: RecordingUpstream;

  beforeAll(async () => {
    auth = await startRecordingUpstream('auth');
  });
  afterAll(async () => {
    await auth.close();
  });

  it('turns /readyz red while it still answers for SHUTDOWN_DRAIN_DELAY_MS, then stops listening', async () => {
    const gateway = await startTestGateway({
      AUTH_URL: auth.url,
      JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      SHUTDOWN_DRAIN_DELAY_MS: '1500',
    });
    expect((await httpJson('GET', `${gateway.url}/healthz`)).status).toBe(200);
    let stopped = false;
    const stopping = gateway.stop().then(() => (stopped = true));
    const readyz = await waitFor(
      async () => {
        const res = await httpJson('GET', `${gateway.url}/readyz`);
        return res.status === 503 ? res : undefined;
      },
      { description: 'readiness red' },
    );
    expect(readyz.body.status).toBe('draining');
    // Still listening: a balancer's last requests are answered.
    expect((await httpJson('GET', `${gateway.url}/healthz`)).status).toBe(200);
    expect(stopped).toBe(false);
    await stopping;
    await expect(httpJson('GET', `${gateway.url}/healthz`)).rejects.toThrow();
  });
});
