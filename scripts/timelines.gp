# timelines.gp — every backend's RSS over one run of the same cell, overlaid: what each table costs
# the process (RSS over the baseline sample) as n-grams are added, and at each phase end.
# data.'.dat': one block per backend (in the order of ARG7): grams_added  rss_MiB
# data.'-phases.dat': one block per backend: position  "phase"  rss_MiB
# ARG7: the backends drawn, space separated; each keeps its colour of `names` (every chart's order).
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
shown = ARG7
load script_dir.'/chart-style.gp'
drawn = words(shown)
array colour_at[drawn]
do for [k = 1:drawn] {
    colour_at[k] = k
    do for [i = 1:series] { if (word(names, i) eq word(shown, k)) { colour_at[k] = i } }
}
top = 0; bottom = 0
do for [file in "-phases.dat .dat"] {
    undefine STATS_*
    stats data.file using (column(file eq ".dat" ? 2 : 3)) nooutput
    if (exists("STATS_max")) { top = (STATS_max > top ? STATS_max : top); bottom = (STATS_min < bottom ? STATS_min : bottom) }
}
margin = (top - bottom) * 0.08 + 0.01

do for [format = 1:2] {
    if (format == 1) { @svg_terminal; set output output.'.svg' } else { @png_terminal; set output output.'.png' }
    set multiplot title full_title("Every backend's RSS over one run (over its baseline)")
    set yrange [bottom - (bottom < 0 ? margin : 0):top + margin]
    set ylabel "RSS over the baseline, MiB"
    set xlabel "n-grams added, millions"
    set key top left Left reverse opaque
    set bmargin 8
    set tmargin 2
    set size 0.62, 0.84
    set origin 0.0, 0.0
    set title "while training"
    plot for [k = 1:drawn] data.'.dat' index (k - 1) using ($1 / 1e6):2 with lines lw 2 lc rgb colour(colour_at[k]) \
         title word(shown, k)
    set size 0.38, 0.84
    set origin 0.62, 0.0
    set title "at each phase end"
    set ylabel "RSS over the baseline at the phase end, MiB"
    set xlabel "phase"
    set xrange [-0.5:*]
    set xtics rotate by -50
    set key off
    plot data.'-phases.dat' index 0 using 1:3:xtic(2) with linespoints lw 2 pt 7 lc rgb colour(colour_at[1]) notitle, \
         for [k = 2:drawn] '' index (k - 1) using 1:3 with linespoints lw 2 pt 7 lc rgb colour(colour_at[k <= drawn ? k : 1]) notitle
    unset multiplot
    unset xrange
    set xtics norotate
    set autoscale x
}
