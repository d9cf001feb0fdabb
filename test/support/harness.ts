// Test harness: a full app (all capabilities, real storage) on a given driver, driven with app.inject().
// Logs are captured in memory so tests can assert what was (and was not) logged.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/index.js';
import { memoryKeyring } from '../../src/crypto/index.js';
import { createMemoryBlobStore } from '../../src/storage/index.js';
import { buildApp } from '../../src/http/app.js';
import { createPlatformKey, createStaff, totpCode } from '../../src/identity/index.js';
import { createLogger, openServices } from '../../src/server.js';
import type { Db } from '../../src/storage/index.js';
import type { Bus } from '../../src/events/index.js';

export interface Harness {
  app: FastifyInstance;
  db: Db;
  apiKey: string;
  logs: string[];
  services: Awaited<ReturnType<typeof openServices>>;
  user(id: string, birthYear?: number, region?: string): Promise<string>;
  token(userId: string, deviceId?: string): Promise<string>;
  relate(a: string, b: string, kind: 'mutual' | 'follows' | 'none'): Promise<void>;
  /** Creates a staff account, signs it in, and returns a caller with its session cookie. */
  staff(username: string, roles: string[]): Promise<{ staffId: string; cookie: string; call: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<{ status: number; body: any }> }>;
  as(token: string): (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function makeHarness(db: Db, overrides: Partial<Config> = {}, opts: { bus?: Bus } = {}): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const config = loadConfig({ LOG_LEVEL: 'debug' }, { dataDir: '/nonexistent', sendBatchMaxWaitMs: 1, ...overrides });
  const log = createLogger(config, sink);
  const services = await openServices(config, { db, keyring: memoryKeyring(), log, blobs: createMemoryBlobStore(), bus: opts.bus });
  const app = await buildApp(services);
  const { apiKey } = await createPlatformKey(db, 'test');
  const call = (auth: string) => async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${auth}` }, ...(body !== undefined ? { payload: body as object } : {}) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
  };
  const platform = call(apiKey);
  return {
    app,
    db,
    apiKey,
    logs,
    services,
    async user(id, birthYear = 1990, region) {
      const r = await platform('PUT', `/v1/platform/users/${id}`, { displayName: id, birthYear, ...(region ? { region } : {}) });
      if (r.status !== 200) throw new Error(`user ${id}: ${JSON.stringify(r.body)}`);
      return id;
    },
    async token(userId, deviceId = 'phone') {
      const r = await platform('POST', `/v1/platform/users/${userId}/tokens`, { deviceId });
      if (r.status !== 200) throw new Error(`token ${userId}: ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async relate(a, b, kind) {
      const r = await platform('PUT', '/v1/platform/relationships', { a, b, kind });
      if (r.status !== 200) throw new Error(`relate: ${JSON.stringify(r.body)}`);
    },
    async staff(username, roles) {
      const made = await createStaff(db, services.keyring, { username, roles });
      const login = await app.inject({ method: 'POST', url: '/staff/v1/login', payload: { username, password: made.password, totp: totpCode(made.totpSecret) } });
      if (login.statusCode !== 200) throw new Error(`login ${username}: ${login.body}`);
      const cookie = String(login.headers['set-cookie']).split(';')[0];
      return {
        staffId: made.staff.staffId,
        cookie,
        async call(method, url, body) {
          const res = await app.inject({ method, url, headers: { cookie }, ...(body !== undefined ? { payload: body as object } : {}) });
          return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
        },
      };
    },
    as: call,
    async close() {
      await services.messaging.idle();
      await services.safety.close();
      await app.close();
    },
  };
}

export const thisYear = new Date().getUTCFullYear();
/** A birth year whose youngest possible age is `age`. */
export function bornForAge(age: number): number {
  return thisYear - age - 1;
}
