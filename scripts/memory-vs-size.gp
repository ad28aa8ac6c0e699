# memory-vs-size.gp — how each backend's memory grows with the corpus, after finalize and at the
# training peak: the peak is what a process must be sized for, so "what fits in N MB" is read
# off the peak's line, the table kept off the final one.
# data.'.dat': one block per backend (in the order of names), rows sorted by tokens:
#   tokens  rss_bytes  allocated_bytes  synthetic(0|1)  peak_rss_bytes   (nan where unknown)
# data.'-floor.dat' (when has_floor is 1): tokens  floor_bytes  (the archival floor).
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
has_floor = ARG7 + 0; floor_title = ARG8
load script_dir.'/chart-style.gp'
# a colour half see-through (ARGB): a backend's peak, drawn under its final line
light_of(rgb) = '#90'.rgb[2:7]
light(i) = light_of(colour(i))
style_colour = '#444444'
set title full_title("Memory against corpus size: final RSS, training peak (light, wide), allocated (dashed)")
set xlabel "corpus size, tokens (log scale; k = 10^3, M = 10^6)"
set ylabel "bytes over baseline, after finalize or at the training peak (log scale; MB = 10^6 B)"
set logscale xy
set format x "%.0s%c"
set format y "%.0s %cB"
set key outside right top vertical Left reverse
@svg_terminal
set output output.'.svg'
# one key line per backend (its final RSS), then what each kind of line is; the floor when there is one
plot for [i=1:series] data.'.dat' index (i - 1) using 1:5:($4 > 0 ? 8 : 9) \
        with linespoints lw 4 pt variable ps 1.6 lc rgb light(i) notitle, \
     for [i=1:series] data.'.dat' index (i - 1) using 1:2:($4 > 0 ? 6 : 7) \
        with linespoints lw 2 pt variable ps 1.1 lc rgb colour(i) title word(names, i), \
     for [i=1:series] data.'.dat' index (i - 1) using 1:3 \
        with lines lw 2 dt 2 lc rgb colour(i) notitle, \
     keyentry with linespoints lw 2 pt 7 ps 1.1 lc rgb style_colour title 'final RSS (after finalize)', \
     keyentry with linespoints lw 4 pt 9 ps 1.6 lc rgb light_of(style_colour) title 'training peak RSS', \
     keyentry with lines lw 2 dt 2 lc rgb style_colour title 'allocated (after finalize)', \
     for [f=1:has_floor] data.'-floor.dat' using 1:2 with linespoints lw 2 lc rgb 'black' pt 5 ps 0.8 title floor_title
@png_terminal
set output output.'.png'
replot
