/**
 * safety/text rule prefilter: decides, without running a regex, which regex rules could match a message.
 *
 * Each RE2 call through re2-wasm costs microseconds of copying before any matching starts, and a program
 * that unions every rule overflows re2-wasm's fixed 16 MiB heap; with a hundred rules per message that is
 * far outside the send path's budget. Most regexes contain a literal that every match must include
 * ("wearing" in `what (?:r|are) (?:u|you) wearing`), so we extract one such set of literals per rule, find
 * all literals of all rules in one Aho-Corasick pass over the text (linear, no regex engine involved), and
 * run RE2 only for rules whose literals occur. A rule whose pattern we cannot analyse always runs: the
 * prefilter may only skip rules that certainly cannot match.
 */

/**
 * What every match of a pattern must contain: any one of `branches` holds, and a branch holds when each of
 * its clauses has at least one of its literals in the text. An empty branch means "no constraint".
 */
export type Clause = Set<string>;
export type Branch = Clause[];
export type Requirement = Branch[];

const clauseScore = (c: Clause): number => Math.min(...[...c].map((s) => s.length));

/** The single most selective clause of a branch (null if the branch has none). */
function bestClause(b: Branch): Clause | null {
  let best: Clause | null = null;
  for (const c of b) if (best === null || clauseScore(c) > clauseScore(best) || (clauseScore(c) === clauseScore(best) && c.size < best.size)) best = c;
  return best;
}

/** Collapses alternatives into one branch: a union of each alternative's best clause. */
function collapse(branches: Requirement): Branch {
  const union = new Set<string>();
  for (const b of branches) {
    const c = bestClause(b);
    if (c === null) return [];
    for (const s of c) union.add(s);
  }
  return union.size > 0 ? [union] : [];
}

class Unsupported extends Error {}

/**
 * A conservative parser for the RE2 subset rules use. Anything it does not understand (flags, escapes it
 * does not know) throws Unsupported and the rule is always run.
 */
class Parser {
  private i = 0;
  constructor(private readonly p: string) {}

  parse(): Requirement {
    const r = this.alternation();
    if (this.i !== this.p.length) throw new Unsupported();
    return r;
  }

  private alternation(): Requirement {
    const branches: Requirement = [this.sequence()];
    while (this.p[this.i] === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return branches;
  }

  private sequence(): Branch {
    const clauses: Branch = [];
    let run = '';
    const endRun = () => {
      if (run.length > 0) clauses.push(new Set([run]));
      run = '';
    };
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      const atom = this.atom();
      const q = this.quantifier();
      if (atom.kind === 'char') {
        if (q === 'none') run += atom.char;
        else if (q === 'plus') {
          run += atom.char;
          endRun();
        } else endRun();
      } else {
        endRun();
        if (q === 'optional' || atom.req === null) continue;
        if (atom.req.length === 1) clauses.push(...atom.req[0]!);
        else clauses.push(...collapse(atom.req));
      }
    }
    endRun();
    return clauses;
  }

  private quantifier(): 'none' | 'optional' | 'plus' {
    const c = this.p[this.i];
    let kind: 'none' | 'optional' | 'plus' = 'none';
    if (c === '?' || c === '*') {
      this.i++;
      kind = 'optional';
    } else if (c === '+') {
      this.i++;
      kind = 'plus';
    } else if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(this.p.slice(this.i));
      if (!m) throw new Unsupported();
      this.i += m[0].length;
      kind = Number(m[1]) === 0 ? 'optional' : m[2] === undefined && Number(m[1]) === 1 ? 'none' : 'plus';
    } else return 'none';
    if (this.p[this.i] === '?') this.i++; // lazy
    if (this.p[this.i] === '?' || this.p[this.i] === '*' || this.p[this.i] === '+') throw new Unsupported();
    return kind;
  }

  private atom(): { kind: 'char'; char: string } | { kind: 'req'; req: Requirement | null } {
    const c = this.p[this.i]!;
    if (c === '(') {
      this.i++;
      if (this.p.startsWith('?:', this.i)) this.i += 2;
      else if (this.p.startsWith('?P<', this.i) || this.p.startsWith('?<', this.i)) {
        const close = this.p.indexOf('>', this.i);
        if (close < 0) throw new Unsupported();
        this.i = close + 1;
      } else if (this.p[this.i] === '?') throw new Unsupported(); // flags
      const req = this.alternation();
      if (this.p[this.i] !== ')') throw new Unsupported();
      this.i++;
      return { kind: 'req', req };
    }
    if (c === '[') {
      // A character class of digits requires one of them ("[6-9]"); any other class requires nothing.
      const digits = /^\[((?:\d-\d|\d)+)\]/.exec(this.p.slice(this.i));
      if (digits) {
        this.i += digits[0].length;
        const set = new Set<string>();
        for (const m of digits[1]!.matchAll(/(\d)-(\d)|(\d)/g)) {
          if (m[3] !== undefined) set.add(m[3]);
          else for (let d = Number(m[1]); d <= Number(m[2]); d++) set.add(String(d));
        }
        return { kind: 'req', req: [[set]] };
      }
      this.i++;
      if (this.p[this.i] === '^') this.i++;
      if (this.p[this.i] === ']') this.i++;
      while (this.i < this.p.length && this.p[this.i] !== ']') {
        if (this.p[this.i] === '\\') this.i++;
        else if (this.p.startsWith('[:', this.i)) {
          const close = this.p.indexOf(':]', this.i);
          if (close < 0) throw new Unsupported();
          this.i = close + 1;
        }
        this.i++;
      }
      if (this.p[this.i] !== ']') throw new Unsupported();
      this.i++;
      return { kind: 'req', req: null };
    }
    if (c === '.' || c === '^' || c === '$') {
      this.i++;
      return { kind: 'req', req: null };
    }
    if (c === '\\') {
      const e = this.p[this.i + 1];
      if (e === undefined) throw new Unsupported();
      this.i += 2;
      if (e === 'd') return { kind: 'req', req: [[new Set('0123456789')]] };
      if ('bBDwWsSAzZ'.includes(e)) return { kind: 'req', req: null };
      if (e === 'p' || e === 'P') {
        if (this.p[this.i] === '{') {
          const close = this.p.indexOf('}', this.i);
          if (close < 0) throw new Unsupported();
          this.i = close + 1;
        } else this.i++;
        return { kind: 'req', req: null };
      }
      if (/[A-Za-z0-9]/.test(e)) throw new Unsupported(); // \x, \n, \1 ...: not analysed
      return { kind: 'char', char: e };
    }
    if (c === ')' || c === '|' || c === '?' || c === '*' || c === '+' || c === '{') throw new Unsupported();
    this.i++;
    return { kind: 'char', char: c };
  }
}

/** The requirement of `pattern`, or null when it cannot be analysed (the rule then always runs). */
export function requiredLiterals(pattern: string): Requirement | null {
  try {
    const r = new Parser(pattern).parse();
    return r.some((b) => b.length === 0) ? null : r;
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

/** Every literal a requirement mentions. */
export function literalsOf(r: Requirement): string[] {
  const out = new Set<string>();
  for (const b of r) for (const c of b) for (const s of c) out.add(s);
  return [...out];
}

/** A requirement with literals replaced by their ids, for the per-message check. */
export type CompiledRequirement = number[][][];

export function compileRequirement(r: Requirement, idOf: ReadonlyMap<string, number>): CompiledRequirement {
  return r.map((b) => b.map((c) => [...c].map((s) => idOf.get(s)!)));
}

/** Whether the requirement holds given the literal ids found in the text. */
export function satisfied(r: CompiledRequirement, found: Uint8Array): boolean {
  for (let b = 0; b < r.length; b++) {
    const branch = r[b]!;
    let ok = true;
    for (let c = 0; c < branch.length && ok; c++) {
      const clause = branch[c]!;
      ok = false;
      for (let k = 0; k < clause.length; k++) {
        if (found[clause[k]!] === 1) {
          ok = true;
          break;
        }
      }
    }
    if (ok) return true;
  }
  return false;
}

interface AcNode {
  next: Map<number, number>;
  fail: number;
  /** ids of literals ending here (including through fail links) */
  out: number[];
}

/** Aho-Corasick automaton over UTF-16 code units. */
export class LiteralSet {
  private readonly nodes: AcNode[] = [{ next: new Map(), fail: 0, out: [] }];

  constructor(literals: readonly string[]) {
    literals.forEach((lit, id) => {
      let n = 0;
      for (let k = 0; k < lit.length; k++) {
        const c = lit.charCodeAt(k);
        let nx = this.nodes[n]!.next.get(c);
        if (nx === undefined) {
          nx = this.nodes.length;
          this.nodes.push({ next: new Map(), fail: 0, out: [] });
          this.nodes[n]!.next.set(c, nx);
        }
        n = nx;
      }
      this.nodes[n]!.out.push(id);
    });
    const queue: number[] = [];
    for (const child of this.nodes[0]!.next.values()) queue.push(child);
    for (let q = 0; q < queue.length; q++) {
      const n = queue[q]!;
      for (const [c, child] of this.nodes[n]!.next) {
        let f = this.nodes[n]!.fail;
        while (f !== 0 && !this.nodes[f]!.next.has(c)) f = this.nodes[f]!.fail;
        const target = this.nodes[f]!.next.get(c);
        this.nodes[child]!.fail = target !== undefined && target !== child ? target : 0;
        this.nodes[child]!.out.push(...this.nodes[this.nodes[child]!.fail]!.out);
        queue.push(child);
      }
    }
  }

  /** Marks in `found` the ids of every literal occurring in `text`. */
  scan(text: string, found: Uint8Array): void {
    let n = 0;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      while (n !== 0 && !this.nodes[n]!.next.has(c)) n = this.nodes[n]!.fail;
      n = this.nodes[n]!.next.get(c) ?? 0;
      const out = this.nodes[n]!.out;
      for (let m = 0; m < out.length; m++) found[out[m]!] = 1;
    }
  }
}
