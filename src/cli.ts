/**
 * cli: the `custodian` command. Subcommands: serve, keys create-platform-key, help. Later issues add their own
 * (pdq, score, log, staff, demo); each is a thin shell over a capability's public functions.
 */
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config/index.js';

const usage = `custodian <command>

  serve                               start the server (PGlite in ./data, or PostgreSQL with DATABASE_URL)
  keys create-platform-key [--label]  create a platform API key and print it once
  help                                this text

Configuration is read from the environment; see README.md.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve();
      case 'keys':
        return await keys(rest);
      case undefined:
      case 'help':
      case '--help':
        console.log(usage);
        return 0;
      default:
        console.error(`unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

async function serve(): Promise<number> {
  const { startServer } = await import('./server.js');
  const config = loadConfig();
  const server = await startServer(config);
  const driver = server.services.db.driver === 'pglite' ? `PGlite in ${join(config.dataDir, 'pglite')}` : 'PostgreSQL (DATABASE_URL)';
  console.log(`Custodian listening on ${server.url} (${driver})`);
  if (server.firstKeyPath) console.log(`First platform API key written to ${server.firstKeyPath} (mode 0600)`);
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    server.services.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await new Promise(() => {});
  return 0;
}

async function keys(args: string[]): Promise<number> {
  if (args[0] !== 'create-platform-key') {
    console.error('usage: custodian keys create-platform-key [--label LABEL]');
    return 2;
  }
  const labelAt = args.indexOf('--label');
  const label = labelAt >= 0 ? (args[labelAt + 1] ?? '') : 'created with the CLI';
  const { openServices } = await import('./server.js');
  const { createPlatformKey } = await import('./identity/index.js');
  const services = await openServices(loadConfig(), {});
  try {
    const { keyId, apiKey } = await createPlatformKey(services.db, label);
    console.log(`${keyId}\t${apiKey}`);
  } finally {
    await services.close();
  }
  return 0;
}
