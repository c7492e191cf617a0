"""The SPA's QR encoder (web/src/qr.ts), checked by a real decoder.

Bundles the encoder for node with esbuild, prints the matrices of a few texts (one per version
boundary worth checking, and a realistic otpauth:// enrolment link), renders each as a PGM image
with a quiet zone of four modules, and asks zbarimg (Debian: zbar-tools) to read it back.

    python3 -m pytest tests/qr -q
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENCODER = ROOT / "web" / "src" / "qr.ts"

OTPAUTH_URI = (
    "otpauth://totp/Gatehouse:ada@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    "&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"
)

# (text, the version it must take at level M in byte mode)
CASES = [
    ("Gatehouse", 1),
    ("a" * 14, 1),  # version 1 full
    ("https://gatehouse.example/", 2),
    ("b" * 84, 5),  # version 5 full
    ("Grüße aus Zürich — ✓ " * 3, 5),  # UTF-8: 84 bytes, version 5 full
    ("c" * 107, 7),
    (OTPAUTH_URI, 8),
    ("d" * 200, 10),
    ("e" * 213, 10),  # version 10 full, 16-bit character count
]

MASK_CASES = [(f"mask {mask}: " + "x" * 40, mask) for mask in range(8)]

SCALE = 6
QUIET_ZONE = 4

pytestmark = [
    pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg not installed (Debian package zbar-tools)"),
    pytest.mark.skipif(shutil.which("esbuild") is None or shutil.which("node") is None, reason="esbuild and node are needed to run the encoder"),
]

PRINT_MATRICES = """
const { encodeQr } = await import(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
const out = cases.map(([text, mask]) => {
  const code = encodeQr(text, mask === null ? {} : { mask });
  return { version: code.version, mask: code.mask, rows: code.modules.map((row) => row.map((dark) => (dark ? "1" : "0")).join("")) };
});
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def encode(tmp_path_factory):
    """Encodes [(text, mask or None)] with the SPA's encoder; returns its symbols."""
    work = tmp_path_factory.mktemp("qr")
    bundle = work / "qr.mjs"
    subprocess.run(
        ["esbuild", str(ENCODER), "--bundle", "--format=esm", "--platform=node", f"--outfile={bundle}", "--log-level=warning"],
        check=True,
    )

    def run(cases):
        result = subprocess.run(
            ["node", "--input-type=module", "-e", PRINT_MATRICES, bundle.as_uri(), json.dumps(cases)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(result.stdout)

    return run


def write_pgm(rows, path):
    """A binary PGM: dark modules black, a white quiet zone around, each module SCALE pixels."""
    size = len(rows)
    side = (size + 2 * QUIET_ZONE) * SCALE
    light = bytes([255]) * side
    pixels = bytearray(light * (QUIET_ZONE * SCALE))
    for row in rows:
        line = bytearray([255]) * (QUIET_ZONE * SCALE)
        for module in row:
            line += bytes([0 if module == "1" else 255]) * SCALE
        line += bytearray([255]) * (QUIET_ZONE * SCALE)
        pixels += bytes(line) * SCALE
    pixels += light * (QUIET_ZONE * SCALE)
    assert len(pixels) == side * side
    path.write_bytes(b"P5\n%d %d\n255\n" % (side, side) + bytes(pixels))


def decode(path):
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
    )
    assert result.returncode == 0, f"zbarimg could not read {path.name}: {result.stderr.decode(errors='replace')}"
    # --raw prints the text followed by a newline.
    return result.stdout.decode("utf-8").removesuffix("\n")


@pytest.mark.parametrize(("text", "version"), CASES, ids=[f"v{version}-{len(text.encode())}B" for text, version in CASES])
def test_the_decoder_reads_back_the_text(encode, tmp_path, text, version):
    [symbol] = encode([[text, None]])
    assert symbol["version"] == version
    assert len(symbol["rows"]) == 17 + 4 * version
    image = tmp_path / "code.pgm"
    write_pgm(symbol["rows"], image)
    assert decode(image) == text


@pytest.mark.parametrize(("text", "mask"), MASK_CASES, ids=[f"mask-{mask}" for _, mask in MASK_CASES])
def test_every_mask_reads_back(encode, tmp_path, text, mask):
    [symbol] = encode([[text, mask]])
    assert symbol["mask"] == mask
    image = tmp_path / "code.pgm"
    write_pgm(symbol["rows"], image)
    assert decode(image) == text
