/**
 * safety/pdq downsampling: the reference's two-pass Jarosz tent filter (box filter along rows, then along
 * columns, twice) and its decimation to 64x64, streamed row by row so no full-size float buffer is needed.
 *
 * Bit-exactness: every box filter keeps a float running sum updated in the reference's exact order (see
 * box1DFloat in downscaling.cpp): (half-1) adds with no output, then outputs over a growing window, then
 * add-then-subtract over the full window, then subtracts over a shrinking window; each output is
 * sum / count in float. Only the memory layout differs: row filters run four rows side by side (four
 * independent rounding chains keep the CPU busy), column filters keep one running sum per column and walk
 * rows in order, and the second pass only divides where decimation will read. Each column-filter output
 * row goes straight to the second row pass, so only a ring of recent rows is kept, never the full image.
 *
 * Division: in the full-window phases sum / n is computed as sum * (1 / n) in double and rounded to float
 * on store. For a float sum and an integer n below 2^26 this always rounds to the same float as the true
 * quotient (the quotient can come no closer to a rounding midpoint than about 2^-25 / n relative, far more
 * than the two double roundings' error of 2^-52), and the oracle test checks it against real division.
 */

const fround = Math.fround;
const OUT = 64;
const LANES = 4;

/** Per-pass window: half of one 64th of the dimension, rounded up (two passes make a full tent). */
export function jaroszWindow(dim: number): number {
  return Math.trunc((dim + 2 * OUT - 1) / (2 * OUT));
}

/** Which input index the reference's decimation reads for each of the 64 outputs (pixel centres). */
function fillSamples(keep: Int32Array, dim: number): void {
  for (let k = 0; k < OUT; k++) keep[k] = Math.trunc(((k + 0.5) * dim) / OUT);
}

/** First row pass on four rows at once; every output is written. */
function boxRows4(
  src: Float32Array,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  dst: Float32Array,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  cols: number,
  full: number,
): void {
  const half = (full + 2) >> 1;
  const lag = full - half + 1; // distance from an output to the input it subtracts
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let n = 0;
  let ri = 0;
  for (; ri < half - 1; ri++) {
    a0 = fround(a0 + src[s0 + ri]);
    a1 = fround(a1 + src[s1 + ri]);
    a2 = fround(a2 + src[s2 + ri]);
    a3 = fround(a3 + src[s3 + ri]);
    n++;
  }
  let oi = 0;
  for (; oi < lag; oi++, ri++) {
    a0 = fround(a0 + src[s0 + ri]);
    a1 = fround(a1 + src[s1 + ri]);
    a2 = fround(a2 + src[s2 + ri]);
    a3 = fround(a3 + src[s3 + ri]);
    n++;
    dst[d0 + oi] = a0 / n;
    dst[d1 + oi] = a1 / n;
    dst[d2 + oi] = a2 / n;
    dst[d3 + oi] = a3 / n;
  }
  const inv = 1 / n;
  for (let li = 0; ri < cols; oi++, ri++, li++) {
    a0 = fround(fround(a0 + src[s0 + ri]) - src[s0 + li]);
    a1 = fround(fround(a1 + src[s1 + ri]) - src[s1 + li]);
    a2 = fround(fround(a2 + src[s2 + ri]) - src[s2 + li]);
    a3 = fround(fround(a3 + src[s3 + ri]) - src[s3 + li]);
    dst[d0 + oi] = a0 * inv;
    dst[d1 + oi] = a1 * inv;
    dst[d2 + oi] = a2 * inv;
    dst[d3 + oi] = a3 * inv;
  }
  for (let li = oi - lag; oi < cols; oi++, li++) {
    a0 = fround(a0 - src[s0 + li]);
    a1 = fround(a1 - src[s1 + li]);
    a2 = fround(a2 - src[s2 + li]);
    a3 = fround(a3 - src[s3 + li]);
    n--;
    dst[d0 + oi] = a0 / n;
    dst[d1 + oi] = a1 / n;
    dst[d2 + oi] = a2 / n;
    dst[d3 + oi] = a3 / n;
  }
}

/**
 * Second row pass on four rows at once, keeping only the 64 decimated columns (dst rows are 64 wide). The
 * running sums still visit every pixel, since that is what fixes their rounding.
 */
function boxRows4Sampled(
  src: Float32Array,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  dst: Float32Array,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  cols: number,
  full: number,
  keep: Int32Array,
): void {
  const half = (full + 2) >> 1;
  const lag = full - half + 1;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let n = 0;
  let ri = 0;
  let t = 0;
  let next = keep[0];
  for (; ri < half - 1; ri++) {
    a0 = fround(a0 + src[s0 + ri]);
    a1 = fround(a1 + src[s1 + ri]);
    a2 = fround(a2 + src[s2 + ri]);
    a3 = fround(a3 + src[s3 + ri]);
    n++;
  }
  let oi = 0;
  for (; oi < lag; oi++, ri++) {
    a0 = fround(a0 + src[s0 + ri]);
    a1 = fround(a1 + src[s1 + ri]);
    a2 = fround(a2 + src[s2 + ri]);
    a3 = fround(a3 + src[s3 + ri]);
    n++;
    while (next === oi) {
      dst[d0 + t] = a0 / n;
      dst[d1 + t] = a1 / n;
      dst[d2 + t] = a2 / n;
      dst[d3 + t] = a3 / n;
      next = ++t < OUT ? keep[t] : -1;
    }
  }
  for (let li = 0; ri < cols; oi++, ri++, li++) {
    a0 = fround(fround(a0 + src[s0 + ri]) - src[s0 + li]);
    a1 = fround(fround(a1 + src[s1 + ri]) - src[s1 + li]);
    a2 = fround(fround(a2 + src[s2 + ri]) - src[s2 + li]);
    a3 = fround(fround(a3 + src[s3 + ri]) - src[s3 + li]);
    while (next === oi) {
      dst[d0 + t] = a0 / n;
      dst[d1 + t] = a1 / n;
      dst[d2 + t] = a2 / n;
      dst[d3 + t] = a3 / n;
      next = ++t < OUT ? keep[t] : -1;
    }
  }
  // Shrinking window: stop once the last kept column is written.
  for (let li = oi - lag; t < OUT; oi++, li++) {
    a0 = fround(a0 - src[s0 + li]);
    a1 = fround(a1 - src[s1 + li]);
    a2 = fround(a2 - src[s2 + li]);
    a3 = fround(a3 - src[s3 + li]);
    n--;
    while (next === oi) {
      dst[d0 + t] = a0 / n;
      dst[d1 + t] = a1 / n;
      dst[d2 + t] = a2 / n;
      dst[d3 + t] = a3 / n;
      next = ++t < OUT ? keep[t] : -1;
    }
  }
}

/** Where the pixels come from: a float luminance plane, or packed RGB turned into luminance per row. */
export type LumaRows = (row: number, count: number, out: Float32Array) => void;

type Buffers = {
  cols: number;
  rows: number;
  lumaBatch: Float32Array; // LANES rows of luminance (RGB input only)
  ring: Float32Array; // recent outputs of the first row pass
  colSums: Float32Array; // running sums of the first column pass
  passB: Float32Array; // up to LANES rows output by the first column pass
  narrow: Float32Array; // rows x 64: second row pass, decimated columns only
};

let cached: Buffers | null = null;
// Scratch is kept between calls unless an image was unusually wide or tall.
const KEEP_MAX_FLOATS = 1 << 20;

function buffers(cols: number, rows: number, ringRows: number): Buffers {
  const c = cached;
  if (c && c.cols >= cols && c.rows >= rows && c.ring.length >= ringRows * cols) return c;
  const b: Buffers = {
    cols,
    rows,
    lumaBatch: new Float32Array(LANES * cols),
    ring: new Float32Array(ringRows * cols),
    colSums: new Float32Array(cols),
    passB: new Float32Array(LANES * cols),
    narrow: new Float32Array(rows * OUT),
  };
  if (ringRows * cols + rows * OUT <= KEEP_MAX_FLOATS) cached = b;
  return b;
}

/**
 * Rows output by the first column pass wait in passB until four can go through the second row pass
 * together. Module state rather than closures: this runs once per image row.
 */
let qCount = 0; // rows waiting in passB
let qFirst = 0; // image row index of the first waiting row

/** Sends the waiting rows (at most four) through the second row pass; lanes past the last repeat it. */
function qFlush(passB: Float32Array, narrow: Float32Array, width: number, wRow: number): void {
  if (qCount === 0) return;
  const last = qCount - 1;
  boxRows4Sampled(
    passB,
    0,
    Math.min(1, last) * width,
    Math.min(2, last) * width,
    last * width,
    narrow,
    qFirst * OUT,
    (qFirst + Math.min(1, last)) * OUT,
    (qFirst + Math.min(2, last)) * OUT,
    (qFirst + last) * OUT,
    width,
    wRow,
    keepCols,
  );
  qFirst += qCount;
  qCount = 0;
}

// The first column pass in its four phases (see the file comment); one running sum per column.
function colAdd(sums: Float32Array, ring: Float32Array, add: number, width: number): void {
  for (let c = 0; c < width; c++) sums[c] = sums[c] + ring[add + c];
}

function colAddOut(sums: Float32Array, ring: Float32Array, add: number, dst: Float32Array, o: number, width: number, n: number): void {
  for (let c = 0; c < width; c++) {
    const v = fround(sums[c] + ring[add + c]);
    sums[c] = v;
    dst[o + c] = v / n;
  }
}

function colAddSubOut(
  sums: Float32Array,
  ring: Float32Array,
  add: number,
  sub: number,
  dst: Float32Array,
  o: number,
  width: number,
  n: number,
): void {
  const inv = 1 / n;
  for (let c = 0; c < width; c++) {
    const v = fround(fround(sums[c] + ring[add + c]) - ring[sub + c]);
    sums[c] = v;
    dst[o + c] = v * inv;
  }
}

function colSubOut(sums: Float32Array, ring: Float32Array, sub: number, dst: Float32Array, o: number, width: number, n: number): void {
  for (let c = 0; c < width; c++) {
    const v = fround(sums[c] - ring[sub + c]);
    sums[c] = v;
    dst[o + c] = v / n;
  }
}

const keepCols = new Int32Array(OUT);
const keepRows = new Int32Array(OUT);
const sums64 = new Float32Array(OUT);

/**
 * Blurs and decimates a width x height luminance image into out (64x64). Pixels come either from `plane`
 * (row-major, only read) or, when plane is null, from `fill`, which writes `count` rows starting at `row`.
 */
export function downsampleTo64(
  width: number,
  height: number,
  plane: Float32Array | null,
  fill: LumaRows | null,
  out: Float32Array,
): void {
  const wRow = jaroszWindow(width);
  const wCol = jaroszWindow(height);
  const hCol = (wCol + 2) >> 1;
  const lagCol = wCol - hCol + 1;
  const ringRows = wCol + LANES;
  const buf = buffers(width, height, ringRows);
  const { lumaBatch, ring, colSums, passB, narrow } = buf;
  fillSamples(keepCols, width);
  fillSamples(keepRows, height);
  colSums.fill(0, 0, width);

  let n = 0; // window count of the first column pass
  qCount = 0;
  qFirst = 0;
  const slot = (r: number): number => (r % ringRows) * width;

  for (let r0 = 0; r0 < height; r0 += LANES) {
    const count = Math.min(LANES, height - r0);
    let src = plane;
    let base = r0 * width;
    if (!src) {
      fill!(r0, count, lumaBatch);
      src = lumaBatch;
      base = 0;
    }
    // Lanes past `count` repeat the last row: the same values written twice, and no 1..3-row variant.
    const last = count - 1;
    boxRows4(
      src,
      base,
      base + Math.min(1, last) * width,
      base + Math.min(2, last) * width,
      base + last * width,
      ring,
      slot(r0),
      slot(r0 + Math.min(1, last)),
      slot(r0 + Math.min(2, last)),
      slot(r0 + last),
      width,
      wRow,
    );

    // First column pass, one row at a time in order (one running sum per column, independent across
    // columns, so the CPU overlaps them); its outputs queue for the second row pass.
    for (let r = r0; r < r0 + count; r++) {
      if (r < hCol - 1) {
        colAdd(colSums, ring, slot(r), width);
        n++;
        continue;
      }
      if (qCount === 0) qFirst = r - (hCol - 1);
      if (r < wCol) colAddOut(colSums, ring, slot(r), passB, qCount * width, width, ++n);
      else colAddSubOut(colSums, ring, slot(r), slot(r - wCol), passB, qCount * width, width, n);
      if (++qCount === LANES) qFlush(passB, narrow, width, wRow);
    }
  }
  for (let oi = height - hCol + 1; oi < height; oi++) {
    if (qCount === 0) qFirst = oi;
    colSubOut(colSums, ring, slot(oi - lagCol), passB, qCount * width, width, --n);
    if (++qCount === LANES) qFlush(passB, narrow, width, wRow);
  }
  qFlush(passB, narrow, width, wRow);
  boxColsSampled(narrow, out, height, wCol, keepRows);
}

/** Second column pass over the rows x 64 buffer, writing only the 64 rows that decimation reads. */
function boxColsSampled(src: Float32Array, dst: Float32Array, rows: number, full: number, keep: Int32Array): void {
  const half = (full + 2) >> 1;
  const lag = full - half + 1;
  const sums = sums64;
  sums.fill(0);
  let n = 0;
  let t = 0;
  const emit = (oi: number): void => {
    while (t < OUT && keep[t] === oi) {
      const o = t * OUT;
      for (let c = 0; c < OUT; c++) dst[o + c] = sums[c] / n;
      t++;
    }
  };
  let ri = 0;
  for (; ri < half - 1; ri++) {
    for (let c = 0; c < OUT; c++) sums[c] = sums[c] + src[ri * OUT + c];
    n++;
  }
  let oi = 0;
  for (; oi < lag; oi++, ri++) {
    for (let c = 0; c < OUT; c++) sums[c] = sums[c] + src[ri * OUT + c];
    n++;
    emit(oi);
  }
  for (let li = 0; ri < rows; oi++, ri++, li++) {
    for (let c = 0; c < OUT; c++) sums[c] = fround(sums[c] + src[ri * OUT + c]) - src[li * OUT + c];
    emit(oi);
  }
  for (let li = oi - lag; t < OUT; oi++, li++) {
    for (let c = 0; c < OUT; c++) sums[c] = sums[c] - src[li * OUT + c];
    n--;
    emit(oi);
  }
}
