/**
 * The admin API over HTTP (undici): JSON in and out, the error answer turned into a CliError with
 * its code, message and problems. Every write carries an Idempotency-Key, so a retried request (the
 * CLI's or a proxy's) never writes twice.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { ErrorAnswer } from '../control-plane/contract';
import type { Connection } from './connection';
import { CliError } from './errors';

export interface Answer<T> {
  status: number;
  body: T;
  etag?: string;
}

export interface WriteOptions {
  ifMatch?: number;
  idempotencyKey?: string;
  message?: string;
  dryRun?: boolean;
  allowDrop?: boolean;
}

export class AdminClient {
  constructor(private readonly connection: Connection) {}

  get url(): string {
    return this.connection.url;
  }

  async get<T>(path: string): Promise<Answer<T>> {
    return this.send<T>('GET', path);
  }

  /** A write: sends `Idempotency-Key` (one per call unless given), the optional If-Match version and query flags. */
  async write<T>(method: 'PUT' | 'POST', path: string, body: unknown, options: WriteOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { 'idempotency-key': options.idempotencyKey ?? randomUUID() };
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    const query = new URLSearchParams();
    if (options.message !== undefined) query.set('message', options.message);
    if (options.dryRun) query.set('dryRun', 'true');
    if (options.allowDrop) query.set('allowDrop', 'true');
    const qs = query.toString();
    return this.send<T>(method, qs ? `${path}?${qs}` : path, body, headers);
  }

  /** A read-only POST (validate). */
  async post<T>(path: string, body: unknown): Promise<Answer<T>> {
    return this.send<T>('POST', path, body);
  }

  private async send<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer<T>> {
    let res;
    try {
      res = await request(`${this.connection.url}${path}`, {
        method: method as 'GET',
        headers: { authorization: `Bearer ${this.connection.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(`cannot reach the admin API at ${this.connection.url}: ${(err as Error).message}.`);
    }
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`the admin API at ${this.connection.url} answered ${res.statusCode} with a body that is not JSON; is --url the admin listener?`);
    }
    if (res.statusCode >= 400) {
      const e = parsed as Partial<ErrorAnswer> | undefined;
      throw new CliError(e?.error?.message ?? `the admin API answered ${res.statusCode}.`, e?.problems ?? [], e?.error?.code);
    }
    const etag = res.headers.etag;
    return { status: res.statusCode, body: parsed as T, etag: typeof etag === 'string' ? etag.replace(/^W\//, '').replace(/"/g, '') : undefined };
  }
}
