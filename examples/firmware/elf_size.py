#!/usr/bin/env python3
"""Section sizes of an ELF file, like `size -A` (a 32/64-bit little/big-endian reader,
no dependencies). Usage: elf_size.py ELF [SECTION]: prints every allocated section with
its size and address; with SECTION, prints only that section's size in bytes (exit 1 if
it is missing)."""
import struct
import sys

SHF_ALLOC = 0x2


def sections(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise SystemExit(f"{path}: not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
        fmt = end + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
        fmt = end + "IIIIIIIIII"
    heads = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    str_off = heads[shstrndx][4]
    for name, _type, flags, addr, _off, size, *_ in heads:
        raw = data[str_off + name:data.index(b"\0", str_off + name)]
        yield raw.decode(), flags, addr, size


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    found = list(sections(sys.argv[1]))
    if len(sys.argv) == 3:
        sizes = [size for name, _, _, size in found if name == sys.argv[2]]
        if not sizes:
            raise SystemExit(f"{sys.argv[1]}: no section {sys.argv[2]}")
        print(sizes[0])
        return
    print(f"{sys.argv[1]}:")
    print(f"{'section':<20}{'size':>10}{'addr':>12}")
    total = 0
    for name, flags, addr, size in found:
        if flags & SHF_ALLOC and size:
            print(f"{name:<20}{size:>10}{addr:>#12x}")
            total += size
    print(f"{'Total (allocated)':<20}{total:>10}")


if __name__ == "__main__":
    main()
