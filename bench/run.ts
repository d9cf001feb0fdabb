/**
 * bench: `npm run bench [-- name…]` runs the named benchmarks (all when none is named).
 * Each bench/<name>.ts exports a default async function that measures, writes bench/results/<name>.json
 * and prints a table. Files named <name>-<part>.ts are a benchmark's helpers (child processes), not benchmarks. Benchmarks live here, never in tests: tests assert behaviour, benches measure speed.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_') && !f.includes('-') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : available;

for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
for (const name of names) {
  console.log(`\n== bench: ${name} ==`);
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { default: () => Promise<void> };
  await mod.default();
}
