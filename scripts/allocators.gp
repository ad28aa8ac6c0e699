# allocators.gp — RSS per n-gram of every backend under every allocator, at one corpus size.
# data.'.dat':          column row rss_per_ngram fragmentation file_pages   (one line per pair that ended ok;
#                       fragmentation 0 where unknown, file_pages 0 unless its file pages outgrow its allocated bytes)
# data.'-columns.dat':  column "allocator"
# data.'-rows.dat':     row "backend"
# columns, rows: how many allocators and backends (the grid's size).
# The colour is log-scaled RSS per n-gram, so a 2x gap looks the same at 5 bytes as at 100;
# each cell prints the figure and, below it, fragmentation = RSS / allocated, or for a table
# served from a mapped file (file_pages > 0) the part of its RSS that is file pages.
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
columns = ARG7 + 0; rows = ARG8 + 0
load script_dir.'/chart-style.gp'
set title full_title("RSS per n-gram: backend x allocator")
set xlabel "allocator    (each cell: RSS bytes per n-gram; in brackets RSS / allocated, or a mapped table's file pages)"
unset ylabel
set xrange [-0.5:columns - 0.5]
set yrange [rows - 0.5:-0.5]
set xtics () scale 0
set ytics () scale 0
unset grid
set border 0
set logscale cb
set cblabel "RSS bytes per distinct n-gram (over baseline, after finalize; log scale)"
set palette defined (0 '#fff7bc', 1 '#fec44f', 2 '#f03b20', 3 '#7f0000')
set style fill solid 1.0 border rgb 'white'
unset key
label_of(rss, fragmentation, file) = file > 0 ? sprintf("%.1f\n(file %.1f)", rss, file) : \
    fragmentation > 0 ? sprintf("%.1f\n(x%.2f)", rss, fragmentation) : sprintf("%.1f", rss)
@svg_terminal
set output output.'.svg'
plot data.'.dat' using 1:2:(0.5):(0.5):3 with boxxyerror fc palette, \
     '' using 1:2:($3 <= 60 ? label_of($3, $4, $5) : "") with labels font ',11' tc rgb 'black', \
     '' using 1:2:($3 > 60 ? label_of($3, $4, $5) : "") with labels font ',11' tc rgb 'white', \
     data.'-columns.dat' using 1:(NaN):xticlabels(2) with points, \
     data.'-rows.dat' using (NaN):1:yticlabels(2) with points
@png_terminal
set output output.'.png'
replot
