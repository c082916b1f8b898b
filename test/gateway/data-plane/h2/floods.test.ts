import { constants } from 'node:http2';
import { oneRoute, startGateway, startUpstream, until, type Gateway, type Upstream } from '../proxy/harness';
import { h2Request, h2Session } from './h2-client';
import { FLAG, FRAME, frame, getHeaderBlock, literalHeader, rawH2, rstStream } from './raw-frames';
import { loadSettings } from '../../../../gateway/src/settings';
import { clientLimits } from '../../../../gateway/src/roles/node';

describe('HTTP/2 flood defences (raw frames)', () => {
  let upstream: Upstream;
  let gw: Gateway;
  const h2 = { ...clientLimits(loadSettings({}, {})).h2, maxResetsPerWindow: 20, maxSettingsPerWindow: 10 };

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => void setTimeout(() => res.writeHead(200).end('late'), 200).unref());
    gw = await startGateway(oneRoute([upstream.port]), { limits: { h2 } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  const stillServes = async (): Promise<void> => {
    const session = await h2Session(gw.origin);
    expect((await h2Request(session, { ':method': 'GET', ':path': '/after' })).status).toBe(200);
    session.close();
  };

  it('rapid reset: a client that opens and cancels streams past the limit gets GOAWAY ENHANCE_YOUR_CALM', async () => {
    const raw = await rawH2(gw.port);
    for (let i = 0; i < 100; i++) {
      const id = 2 * i + 1;
      raw.send(Buffer.concat([frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, getHeaderBlock()), rstStream(id)]));
    }
    expect(await raw.closed()).toEqual({ goaway: constants.NGHTTP2_ENHANCE_YOUR_CALM });
    expect(gw.logs.lines.some((l) => l.msg === 'http2 flood: session closed' && l.kind === 'rapid-reset')).toBe(true);
    // The cancelled requests did not stay in flight.
    await until(async () => /gatehouse_requests_in_flight 0/.test(await gw.metrics.registry.metrics()), 'in-flight to return to 0');
    await stillServes();
  });

  it('a client that resets a few streams keeps its connection', async () => {
    const session = await h2Session(gw.origin);
    for (let i = 0; i < 5; i++) session.request({ ':method': 'GET', ':path': '/cancel' }).on('error', () => undefined).close(constants.NGHTTP2_CANCEL);
    expect((await h2Request(session, { ':method': 'GET', ':path': '/kept' })).status).toBe(200);
    expect(session.closed).toBe(false);
    session.close();
  });

  it('settings flood: SETTINGS frames past the limit get GOAWAY ENHANCE_YOUR_CALM', async () => {
    const raw = await rawH2(gw.port);
    for (let i = 0; i < 50; i++) raw.send(frame(FRAME.SETTINGS, 0, 0));
    expect(await raw.closed()).toEqual({ goaway: constants.NGHTTP2_ENHANCE_YOUR_CALM });
    await stillServes();
  });

  it('CONTINUATION flood: a header block that never ends is cut off (nghttp2 limits, node 20.12.1+)', async () => {
    const raw = await rawH2(gw.port);
    raw.send(frame(FRAME.HEADERS, 0, 1, getHeaderBlock()));
    let sent = 0;
    const block = Buffer.concat(Array.from({ length: 10 }, (_, i) => literalHeader(`x-flood-${i}`, 'a'.repeat(100))));
    for (; sent < 10_000 && raw.send(frame(FRAME.CONTINUATION, 0, 1, block)); sent++);
    const { goaway } = await raw.closed();
    expect(goaway).toBeDefined();
    expect(goaway).not.toBe(constants.NGHTTP2_NO_ERROR);
    await stillServes();
  });
});
