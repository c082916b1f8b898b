/**
 * Produces stored credentials for consumers: `npm run hash-credential -- password` (reads the
 * password from stdin, prints a `basic-auth.passwordHash`) or `-- key` (prints a `key-auth.keyHash`).
 */
import { hashKey, hashPassword } from './credentials';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (kind !== 'password' && kind !== 'key') {
    process.stderr.write('usage: npm run hash-credential -- password|key   (the secret is read from stdin)\n');
    process.exitCode = 2;
    return;
  }
  if (process.stdin.isTTY) process.stderr.write(`type the ${kind}, then Enter and Ctrl-D:\n`);
  const secret = await readStdin();
  if (!secret) {
    process.stderr.write(`the ${kind} is empty; give it on stdin.\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write((kind === 'key' ? hashKey(secret) : await hashPassword(secret)) + '\n');
}

void main();
