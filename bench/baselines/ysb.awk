# ysb.awk — the YSB-style workload in awk (run with mawk -F'"').  Relies on the generator's
# fixed field order: $12 = ad_id, $20 = event_type, $23 = ':MS,' (event_time).  Loads the
# campaign CSV named by -v campaigns=FILE; prints "campaign_id count" per 10 s window.
BEGIN {
  while ((getline l < campaigns) > 0) { split(l, p, ","); camp[p[1]] = p[2] }
  win = -1
}
$0 == "@batch" { next }
$20 == "view" {
  t = $23; gsub(/[^0-9]/, "", t); w = int(t / 10000)
  if (w != win) { for (c in cnt) print c, cnt[c]; delete cnt; win = w }
  if ($12 in camp) cnt[camp[$12]]++
}
END { for (c in cnt) print c, cnt[c] }
