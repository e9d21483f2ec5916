# wc.awk — word count in awk (run with mawk).  Splits on single spaces like split(line, " ").
# With -v batches=1 an `@batch` line ends a batch: its counts are printed and forgotten.
# Prints "word count" lines.
BEGIN { FS = " "; if (batches == "") batches = 0 }
batches && $0 == "@batch" { for (w in c) print w, c[w]; delete c; n = 0; next }
{ n++; m = split($0, f, / /); for (i = 1; i <= m; i++) c[f[i]]++ }
END { if (n || !batches) for (w in c) print w, c[w] }
