"""ysb.py — the YSB-style workload in Python: json.loads per event, a dict join and a Counter
per 10 s event-time window.  python3 ysb.py CAMPAIGNS.csv < events; prints "campaign count"."""
import json
import sys
from collections import Counter


def main() -> None:
    camp = {}
    with open(sys.argv[1]) as f:
        for line in f:
            ad, c = line.rstrip("\n").split(",")
            camp[ad] = c
    out = sys.stdout
    cnt, win = Counter(), -1
    for line in sys.stdin:
        if line.startswith("@batch"):
            continue
        e = json.loads(line)
        if e["event_type"] != "view":
            continue
        w = e["event_time"] // 10000
        if w != win:
            out.writelines(f"{c} {n}\n" for c, n in cnt.items())
            cnt, win = Counter(), w
        c = camp.get(e["ad_id"])
        if c is not None:
            cnt[c] += 1
    out.writelines(f"{c} {n}\n" for c, n in cnt.items())


main()
