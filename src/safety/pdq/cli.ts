/**
 * safety/pdq command: the body of `custodian pdq [--dihedral] FILE…`. One line per file (or per variant),
 * `hash_hex,quality,FILE[,variant]`, matching the reference CLI's field order. A failing file gives one
 * `error,CODE,FILE` line on the error writer and a non-zero exit, never a stack trace.
 */
import { isDomainError } from '../../errors.js';
import { PDQ_VARIANTS } from './hash.js';
import { pdqDihedralFromImage, pdqFromImage } from './image.js';
import { pdqToHex } from './hex.js';

const USAGE = 'usage: custodian pdq [--dihedral] FILE...';

export async function runPdqCommand(
  args: string[],
  write: (line: string) => void,
  writeError: (line: string) => void = write,
): Promise<number> {
  let dihedral = false;
  const files: string[] = [];
  let onlyFiles = false;
  for (const arg of args) {
    if (!onlyFiles && arg === '--') onlyFiles = true;
    else if (!onlyFiles && arg === '--dihedral') dihedral = true;
    else if (!onlyFiles && (arg === '--help' || arg === '-h')) {
      write(USAGE);
      return 0;
    } else if (!onlyFiles && arg.startsWith('-') && arg !== '-') {
      writeError(`error,unknown_option,${arg}`);
      writeError(USAGE);
      return 2;
    } else files.push(arg);
  }
  if (files.length === 0) {
    writeError(USAGE);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      if (dihedral) {
        const { quality, hashes } = await pdqDihedralFromImage(file);
        for (const v of PDQ_VARIANTS) write(`${pdqToHex(hashes[v])},${quality},${file},${v}`);
      } else {
        const { hash, quality } = await pdqFromImage(file);
        write(`${pdqToHex(hash)},${quality},${file}`);
      }
    } catch (err) {
      failed++;
      writeError(`error,${isDomainError(err) ? err.code : 'internal_error'},${file}`);
    }
  }
  return failed === 0 ? 0 : 1;
}
