# pareto.gp — bytes against speed: which backends no other beats on both.
# data.'.dat': backend  bytes_per_ngram_rss  lookup_hit_ns
# A series measured outside memgrams has its process in its name ("redis(server)", "python_dict(python)"):
# a square, where the backends are discs.
# data.'-frontier.dat': the undominated points, by bytes: bytes  ns
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
load script_dir.'/chart-style.gp'
set title full_title("Bytes against lookup time: the Pareto frontier")
set xlabel "RSS per distinct n-gram, bytes (log scale)"
set ylabel "lookup of a present n-gram, ns (log scale)"
set logscale xy
set key inside top right Left reverse box opaque
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
@svg_terminal
set output output.'.svg'
plot data.'-frontier.dat' using 1:2 with steps lw 2 dt 2 lc rgb '#555555' title 'frontier (nothing is both smaller and faster)', \
     for [i=1:series] data.'.dat' using 2:(stringcolumn(1) eq word(names, i) ? $3 : 1/0) \
        with points pt (out_of_process(word(names, i)) ? 5 : 7) ps 2 lc rgb colour(i) title word(names, i), \
     data.'.dat' using 2:3:1 with labels offset 0,1.3 notitle
@png_terminal
set output output.'.png'
replot
