# timeline.gp — one run's memory over its life, in two panels: what the table costs, each layer
# over its value at the baseline sample (so all start at 0 and the gap between them is overhead).
# data.'.dat' (training): grams_added  seconds  requested_MiB  allocated_MiB  rss_MiB
#   baseline end, the evenly spaced training samples, train end
# data.'-phases.dat' (phase ends): position  "phase (duration)"  requested_MiB  allocated_MiB  rss_MiB
# Unknown layers are NaN (no requested for the Python peer; no allocated for other allocators).
# ARG7: the backend's name.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
backend_name = ARG7
load script_dir.'/chart-style.gp'
set style line 1 lw 2 lc rgb rss_colour
set style line 2 lw 2 dt 2 lc rgb allocated_colour
set style line 3 lw 2 dt 3 lc rgb requested_colour
top = 0; bottom = 0
do for [file in "-phases.dat .dat"] {
    do for [column = 3:5] {
        undefine STATS_*
        stats data.file using column nooutput
        if (exists("STATS_max")) { top = (STATS_max > top ? STATS_max : top); bottom = (STATS_min < bottom ? STATS_min : bottom) }
    }
}
margin = (top - bottom) * 0.08 + 0.01

do for [format = 1:2] {
    if (format == 1) { @svg_terminal; set output output.'.svg' } else { @png_terminal; set output output.'.png' }
    set multiplot title full_title("Memory over one run: ".backend_name)
    set yrange [bottom - (bottom < 0 ? margin : 0):top + margin]
    set ylabel "MiB over the baseline (what the table costs)"
    set xlabel "n-grams added, millions"
    set key top left Left reverse opaque
    set bmargin 8
    set tmargin 2
    set size 0.62, 0.84
    set origin 0.0, 0.0
    set title "while training (evenly spaced samples)"
    plot data.'.dat' using ($1 / 1e6):5 with lines ls 1 title 'RSS', \
         '' using ($1 / 1e6):4 with lines ls 2 title 'allocated', \
         '' using ($1 / 1e6):3 with lines ls 3 title 'requested'
    set size 0.38, 0.84
    set origin 0.62, 0.0
    set title "at each phase end (time the phase took)"
    set ylabel "MiB over the baseline at the phase end"
    set xlabel "phase"
    set xrange [-0.5:*]
    set xtics rotate by -50
    set key off
    plot data.'-phases.dat' using 1:5:xtic(2) with linespoints ls 1 pt 7 notitle, \
         '' using 1:4 with linespoints ls 2 pt 5 notitle, \
         '' using 1:3 with linespoints ls 3 pt 9 notitle
    unset multiplot
    unset xrange
    set xtics norotate
    set autoscale x
}
