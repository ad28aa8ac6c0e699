# parts.gp — where each subject's bytes go inside it, at one corpus size: one horizontal bar per
# subject, its parts stacked as shares of its bytes per distinct n-gram (requested over baseline,
# after finalize; 100% stacked, as bytes-breakdown, so a compact backend's parts read as well as a
# big one's), the largest part first and "other" last; the bar's end says its whole in bytes; a part keeps its colour on every bar (harness/report/
# parts_charts.c picks it by name). A segment wide enough says its part and bytes; the key names them all.
# data.'.dat':       row  from  to  colour(0xRRGGBB)  "label"      one line per segment, from and to shares
# data.'-rows.dat':  row  "subject"  whole  axis_end               one line per bar, smallest whole first
# data.'-key.dat':   x  y  colour  "part"                          the key, on a unit square
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
load script_dir.'/chart-style.gp'
allocator_part = title_detail
while (strstrt(allocator_part, '; ') > 0) { allocator_part = allocator_part[strstrt(allocator_part, '; ') + 2:] }
chart_title = "Where the bytes go inside each backend: its parts, per distinct n-gram (requested over baseline, after finalize)\n".cell_detail."\n".allocator_part

stats data.'-rows.dat' using 4 nooutput
rows = STATS_records
axis = STATS_max
bytes_text(x) = x >= 10 ? sprintf('%.0f B', x) : sprintf('%.1f B', x)

do for [target in "svg png"] {
    eval(target eq "svg" ? svg_terminal : png_terminal)
    set output output.'.'.target
    set multiplot
    set title chart_title
    # the bars
    set origin 0, 0.24
    set size 1, 0.76
    set yrange [rows - 0.5:-0.5]
    set xrange [0:axis]
    set xlabel "share of the bar: each part's bytes over the sum of the parts; labels: bytes per n-gram"
    set xtics ('0%%' 0, '20%%' 0.2, '40%%' 0.4, '60%%' 0.6, '80%%' 0.8, '100%%' 1)
    unset ylabel
    set grid xtics noytics
    set style fill solid 1.0 border rgb '#555555'
    set border 1
    set ytics nomirror scale 0
    set xtics nomirror
    unset key
    plot data.'.dat' using (($2 + $3) / 2):1:2:3:($1 - 0.36):($1 + 0.36):4 with boxxyerror lc rgb variable notitle, \
         '' using (($2 + $3) / 2):1:5 with labels font ',10' notitle, \
         data.'-rows.dat' using (0):1:ytic(2) with points pt -1 notitle, \
         '' using (1.01):1:(bytes_text($3)) with labels left font ',11' notitle
    # the key
    set origin 0, 0
    set size 1, 0.2
    unset title
    unset xlabel
    unset border
    unset tics
    unset grid
    set xrange [0:1]
    set yrange [0:1]
    plot data.'-key.dat' using 1:2:3 with points pt 5 ps 1.6 lc rgb variable notitle, \
         '' using ($1 + 0.015):2:4 with labels left font ',10' notitle
    unset multiplot
    set tics
}
