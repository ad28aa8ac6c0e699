# memory-vs-size.gp — how each backend's memory grows with the corpus (top) and the gap between its
# layers (bottom), against the same axis of tokens. The peak is what a process must be sized for,
# so "what fits in N MB" is read off the peak's line, the table kept off the final one; the ratios
# read fragmentation and page overhead (RSS / allocated) and allocator rounding (allocated /
# requested) directly, which a log axis of bytes hides.
# data.'.dat': one block per backend (in the order of names), rows sorted by tokens:
#   tokens  rss  allocated  synthetic(0|1)  peak_rss  requested  rss/allocated  allocated/requested
# (bytes over baseline; nan where unknown, and a ratio nan where its denominator is under 1% of RSS)
# data.'-floor.dat' (when has_floor is 1): tokens  floor_bytes  (the archival floor).
# ARG9 (note) names the backends with a ratio left out, or is empty.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
has_floor = ARG7 + 0; floor_title = ARG8; note = ARG9
load script_dir.'/chart-style.gp'
# a colour half see-through (ARGB): a backend's peak, drawn under its final line
light_of(rgb) = '#90'.rgb[2:7]
light(i) = light_of(colour(i))
style_colour = '#444444'
# a point of synthetic text is open (pt 6 and 8), of the named corpus filled (7 and 9)
point_of(synthetic, filled) = synthetic > 0 ? filled - 1 : filled

stats data.'.dat' using 1 nooutput
x_low = STATS_min / 1.25; x_high = STATS_max * 1.25
# at least a decade wide, so the log axis has a labelled tick even for one size
x_middle = sqrt(x_low * x_high)
if (x_high / x_low < 10) { x_low = x_middle / sqrt(10); x_high = x_middle * sqrt(10) }
# the ratios' axis: from 0.9 (or under the lowest ratio) to the highest; 0.9 to 1.1 when none is known
ratio_low = 0.9; ratio_high = 1.1
do for [ratio_column = 7:8] {
    undefine STATS_*
    stats data.'.dat' using ratio_column nooutput
    if (exists('STATS_max')) {
        ratio_high = STATS_max > ratio_high ? STATS_max : ratio_high
        ratio_low = STATS_min - 0.05 < ratio_low ? STATS_min - 0.05 : ratio_low
    }
}

# the series on two lines: its sizes, then its order and allocator
split_at = strstrt(title_detail, '; ')
series_lines = split_at > 0 ? title_detail[1:split_at - 1]."\n".title_detail[split_at + 2:] : title_detail
chart_title = 'Memory against corpus size (top) and the gap between its layers (bottom)'."\n".series_lines

left = 0.09; right = 0.74; top = 0.84; middle = 0.42; bottom = 0.14
do for [pass = 1:2] {
    eval (pass == 1 ? svg_terminal : png_terminal)
    set output output.(pass == 1 ? '.svg' : '.png')
    set multiplot title chart_title
    set lmargin at screen left; set rmargin at screen right
    set logscale x; set xrange [x_low:x_high]
    # top: bytes, log-log
    set tmargin at screen top; set bmargin at screen middle + 0.03
    set logscale y; set autoscale y; set format y '%.0s %cB'
    set format x ''; unset xlabel
    set ylabel 'bytes over baseline (log scale)'
    set key at screen right + 0.01, screen top left Left reverse samplen 2 font ',11' title 'backend (colour)'
    unset label 1
    plot for [i=1:series] data.'.dat' index (i - 1) using 1:5:(point_of($4, 9)) \
            with linespoints lw 5 pt variable ps 1.6 lc rgb light(i) notitle, \
         for [i=1:series] data.'.dat' index (i - 1) using 1:2:(point_of($4, 7)) \
            with linespoints lw 2 pt variable ps 1.1 lc rgb colour(i) title word(names, i), \
         for [f=1:has_floor] data.'-floor.dat' using 1:2 with linespoints lw 2 lc rgb 'black' pt 5 ps 0.8 notitle
    # bottom: the ratios, linear
    set tmargin at screen middle - 0.015; set bmargin at screen bottom
    unset logscale y; set format y '%.2f'; set yrange [ratio_low:ratio_high * 1.05 + 0.02]
    set format x '%.0s%c'
    set xlabel 'corpus size, tokens (log scale; k = 10^3, M = 10^6)'
    set ylabel 'layer ratio (1 = no gap)'
    set key at screen right + 0.01, screen middle + 0.01 left Left reverse samplen 3 font ',11' title 'line and point'
    set label 1 note at screen left, screen 0.025 left font ',10'
    plot for [i=1:series] data.'.dat' index (i - 1) using 1:7:(point_of($4, 7)) \
            with linespoints lw 2 pt variable ps 0.9 lc rgb colour(i) notitle, \
         for [i=1:series] data.'.dat' index (i - 1) using 1:8:(point_of($4, 7)) \
            with linespoints lw 2 dt 2 pt variable ps 0.9 lc rgb colour(i) notitle, \
         1 with lines lw 1 lc rgb '#999999' notitle, \
         keyentry with linespoints lw 2 pt 7 ps 1.1 lc rgb style_colour title 'final RSS', \
         keyentry with linespoints lw 5 pt 9 ps 1.6 lc rgb light_of(style_colour) title 'training peak', \
         for [f=1:has_floor] keyentry with linespoints lw 2 lc rgb 'black' pt 5 ps 0.8 title floor_title, \
         keyentry with lines lw 2 lc rgb style_colour title 'RSS / allocated', \
         keyentry with lines lw 2 dt 2 lc rgb style_colour title 'allocated / requested', \
         keyentry with points pt 6 ps 1.1 lc rgb style_colour title 'synthetic text'
    unset multiplot
}
