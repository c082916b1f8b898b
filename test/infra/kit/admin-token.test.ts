import { Match, Template } from 'aws-cdk-lib/assertions';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { AdminToken } from '../../../infra/lib';
import { testStack } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require(path.join(__dirname, '..', '..', '..', 'infra', 'lambda', 'admin-token', 'index.js')) as {
  onEvent(event: unknown): Promise<{ PhysicalResourceId: string; NoEcho?: boolean; Data?: { Token: string; Entry: string } }>;
};

describe('AdminToken', () => {
  let t: Template;

  beforeAll(() => {
    const s = testStack();
    new AdminToken(s, 'AdminToken', { secretName: 'Gatehouse/admin-token' });
    t = Template.fromStack(s);
  });

  test('the handler makes a gh_ token and its admin:<sha256> entry, hidden from CloudFormation output', async () => {
    const out = await handler.onEvent({ RequestType: 'Create', ResourceProperties: {} });
    expect(out.PhysicalResourceId).toBe('gatehouse-admin-token');
    expect(out.NoEcho).toBe(true);
    expect(out.Data!.Token).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(out.Data!.Entry).toBe(`admin:${createHash('sha256').update(out.Data!.Token).digest('hex')}`);
    const again = await handler.onEvent({ RequestType: 'Create', ResourceProperties: {} });
    expect(again.Data!.Token).not.toBe(out.Data!.Token);
  });

  test('delete keeps nothing to undo; a wrong role is refused', async () => {
    await expect(handler.onEvent({ RequestType: 'Delete', PhysicalResourceId: 'gatehouse-admin-token', ResourceProperties: {} })).resolves.toEqual({
      PhysicalResourceId: 'gatehouse-admin-token',
    });
    await expect(handler.onEvent({ RequestType: 'Create', ResourceProperties: { Role: 'root' } })).rejects.toThrow('Role must be "admin" or "viewer", got "root".');
  });

  test('the secret holds the token and the entry from the custom resource (never in the template)', () => {
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'Gatehouse/admin-token',
      SecretString: {
        'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^AdminToken'), 'Token'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('^AdminToken'), 'Entry'] }])],
      },
    });
    t.resourceCountIs('Custom::GatehouseAdminToken', 1);
    const [, made] = Object.entries(t.findResources('Custom::GatehouseAdminToken'))[0];
    expect(Object.keys((made as { Properties: object }).Properties)).toEqual(['ServiceToken']);
  });
});
