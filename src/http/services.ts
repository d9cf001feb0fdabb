// What the HTTP layer is handed by the server: capability services and shared handles. Routes call these; they
// never touch tables.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Keyring } from '../crypto/index.js';
import type { Bus } from '../events/index.js';
import type { Messaging } from '../messaging/index.js';
import type { Access, AuditAppender } from '../access/index.js';
import type { AuditLog } from '../audit/index.js';
import type { Db } from '../storage/index.js';
import type { Safety } from '../safety/index.js';

export interface AppServices {
  config: Config;
  db: Db;
  keyring: Keyring;
  bus: Bus;
  messaging: Messaging;
  safety: Safety;
  access: Access;
  audit: AuditAppender & { log: AuditLog; origin: string; verifierKey: string };
  log: Logger;
}
