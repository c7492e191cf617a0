/**
 * A QR code encoder (ISO/IEC 18004, model 2) for the authenticator-app link: byte mode (UTF-8),
 * error correction level M, versions 1–40, and the mask with the lowest penalty score. It follows
 * the standard's steps in order, so each function can be read against it: data bits → codewords →
 * Reed–Solomon blocks → interleaving → placement around the function patterns → masking → format
 * and version information.
 */

export interface QrCode {
  /** 1–40: the symbol is `17 + 4 × version` modules wide. */
  version: number;
  /** The data mask used, 0–7. */
  mask: number;
  size: number;
  /** `modules[y][x]`, true for dark, without the quiet zone. */
  modules: boolean[][];
}

type Grid = boolean[][];

// Error correction characteristics for level M ("Table 9"), indexed by version (0 unused):
// error correction codewords per block, and the number of blocks.
const ecCodewordsPerBlock = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28];
const ecBlocks = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49];

export const maxVersion = 40;

// ---- Galois field GF(2^8) with the QR code's polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) ----

const exp = new Uint8Array(510);
const log = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
  exp[i] = exp[i + 255] = x;
  log[x] = i;
  x = x & 0x80 ? ((x << 1) ^ 0x11d) & 0xff : x << 1;
}

const multiply = (a: number, b: number): number => (a && b ? exp[log[a] + log[b]] : 0);

/** The Reed–Solomon generator polynomial (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest power first (leading 1 included). */
export function rsGenerator(degree: number): number[] {
  let polynomial = [1];
  for (let i = 0; i < degree; i++) {
    const next = [...polynomial, 0];
    polynomial.forEach((coefficient, j) => (next[j + 1] ^= multiply(coefficient, exp[i])));
    polynomial = next;
  }
  return polynomial;
}

/** The error correction codewords of one block: the remainder of data(x)·x^n divided by the generator. */
export function rsRemainder(data: readonly number[], generator: readonly number[]): number[] {
  const remainder = new Array<number>(generator.length - 1).fill(0);
  for (const byte of data) {
    const factor = byte ^ (remainder.shift() ?? 0);
    remainder.push(0);
    remainder.forEach((_, j) => (remainder[j] ^= multiply(generator[j + 1], factor)));
  }
  return remainder;
}

// ---- Function patterns and capacity ----

const sizeOf = (version: number) => 17 + 4 * version;
const grid = (size: number): Grid => Array.from({ length: size }, () => new Array<boolean>(size).fill(false));

/** Centre coordinates of the alignment patterns ("Annex E"): evenly spaced from the far edge back to 6. */
export function alignmentPositions(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = sizeOf(version) - 7;
  const step = version === 32 ? 26 : Math.ceil((last - 6) / (count - 1) / 2) * 2;
  return [6, ...Array.from({ length: count - 1 }, (_, i) => last - (count - 2 - i) * step)];
}

/** The 15 format information bits for level M and a mask: BCH(15,5) with 0x537, then XOR 0x5412. */
export function formatBits(mask: number): number {
  const data = (0b00 << 3) | mask; // level M is 00
  let remainder = data << 10;
  for (let bit = 14; bit >= 10; bit--) if ((remainder >> bit) & 1) remainder ^= 0x537 << (bit - 10);
  return ((data << 10) | remainder) ^ 0x5412;
}

/** The 18 version information bits (versions 7 and up): BCH(18,6) with 0x1F25. */
export function versionBits(version: number): number {
  let remainder = version << 12;
  for (let bit = 17; bit >= 12; bit--) if ((remainder >> bit) & 1) remainder ^= 0x1f25 << (bit - 12);
  return (version << 12) | remainder;
}

/**
 * A symbol with its function patterns drawn (finders with separators, timing, alignment, the dark
 * module, version information) and the format areas reserved: `function` marks every module that
 * is not for data.
 */
function functionPatterns(version: number): { modules: Grid; reserved: Grid } {
  const size = sizeOf(version);
  const modules = grid(size);
  const reserved = grid(size);
  const set = (x: number, y: number, dark: boolean) => {
    modules[y][x] = dark;
    reserved[y][x] = true;
  };

  // Finder patterns with their light separators, in three corners.
  for (const [left, top] of [[0, 0], [size - 7, 0], [0, size - 7]]) {
    for (let dy = -1; dy <= 7; dy++) {
      for (let dx = -1; dx <= 7; dx++) {
        const x = left + dx;
        const y = top + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3)); // 0 centre … 3 outer edge, 4 separator
        set(x, y, ring !== 2 && ring !== 4);
      }
    }
  }
  // Timing patterns between the finders.
  for (let i = 8; i < size - 8; i++) {
    set(i, 6, i % 2 === 0);
    set(6, i, i % 2 === 0);
  }
  // Alignment patterns, except where a finder is.
  const centres = alignmentPositions(version);
  const last = centres.length - 1;
  centres.forEach((cx, i) =>
    centres.forEach((cy, j) => {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }),
  );
  // Format information areas (written once the mask is known) and the dark module.
  for (let i = 0; i <= 8; i++) reserved[8][i] = reserved[i][8] = true;
  for (let i = 0; i < 8; i++) reserved[8][size - 1 - i] = reserved[size - 1 - i][8] = true;
  set(8, size - 8, true);
  // Version information, in two 6 × 3 blocks.
  if (version >= 7) {
    const bits = versionBits(version);
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >> i) & 1) === 1;
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      set(a, b, dark);
      set(b, a, dark);
    }
  }
  return { modules, reserved };
}

const count = (cells: Grid): number => cells.reduce((sum, row) => sum + row.filter(Boolean).length, 0);

const totals: number[] = [];

/** All codewords a version holds (data and error correction): its modules less the function patterns, in bytes. */
export function totalCodewords(version: number): number {
  const size = sizeOf(version);
  return (totals[version] ??= Math.floor((size * size - count(functionPatterns(version).reserved)) / 8));
}

export function dataCodewords(version: number): number {
  return totalCodewords(version) - ecCodewordsPerBlock[version] * ecBlocks[version];
}

const countBits = (version: number) => (version <= 9 ? 8 : 16);

/** How many bytes fit in a version at level M in byte mode. */
export function byteCapacity(version: number): number {
  return Math.floor((dataCodewords(version) * 8 - 4 - countBits(version)) / 8);
}

// ---- Data codewords, error correction, interleaving ----

function dataBitstream(bytes: Uint8Array, version: number): number[] {
  const capacity = dataCodewords(version) * 8;
  const bits: number[] = [];
  const append = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >> i) & 1);
  };
  append(0b0100, 4); // byte mode
  append(bytes.length, countBits(version));
  bytes.forEach((byte) => append(byte, 8));
  append(0, Math.min(4, capacity - bits.length)); // terminator
  append(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) append(pad, 8);
  const codewords: number[] = [];
  for (let i = 0; i < bits.length; i += 8) codewords.push(bits.slice(i, i + 8).reduce((byte, bit) => (byte << 1) | bit, 0));
  return codewords;
}

/** Splits the data into blocks (the short ones first), adds each block's error correction, and interleaves them. */
function finalCodewords(data: number[], version: number): number[] {
  const blocks = ecBlocks[version];
  const ecLength = ecCodewordsPerBlock[version];
  const total = totalCodewords(version);
  const shortBlocks = blocks - (total % blocks);
  const shortData = Math.floor(total / blocks) - ecLength;
  const generator = rsGenerator(ecLength);
  const dataBlocks: number[][] = [];
  for (let i = 0, start = 0; i < blocks; i++) {
    const length = shortData + (i < shortBlocks ? 0 : 1);
    dataBlocks.push(data.slice(start, start + length));
    start += length;
  }
  const ecc = dataBlocks.map((block) => rsRemainder(block, generator));
  const result: number[] = [];
  for (let i = 0; i <= shortData; i++) dataBlocks.forEach((block) => i < block.length && result.push(block[i]));
  for (let i = 0; i < ecLength; i++) ecc.forEach((block) => result.push(block[i]));
  return result;
}

// ---- Placement, masking, penalty ----

/** Places the codewords' bits in two-module columns, zigzagging up and down from the bottom right, around the function patterns. */
function placeCodewords(modules: Grid, reserved: Grid, codewords: number[]): void {
  const size = modules.length;
  let index = 0;
  let upward = true;
  for (let right = size - 1; right > 0; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern takes a whole column
    for (let step = 0; step < size; step++) {
      const y = upward ? size - 1 - step : step;
      for (const x of [right, right - 1]) {
        if (reserved[y][x]) continue;
        // Remainder bits past the last codeword stay light.
        modules[y][x] = index < codewords.length * 8 && ((codewords[index >> 3] >> (7 - (index & 7))) & 1) === 1;
        index++;
      }
    }
    upward = !upward;
  }
}

const maskConditions: ((y: number, x: number) => boolean)[] = [
  (y, x) => (y + x) % 2 === 0,
  (y) => y % 2 === 0,
  (_, x) => x % 3 === 0,
  (y, x) => (y + x) % 3 === 0,
  (y, x) => (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0,
  (y, x) => ((y * x) % 2) + ((y * x) % 3) === 0,
  (y, x) => (((y * x) % 2) + ((y * x) % 3)) % 2 === 0,
  (y, x) => (((y + x) % 2) + ((y * x) % 3)) % 2 === 0,
];

function drawFormat(modules: Grid, mask: number): void {
  const size = modules.length;
  const bits = formatBits(mask);
  const bit = (i: number) => ((bits >> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) modules[i][8] = bit(i);
  modules[7][8] = bit(6);
  modules[8][8] = bit(7);
  modules[8][7] = bit(8);
  for (let i = 9; i < 15; i++) modules[8][14 - i] = bit(i);
  for (let i = 0; i < 8; i++) modules[8][size - 1 - i] = bit(i);
  for (let i = 8; i < 15; i++) modules[size - 15 + i][8] = bit(i);
}

function masked(modules: Grid, reserved: Grid, mask: number): Grid {
  const condition = maskConditions[mask];
  const result = modules.map((row, y) => row.map((dark, x) => (reserved[y][x] ? dark : dark !== condition(y, x))));
  drawFormat(result, mask);
  return result;
}

/** The penalty score of a masked symbol ("evaluation of data masking results"): lower is easier to read. */
export function penalty(modules: Grid): number {
  const size = modules.length;
  const columns = modules.map((_, x) => modules.map((row) => row[x]));
  let score = 0;
  for (const line of [...modules, ...columns]) {
    // N1: five or more same-coloured modules in a row: 3, plus 1 for each module beyond five.
    let run = 1;
    for (let i = 1; i <= size; i++) {
      if (i < size && line[i] === line[i - 1]) run++;
      else {
        if (run >= 5) score += 3 + (run - 5);
        run = 1;
      }
    }
    // N3: a 1:1:3:1:1 finder-like pattern with four light modules on either side (outside is light).
    const light = (from: number) => [0, 1, 2, 3].every((k) => !line[from + k]);
    for (let i = 0; i + 7 <= size; i++) {
      const finderLike = line[i] && !line[i + 1] && line[i + 2] && line[i + 3] && line[i + 4] && !line[i + 5] && line[i + 6];
      if (finderLike && (light(i - 4) || light(i + 7))) score += 40;
    }
  }
  // N2: each 2 × 2 block of one colour.
  for (let y = 0; y + 1 < size; y++) {
    for (let x = 0; x + 1 < size; x++) {
      const dark = modules[y][x];
      if (modules[y][x + 1] === dark && modules[y + 1][x] === dark && modules[y + 1][x + 1] === dark) score += 3;
    }
  }
  // N4: 10 for each full 5 % the dark proportion is away from 50 %.
  const total = size * size;
  score += 10 * Math.floor(Math.abs(20 * count(modules) - 10 * total) / total);
  return score;
}

export interface EncodeOptions {
  /** Use this mask instead of the one with the lowest penalty (for tests). */
  mask?: number;
}

/** Encodes text (as UTF-8) in the smallest version that holds it. Throws a RangeError when it is too long for any. */
export function encodeQr(text: string, options: EncodeOptions = {}): QrCode {
  const bytes = new TextEncoder().encode(text);
  let version = 1;
  while (byteCapacity(version) < bytes.length) {
    if (++version > maxVersion) throw new RangeError(`Too long for a QR code: ${bytes.length} bytes`);
  }
  const { modules, reserved } = functionPatterns(version);
  placeCodewords(modules, reserved, finalCodewords(dataBitstream(bytes, version), version));
  const candidates = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
  let best: { mask: number; modules: Grid; score: number } | null = null;
  for (const mask of candidates) {
    const symbol = masked(modules, reserved, mask);
    const score = penalty(symbol);
    if (!best || score < best.score) best = { mask, modules: symbol, score };
  }
  const chosen = best!;
  return { version, mask: chosen.mask, size: modules.length, modules: chosen.modules };
}

// ---- Rendering ----

/** SVG path data for the dark modules, one rectangle per horizontal run, offset by the quiet zone. */
export function qrPath(code: QrCode, quietZone = 4): string {
  const parts: string[] = [];
  code.modules.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      const start = x;
      while (x + 1 < row.length && row[x + 1]) x++;
      const width = x - start + 1;
      parts.push(`M${start + quietZone} ${y + quietZone}h${width}v1h-${width}z`);
    }
  });
  return parts.join("");
}

const svgNamespace = "http://www.w3.org/2000/svg";

/**
 * The QR code as an `<svg role="img">` named `label`, dark on white with a quiet zone of four
 * modules (the standard's minimum), scaling to whatever size CSS gives it.
 */
export function qrSvg(code: QrCode, label: string, quietZone = 4): SVGSVGElement {
  const extent = code.size + 2 * quietZone;
  const element = <K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string>): SVGElementTagNameMap[K] => {
    const node = document.createElementNS(svgNamespace, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  };
  const svg = element("svg", { viewBox: `0 0 ${extent} ${extent}`, role: "img", "aria-label": label, class: "qr-code" });
  const title = element("title", {});
  title.textContent = label;
  svg.append(
    title,
    element("rect", { width: String(extent), height: String(extent), fill: "#fff" }),
    element("path", { d: qrPath(code, quietZone), fill: "#000", "shape-rendering": "crispEdges" }),
  );
  return svg;
}
