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

# the memory layers, the same colour on every chart that draws them
rss_colour = "#d62728"; allocated_colour = "#1f77b4"; requested_colour = "#2ca02c"

# A chart's title: what it shows, the series in words (mg_report_series_title: corpus, sizes in
# tokens, order, allocator) and, when the chart shows one size or run, that cell in words.
# A series line too long for the chart's width is broken at its first "; ".
split_at(text) = strstrt(text, "; ")
fitted(text) = strlen(text) > 100 && split_at(text) > 0 ? text[1:split_at(text) - 1]."\n".text[split_at(text) + 2:] : text
full_title(what) = what."\n".fitted(title_detail).(strlen(cell_detail) ? "\n".cell_detail : "")

# Numbered ticks on a log axis from low to high: at 1, 2 and 5 times each power of ten, and at 1.5,
# 3 and 7 too when the range is under a decade and a half, so a narrow range still gets numbers.
# `@log_ticks_x` and `@log_ticks_y` after setting x_low, x_high (y_low, y_high).
tick_steps(low, high) = log10(high / low) < 1.5 ? "1 1.5 2 3 5 7" : "1 2 5"
log_ticks_x = 'set xtics (1); do for [e = -2:9] { do for [m in tick_steps(x_low, x_high)] { set xtics add (sprintf("%g", real(m) * 10.0**e) real(m) * 10.0**e) } }'
log_ticks_y = 'set ytics (1); do for [e = -2:9] { do for [m in tick_steps(y_low, y_high)] { set ytics add (sprintf("%g", real(m) * 10.0**e) real(m) * 10.0**e) } }'
