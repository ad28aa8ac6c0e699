# bytes-breakdown.gp — where each backend's bytes go, at one corpus size: one horizontal bar per
# backend, its layers as shares of the bar (100% stacked), so a compact backend's rounding and
# pages read as well as python_dict's; each segment wide enough says its bytes per n-gram, and
# the bar's end says the RSS per n-gram.
# data.'.dat': one row per backend, sorted by RSS (the smallest first, drawn at the top):
#   backend  requested  allocator_rounding  allocator_pages  rss_overhead  file_pages  rss
# (bytes per n-gram; a negative difference is drawn as 0, so a bar's whole is the sum of its
# positive layers). file_pages is the growth of RssFile (a table served from a mapped image file):
# pages the kernel can drop and read again, drawn apart from the anonymous memory below them. A
# backend without a requested figure (the Python peer) is labelled "(traced)": its first segment is
# tracemalloc's count, which is requested-like and includes no allocator rounding.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
load script_dir.'/chart-style.gp'
# the cell shown (cell_detail: "its words; N of M backends measured there"), then the allocator: the
# series title's last part
allocator_part = title_detail
while (strstrt(allocator_part, '; ') > 0) { allocator_part = allocator_part[strstrt(allocator_part, '; ') + 2:] }
split_at = strstrt(cell_detail, '; ')
cell_words = split_at > 0 ? cell_detail[1:split_at - 1] : cell_detail
backends_there = split_at > 0 ? '; '.cell_detail[split_at + 2:] : ''
set title "Where the bytes go, per distinct n-gram (over baseline, after finalize)\n".cell_words."\n".allocator_part.backends_there.', sorted by RSS per n-gram'

array layer_colours[5] = ['#6baed6', '#fdae6b', '#74c476', '#fb6a4a', '#d9d9d9']
array layer_titles[5] = ['requested by the structure', 'allocator rounding: allocated - requested', \
                         'allocator pages: resident - allocated', 'RSS overhead: anonymous RSS - resident', \
                         'file pages: a mapped image (droppable)']
pos(x) = x > 0 ? x : 0
# the positive layers up to layer k (1..5), of the current row
below(k) = k < 1 ? 0 : sum [j=1:k] pos(column(j + 1))
whole = 0
share(k) = (whole = below(5), whole > 0 ? below(k) / whole : 0)
wide_enough = 0.06
bytes_text(x) = x >= 10 ? sprintf('%.0f B', x) : sprintf('%.1f B', x)

stats data.'.dat' using 7 nooutput
rows = STATS_records
set yrange [rows - 0.5:-0.5]
set xrange [0:1.16]
set xtics ('0%%' 0, '20%%' 0.2, '40%%' 0.4, '60%%' 0.6, '80%%' 0.8, '100%%' 1)
set xlabel 'share of the bar: each layer over the sum of the layers (a layer under 0 counts as 0)'
unset ylabel
set grid xtics noytics
set style fill solid 1.0 border rgb '#555555'
set key at screen 0.5, screen 0.02 center bottom horizontal Left reverse samplen 1.5 maxrows 2
set bmargin 8
set border 1
set ytics nomirror scale 0
@svg_terminal
set output output.'.svg'
plot for [k=1:5] data.'.dat' using ((share(k - 1) + share(k)) / 2):0:(share(k - 1)):(share(k)):($0 - 0.36):($0 + 0.36):ytic(1) \
        with boxxyerror lc rgb layer_colours[k] title layer_titles[k], \
     for [k=1:5] '' using ((share(k - 1) + share(k)) / 2):0:(share(k) - share(k - 1) >= wide_enough ? bytes_text(column(k + 1)) : '') \
        with labels font ',10' notitle, \
     '' using (1.01):0:('RSS '.bytes_text($7)) with labels left font ',11' notitle
@png_terminal
set output output.'.png'
replot
