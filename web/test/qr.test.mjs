import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  alignmentPositions,
  byteCapacity,
  dataCodewords,
  encodeQr,
  formatBits,
  penalty,
  qrPath,
  rsGenerator,
  rsRemainder,
  totalCodewords,
  versionBits,
} from "../.test-build/qr.js";

/** α^k in GF(256) with x^8 + x^4 + x^3 + x^2 + 1, computed here independently of the encoder. */
function alpha(k) {
  let value = 1;
  for (let i = 0; i < k; i++) value = value & 0x80 ? ((value << 1) ^ 0x11d) & 0xff : value << 1;
  return value;
}

const picture = (code) => code.modules.map((row) => row.map((dark) => (dark ? "#" : ".")).join(""));
const digest = (code) => createHash("sha256").update(picture(code).join("\n")).digest("hex");

// A realistic enrolment link: what the Auth Server sends for a 20-byte secret.
const otpauthUri =
  "otpauth://totp/Gatehouse:ada.lovelace%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30";

describe("QR code: Reed–Solomon", () => {
  it("builds the generator polynomials of the standard's Annex A (as powers of α)", () => {
    const asPowers = (exponents) => exponents.map(alpha);
    assert.deepEqual(rsGenerator(7), asPowers([0, 87, 229, 146, 149, 238, 102, 21]));
    assert.deepEqual(rsGenerator(10), asPowers([0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45]));
  });

  it("computes the error correction codewords of a known 1-M block", () => {
    // "HELLO WORLD" in alphanumeric mode, version 1-M: a widely published worked example.
    const data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17];
    assert.deepEqual(rsRemainder(data, rsGenerator(10)), [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
  });
});

describe("QR code: format and version information", () => {
  it("writes the format bits of level M for each of the eight masks", () => {
    const expected = [
      "101010000010010",
      "101000100100101",
      "101111001111100",
      "101101101001011",
      "100010111111001",
      "100000011001110",
      "100111110010111",
      "100101010100000",
    ];
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((mask) => formatBits(mask).toString(2).padStart(15, "0")), expected);
  });

  it("writes the version bits of the standard's table", () => {
    assert.deepEqual(
      [7, 8, 9, 10, 11, 40].map(versionBits),
      [0x07c94, 0x085bc, 0x09a99, 0x0a4d3, 0x0bbf6, 0x28c69],
    );
  });

  it("places the version information in both corners of a version 7 symbol", () => {
    const code = encodeQr("z".repeat(122));
    assert.equal(code.version, 7);
    const { size, modules } = code;
    for (let i = 0; i < 18; i++) {
      const bit = ((0x07c94 >> i) & 1) === 1;
      assert.equal(modules[Math.floor(i / 3)][size - 11 + (i % 3)], bit, `top right, bit ${i}`);
      assert.equal(modules[size - 11 + (i % 3)][Math.floor(i / 3)], bit, `bottom left, bit ${i}`);
    }
  });
});

describe("QR code: versions and capacity", () => {
  it("has the codeword counts of the standard's table for level M", () => {
    const versions = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 40];
    assert.deepEqual(versions.map(totalCodewords), [26, 44, 70, 100, 134, 172, 196, 242, 292, 346, 3706]);
    assert.deepEqual(versions.map(dataCodewords), [16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 2334]);
    assert.deepEqual(versions.map(byteCapacity), [14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 2331]);
  });

  it("places the alignment patterns where the standard's Annex E says", () => {
    assert.deepEqual(alignmentPositions(1), []);
    assert.deepEqual(alignmentPositions(2), [6, 18]);
    assert.deepEqual(alignmentPositions(6), [6, 34]);
    assert.deepEqual(alignmentPositions(7), [6, 22, 38]);
    assert.deepEqual(alignmentPositions(10), [6, 28, 50]);
    assert.deepEqual(alignmentPositions(32), [6, 34, 60, 86, 112, 138]);
    assert.deepEqual(alignmentPositions(40), [6, 30, 58, 86, 114, 142, 170]);
  });

  it("chooses the smallest version that holds the text, at each boundary", () => {
    const boundaries = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213];
    boundaries.forEach((bytes, index) => {
      const version = index + 1;
      assert.equal(encodeQr("a".repeat(bytes)).version, version, `${bytes} bytes fit version ${version}`);
      assert.equal(encodeQr("a".repeat(bytes + 1)).version, version + 1, `${bytes + 1} bytes need version ${version + 1}`);
      assert.equal(encodeQr("a".repeat(bytes)).size, 17 + 4 * version);
    });
  });

  it("counts UTF-8 bytes, not characters", () => {
    assert.equal(encodeQr("é".repeat(7)).version, 1); // 14 bytes
    assert.equal(encodeQr("é".repeat(7) + "a").version, 2); // 15 bytes
  });

  it("refuses text too long for version 40", () => {
    assert.equal(encodeQr("a".repeat(2331)).version, 40);
    assert.throws(() => encodeQr("a".repeat(2332)), RangeError);
  });
});

describe("QR code: masking", () => {
  it("scores a hand-checked symbol by the four penalty rules", () => {
    // 7 × 7, all light but the middle row 1011101 (a finder-like pattern with light outside):
    // N1 6 light rows + 2 light columns of 7 = 8 × 5 = 40; N2 24 light 2 × 2 blocks = 72;
    // N3 one pattern = 40; N4 5 dark of 49 (10.2 %) = 7 × 10 = 70.
    const modules = Array.from({ length: 7 }, () => new Array(7).fill(false));
    [0, 2, 3, 4, 6].forEach((x) => (modules[3][x] = true));
    assert.equal(penalty(modules), 222);
    const checkerboard = Array.from({ length: 6 }, (_, y) => Array.from({ length: 6 }, (_, x) => (x + y) % 2 === 0));
    assert.equal(penalty(checkerboard), 0);
  });

  it("picks the mask with the lowest penalty, the first on a tie", () => {
    for (const text of ["Gatehouse", "hello wörld ✓", otpauthUri]) {
      const chosen = encodeQr(text);
      const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((mask) => penalty(encodeQr(text, { mask }).modules));
      assert.equal(chosen.mask, scores.indexOf(Math.min(...scores)), text);
      assert.deepEqual(chosen.modules, encodeQr(text, { mask: chosen.mask }).modules);
    }
  });
});

describe("QR code: whole symbols", () => {
  // References from two independent encoders (byte mode, level M, no level boost), which agree
  // with each other module for module.
  it("encodes a short text exactly as the reference does", () => {
    const code = encodeQr("Gatehouse");
    assert.equal(code.version, 1);
    assert.equal(code.mask, 7);
    assert.deepEqual(picture(code), [
      "#######...#...#######",
      "#.....#..####.#.....#",
      "#.###.#..#..#.#.###.#",
      "#.###.#...#...#.###.#",
      "#.###.#..##.#.#.###.#",
      "#.....#.##.##.#.....#",
      "#######.#.#.#.#######",
      ".........#.##........",
      "#..#.##.#.#..#.#.....",
      ".#.......#...#..##.##",
      "..#.#####.#.#..#.##.#",
      "....#..#.#.#..#..#...",
      "..#####.##..#..###.##",
      "........####.#.......",
      "#######..#...#.#####.",
      "#.....#.######..#....",
      "#.###.#..#.#.####..#.",
      "#.###.#.####...###.##",
      "#.###.#..##.#..####.#",
      "#.....#..##..####....",
      "#######.#..##....#.#.",
    ]);
  });

  it("encodes larger symbols (several blocks, version information, UTF-8) as the reference does", () => {
    const cases = [
      { text: "Gatehouse", mask: 3, version: 1, sha256: "c57e49bf30fc7cdbc103da231de159492a243b001c85cf2850270cc7bff14336" },
      { text: "hello wörld ✓", version: 2, mask: 2, sha256: "e7c45215df40a91ce963fa72385838d4ed85675cfb64cb5a9a7de89779bbf913" },
      { text: "z".repeat(122), version: 7, mask: 1, sha256: "04e2ed92fe1d7743fe93ac669b770c4e69d0907186b50fd576a85d21d088b570" },
      { text: otpauthUri, mask: 2, version: 8, sha256: "0e71fcd8b0f2740349f3fe437f6d9104f09fef8a1e391f713fbb8d8c8b704520" },
      { text: "w".repeat(213), mask: 6, version: 10, sha256: "fe7d63e9aaf24825c5b8bee948e5df0aadeca5a60630d47b52b3effabb1f84c3" },
    ];
    for (const { text, version, mask, sha256 } of cases) {
      const code = encodeQr(text, { mask });
      assert.equal(code.version, version, text);
      assert.equal(code.mask, mask, text);
      assert.equal(digest(code), sha256, `${text.slice(0, 20)}… (mask ${mask})`);
    }
  });
});

describe("QR code: SVG path", () => {
  it("draws one rectangle per run of dark modules, inside the quiet zone", () => {
    const code = { version: 1, mask: 0, size: 2, modules: [[true, true], [false, true]] };
    assert.equal(qrPath(code), "M4 4h2v1h-2zM5 5h1v1h-1z");
    assert.equal(qrPath(code, 0), "M0 0h2v1h-2zM1 1h1v1h-1z");
  });
});
