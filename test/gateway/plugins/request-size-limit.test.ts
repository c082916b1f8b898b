import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';

describe('request-size-limit', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('request-size-limit', { maxBytes: 1024 })).toEqual({ maxBytes: 1024 });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'request-size-limit': { maxBytes: '1k' } })).problems).toEqual([
      { path: '/routes/0/plugins/request-size-limit/maxBytes', message: 'must be integer.', fix: 'use a value of type integer.' },
    ]);
  });

  it('answers 413 for a declared Content-Length over the limit', async () => {
    const { chain, config } = chainFor(documentWith({ 'request-size-limit': { maxBytes: 10 } }));
    expect(await decide(chain, fakeContext(config, { method: 'POST', headers: { 'content-length': '11' } }))).toEqual({
      status: 413,
      error: 'GW_ERR_PAYLOAD_TOO_LARGE',
      headers: { connection: 'close' },
    });
  });

  it('sets the streaming cap the proxy enforces for chunked bodies (the lowest cap wins)', async () => {
    const { chain, config } = chainFor(documentWith({ 'request-size-limit': { maxBytes: 10 } }));
    const chunked = fakeContext(config, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    expect(await decide(chain, chunked)).toBeUndefined();
    expect(chunked.maxBodyBytes).toBe(10);
    const tighter = fakeContext(config, { method: 'POST' });
    tighter.maxBodyBytes = 5;
    await decide(chain, tighter);
    expect(tighter.maxBodyBytes).toBe(5);
  });
});
