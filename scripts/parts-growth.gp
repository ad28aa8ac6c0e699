# parts-growth.gp — how each part of a backend grows with the corpus: the exponent b of a fit
# bytes ~ tokens^b (least squares on logs) over the sizes of the series, one bar per part, the
# parts of a subject under its name. b = 1 grows in proportion to the tokens; the dashed line is
# the distinct n-grams' own exponent over the same sizes: a part past it costs more per n-gram as
# the corpus grows. Parts under 1% of their subject's bytes at its largest size are left out.
# data.'.dat':       row  exponent  colour(0xRRGGBB)  "part  b = x"
# data.'-rows.dat':  row  "subject"                    a heading row above its parts
# ARG7: the n-grams' exponent ("nan" when unknown)
script_dir = ARG1; data = ARG2; output = ARG3; names = ARG4; title_detail = ARG5; cell_detail = ARG6
ngram_exponent = real(ARG7)
load script_dir.'/chart-style.gp'
split_at = strstrt(title_detail, '; ')
series_lines = split_at > 0 ? title_detail[1:split_at - 1]."\n".title_detail[split_at + 2:] : title_detail
chart_title = "Growth of each part with corpus size: fitted exponent b in bytes ~ tokens^b\n".series_lines

stats data.'.dat' using 2 nooutput
top = STATS_max
stats data.'.dat' using 1 nooutput
rows = STATS_max + 1
height = 220 + 22 * rows
high = (top > 1.2 ? top : 1.2) * 1.35
set yrange [rows - 0.5:-0.5]
set xrange [0:high]
set xlabel "fitted exponent b (1 = grows in proportion to tokens; dashed: the distinct n-grams' own b)"
unset ylabel
set grid xtics noytics
set style fill solid 0.9 border rgb '#333333'
set border 1
set ytics nomirror scale 0 font ',11'
unset key
set style textbox opaque noborder margins 1, 1
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lw 1.5 lc rgb 'black'
if (ngram_exponent == ngram_exponent) { set arrow 2 from ngram_exponent, graph 0 to ngram_exponent, graph 1 nohead lw 1.5 dt 2 lc rgb '#555555' }
do for [target in "svg png"] {
    if (target eq "svg") {
        set terminal svg size 960, height dynamic noenhanced font 'DejaVu Sans,12' background rgb 'white'
    } else {
        set terminal pngcairo size 1280, height * 4 / 3 noenhanced font 'DejaVu Sans,13' background rgb 'white'
    }
    set output output.'.'.target
    set title chart_title
    plot data.'.dat' using ($2 / 2):1:(0):2:($1 - 0.38):($1 + 0.38):3 with boxxyerror lc rgb variable notitle, \
         '' using ($2 + high * 0.01):1:4 with labels left boxed font ',10' notitle, \
         data.'-rows.dat' using (0):1:ytic(2) with points pt -1 notitle
}
