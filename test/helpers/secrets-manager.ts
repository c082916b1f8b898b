/**
 * A local HTTP fake of the AWS Secrets Manager API (JSON 1.1 protocol, `X-Amz-Target:
 * secretsmanager.GetSecretValue`) on 127.0.0.1 port 0, for the real @aws-sdk/client-secrets-manager
 * with an endpoint override and static credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** SecretString by secret id; change it to rotate a secret. */
  readonly secrets: Map<string, string>;
  /** Secret ids asked for, in order. */
  readonly requests: string[];
  /** While true, every call answers 503 ServiceUnavailableException. */
  unavailable: boolean;
  /** A client as the gateway builds one, pointed at this fake. */
  client(): SecretsManagerClient;
  close(): Promise<void>;
}

export async function startFakeSecretsManager(secrets: Record<string, string> = {}): Promise<FakeSecretsManager> {
  const fake = { secrets: new Map(Object.entries(secrets)), requests: [] as string[], unavailable: false } as FakeSecretsManager & { endpoint: string };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const answer = (status: number, payload: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') return answer(400, { __type: 'UnknownOperationException', message: 'only GetSecretValue is faked' });
      const id = String((JSON.parse(body || '{}') as { SecretId?: unknown }).SecretId);
      fake.requests.push(id);
      if (fake.unavailable) return answer(503, { __type: 'ServiceUnavailableException', message: 'Secrets Manager is unavailable (fake).' });
      const value = fake.secrets.get(id);
      if (value === undefined) return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      answer(200, { ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`, Name: id, SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.client = () => new SecretsManagerClient({ region: 'us-east-1', endpoint: fake.endpoint, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret-access-key' }, maxAttempts: 2 });
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
