# growth.gp — how fast RSS and allocated grow with the corpus, per backend.
# data.'.dat': backend  allocated_exponent  rss_exponent  flag  sizes  span
# flag: "sparse", "mapped file" (a table served from a mapped file: its heap stays flat), or "".
# An exponent b fits bytes ~ tokens^b over the sizes (least squares on logs); span is the largest
# size over the smallest. Each backend's tick says how many sizes and what span its fit covers,
# so fits over different spans are told apart. report draws this chart only when a backend has a fit.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
margin_text = ARG7
load script_dir.'/chart-style.gp'
# the series on two lines: its sizes, then its order and allocator
split_at = strstrt(title_detail, '; ')
series_lines = split_at > 0 ? title_detail[1:split_at - 1]."\n".title_detail[split_at + 2:] : title_detail
set title "Growth with corpus size: fitted exponent b in bytes ~ tokens^b\n".series_lines
set ylabel "fitted exponent b (1 = grows in proportion to tokens)"
set xlabel "backend: the sizes its fit covers and their span (largest / smallest tokens)\nflagged sparse: RSS grows faster than allocated by more than ".margin_text."; mapped file: no heap to grow"
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.9
stats data.'.dat' using 2 nooutput
top = STATS_max
stats data.'.dat' using 3 nooutput
top = (STATS_max > top ? STATS_max : top)
set yrange [0:(top > 1 ? top : 1) * 1.2]
set grid noxtics
set xtics rotate by -20 font ',11'
set key inside top right Left reverse box opaque
tick(name, sizes, span) = sprintf("%s\n%d sizes, %.0fx", name, sizes, span)
@svg_terminal
set output output.'.svg'
plot data.'.dat' using 2:xtic(tick(strcol(1), $5, $6)) title 'allocated' lc rgb '#1f77b4', \
     '' using 3 title 'RSS' lc rgb '#d62728', \
     1 with lines lw 1 dt 2 lc rgb 'black' title 'proportional (b = 1)', \
     '' using 0:(($2 > $3 ? $2 : $3)):4 with labels offset 0,1 tc rgb '#d62728' notitle
@png_terminal
set output output.'.png'
replot
