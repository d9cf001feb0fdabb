/**
 * safety/text rule prefilter: decides, without running a regex, which regex rules could match a message.
 *
 * Each RE2 call through re2-wasm costs microseconds of copying before any matching starts, and a program
 * that unions every rule overflows re2-wasm's fixed 16 MiB heap; with a hundred rules per message that is
 * far outside the send path's budget. So each rule's pattern is analysed once into a requirement: a formula
 * (and/or) over "atoms", strings that every match must contain, such as "how ol" or "\bdo u". One
 * Aho-Corasick pass (aho-corasick.ts) over each distinct view text finds every atom in the message, and
 * RE2 runs only for rules whose requirement holds. A rule whose pattern we cannot analyse always runs: the
 * prefilter may only skip rules that certainly cannot match.
 *
 * What makes the requirements selective (tweets are full of "u", "sc" and "ig"; "do u" is rarer):
 *  - Strings are carried across groups and optional parts: `(?:do|d) ?(?:you|u)` requires one of "do you",
 *    "doyou", "d u", ... rather than "d" and "u" separately (exact sets of bounded size; above the bound
 *    the strings are cut to the characters next to the junction). Long strings are kept as their first and
 *    last few characters (see Precision).
 *  - Whitespace is one symbol: the scan reads every run of whitespace as one space, so `\s*` and `\s+` are
 *    the finite sets {"", " "} and {" "} and strings continue through them.
 *  - Digits are one symbol: the scan reads every digit as "0", so `\d{1,2} ?pm` is the strings "0pm",
 *    "0 pm", "00pm", "00 pm" (a literal "13" in a pattern weakens to "00").
 *  - Assertions stay attached to atoms: `\bsc\b` only counts "sc" as a whole word, `^in ` only at the start.
 *  - After each match the rule loop asks again from the end of that match (an atom counts only when its
 *    last character is at or after that position), which saves the RE2 call that would find nothing more.
 *
 * Soundness holds for any text, not only normalised text: every atom is a substring of every match as the
 * scan reads it (whitespace runs collapsed, digits read as "0"), and every assertion kept on an atom is one
 * the match itself asserts at that position. Weakening is always allowed (dropping a conjunct, cutting a
 * string); strengthening never is.
 */
import { AhoCorasick } from './aho-corasick.js';

// ---------------------------------------------------------------------------------------------------------
// Pattern syntax: a conservative parser for the RE2 subset rules use. Anything it does not understand
// (inline flags, \Q..\E, octal escapes, a `{` that is not a repetition) throws Unsupported.

class Unsupported extends Error {}

/** Assertion flags on one side of a string: the position before its first / after its last character. */
const BOUND = 1; // \b
const NONBOUND = 2; // \B
const START = 4; // ^ or \A: the position is 0
const END = 8; // $ or \z: the position is the end of the text

/** RE2's \s; every run of these reads as one space. */
const isSpaceUnit = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
/** RE2's \b is ASCII-only: [0-9A-Za-z_]. */
const isWordUnit = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

type Node =
  | { t: 'chars'; set: string[] } // one character out of a small known set (canonical symbols)
  | { t: 'any' } // one character we do not track
  | { t: 'assert'; flags: number }
  | { t: 'cat'; kids: Node[] }
  | { t: 'alt'; kids: Node[] }
  | { t: 'rep'; kid: Node; min: number; max: number };

/** Classes with more members than this match "some character" as far as the analysis goes. */
const CLASS_LIMIT = 10;
const DIGITS = '0123456789';

/** How the scan reads a code point: any whitespace as a space, any digit as "0". */
function symbol(cp: number): string {
  return isSpaceUnit(cp) ? ' ' : cp >= 48 && cp <= 57 ? '0' : String.fromCodePoint(cp);
}

function charSet(cps: Iterable<number>): Node {
  // Members are whole code points (two units for astral ones), so products never split a pair.
  const symbols = new Set([...cps].map(symbol));
  return symbols.size <= CLASS_LIMIT ? { t: 'chars', set: [...symbols] } : { t: 'any' };
}

const SIMPLE_ESCAPES: Record<string, number> = { t: 9, n: 10, f: 12, r: 13, v: 11, a: 7 };

class Parser {
  private i = 0;
  constructor(private readonly p: string) {}

  parse(): Node {
    const n = this.alternation();
    if (this.i !== this.p.length) throw new Unsupported();
    return n;
  }

  private alternation(): Node {
    const kids = [this.sequence()];
    while (this.p[this.i] === '|') {
      this.i++;
      kids.push(this.sequence());
    }
    return kids.length === 1 ? kids[0]! : { t: 'alt', kids };
  }

  private sequence(): Node {
    const kids: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      let atom = this.atom();
      const q = this.quantifier();
      if (q) atom = { t: 'rep', kid: atom, min: q.min, max: q.max };
      kids.push(atom);
    }
    return { t: 'cat', kids };
  }

  private quantifier(): { min: number; max: number } | null {
    const c = this.p[this.i];
    let q: { min: number; max: number };
    if (c === '?') q = { min: 0, max: 1 };
    else if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.p.slice(this.i, this.i + 16));
      if (!m) throw new Unsupported();
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) throw new Unsupported();
      this.i += m[0].length - 1;
      q = { min, max };
    } else return null;
    this.i++;
    if (this.p[this.i] === '?') this.i++; // lazy: the same strings, another preference
    const after = this.p[this.i];
    if (after === '?' || after === '*' || after === '+' || after === '{') throw new Unsupported();
    return q;
  }

  private atom(): Node {
    const c = this.p[this.i]!;
    if (c === '(') {
      this.i++;
      if (this.p.startsWith('?:', this.i)) this.i += 2;
      else if (this.p.startsWith('?P<', this.i) || this.p.startsWith('?<', this.i)) {
        const close = this.p.indexOf('>', this.i);
        if (close < 0) throw new Unsupported();
        this.i = close + 1;
      } else if (this.p[this.i] === '?') throw new Unsupported(); // inline flags change what matches
      const inner = this.alternation();
      if (this.p[this.i] !== ')') throw new Unsupported();
      this.i++;
      return inner;
    }
    if (c === '[') return this.charClass();
    if (c === '.') {
      this.i++;
      return { t: 'any' };
    }
    if (c === '^' || c === '$') {
      this.i++;
      return { t: 'assert', flags: c === '^' ? START : END };
    }
    if (c === '\\') return this.escape();
    if (c === ')' || c === '|' || c === '?' || c === '*' || c === '+' || c === '{') throw new Unsupported();
    return charSet([this.codePoint()]);
  }

  private codePoint(): number {
    const cp = this.p.codePointAt(this.i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) throw new Unsupported(); // a lone surrogate
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** \xHH or \x{H...}, with the index just after the x. */
  private hex(): number {
    const m = /^(?:([0-9A-Fa-f]{2})|\{([0-9A-Fa-f]{1,6})\})/.exec(this.p.slice(this.i, this.i + 9));
    if (!m) throw new Unsupported();
    this.i += m[0].length;
    const cp = parseInt(m[1] ?? m[2]!, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Unsupported();
    return cp;
  }

  private escape(): Node {
    const e = this.p[this.i + 1];
    if (e === undefined) throw new Unsupported();
    this.i += 2;
    switch (e) {
      case 'd':
        return charSet([...DIGITS].map((d) => d.charCodeAt(0)));
      case 's':
        return { t: 'chars', set: [' '] };
      case 'D':
      case 'S':
      case 'w':
      case 'W':
      case 'C':
        return { t: 'any' };
      case 'p':
      case 'P':
        this.skipUnicodeClassName();
        return { t: 'any' };
      case 'b':
        return { t: 'assert', flags: BOUND };
      case 'B':
        return { t: 'assert', flags: NONBOUND };
      case 'A':
        return { t: 'assert', flags: START };
      case 'z':
        return { t: 'assert', flags: END };
      case 'x':
        return charSet([this.hex()]);
    }
    if (SIMPLE_ESCAPES[e] !== undefined) return charSet([SIMPLE_ESCAPES[e]]);
    if (/[!-/:-@[-`{-~]/.test(e)) return charSet([e.charCodeAt(0)]); // escaped ASCII punctuation
    throw new Unsupported();
  }

  private skipUnicodeClassName(): void {
    if (this.p[this.i] === '{') {
      const close = this.p.indexOf('}', this.i);
      if (close < 0) throw new Unsupported();
      this.i = close + 1;
    } else if (this.i < this.p.length) this.i++;
    else throw new Unsupported();
  }

  /** [...]: a small set of characters, or "some character" when negated, large or not understood. */
  private charClass(): Node {
    this.i++;
    let negated = false;
    if (this.p[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const members = new Set<number>();
    let large = false;
    let first = true;
    const add = (from: number, to: number) => {
      if (to - from + 1 > CLASS_LIMIT) large = true;
      else for (let cp = from; cp <= to; cp++) members.add(cp);
    };
    // One class item: a code point, or null for an escape that stands for several characters.
    const item = (): number | null => {
      if (this.p[this.i] === '\\') {
        const e = this.p[this.i + 1];
        if (e === undefined) throw new Unsupported();
        this.i += 2;
        if (e === 'd') {
          for (const d of DIGITS) members.add(d.charCodeAt(0));
          return null;
        }
        if (e === 's') {
          for (const w of [32, 9, 10, 12, 13]) members.add(w);
          return null;
        }
        if ('DSwW'.includes(e)) {
          large = true;
          return null;
        }
        if (e === 'p' || e === 'P') {
          this.skipUnicodeClassName();
          large = true;
          return null;
        }
        if (e === 'x') return this.hex();
        if (SIMPLE_ESCAPES[e] !== undefined) return SIMPLE_ESCAPES[e]!;
        if (/[!-/:-@[-`{-~]/.test(e)) return e.charCodeAt(0);
        throw new Unsupported();
      }
      if (this.p.startsWith('[:', this.i)) {
        const close = this.p.indexOf(':]', this.i + 2);
        if (close < 0) throw new Unsupported();
        this.i = close + 2;
        large = true;
        return null;
      }
      return this.codePoint();
    };
    while (this.i < this.p.length && (first || this.p[this.i] !== ']')) {
      first = false;
      const lo = item();
      if (lo === null) continue;
      if (this.p[this.i] === '-' && this.p[this.i + 1] !== ']' && this.i + 1 < this.p.length) {
        this.i++;
        const hi = item();
        if (hi === null || hi < lo) throw new Unsupported();
        add(lo, hi);
      } else add(lo, lo);
    }
    if (this.p[this.i] !== ']') throw new Unsupported();
    this.i++;
    if (negated || large) return { t: 'any' };
    return charSet(members);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Analysis: for each node, either the exact set of strings it can match (while small), or what every match
// contains, starts with and ends with.

/** A string every match (or every match of a part) contains, with assertions at its two ends. */
interface Str {
  s: string;
  l: number;
  r: number;
}

export type Formula = boolean | Str | { and: Formula[] } | { or: Formula[] };

interface Exact {
  exact: Str[];
}
interface Inexact {
  /** every match starts with one of these, ends with one of these, and satisfies `f` */
  pre: Str[];
  suf: Str[];
  f: Formula;
  /** `f` already implies a string of `pre` and one of `suf` (alternations), so they add nothing to it */
  covered?: boolean;
}
type Info = Exact | Inexact;

const EMPTY: Str = { s: '', l: 0, r: 0 };
const NO_INFO: Inexact = { pre: [EMPTY], suf: [EMPTY], f: true };

const keyOf = (x: Str) => `${x.l},${x.r},${x.s}`;

function dedupe(xs: Iterable<Str>): Str[] {
  const m = new Map<string, Str>();
  for (const x of xs) if (!m.has(keyOf(x))) m.set(keyOf(x), x);
  return [...m.values()];
}

/** Whether assertion `flags` can hold between symbols a and b (either may be absent: -1). */
function assertionHolds(flags: number, a: number, b: number): boolean {
  if (flags & START && a >= 0) return false;
  if (flags & END && b >= 0) return false;
  if (a < 0 || b < 0) return true; // decided by the text around the string
  const boundary = isWordUnit(a) !== isWordUnit(b);
  if (flags & BOUND && !boundary) return false;
  if (flags & NONBOUND && boundary) return false;
  return true;
}

/** x followed by y, or null when the assertions between them cannot hold. */
function join(x: Str, y: Str): Str | null {
  if (x.s === '' && y.s === '') {
    const f = x.l | y.l;
    return f & BOUND && f & NONBOUND ? null : { s: '', l: f, r: f };
  }
  if (x.s === '') {
    const l = x.l | y.l;
    if (!assertionHolds(x.l, -1, y.s.charCodeAt(0)) || (l & BOUND && l & NONBOUND)) return null;
    return { s: y.s, l, r: y.r };
  }
  if (y.s === '') {
    const r = x.r | y.l;
    if (!assertionHolds(y.l, x.s.charCodeAt(x.s.length - 1), -1) || (r & BOUND && r & NONBOUND)) return null;
    return { s: x.s, l: x.l, r };
  }
  const a = x.s.charCodeAt(x.s.length - 1);
  const b = y.s.charCodeAt(0);
  if (!assertionHolds(x.r | y.l, a, b)) return null;
  // A run of whitespace is one symbol.
  return { s: a === 32 && b === 32 ? x.s + y.s.slice(1) : x.s + y.s, l: x.l, r: y.r };
}

function product(xs: Str[], ys: Str[]): Str[] {
  const out: Str[] = [];
  for (const x of xs) for (const y of ys) {
    const z = join(x, y);
    if (z) out.push(z);
  }
  return dedupe(out);
}

const tail = (x: Str, k: number): Str => (x.s.length <= k ? x : { s: x.s.slice(-k), l: 0, r: x.r });
const head = (x: Str, k: number): Str => (x.s.length <= k ? x : { s: x.s.slice(0, k), l: x.l, r: 0 });

const isExact = (i: Info): i is Exact => 'exact' in i;
const and = (...fs: Formula[]): Formula => ({ and: fs });

/**
 * How precise the analysis is. Larger products and longer atoms skip more RE2 calls but make more
 * automaton states; RegexPrefilter steps down this list when a rule set's automaton would be too large.
 *  - productLimit: largest cross product of two string sets that stays exact; beyond it strings are cut
 *    near the junction. On the built-in packs 128 gave the fewest RE2 calls (larger sets overflow later
 *    and get cut coarser).
 *  - maxAtom: atoms longer than this are kept as their first and last maxAtom characters; six characters
 *    are already rare in chat, and shorter atoms keep the automaton small enough to stay in cache.
 */
export interface Precision {
  productLimit: number;
  maxAtom: number;
}
export const PRECISIONS: readonly Precision[] = [
  { productLimit: 128, maxAtom: 6 },
  { productLimit: 32, maxAtom: 5 },
  { productLimit: 8, maxAtom: 4 },
  { productLimit: 1, maxAtom: 3 },
];

/** The analysis of one pattern at one precision. */
class Analysis {
  constructor(private readonly precision: Precision) {}

  /** One of `xs` occurs; long strings are represented by their first and last characters. */
  or(xs: Str[]): Formula {
    const k = this.precision.maxAtom;
    return xs.every((x) => x.s.length <= k) ? { or: xs } : { and: [{ or: xs.map((x) => head(x, k)) }, { or: xs.map((x) => tail(x, k)) }] };
  }

  formulaOf(i: Info): Formula {
    return isExact(i) ? this.or(i.exact) : i.covered ? i.f : and(i.f, this.or(i.pre), this.or(i.suf));
  }

  private fits(a: number, b: number): boolean {
    return a * b <= this.precision.productLimit;
  }

  /**
   * Strings every x·y contains around the junction, cutting x from the left and y from the right until the
   * product fits; null when even single characters do not fit.
   */
  private junction(xs: Str[], ys: Str[]): { set: Str[]; cut: boolean } | null {
    for (const k of [Infinity, 8, 5, 3, 2, 1]) {
      const a = dedupe(xs.map((x) => tail(x, k)));
      const b = dedupe(ys.map((y) => head(y, k)));
      if (this.fits(a.length, b.length)) return { set: product(a, b), cut: k !== Infinity };
    }
    return null;
  }

  concat(x: Info, y: Info): Info {
    if (isExact(x) && isExact(y)) {
      if (this.fits(x.exact.length, y.exact.length)) return { exact: product(x.exact, y.exact) };
      const j = this.junction(x.exact, y.exact);
      return { pre: x.exact, suf: y.exact, f: j ? this.or(j.set) : true };
    }
    if (isExact(x) && !isExact(y)) {
      if (this.fits(x.exact.length, y.pre.length)) return { pre: product(x.exact, y.pre), suf: y.suf, f: y.f };
      const j = this.junction(x.exact, y.pre);
      return { pre: x.exact, suf: y.suf, f: and(y.f, this.or(y.pre), j ? this.or(j.set) : true) };
    }
    if (!isExact(x) && isExact(y)) {
      if (this.fits(x.suf.length, y.exact.length)) return { pre: x.pre, suf: product(x.suf, y.exact), f: x.f };
      const j = this.junction(x.suf, y.exact);
      return { pre: x.pre, suf: y.exact, f: and(x.f, this.or(x.suf), j ? this.or(j.set) : true) };
    }
    const a = x as Inexact;
    const b = y as Inexact;
    const j = this.junction(a.suf, b.pre);
    const around = j && !j.cut ? this.or(j.set) : and(this.or(a.suf), this.or(b.pre), j ? this.or(j.set) : true);
    return { pre: a.pre, suf: b.suf, f: and(a.f, b.f, around) };
  }

  alternate(infos: Info[]): Info {
    if (infos.every(isExact)) return { exact: dedupe(infos.flatMap((i) => (i as Exact).exact)) };
    return {
      pre: dedupe(infos.flatMap((i) => (isExact(i) ? i.exact : i.pre))),
      suf: dedupe(infos.flatMap((i) => (isExact(i) ? i.exact : i.suf))),
      f: { or: infos.map((i) => this.formulaOf(i)) },
      covered: true,
    };
  }

  private power(x: Info, n: number): Info {
    let out: Info = { exact: [EMPTY] };
    for (let k = 0; k < n; k++) out = this.concat(out, x);
    return out;
  }

  repeat(x: Info, min: number, max: number): Info {
    // Repeated whitespace is still one whitespace run.
    if (isExact(x) && x.exact.every((s) => (s.s === ' ' || s.s === '') && s.l === 0 && s.r === 0)) {
      const space = x.exact.some((s) => s.s === ' ');
      const empty = min === 0 || x.exact.some((s) => s.s === '');
      return { exact: [...(space && max > 0 ? [{ s: ' ', l: 0, r: 0 }] : []), ...(empty ? [EMPTY] : [])] };
    }
    if (max === 0) return { exact: [EMPTY] };
    if (max <= 3) {
      const options: Info[] = [];
      for (let n = min; n <= max; n++) options.push(this.power(x, n));
      return this.alternate(options);
    }
    if (min === 0) return NO_INFO;
    // x{n,m} with more than three: the first copies are kept and the match ends with a copy of x.
    return this.concat(this.power(x, Math.min(min, 3)), { pre: [EMPTY], suf: isExact(x) ? x.exact : x.suf, f: true });
  }

  analyse(n: Node): Info {
    switch (n.t) {
      case 'chars':
        return { exact: n.set.map((s) => ({ s, l: 0, r: 0 })) };
      case 'any':
        return NO_INFO;
      case 'assert':
        return { exact: [{ s: '', l: n.flags, r: n.flags }] };
      case 'cat':
        return n.kids.reduce<Info>((acc, k) => this.concat(acc, this.analyse(k)), { exact: [EMPTY] });
      case 'alt':
        return this.alternate(n.kids.map((k) => this.analyse(k)));
      case 'rep':
        return this.repeat(this.analyse(n.kid), n.min, n.max);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Formulas: simplification to atoms the scan can find.

/** The atom form of a string: assertions next to a whitespace run are dropped (the scan does not check them). */
function atomOf(x: Str): Str | true {
  if (x.s === '' || x.s === ' ') return true;
  return { s: x.s, l: x.s.charCodeAt(0) === 32 ? 0 : x.l, r: x.s.charCodeAt(x.s.length - 1) === 32 ? 0 : x.r };
}

/** Whether every occurrence of atom y contains an occurrence of atom x. */
function implies(y: Str, x: Str): boolean {
  for (let o = y.s.indexOf(x.s); o >= 0; o = y.s.indexOf(x.s, o + 1)) {
    const e = o + x.s.length;
    const leftOk = o === 0 ? (x.l & ~y.l) === 0 : assertionHolds(x.l, y.s.charCodeAt(o - 1), y.s.charCodeAt(o));
    const rightOk = e === y.s.length ? (x.r & ~y.r) === 0 : assertionHolds(x.r, y.s.charCodeAt(e - 1), y.s.charCodeAt(e));
    if (leftOk && rightOk) return true;
  }
  return false;
}

const isStr = (f: Formula): f is Str => typeof f === 'object' && 's' in f;

/** A rough selectivity: characters other than whitespace, plus one per side with an assertion. */
const strength = (a: Str): number => a.s.replaceAll(' ', '').length + (a.l ? 1 : 0) + (a.r ? 1 : 0);

/** Whether (nearly) every text satisfies `f`: an atom of at most two characters and assertions, or an or() with one. */
function isWeak(f: Formula): boolean {
  if (typeof f === 'boolean') return f;
  if (isStr(f)) return strength(f) <= 2;
  return 'and' in f ? f.and.every(isWeak) : f.or.some(isWeak);
}

function simplify(f: Formula): Formula {
  if (typeof f === 'boolean') return f;
  if (isStr(f)) return atomOf(f);
  const isAnd = 'and' in f;
  const kids: Formula[] = [];
  const push = (k: Formula) => {
    if (typeof k === 'object' && !isStr(k) && ('and' in k) === isAnd) (isAnd ? (k as { and: Formula[] }).and : (k as { or: Formula[] }).or).forEach(push);
    else kids.push(k);
  };
  for (const k of isAnd ? (f as { and: Formula[] }).and : (f as { or: Formula[] }).or) push(simplify(k));
  if (kids.includes(!isAnd)) return !isAnd; // and(..false..) / or(..true..)
  const rest = kids.filter((k) => k !== isAnd);
  const atoms = dedupe(rest.filter(isStr));
  // and(x, y) with y implying x is y; or(x, y) with y implying x is x. (Two different atoms never imply
  // each other, so this drops one of a pair, never both.) Quadratic: skipped for very large sets.
  const kept =
    atoms.length > 300 ? atoms : atoms.filter((a) => !atoms.some((b) => b !== a && (isAnd ? implies(b, a) : implies(a, b))));
  let out = [...kept, ...rest.filter((k) => !isStr(k))];
  // A conjunct that almost every text satisfies costs scan and check time and skips nothing.
  if (isAnd && out.some((k) => !isWeak(k))) out = out.filter((k) => !isWeak(k));
  if (out.length === 0) return isAnd;
  return out.length === 1 ? out[0]! : isAnd ? { and: out } : { or: out };
}

/**
 * What every match of `pattern` must contain, or null when it cannot be analysed (the rule then always
 * runs). `false` means the pattern can never match; `true` that nothing is required.
 */
export function requirementOf(pattern: string, precision: Precision = PRECISIONS[0]!): Formula | null {
  let node: Node;
  try {
    node = new Parser(pattern).parse();
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
  const analysis = new Analysis(precision);
  return simplify(analysis.formulaOf(analysis.analyse(node)));
}

/** A readable form of a requirement, for tests and debugging: atoms with \b, \B, ^ and $ around them. */
export function formatRequirement(f: Formula | null): string {
  if (f === null) return 'null';
  if (typeof f === 'boolean') return String(f);
  if (isStr(f)) {
    const side = (fl: number, anchor: string) => (fl & BOUND ? '\\b' : '') + (fl & NONBOUND ? '\\B' : '') + (fl & (START | END) ? anchor : '');
    return JSON.stringify(side(f.l, '^') + f.s + side(f.r, '$'));
  }
  return 'and' in f ? `and(${f.and.map(formatRequirement).join(', ')})` : `or(${f.or.map(formatRequirement).join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------------
// Per-message use: the scan and the check.
//
// Requirements are compiled to trees over clauses, a clause being a set of atoms of which one must occur
// (the or-of-atoms nodes of the formula). The scan marks, per clause, where its last atom occurrence ended,
// so checking a rule visits a handful of clauses rather than the hundreds of atoms its clauses list.

/** A requirement over clause ids: an id holds when the clause was seen ending at or after the asked position. */
type Compiled = number | { and: Compiled[] } | { or: Compiled[] };

/** The scan's alphabet: whitespace reads as a space and digits as "0", as in the analysis. */
const scanAlias = (u: number) => (isSpaceUnit(u) ? 32 : u >= 48 && u <= 57 ? 48 : u);

/** The per-message result of a scan; owned by its prefilter and overwritten by the next scan. */
export interface PrefilterScan {
  /** per clause: the index of the last character of its last occurrence, -1 when absent */
  readonly clauseEnd: Int32Array;
  /** per pattern: 1 when some clause its requirement cannot do without occurs */
  readonly candidate: Uint8Array;
}

/**
 * The prefilter for a list of patterns, each matched against one of several texts (the views of a
 * message). One automaton holds the atoms of all of them, so texts that are equal (most messages have no
 * leetspeak, and their literal and folded views are the same string) are scanned once.
 */
export class RegexPrefilter {
  /** per pattern: its compiled requirement; true: always run; false: never matches */
  private readonly requirements: (Compiled | boolean)[];
  /** the precision the analysis ran at (the first of PRECISIONS unless the rule set is very large) */
  readonly precision: Precision;
  private readonly textCount: number;
  /** bit t: some pattern reads text t */
  private readonly textsUsed: number;
  private readonly ac: AhoCorasick;
  // Automaton pattern p is written by atoms entryStart[p] .. entryStart[p + 1] (one per set of
  // assertions); atom e belongs, for text t, to the clauses clauseIds[clauseStart[i] .. clauseStart[i + 1])
  // with i = e * textCount + t.
  private readonly entryStart: Int32Array;
  private readonly entryL: Uint8Array;
  private readonly entryR: Uint8Array;
  private readonly clauseStart: Int32Array;
  private readonly clauseIds: Int32Array;
  /** patterns to consider when clause c occurs: gateIds[gateStart[c] .. gateStart[c + 1]) */
  private readonly gateStart: Int32Array;
  private readonly gateIds: Int32Array;
  private readonly alwaysCandidate: Uint8Array;
  private readonly result: PrefilterScan;
  private readonly seenClauses: Int32Array;
  private seenCount = 0;
  private positions = new Int32Array(256);

  /**
   * `texts[i]` says which text (0 .. textCount - 1) pattern i is matched against. The analysis is as
   * precise as the automaton budget allows (PRECISIONS, most precise first).
   */
  constructor(patterns: readonly string[], texts: readonly number[] = patterns.map(() => 0)) {
    this.textCount = Math.max(1, ...texts.map((t) => t + 1));
    if (this.textCount > 30) throw new RangeError('RegexPrefilter: at most 30 texts'); // texts are bits of an int
    this.textsUsed = texts.reduce((m, t) => m | (1 << t), 0);
    this.precision = PRECISIONS[0]!;
    let compiled = compileRequirements(patterns, texts, this.textCount, this.precision);
    for (const precision of PRECISIONS.slice(1)) {
      if (automatonSize([...compiled.atoms.values()].map((e) => e.atom.s)) <= AUTOMATON_BUDGET) break;
      this.precision = precision;
      compiled = compileRequirements(patterns, texts, this.textCount, precision);
    }
    const { requirements, atoms, clauseCount, clauseStrength } = compiled;
    this.requirements = requirements;

    // A pattern's gate: clauses one of which occurs whenever its requirement holds (for and(): the gate
    // of its most selective part). Only patterns whose gate was seen get their requirement checked.
    const gate = (f: Compiled): number[] => {
      if (typeof f === 'number') return [f];
      if ('or' in f) return [...new Set(f.or.flatMap(gate))];
      const weakest = (g: number[]) => Math.min(...g.map((c) => clauseStrength[c]!));
      return f.and.map(gate).reduce((best, g) => (weakest(g) > weakest(best) || (weakest(g) === weakest(best) && g.length < best.length) ? g : best));
    };
    const gates: number[][] = Array.from({ length: clauseCount }, () => []);
    this.alwaysCandidate = new Uint8Array(patterns.length);
    this.requirements.forEach((r, i) => {
      if (r === true) this.alwaysCandidate[i] = 1;
      else if (r !== false) for (const c of gate(r)) gates[c]!.push(i);
    });
    this.gateStart = offsets(gates);
    this.gateIds = Int32Array.from(gates.flat());
    this.result = { clauseEnd: new Int32Array(clauseCount), candidate: new Uint8Array(patterns.length) };
    this.seenClauses = new Int32Array(clauseCount);

    // Atoms that differ only in their assertions share one automaton pattern.
    const byPattern = new Map<string, { atom: Str; clauses: number[][] }[]>();
    for (const e of atoms.values()) {
      const list = byPattern.get(e.atom.s);
      if (list) list.push(e);
      else byPattern.set(e.atom.s, [e]);
    }
    const entries = [...byPattern.values()];
    const flat = entries.flat();
    this.ac = new AhoCorasick([...byPattern.keys()], scanAlias);
    this.entryStart = offsets(entries);
    this.entryL = Uint8Array.from(flat, (e) => e.atom.l);
    this.entryR = Uint8Array.from(flat, (e) => e.atom.r);
    const perText = flat.flatMap((e) => e.clauses);
    this.clauseStart = offsets(perText);
    this.clauseIds = Int32Array.from(perText.flat());
  }

  /**
   * Finds every atom in the texts (`texts[t]` is text t; unused ones may be anything), and from them the
   * patterns worth checking.
   */
  scan(texts: readonly string[]): PrefilterScan {
    const { clauseEnd, candidate } = this.result;
    clauseEnd.fill(-1);
    this.seenCount = 0;
    let done = 0;
    for (let t = 0; t < this.textCount; t++) {
      const bit = 1 << t;
      if (done & bit || !(this.textsUsed & bit)) continue;
      let mask = bit;
      for (let u = t + 1; u < this.textCount; u++) if (this.textsUsed & (1 << u) && texts[u] === texts[t]) mask |= 1 << u;
      this.scanText(texts[t]!, mask);
      done |= mask;
    }
    candidate.set(this.alwaysCandidate);
    for (let s = 0; s < this.seenCount; s++) {
      const c = this.seenClauses[s]!;
      for (let g = this.gateStart[c]!; g < this.gateStart[c + 1]!; g++) candidate[this.gateIds[g]!] = 1;
    }
    return this.result;
  }

  /** Marks the clauses of texts `mask` (a bit set) whose atoms occur in `text`. */
  private scanText(text: string, mask: number): void {
    const { clauseEnd } = this.result;
    const { seenClauses, entryStart, entryL, entryR, clauseStart, clauseIds, textCount } = this;
    const { outStart, outIds, lengths, delta, classCount, asciiClass, otherClass } = this.ac;
    const hasOther = otherClass.size > 0;
    let seenCount = this.seenCount;
    if (this.positions.length < text.length) this.positions = new Int32Array(text.length * 2);
    const pos = this.positions;
    let state = 0;
    let fed = 0;
    let prevSpace = false;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      // A run of whitespace is read as one space (at the run's first character).
      if (isSpaceUnit(c)) {
        if (prevSpace) continue;
        prevSpace = true;
      } else prevSpace = false;
      state = delta[state * classCount + (c < 128 ? asciiClass[c]! : hasOther ? (otherClass.get(c) ?? 0) : 0)]!;
      pos[fed++] = k;
      const o1 = outStart[state + 1]!;
      for (let o = outStart[state]!; o < o1; o++) {
        const p = outIds[o]!;
        for (let e = entryStart[p]!; e < entryStart[p + 1]!; e++) {
          const l = entryL[e]!;
          const r = entryR[e]!;
          if (l !== 0 && !sideHolds(l, text, pos[fed - lengths[p]!]!)) continue;
          if (r !== 0 && !sideHolds(r, text, k + 1)) continue;
          for (let t = 0; t < textCount; t++) {
            if (!(mask & (1 << t))) continue;
            const range = e * textCount + t;
            for (let m = clauseStart[range]!; m < clauseStart[range + 1]!; m++) {
              const id = clauseIds[m]!;
              if (clauseEnd[id]! < 0) seenClauses[seenCount++] = id;
              clauseEnd[id] = k;
            }
          }
        }
      }
    }
    this.seenCount = seenCount;
  }

  /**
   * Whether pattern `i` could match at or after UTF-16 index `from` of its text in the last scan: false
   * only when no match can start there.
   */
  mayMatch(i: number, scan: PrefilterScan, from: number): boolean {
    if (scan.candidate[i] === 0) return false;
    const r = this.requirements[i]!;
    return typeof r === 'boolean' ? r : holds(r, scan.clauseEnd, from);
  }
}

/** Table entries (states x alphabet) the automaton may take: 4M, 8 MiB of 16-bit states. */
const AUTOMATON_BUDGET = 1 << 22;

/** An upper bound on the automaton's table entries for these atom strings (trie nodes x distinct units). */
function automatonSize(atoms: readonly string[]): number {
  const strings = new Set(atoms);
  const units = new Set<number>();
  let nodes = 1;
  for (const str of strings) {
    nodes += str.length;
    for (let i = 0; i < str.length; i++) units.add(str.charCodeAt(i));
  }
  return nodes * (units.size + 1);
}

/** Requirements of all patterns at one precision, over clauses (sets of atoms) shared between patterns. */
function compileRequirements(patterns: readonly string[], texts: readonly number[], textCount: number, precision: Precision) {
  /** by atom key: the atom and, per text, the clauses it belongs to */
  const atoms = new Map<string, { atom: Str; clauses: number[][] }>();
  const clauseIds = new Map<string, number>();
  const clauseStrength: number[] = [];
  const clause = (members: Str[], text: number): number => {
    const key = `${text}\u0000${members.map(keyOf).sort().join('\u0000')}`;
    let id = clauseIds.get(key);
    if (id === undefined) {
      id = clauseIds.size;
      clauseIds.set(key, id);
      clauseStrength.push(Math.min(...members.map(strength)));
      for (const a of members) {
        const entry = atoms.get(keyOf(a)) ?? { atom: a, clauses: Array.from({ length: textCount }, () => []) };
        entry.clauses[text]!.push(id);
        atoms.set(keyOf(a), entry);
      }
    }
    return id;
  };
  // simplify() leaves no booleans inside and/or nodes.
  const compile = (f: Formula, text: number): Compiled | boolean => {
    if (typeof f === 'boolean') return f;
    if (isStr(f)) return clause([f], text);
    if ('and' in f) return { and: f.and.map((k) => compile(k, text)) as Compiled[] };
    const members = f.or.filter(isStr);
    const rest = f.or.filter((k) => !isStr(k)).map((k) => compile(k, text)) as Compiled[];
    if (members.length === 0) return { or: rest };
    const c = clause(dedupe(members), text);
    return rest.length === 0 ? c : { or: [c, ...rest] };
  };
  const requirements = patterns.map((p, i) => {
    const r = requirementOf(p, precision);
    return r === null ? true : compile(r, texts[i]!);
  });
  return { requirements, atoms, clauseCount: clauseIds.size, clauseStrength };
}

/** Start offsets of the concatenation of `lists` (one more than there are lists). */
function offsets(lists: readonly (readonly unknown[])[]): Int32Array {
  const out = new Int32Array(lists.length + 1);
  lists.forEach((l, k) => (out[k + 1] = out[k]! + l.length));
  return out;
}

/** Whether the assertions `flags` hold at position `at` of `text` (between at - 1 and at). */
function sideHolds(flags: number, text: string, at: number): boolean {
  if (flags & START && at !== 0) return false;
  if (flags & END && at !== text.length) return false;
  if (flags & (BOUND | NONBOUND)) {
    const boundary = (at > 0 && isWordUnit(text.charCodeAt(at - 1))) !== (at < text.length && isWordUnit(text.charCodeAt(at)));
    if (flags & BOUND && !boundary) return false;
    if (flags & NONBOUND && boundary) return false;
  }
  return true;
}

function holds(f: Compiled, seen: Int32Array, from: number): boolean {
  if (typeof f === 'number') return seen[f]! >= from;
  if ('and' in f) {
    for (const k of f.and) if (!holds(k, seen, from)) return false;
    return true;
  }
  for (const k of f.or) if (holds(k, seen, from)) return true;
  return false;
}
