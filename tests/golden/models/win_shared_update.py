#!/usr/bin/env python3
"""Input and expected output of the golden case win_shared_update.

    python3 win_shared_update.py input  > ../win_shared_update.in
    python3 win_shared_update.py output < ../win_shared_update.in > ../win_shared_update.out

The output comes from a model of dsc's incremental windows (docs/language.md, cg_state.c), not
from dsc: a state table in insertion order whose entries die (the filter) and come back in place;
a pane per batch; a leaving pane skips the keys that are dead; the filter runs at slide times (a
slide of one batch: on the keys just touched; longer: on the whole state); a result at slide
times: the live entries in table order.
"""
import random
import sys


def make_input():
    random.seed(7)
    keys = ["k%d" % i for i in range(150)] + ["long_key_over_sixteen_bytes_%d" % i for i in range(30)]
    lines = []
    for b in range(12):
        if b in (9, 10):  # quiet batches: keys leave, entries die
            lines.append("@batch")
            continue
        # each batch draws from a moving slice of the keys, so keys die and come back
        lo = (b * 23) % len(keys)
        pool = [keys[(lo + j) % len(keys)] for j in range(70)] + keys[:5]
        for _ in range(40):
            lines.append(" ".join(random.choice(pool) for _ in range(random.randint(1, 12))))
        lines.append("@batch")
    lines.append("@batch")
    sys.stdout.write("\n".join(lines) + "\n")


class Window:
    def __init__(self, value, panes, slide, keep, fmt):
        self.value, self.npanes, self.slide, self.keep, self.fmt = value, panes, slide, keep, fmt
        self.state = {}  # key -> [value, live], in insertion order
        self.ring = []

    def batch(self, k, words):
        pane = {}
        for w in words:
            pane[w] = pane.get(w, 0) + self.value
        leaving = self.ring.pop(0) if len(self.ring) >= self.npanes else {}
        self.ring.append(pane)
        for key, v in leaving.items():
            e = self.state[key]
            if e[1]:
                e[0] -= v
        for key, v in pane.items():
            e = self.state.get(key)
            if e and e[1]:
                e[0] += v
            elif e:
                e[0], e[1] = v, True
            else:
                self.state[key] = [v, True]
        if k % self.slide:
            return []
        if self.keep:
            touched = list(leaving) + list(pane) if self.slide == 1 else list(self.state)
            for key in touched:
                e = self.state[key]
                if e[1] and not self.keep(e[0]):
                    e[1] = False
        return [self.fmt(key, e[0]) for key, e in self.state.items() if e[1]]


def expected_output():
    batches, cur = [], []
    for line in sys.stdin.read().split("\n")[:-1]:
        if line == "@batch":
            batches.append(cur)
            cur = []
        else:
            cur.extend(line.split(" "))
    windows = [  # in program order; batch k (from 1) has time k s
        Window(1, 3, 1, lambda v: v > 1, lambda k, v: "live %s %d" % (k, v)),
        Window(0.5, 4, 2, lambda v: v > 0.75, lambda k, v: "halves %s %r" % (k, float(v))),
        Window(1, 2, 1, None, lambda k, v: "kept %s %d" % (k, v)),
        Window(1, 3, 1, lambda v: v > 0, lambda k, v: "cbv %s %d" % (k, v)),
    ]
    for k, words in enumerate(batches, start=1):
        for w in windows:
            for line in w.batch(k, words):
                print(line)


if __name__ == "__main__":
    {"input": make_input, "output": expected_output}[sys.argv[1]]()
