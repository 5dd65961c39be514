#!/usr/bin/env python3
"""Bytes of an output section that come from one archive, read from a GNU ld map file.
Usage: map_text.py MAP ARCHIVE [SECTION]  (SECTION defaults to .text). Prints the sum of the
sizes of the input sections placed in SECTION from members of ARCHIVE (libcos_sign_c.a)."""
import re
import sys

INPUT = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    path, archive = sys.argv[1], sys.argv[2]
    section = sys.argv[3] if len(sys.argv) == 4 else ".text"
    total, current, in_map, found = 0, None, False, False
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("Linker script and memory map"):
            in_map = True
            continue
        if not in_map:
            continue
        head = re.match(r"^(\.\S+)", line)
        if head:
            current = head.group(1)
            continue
        m = INPUT.match(line)
        if m and current == section and f"{archive}(" in m.group(4):
            total += int(m.group(3), 16)
            found = True
    if not found:
        raise SystemExit(f"{path}: nothing from {archive} in {section}")
    print(total)


if __name__ == "__main__":
    main()
