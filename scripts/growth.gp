# growth.gp — how fast RSS and allocated grow with the corpus, per backend.
# data.'.dat': backend  allocated_exponent  rss_exponent  flag ("sparse" or "")
# An exponent b fits bytes ~ tokens^b over the sizes (least squares on logs); fitted is 0
# when no backend has the 3 sizes spanning 4x a fit needs (the chart then says so).
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
margin_text = ARG7; fitted = ARG8 + 0
load script_dir.'/chart-style.gp'
set title full_title("Growth with corpus size: fitted exponent b in bytes ~ tokens^b")
set ylabel "fitted exponent b (1 = grows in proportion to tokens)"
set xlabel "backend (flagged: RSS grows faster than allocated by more than ".margin_text.")"
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.9
if (fitted) {
    stats data.'.dat' using 2 nooutput
    top = STATS_max
    stats data.'.dat' using 3 nooutput
    top = (STATS_max > top ? STATS_max : top)
    set yrange [0:(top > 1 ? top : 1) * 1.2]
} else {
    set yrange [0:1.2]
    set xrange [-0.5:0.5]
    unset xtics
    set label 1 "no fit: a backend needs 3 sizes spanning 4x or more" at graph 0.5, 0.5 center
}
set grid noxtics
set xtics rotate by -25
set key inside top right Left reverse box opaque
@svg_terminal
set output output.'.svg'
if (fitted) {
    plot data.'.dat' using 2:xtic(1) title 'allocated' lc rgb '#1f77b4', \
         '' using 3 title 'RSS' lc rgb '#d62728', \
         1 with lines lw 1 dt 2 lc rgb 'black' title 'proportional (b = 1)', \
         '' using 0:(($2 > $3 ? $2 : $3)):4 with labels offset 0,1 tc rgb '#d62728' notitle
} else {
    plot 1 with lines lw 1 dt 2 lc rgb 'black' title 'proportional (b = 1)'
}
@png_terminal
set output output.'.png'
replot
