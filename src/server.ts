/**
 * server: the composition root. Opens storage, the keyring and the bus, runs migrations, wires capabilities
 * together and starts the HTTP(S) listener with the WebSocket gateway. Nothing else constructs services.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from './config/index.js';
import { openLocalKeyring, type Keyring } from './crypto/index.js';
import { createInProcessBus, createOutboxRelay, eventsMigrations, type Bus } from './events/index.js';
import { buildApp } from './http/app.js';
import type { AppServices } from './http/services.js';
import { createGateway } from './http/ws.js';
import { ensureFirstPlatformKey, getRelationship, getUsers, identityMigrations } from './identity/index.js';
import { createMessaging, messagingMigrations, type Messaging } from './messaging/index.js';
import { createSafety, safetyMigrations } from './safety/index.js';
import { accessMigrations, createAccess } from './access/index.js';
import { auditMigrations, generateNoteKey, openAuditLog, pseudonymize, verifierKeyFromSignerKey } from './audit/index.js';
import { reviewMigrations } from './review/index.js';
import { createFileBlobStore, openDb, runMigrations, type BlobStore, type Db } from './storage/index.js';

export const allMigrations = [
  ...eventsMigrations, ...identityMigrations, ...messagingMigrations, ...safetyMigrations, ...auditMigrations, ...accessMigrations, ...reviewMigrations,
];

export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    // Defence in depth: these paths never hold content in our own log calls, and are censored if a library adds them.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'body', 'text', 'token', 'apiKey'], censor: '[redacted]' },
    serializers: {
      // Only the class and code of an error: a message can echo input.
      err: (e: { name?: string; code?: string }) => ({ name: e?.name, code: e?.code }),
    },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

export async function openServices(config: Config, opts: { log?: Logger; db?: Db; keyring?: Keyring; blobs?: BlobStore; bus?: Bus } = {}): Promise<AppServices & { close(): Promise<void> }> {
  const log = opts.log ?? createLogger(config);
  const db =
    opts.db ??
    (config.databaseUrl
      ? await openDb({ driver: 'postgres', url: config.databaseUrl })
      : await openDb({ driver: 'pglite', dataDir: join(config.dataDir, 'pglite') }));
  await runMigrations(db, allMigrations);
  const keyring = opts.keyring ?? openLocalKeyring(join(config.dataDir, 'keyring.json'));
  const bus = opts.bus ?? createInProcessBus();
  const relay = createOutboxRelay(db, bus, (err) => log.error({ err }, 'outbox publish failed'));
  const drained = await relay.drain();
  if (drained > 0) log.info({ events: drained }, 'published events left from an earlier run');
  // The log's signing key lives in the keyring like every other secret; its verifier key is public.
  const signerKey = keyring.textSecret('log-signer-key', () => generateNoteKey(config.logOrigin).signerKey);
  const auditLog = await openAuditLog({ db, origin: config.logOrigin, signerKey });
  const logKey = keyring.secret('log-pseudonym-key');
  const audit = {
    log: auditLog,
    origin: config.logOrigin,
    verifierKey: verifierKeyFromSignerKey(signerKey),
    append: (event: Record<string, unknown>) => auditLog.appendEntry(event as never),
    pseudonym: (id: string) => pseudonymize(logKey, id),
  };
  const blobs = opts.blobs ?? createFileBlobStore(join(config.dataDir, 'blobs'));
  const safety = await createSafety({
    db, keyring, blobs, limits: { maxBytes: config.mediaMaxBytes, maxPixels: config.mediaMaxPixels }, logEvent: audit.append,
    describeParticipants: (conversationId) => describeParticipants(db, () => messaging, conversationId),
    onError: (err) => log.error({ err }, 'async safety stage failed'),
    onSkipped: (count) => log.warn({ count }, 'async safety backlog full: messages left unscored'),
    useWorker: process.env.CUSTODIAN_SAFETY_INLINE !== '1',
    asyncStage: { maxBacklog: config.safetyMaxBacklog, workerNice: config.safetyWorkerNice },
  });
  const messaging = createMessaging({ db, keyring, config, bus, relay, log: log.child({ component: 'messaging' }), safety, blobs });
  const access = await createAccess({ db, audit, reader: messaging.contentReader });
  return {
    config,
    db,
    keyring,
    bus,
    messaging,
    access,
    audit,
    safety,
    log,
    async close() {
      await messaging.idle();
      await safety.close();
      await auditLog.close();
      await bus.close();
      await db.close();
    },
  };
}

/** Facts the async safety stage needs about a conversation's people: age bands and, for two, their relationship. */
async function describeParticipants(db: Db, messaging: () => Messaging, conversationId: string) {
  const ids = await messaging().memberIds(conversationId);
  const users = await getUsers(db, ids);
  const ageBands = Object.fromEntries(users.map((u) => [u.userId, u.ageBand]));
  if (ids.length !== 2) return { ageBands };
  const rel = await getRelationship(db, ids[0], ids[1]);
  return { ageBands, relationship: rel.kind === 'mutual' ? ('mutual' as const) : rel.kind === 'follows' ? ('follows' as const) : ('none' as const) };
}

export interface RunningServer {
  url: string;
  services: AppServices;
  firstKeyPath: string | null;
  close(): Promise<void>;
}

export async function startServer(config: Config, opts: { log?: Logger; db?: Db; keyring?: Keyring } = {}): Promise<RunningServer> {
  const services = await openServices(config, opts);
  const https = config.tls ? { cert: readFileSync(config.tls.certPath), key: readFileSync(config.tls.keyPath) } : undefined;
  const app = await buildApp(services, { https });
  const gateway = createGateway(services);
  app.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/v1/ws') gateway.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  let firstKeyPath: string | null = null;
  const first = await ensureFirstPlatformKey(services.db);
  if (first) {
    firstKeyPath = join(config.dataDir, 'platform-key.txt');
    writeFileSync(firstKeyPath, `${first.apiKey}\n`, { mode: 0o600 });
  }
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return {
    url,
    services,
    firstKeyPath,
    async close() {
      await gateway.close();
      await app.close();
      await services.close();
    },
  };
}
