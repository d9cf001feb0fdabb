/**
 * cli: the `custodian` command. Subcommands: serve, keys create-platform-key, help. Later issues add their own
 * (pdq, score, log, staff, demo); each is a thin shell over a capability's public functions.
 */
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config/index.js';

const usage = `custodian <command>

  serve                               start the server (PGlite in ./data, or PostgreSQL with DATABASE_URL)
  keys create-platform-key [--label]  create a platform API key and print it once
  staff add --role ROLE[,ROLE] --username NAME [--name "Full Name"]
                                      create a staff account; prints its password and TOTP secret once
  log key                             print the log's verifier key (signed-note vkey form)
  log verify                          re-check the whole log: tiles, root, checkpoint signature
  demo                                fill a fresh data directory with a demo scenario
  banks list
  banks create --bank ID --name NAME --action quarantine_and_report|block|flag|allow [--threshold 31]
  banks import --bank ID FILE [--format csv|jsonl]
                                      manage known-content hash banks (imports show progress, are logged)
  pdq [--dihedral] FILE…              print hash_hex,quality,FILE per image
  score text|conversation < FILE.jsonl
                                      score JSONL input with the shipped rules, model and thresholds
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
      case 'staff':
        return await staffCommand(rest);
      case 'log':
        return await logCommand(rest);
      case 'demo':
        return await demo();
      case 'banks':
        return await banksCommand(rest);
      case 'pdq': {
        const { runPdqCommand } = await import('./safety/pdq/index.js');
        return await runPdqCommand(rest, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`));
      }
      case 'score': {
        const { runScoreCommand } = await import('./safety/score-cli.js');
        return await runScoreCommand(rest, process.stdin, (line) => process.stdout.write(`${line}\n`));
      }
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

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function staffCommand(args: string[]): Promise<number> {
  const roles = flag(args, '--role');
  const username = flag(args, '--username');
  if (args[0] !== 'add' || !roles || !username) {
    console.error('usage: custodian staff add --role ROLE[,ROLE] --username NAME [--name "Full Name"]');
    return 2;
  }
  const { openServices } = await import('./server.js');
  const { createStaff } = await import('./identity/index.js');
  const services = await openServices(loadConfig(), {});
  try {
    const made = await createStaff(services.db, services.keyring, { username, displayName: flag(args, '--name'), roles: roles.split(',') });
    console.log(`staff ${made.staff.staffId} (${made.staff.roles.join(', ')})`);
    console.log(`username: ${made.staff.username}`);
    console.log(`password: ${made.password}`);
    console.log(`TOTP:     ${made.totpUri}`);
  } finally {
    await services.close();
  }
  return 0;
}

async function logCommand(args: string[]): Promise<number> {
  const { openServices } = await import('./server.js');
  const services = await openServices(loadConfig({ ...process.env, LOG_LEVEL: 'warn' }), {});
  try {
    if (args[0] === 'key') {
      console.log(services.audit.verifierKey);
      return 0;
    }
    if (args[0] === 'verify') {
      const { verifyLog } = await import('./audit/index.js');
      const result = await verifyLog(services.db, services.audit.verifierKey);
      console.log(JSON.stringify(result, null, 2));
      return result.ok ? 0 : 1;
    }
    console.error('usage: custodian log key | custodian log verify');
    return 2;
  } finally {
    await services.close();
  }
}

async function demo(): Promise<number> {
  const { openServices } = await import('./server.js');
  const { runDemo } = await import('./demo/index.js');
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const services = await openServices(config, {});
  try {
    const existing = await services.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ident_users');
    if (existing.rows[0].n > 0) {
      console.error(`${config.dataDir} already has users; the demo fills a fresh data directory (set CUSTODIAN_DATA_DIR)`);
      return 2;
    }
    const result = await runDemo(services);
    console.log(`Demo data written to ${config.dataDir}`);
    console.log(`Users: ${result.users.join(', ')}; case ${result.caseId}`);
    for (const g of result.grants) console.log(`Grant ${g.grantId}: ${g.status}, ${g.readsLogged} read logged`);
    console.log('Staff accounts (shown once):');
    for (const s of result.staff) console.log(`  ${s.username.padEnd(11)} ${s.roles.join(',').padEnd(17)} password ${s.password}  TOTP ${s.totpSecret}`);
    console.log(`Log verifier key: ${services.audit.verifierKey}`);
    console.log('Start the server with `npm start` and fetch /log/checkpoint.');
  } finally {
    await services.close();
  }
  return 0;
}

async function banksCommand(args: string[]): Promise<number> {
  const { openServices } = await import('./server.js');
  const services = await openServices(loadConfig({ ...process.env, LOG_LEVEL: 'warn' }), {});
  const kc = services.safety.knownContent;
  try {
    if (args[0] === 'list') {
      for (const b of kc.banks()) console.log(`${b.id}\t${b.action}\tthreshold ${b.pdqThreshold}\t${b.activeEntries}/${b.entries} entries\t${b.name}`);
      return 0;
    }
    const bank = flag(args, '--bank');
    if (args[0] === 'create' && bank) {
      const action = flag(args, '--action') as 'quarantine_and_report' | 'block' | 'flag' | 'allow' | undefined;
      const threshold = flag(args, '--threshold');
      const made = await kc.createBank('cli', { bankId: bank, name: flag(args, '--name') ?? bank, action: action ?? 'flag', pdqThreshold: threshold ? Number(threshold) : undefined });
      console.log(`created ${made.id} (${made.action}, threshold ${made.pdqThreshold})`);
      return 0;
    }
    if (args[0] === 'import' && bank) {
      const file = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--bank' && args[i - 1] !== '--format')[1];
      if (!file) throw new Error('missing FILE');
      const format = (flag(args, '--format') ?? (file.endsWith('.csv') ? 'csv' : 'jsonl')) as 'csv' | 'jsonl';
      const { createReadStream } = await import('node:fs');
      const result = await kc.importEntries('cli', bank, createReadStream(file), format, (p) => {
        process.stderr.write(`\r${p.lines} lines, ${p.accepted} accepted, ${p.rejected} rejected`);
      });
      process.stderr.write('\n');
      console.log(`import ${result.importId}: ${result.accepted} accepted, ${result.rejected} rejected`);
      for (const r of result.rejectedLines.slice(0, 20)) console.log(`  line ${r.line}: ${r.reason}`);
      return 0;
    }
    console.error('usage: custodian banks list | create --bank ID --name NAME --action ACTION [--threshold N] | import --bank ID FILE [--format csv|jsonl]');
    return 2;
  } finally {
    await services.close();
  }
}
