import { loadSettings } from '../../../gateway/src/settings';
import { GatehouseError } from '../../../gateway/src/core/errors';

describe('loadSettings', () => {
  it('fills every default when nothing is set', () => {
    const s = loadSettings({}, {});
    expect(s).toMatchObject({ role: 'standalone', proxyPort: 8080, adminHost: '127.0.0.1', adminPort: 9180, statusPort: 9190, workers: 1 });
  });

  it('lets environment variables win over the file', () => {
    const s = loadSettings({ proxyPort: 8000, accessLog: true }, { GATEHOUSE_PROXY_PORT: '8001', GATEHOUSE_ACCESS_LOG: 'false' });
    expect(s.proxyPort).toBe(8001);
    expect(s.accessLog).toBe(false);
  });

  it('names the setting, its variable and the fix', () => {
    let error: GatehouseError | undefined;
    try {
      loadSettings({ colour: 'red' }, { GATEHOUSE_PROXY_PORT: 'eighty', GATEHOUSE_ROLE: 'proxy' });
    } catch (e) {
      error = e as GatehouseError;
    }
    expect(error?.code).toBe('GW_ERR_SETTINGS_INVALID');
    expect(error?.problems).toEqual(
      expect.arrayContaining([
        { path: '/settings/proxyPort', message: 'GATEHOUSE_PROXY_PORT="eighty" is not a whole number.', fix: 'set GATEHOUSE_PROXY_PORT to a whole number, e.g. 8080.' },
        { path: '/settings', message: 'must NOT have additional properties.', fix: 'remove "colour" or check its spelling.' },
        {
          path: '/settings/role',
          message: 'must be one of ["standalone","data-plane","control-plane"] (setting role, env GATEHOUSE_ROLE).',
          fix: 'use one of ["standalone","data-plane","control-plane"].',
        },
      ]),
    );
  });

  it('reads a fractional setting (the tracing sample ratio) from the environment, and refuses one out of range or not a number', () => {
    expect(loadSettings({}, { GATEHOUSE_TRACING_SAMPLE_RATIO: '0.25' }).tracingSampleRatio).toBe(0.25);
    expect(loadSettings({}, {}).tracingSampleRatio).toBe(0.1);
    const bad = (raw: string) => {
      try {
        loadSettings({}, { GATEHOUSE_TRACING_SAMPLE_RATIO: raw });
      } catch (err) {
        return (err as GatehouseError).problems[0]!.message;
      }
      return 'accepted';
    };
    expect(bad('a tenth')).toBe('GATEHOUSE_TRACING_SAMPLE_RATIO="a tenth" is not a number.');
    expect(bad('1.5')).not.toBe('accepted');
  });

  it('the reader role needs its name and its password together, and a password that cannot be weak or leak into an error', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadSettings({}, env);
      } catch (err) {
        return (err as GatehouseError).problems;
      }
      return [];
    };
    expect(problems({ GATEHOUSE_DATABASE_READER_USER: 'gatehouse_reader' })).toEqual([
      {
        path: '/settings/databaseReaderPassword',
        message: 'the data planes\' read-only role needs both its name and its password; only one is set.',
        fix: 'set both databaseReaderUser (GATEHOUSE_DATABASE_READER_USER) and databaseReaderPassword (GATEHOUSE_DATABASE_READER_PASSWORD), or neither.',
      },
    ]);
    const short = problems({ GATEHOUSE_DATABASE_READER_USER: 'gatehouse_reader', GATEHOUSE_DATABASE_READER_PASSWORD: 'tooshort' });
    expect(short.map((p) => p.path)).toEqual(['/settings/databaseReaderPassword']);
    expect(JSON.stringify(short)).not.toContain('tooshort');
    expect(problems({ GATEHOUSE_DATABASE_READER_USER: 'Robert"; DROP', GATEHOUSE_DATABASE_READER_PASSWORD: 'a-long-enough-password' }).map((p) => p.path)).toEqual(['/settings/databaseReaderUser']);
    expect(loadSettings({}, { GATEHOUSE_DATABASE_READER_USER: 'gatehouse_reader', GATEHOUSE_DATABASE_READER_PASSWORD: 'a-long-enough-password' }).databaseReaderUser).toBe('gatehouse_reader');
  });
});
