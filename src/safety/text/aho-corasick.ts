/**
 * safety/text Aho-Corasick: finds every occurrence of a fixed set of strings in one left-to-right pass, as a
 * dense automaton over UTF-16 code units.
 *
 * The rule prefilter scans every message with it, so the per-character step is kept to two typed-array
 * reads: code units are first mapped to a small alphabet (one class per distinct unit that occurs in some
 * pattern, class 0 for everything else), and the goto and failure links are folded into one transition
 * table indexed by state * classes + class. Building that table costs states x classes ints once per
 * compiled rule set; a Map per node would cost a hash lookup and failure-link walks per character.
 */

/** Maps an ASCII code unit to the unit it should be read as (both < 0x80). */
export type AsciiAlias = (unit: number) => number;

export class AhoCorasick {
  /** pattern lengths in code units, by pattern id */
  readonly lengths: Int32Array;
  /** ids of the patterns that end in state s: outIds[outStart[s] .. outStart[s + 1]) */
  readonly outStart: Int32Array;
  readonly outIds: Int32Array;
  // The tables are public so that a hot loop can inline next() (see rules-prefilter.ts).
  /** the alphabet: class of each ASCII unit, and of the other units that occur in some pattern */
  readonly classCount: number;
  readonly asciiClass: Uint16Array;
  readonly otherClass: Map<number, number>;
  /** delta[state * classCount + class]: the next state (goto and failure links folded together) */
  readonly delta: Int32Array | Uint16Array;

  /**
   * `alias` folds ASCII units together before matching (e.g. every whitespace character read as a space);
   * patterns must be written in the folded form. Empty patterns are not allowed.
   */
  constructor(patterns: readonly string[], alias: AsciiAlias = (u) => u) {
    const classOfUnit = new Map<number, number>();
    for (const p of patterns) {
      if (p.length === 0) throw new Error('AhoCorasick: empty pattern');
      for (let k = 0; k < p.length; k++) {
        const u = p.charCodeAt(k);
        if (!classOfUnit.has(u)) classOfUnit.set(u, classOfUnit.size + 1);
      }
    }
    this.classCount = classOfUnit.size + 1;
    this.asciiClass = new Uint16Array(128);
    for (let u = 0; u < 128; u++) this.asciiClass[u] = classOfUnit.get(alias(u)) ?? 0;
    this.otherClass = new Map([...classOfUnit].filter(([u]) => u >= 128));

    // Trie with sparse children, then a breadth-first pass that fills the dense table.
    const children: Map<number, number>[] = [new Map()];
    const own: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      for (let k = 0; k < p.length; k++) {
        const cls = classOfUnit.get(p.charCodeAt(k))!;
        let next = children[s]!.get(cls);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          own.push([]);
          children[s]!.set(cls, next);
        }
        s = next;
      }
      own[s]!.push(id);
    });
    const states = children.length;
    const K = this.classCount;
    const delta = new Int32Array(states * K);
    const fail = new Int32Array(states);
    const outputs: number[][] = own.map((o) => [...o]);
    const queue: number[] = [];
    for (const [cls, child] of children[0]!) {
      delta[cls] = child;
      queue.push(child);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      outputs[s]!.push(...outputs[fail[s]!]!);
      for (let cls = 0; cls < K; cls++) {
        const child = children[s]!.get(cls);
        if (child === undefined) delta[s * K + cls] = delta[fail[s]! * K + cls]!;
        else {
          fail[child] = delta[fail[s]! * K + cls]!;
          delta[s * K + cls] = child;
          queue.push(child);
        }
      }
    }
    // Half the memory (and cache misses) when state numbers fit 16 bits, as they do for any realistic rule set.
    this.delta = states <= 0x10000 ? Uint16Array.from(delta) : delta;
    this.outStart = new Int32Array(states + 1);
    for (let s = 0; s < states; s++) this.outStart[s + 1] = this.outStart[s]! + outputs[s]!.length;
    this.outIds = new Int32Array(this.outStart[states]!);
    for (let s = 0; s < states; s++) this.outIds.set(outputs[s]!, this.outStart[s]!);
    this.lengths = Int32Array.from(patterns, (p) => p.length);
  }

  /** The state after reading code unit `unit` in state `state` (the start state is 0). */
  next(state: number, unit: number): number {
    const cls = unit < 128 ? this.asciiClass[unit]! : this.otherClass.size === 0 ? 0 : (this.otherClass.get(unit) ?? 0);
    return this.delta[state * this.classCount + cls]!;
  }

  /**
   * Calls `visit(id, start, end)` for every occurrence of every pattern (end exclusive), in order of end.
   * The reference use of the tables; the rule prefilter inlines the same steps in its own loop.
   */
  forEachMatch(text: string, visit: (id: number, start: number, end: number) => void): void {
    let s = 0;
    for (let k = 0; k < text.length; k++) {
      s = this.next(s, text.charCodeAt(k));
      for (let o = this.outStart[s]!; o < this.outStart[s + 1]!; o++) {
        const id = this.outIds[o]!;
        visit(id, k + 1 - this.lengths[id]!, k + 1);
      }
    }
  }
}
