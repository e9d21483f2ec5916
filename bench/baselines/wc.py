"""wc.py — word count with collections.Counter, the Python baseline.

    python3 wc.py [--batches] < corpus

Splits on single spaces like dsc's split(line, " "); --batches: an `@batch` line ends a batch.
Prints "word count" lines.
"""
import sys
from collections import Counter


def main() -> None:
    batches = "--batches" in sys.argv[1:]
    out = sys.stdout
    inp = sys.stdin.buffer
    if not batches:
        c = Counter()
        for line in inp:
            c.update(line.rstrip(b"\n").split(b" "))
        out.writelines(f"{w.decode()} {n}\n" for w, n in c.items())
        return
    c, n = Counter(), 0
    for line in inp:
        line = line.rstrip(b"\n")
        if line == b"@batch":
            out.writelines(f"{w.decode()} {k}\n" for w, k in c.items())
            c, n = Counter(), 0
            continue
        n += 1
        c.update(line.split(b" "))
    if n:
        out.writelines(f"{w.decode()} {k}\n" for w, k in c.items())


main()
