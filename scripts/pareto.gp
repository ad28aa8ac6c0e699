# pareto.gp — bytes against speed: which backends no other beats on both.
# data.'.dat', by bytes: "name"  bytes  bytes_least  bytes_most  ns  ns_least  ns_most  label_x  label_y  align
#   rounds  runs — the median lookup-hit time and RSS per n-gram with their ranges over every round of
#   every run of the cell, and where its label goes (harness/report/chart_data.c places it clear of
#   the points and the frontier): at label_x label_y, align 0 left, 1 centred, 2 right.
# data.'-frontier.dat': the undominated medians, by bytes: bytes  ns
# data.'-axes.dat': the axes' ends: bytes_low  bytes_high  ns_low  ns_high
# A series measured outside memgrams has its process in its name ("redis(server)", "python_dict(python)"):
# a square, where the backends are discs.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
load script_dir.'/chart-style.gp'
stats data.'-axes.dat' using 1 nooutput; x_low = STATS_min
stats data.'-axes.dat' using 2 nooutput; x_high = STATS_max
stats data.'-axes.dat' using 3 nooutput; y_low = STATS_min
stats data.'-axes.dat' using 4 nooutput; y_high = STATS_max
undefine STATS_*
stats data.'.dat' using 11:12 nooutput
most_rounds = exists("STATS_max_x") ? STATS_max_x : 0; most_runs = exists("STATS_max_y") ? STATS_max_y : 0
least_rounds = exists("STATS_min_x") ? STATS_min_x : 0
other_process = 0
do for [i = 1:series] { if (out_of_process(word(names, i))) { other_process = 1 } }
set title full_title("Bytes against lookup time: the Pareto frontier")
set xlabel "RSS per distinct n-gram, bytes (log scale)"
set ylabel "lookup of a present n-gram, ns (log scale)"
set logscale xy
set xrange [x_low:x_high]
set yrange [y_low:y_high]
@log_ticks_x
@log_ticks_y
set key outside bottom center horizontal Left reverse samplen 2 spacing 1.1 width 2
set bmargin 6
mine(i, a) = stringcolumn(1) eq word(names, i) && column(10) == a
bars = most_rounds > 1 ? sprintf("median; bars: least to most of %d rounds%s", most_rounds, \
       most_runs > 1 ? sprintf(" in %d runs", most_runs) : "") : "one round each: no range"
do for [format = 1:2] {
    if (format == 1) { @svg_terminal; set output output.'.svg' } else { @png_terminal; set output output.'.png' }
    plot data.'-frontier.dat' using 1:2 with steps lw 2 dt 2 lc rgb '#555555' title 'frontier (nothing both smaller and faster)', \
         NaN with points pt 7 ps 1.5 lc rgb '#555555' title bars, \
         NaN with points pt 5 ps 1.5 lc rgb '#555555' title (!other_process ? '' : most_rounds > 1 && least_rounds == 1 ? \
                'square: another process (one round)' : 'square: measured in another process'), \
         for [i=1:series] data.'.dat' using 2:(stringcolumn(1) eq word(names, i) ? $5 : NaN):3:4:6:7 \
            with xyerrorbars pt (out_of_process(word(names, i)) ? 5 : 7) ps 1.5 lw 1.5 lc rgb colour(i) notitle, \
         for [i=1:series] data.'.dat' using 8:9:(mine(i, 0) ? stringcolumn(1) : "") with labels left tc rgb colour(i) notitle, \
         for [i=1:series] data.'.dat' using 8:9:(mine(i, 1) ? stringcolumn(1) : "") with labels center tc rgb colour(i) notitle, \
         for [i=1:series] data.'.dat' using 8:9:(mine(i, 2) ? stringcolumn(1) : "") with labels right tc rgb colour(i) notitle
}
