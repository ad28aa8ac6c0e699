# timeline.gp — one run's memory over its life, in two panels.
# data.'.dat' (training): grams_added  seconds  requested_MiB  allocated_MiB  rss_MiB
#   baseline end, the evenly spaced training samples, train end
# data.'-phases.dat' (phase ends): position  "phase (duration)"  requested_MiB  allocated_MiB  rss_MiB
# Unknown layers are NaN (no requested for the Python peer; no allocated for other allocators).
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
backend_name = ARG7
load script_dir.'/chart-style.gp'
set style line 1 lw 2 lc rgb '#d62728'
set style line 2 lw 2 dt 2 lc rgb '#1f77b4'
set style line 3 lw 2 dt 3 lc rgb '#2ca02c'
stats data.'-phases.dat' using 5 nooutput
top = STATS_max
stats data.'.dat' using 5 nooutput
top = (STATS_max > top ? STATS_max : top) * 1.1

do for [format = 1:2] {
    if (format == 1) { @svg_terminal; set output output.'.svg' } else { @png_terminal; set output output.'.png' }
    set multiplot title full_title("Memory over one run: ".backend_name)
    set yrange [0:top]
    set ylabel "memory, MiB (whole process, absolute)"
    set xlabel "n-grams added, millions"
    set key top left Left reverse
    set size 0.62, 0.86
    set origin 0.0, 0.04
    set title "training (evenly spaced samples)"
    plot data.'.dat' using ($1 / 1e6):5 with lines ls 1 title 'RSS', \
         '' using ($1 / 1e6):4 with lines ls 2 title 'allocated', \
         '' using ($1 / 1e6):3 with lines ls 3 title 'requested'
    set size 0.38, 0.86
    set origin 0.62, 0.04
    set title "at each phase end (time the phase took)"
    unset ylabel
    set xlabel "phase"
    set xrange [-0.5:*]
    set xtics rotate by -35
    set key off
    plot data.'-phases.dat' using 1:5:xtic(2) with linespoints ls 1 pt 7 notitle, \
         '' using 1:4 with linespoints ls 2 pt 5 notitle, \
         '' using 1:3 with linespoints ls 3 pt 9 notitle
    unset multiplot
    unset xrange
    set xtics norotate
    set autoscale x
}
