/**
 * config: typed configuration read once from the environment, validated at start.
 * Owns: every read of process.env. Exposes: loadConfig, Config, DmRules.
 * May import: nothing but node built-ins.
 * Never: print a secret value; let a bad value through to be discovered later.
 */
import { resolve } from 'node:path';

export type AgeBand = 'under13' | '13-15' | '16-17' | 'adult';
export type DmPolicy = 'everyone' | 'mutual' | 'none';

/**
 * DM rules are data so an operator can tighten them per jurisdiction. `maxInbound` caps what a user of that
 * band may choose in their own DM setting; `defaultInbound` is what they get until they choose.
 */
export interface DmRules {
  bands: Record<Exclude<AgeBand, 'under13'>, { defaultInbound: DmPolicy; maxInbound: DmPolicy }>;
  /** An adult may open a DM with a minor only when the two are mutual. */
  adultToMinorRequiresMutual: boolean;
  /** How many messages a non-mutual sender may send before the recipient accepts the request. */
  requestMessageAllowance: number;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  tls: { certPath: string; keyPath: string } | null;
  logLevel: string;
  bodyLimitBytes: number;
  tokenTtlSeconds: number;
  maxGroupMembers: number;
  maxTextChars: number;
  maxCombiningMarks: number;
  dmRules: DmRules;
  /** Group commit: a send batch closes after this many ms or this many messages, whichever comes first. */
  sendBatchMaxWaitMs: number;
  sendBatchMaxSize: number;
  /** How many send batches may be committing at once (PostgreSQL overlaps them; PGlite serializes anyway). */
  sendConcurrency: number;
  keyEpochMs: number;
  defaultRegion: string;
  rateLimitPerMinute: number;
  /** The verifiable log's origin line (checkpoint and key name). */
  logOrigin: string;
  mediaMaxBytes: number;
  mediaMaxPixels: number;
  /** Async safety stage: most messages waiting to be scored before further ones are skipped (and logged). */
  safetyMaxBacklog: number;
  /** Async safety stage: nice value of the scoring thread (0 = same priority as delivery). */
  safetyWorkerNice: number;
}

export const defaultDmRules: DmRules = {
  bands: {
    '13-15': { defaultInbound: 'mutual', maxInbound: 'mutual' },
    '16-17': { defaultInbound: 'mutual', maxInbound: 'everyone' },
    adult: { defaultInbound: 'everyone', maxInbound: 'everyone' },
  },
  adultToMinorRequiresMutual: true,
  requestMessageAllowance: 1,
};

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`configuration ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, 'must be an integer');
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

function parseDmRules(env: Env): DmRules {
  const raw = env.CUSTODIAN_DM_RULES;
  if (!raw) return defaultDmRules;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('CUSTODIAN_DM_RULES', 'must be JSON');
  }
  const rules = { ...defaultDmRules, ...(parsed as Partial<DmRules>) };
  const policies: DmPolicy[] = ['everyone', 'mutual', 'none'];
  for (const band of ['13-15', '16-17', 'adult'] as const) {
    const b = rules.bands?.[band];
    if (!b || !policies.includes(b.defaultInbound) || !policies.includes(b.maxInbound)) {
      throw new ConfigError('CUSTODIAN_DM_RULES', `bands.${band} needs defaultInbound and maxInbound`);
    }
  }
  return rules;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const certPath = env.TLS_CERT || '';
  const keyPath = env.TLS_KEY || '';
  if ((certPath === '') !== (keyPath === '')) {
    throw new ConfigError(certPath ? 'TLS_KEY' : 'TLS_CERT', 'TLS_CERT and TLS_KEY must be set together');
  }
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  }
  const region = env.CUSTODIAN_DEFAULT_REGION || 'eu';
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(region)) throw new ConfigError('CUSTODIAN_DEFAULT_REGION', 'must be a short lowercase id');
  const config: Config = {
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535),
    dataDir: resolve(env.CUSTODIAN_DATA_DIR || './data'),
    databaseUrl,
    tls: certPath ? { certPath, keyPath } : null,
    logLevel: env.LOG_LEVEL || 'info',
    bodyLimitBytes: int(env, 'CUSTODIAN_BODY_LIMIT_BYTES', 64 * 1024, 1024, 64 * 1024 * 1024),
    tokenTtlSeconds: int(env, 'CUSTODIAN_TOKEN_TTL_SECONDS', 3600, 60, 24 * 3600),
    maxGroupMembers: int(env, 'CUSTODIAN_MAX_GROUP_MEMBERS', 256, 2, 256),
    maxTextChars: int(env, 'CUSTODIAN_MAX_TEXT_CHARS', 4000, 1, 4000),
    maxCombiningMarks: int(env, 'CUSTODIAN_MAX_COMBINING_MARKS', 4, 0, 32),
    dmRules: parseDmRules(env),
    sendBatchMaxWaitMs: int(env, 'CUSTODIAN_SEND_BATCH_WAIT_MS', 2, 0, 100),
    sendBatchMaxSize: int(env, 'CUSTODIAN_SEND_BATCH_SIZE', 512, 1, 5000),
    // Two: one batch commits while the next is built and waits its turn. Batches to the same conversations and
    // users serialize on those rows' locks anyway, so more in flight only queue more work behind the locks, and
    // the bench measured much higher half-load latency at 3 and 4 than at 2 (p50 0.35-2.6 s against 60-73 ms) and
    // no more throughput; at 1 it lost a third of the throughput.
    sendConcurrency: int(env, 'CUSTODIAN_SEND_CONCURRENCY', 2, 1, 32),
    keyEpochMs: int(env, 'CUSTODIAN_KEY_EPOCH_MS', 30 * 24 * 3600 * 1000, 1000, 366 * 24 * 3600 * 1000),
    defaultRegion: region,
    rateLimitPerMinute: int(env, 'CUSTODIAN_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    logOrigin: env.CUSTODIAN_LOG_ORIGIN || 'custodian.local/log',
    mediaMaxBytes: int(env, 'CUSTODIAN_MEDIA_MAX_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    mediaMaxPixels: int(env, 'CUSTODIAN_MEDIA_MAX_PIXELS', 40_000_000, 10_000, 268_000_000),
    safetyMaxBacklog: int(env, 'CUSTODIAN_SAFETY_MAX_BACKLOG', 200_000, 1_000, 10_000_000),
    safetyWorkerNice: int(env, 'CUSTODIAN_SAFETY_WORKER_NICE', 10, 0, 19),
  };
  if (!/^[\x21-\x7e]{1,200}$/.test(config.logOrigin) || config.logOrigin.includes('+')) {
    throw new ConfigError('CUSTODIAN_LOG_ORIGIN', 'must be one printable line without spaces or "+"');
  }
  return { ...config, ...overrides };
}
