# memory-vs-size.gp — how each backend's memory grows with the corpus.
# data.'.dat': one block per backend (in the order of names), rows sorted by tokens:
#   tokens  rss_bytes  allocated_bytes  synthetic(0|1)
# data.'-floor.dat' (when has_floor is 1): tokens  floor_bytes  (the archival floor).
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
has_floor = ARG7 + 0; floor_title = ARG8
load script_dir.'/chart-style.gp'
set title full_title("Memory against corpus size: RSS solid, allocated dashed")
set xlabel "corpus size, tokens (log scale; k = 10^3, M = 10^6)"
set ylabel "memory after finalize, bytes over baseline (log scale; MB = 10^6 B)"
set logscale xy
set format x "%.0s%c"
set format y "%.0s %cB"
set key outside right top vertical Left reverse
@svg_terminal
set output output.'.svg'
if (has_floor) {
    plot for [i=1:series] data.'.dat' index (i - 1) using 1:2:($4 > 0 ? 6 : 7) \
            with linespoints lw 2 pt variable ps 1.1 lc rgb colour(i) title word(names, i).' RSS', \
         for [i=1:series] data.'.dat' index (i - 1) using 1:3 \
            with lines lw 2 dt 2 lc rgb colour(i) title word(names, i).' allocated', \
         data.'-floor.dat' using 1:2 with linespoints lw 2 lc rgb 'black' pt 5 ps 0.8 title floor_title
} else {
    plot for [i=1:series] data.'.dat' index (i - 1) using 1:2:($4 > 0 ? 6 : 7) \
            with linespoints lw 2 pt variable ps 1.1 lc rgb colour(i) title word(names, i).' RSS', \
         for [i=1:series] data.'.dat' index (i - 1) using 1:3 \
            with lines lw 2 dt 2 lc rgb colour(i) title word(names, i).' allocated'
}
@png_terminal
set output output.'.png'
replot
