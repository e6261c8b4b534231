#!/usr/bin/env python3
"""Writes the small array files in Tests/Fixtures/io/ that the Swift IO tests read.

How to run (once, from the repository root; needs Python 3 and NumPy 2.x, nothing else):

    python3 scripts/make_io_fixtures.py

It overwrites Tests/Fixtures/io/*. Every array's contents are simple (np.arange-based or short
literal lists) so that the Swift tests can state the expected values independently as literals.
The safetensors file is written by hand with struct + json (the safetensors package is not needed),
following the reference layout: u64 little-endian header length, compact JSON header padded with
spaces to a multiple of 8, then the packed data buffer.
"""

import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "io")


def path(name):
    return os.path.join(OUT, name)


def write_npy_version(name, array, version):
    with open(path(name), "wb") as f:
        np.lib.format.write_array(f, array, version=version)


def main():
    os.makedirs(OUT, exist_ok=True)

    # --- .npy, one per dtype, written by np.save (format 1.0, C order, little-endian) ---
    np.save(path("f32_2x3.npy"), (np.arange(6, dtype="<f4") / 4).reshape(2, 3))          # 0, .25, ... 1.25
    np.save(path("f64_4.npy"), np.array([0.1, -2.5, 1e300, -0.0], dtype="<f8"))
    np.save(path("f16_8.npy"), np.array([0, 1, -2, 65504, 2**-14, 2**-24, np.inf, -np.inf], dtype="<f2"))
    np.save(path("i32_2x2.npy"), np.array([[-2147483648, -1], [0, 2147483647]], dtype="<i4"))
    np.save(path("i64_3.npy"), np.array([-(2**40), 16777217, 2**62], dtype="<i8"))
    np.save(path("u8_5.npy"), np.array([0, 1, 127, 128, 255], dtype="|u1"))
    np.save(path("bool_2x2.npy"), np.array([[True, False], [False, True]]))
    np.save(path("scalar_f64.npy"), np.array(3.5, dtype="<f8"))                         # 0-d
    np.save(path("empty_f32_0x3.npy"), np.zeros((0, 3), dtype="<f4"))                   # empty
    np.save(path("i32_1x2x3x4.npy"), np.arange(24, dtype="<i4").reshape(1, 2, 3, 4))    # rank 4

    # --- Fortran order: np.asfortranarray + np.save writes fortran_order True ---
    np.save(path("fortran_f32_3x4.npy"), np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4)))
    np.save(path("fortran_i64_2x3x4.npy"), np.asfortranarray(np.arange(24, dtype="<i8").reshape(2, 3, 4)))

    # --- Big-endian dtypes (read by byte-swapping) ---
    np.save(path("bigendian_f32_4.npy"), np.arange(4, dtype=">f4") + 0.5)              # .5 1.5 2.5 3.5
    np.save(path("bigendian_i64_3.npy"), np.array([1, -2, 2**40], dtype=">i8"))

    # --- Format versions 2.0 and 3.0 ---
    write_npy_version("v2_f64_2x2.npy", np.arange(4, dtype="<f8").reshape(2, 2), (2, 0))
    write_npy_version("v3_i32_3.npy", np.array([7, 8, 9], dtype="<i4"), (3, 0))

    # --- .npz: stored (np.savez) and deflated (np.savez_compressed) ---
    np.savez(path("stored.npz"),
             weights=np.arange(6, dtype="<f4").reshape(2, 3),
             mask=np.array([True, False, True]),
             step=np.array(7, dtype="<i8"))
    np.savez_compressed(path("deflated.npz"),
                        zeros=np.zeros((4, 8), dtype="<f8"),
                        ramp=np.arange(10, dtype="<i4"))

    # An archive with a directory member, which readers must refuse (np.savez never writes one).
    member = io.BytesIO()
    np.save(member, np.array([1.0], dtype="<f4"))
    with zipfile.ZipFile(path("directory_member.npz"), "w") as z:
        z.writestr("sub/", b"")
        z.writestr("a.npy", member.getvalue())

    write_unfinished_deflate_npz()
    write_open_stored_block_npz()
    write_zip64_npz()

    # --- .safetensors, written by hand ---
    tensors = [
        ("a_f32", "F32", [2, 2], struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)),
        ("b_i64", "I64", [3], struct.pack("<3q", -1, 0, 2**40)),
        ("c_bool", "BOOL", [2], bytes([1, 0])),
        ("d_f16", "F16", [2], np.array([1.5, -0.25], dtype="<f2").tobytes()),
        # bfloat16 is the top half of a float32: 1.0 -> 0x3F80, -2.0 -> 0xC000
        ("e_bf16", "BF16", [2], struct.pack("<2H", 0x3F80, 0xC000)),
        ("f_empty", "F32", [0, 4], b""),
    ]
    header = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path("mixed.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)

    total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")


def write_unfinished_deflate_npz():
    """unfinished_deflate.npz: a crafted archive, valid as ZIP, whose one deflated member's stream
    stops without its final block (flushed with Z_SYNC_FLUSH, not Z_FINISH) after a quarter of the
    data. The directory claims the full size and the full data's CRC-32; readers must report it as
    truncated, quickly. ZIPFoundation 0.9.20's own extraction returns an error on this one (its
    inflate reads on past the member into the central directory, which is not valid deflate);
    open_stored_block.npz below is the variant it never returns on. Written by hand with struct,
    since zipfile always finishes its deflate streams."""
    write_crafted_deflate_npz("unfinished_deflate.npz", b"")


def write_open_stored_block_npz():
    """open_stored_block.npz: as unfinished_deflate.npz, but the stream then opens a stored block
    (header byte 0, LEN = 65535) that the rest of the file cannot fill. A reader that, like
    ZIPFoundation 0.9.20 on Linux, feeds inflate the bytes after the member takes the central
    directory and end record as that block's contents, reaches the end of the file still inside
    the block, and loops forever on empty reads (weichsel/ZIPFoundation#389). Measured by
    scripts/check_zipfoundation_inflate.sh."""
    write_crafted_deflate_npz("open_stored_block.npz", b"\x00" + struct.pack("<HH", 0xFFFF, 0x0000))


def write_crafted_deflate_npz(filename, tail):
    """One member "a.npy" (np.arange(65536) as <f4) whose deflate stream is the first quarter of
    the data, sync-flushed, then `tail`; the ZIP records claim the full size and CRC-32."""
    member = io.BytesIO()
    np.save(member, np.arange(65536, dtype="<f4"))   # 256 KiB of data
    raw = member.getvalue()
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = deflater.compress(raw[: len(raw) // 4]) + deflater.flush(zlib.Z_SYNC_FLUSH) + tail
    name = b"a.npy"
    crc = zlib.crc32(raw)
    # local header: signature, version 20, flags 0, method 8, time, date, crc, sizes, name/extra lengths
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), len(raw), len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream), len(raw),
                          len(name), 0, 0, 0, 0, 0, 0)
    body = local + name + stream
    directory = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(body), 0)
    with open(path(filename), "wb") as f:
        f.write(body + directory + end)


def write_zip64_npz():
    """zip64_records.npz: one stored member "z.npy" (np.arange(3) as <i8) whose central directory
    entry keeps its sizes and offset in a ZIP64 extra field (the 32-bit fields all ones) and whose
    end records are the ZIP64 ones (the classic record's fields all ones), as large NumPy
    archives are written. Written by hand with struct; Python's zipfile reads it back."""
    member = io.BytesIO()
    np.save(member, np.arange(3, dtype="<i8"))
    raw = member.getvalue()
    name = b"z.npy"
    crc = zlib.crc32(raw)
    local_extra = struct.pack("<HHQQ", 1, 16, len(raw), len(raw))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(name), len(local_extra))
    body = local + name + local_extra + raw
    central_extra = struct.pack("<HHQQQ", 1, 24, len(raw), len(raw), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                          len(name), len(central_extra), 0, 0, 0, 0, 0xFFFFFFFF)
    directory = central + name + central_extra
    zip64_end_offset = len(body) + len(directory)
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(directory), len(body))
    locator = struct.pack("<IIQI", 0x07064B50, 0, zip64_end_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path("zip64_records.npz"), "wb") as f:
        f.write(body + directory + zip64_end + locator + end)
    with zipfile.ZipFile(path("zip64_records.npz")) as z:
        assert np.load(io.BytesIO(z.read("z.npy"))).tolist() == [0, 1, 2]


if __name__ == "__main__":
    main()
