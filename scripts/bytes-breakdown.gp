# bytes-breakdown.gp — where each backend's bytes go, at one corpus size.
# data.'.dat': one row per backend:
#   backend  requested  allocator_rounding  allocator_pages  rss_overhead  file_pages  rss
# (bytes per n-gram; negative differences are drawn as 0, RSS as its own mark). file_pages is
# the growth of RssFile (a table served from a mapped image file): pages the kernel can drop and
# read again, drawn apart from the anonymous memory below them. A backend
# without a requested figure (the Python peer) is labelled "(traced)": its bottom segment is
# tracemalloc's count, which is requested-like and includes no allocator rounding.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
load script_dir.'/chart-style.gp'
set title full_title("Where the bytes go, per n-gram")
set ylabel "bytes per distinct n-gram (over baseline, after finalize)"
unset xlabel
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.6
set yrange [0:*]
set grid noxtics
set key below horizontal Left reverse maxcols 2
set xtics rotate by -25
pos(x) = x > 0 ? x : 0
max2(a, b) = a > b ? a : b
stack_top(a, b, c, d, e, rss) = max2(pos(a) + pos(b) + pos(c) + pos(d) + pos(e), rss)
set offsets 0, 0, graph 0.08, 0
@svg_terminal
set output output.'.svg'
plot data.'.dat' using (pos($2)):xtic(1) title 'requested by the structure' lc rgb '#1f77b4', \
     '' using (pos($3)) title 'allocator rounding (allocated - requested)' lc rgb '#ff7f0e', \
     '' using (pos($4)) title 'allocator pages (resident - allocated)' lc rgb '#2ca02c', \
     '' using (pos($5)) title 'RSS overhead, anonymous (RSS - file pages - resident)' lc rgb '#d62728', \
     '' using (pos($6)) title 'file pages: a mapped image (RssFile; the kernel can drop them)' lc rgb '#c7c7c7', \
     '' using 0:7 with points pt 9 ps 2 lc rgb 'black' title 'RSS (total)', \
     '' using 0:(stack_top($2, $3, $4, $5, $6, $7)):(sprintf('RSS %.1f', $7)) with labels offset 0,1 notitle
@png_terminal
set output output.'.png'
replot
