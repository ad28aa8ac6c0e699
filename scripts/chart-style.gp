# chart-style.gp — the look shared by memgrams' charts (loaded by every scripts/*.gp chart).
# `memgrams report DIR` runs each chart script as
#   gnuplot -c scripts/NAME.gp SCRIPT_DIR DATA OUTPUT NAMES TITLE_DETAIL CELL_DETAIL [EXTRA...]
# with every value an argument (ARG1..ARG9), never program text, so a name or a path cannot run
# anything. DATA is DIR/charts/NAME (the script reads DATA.'.dat' and its siblings); the script
# draws into OUTPUT.'.svg' and OUTPUT.'.png' in report's private folder, from which report renames
# them into charts/ when gnuplot succeeds, so a failed chart never replaces a good one.
# Every script reads its arguments first (a `load` does not pass them on); harness/report/charts.c
# (chart_arguments) says what each script is given.
# Backend names hold underscores: no enhanced text anywhere.

# one colour per backend, in the order of `names`
array colours[16] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", \
                     "#bcbd22", "#393b79", "#e7969c", "#637939", "#7b4173", "#3182bd", "#843c39"]
colour(i) = colours[(i - 1) % 16 + 1]
series = words(names)
# a series measured outside the memgrams process carries its process in its name: "redis(server)", "python_dict(python)"
out_of_process(name) = strstrt(name, '(server)') > 0 || strstrt(name, '(python)') > 0

svg_terminal = "set terminal svg size 960,600 dynamic noenhanced font 'DejaVu Sans,12' background rgb 'white'"
png_terminal = "set terminal pngcairo size 1280,800 noenhanced font 'DejaVu Sans,13' background rgb 'white'"

set border 3
set tics nomirror
set grid xtics ytics mxtics mytics lc rgb '#dddddd' lw 1, lc rgb '#f0f0f0' lw 1
set key noenhanced

# the size or run a chart shows, as a third title line
full_title(what) = what."\n".title_detail.(strlen(cell_detail) ? "\n".cell_detail : "")
