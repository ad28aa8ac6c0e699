/* charts.c — see charts.h. */
#include "charts.h"
#include "atomic_file.h"
#include "cell.h"
#include "chart_data.h"
#include "data_path.h"
#include "gnuplot.h"
#include "growth_fit.h"
#include "message.h"
#include "parts_charts.h"
#include "report_files.h"
#include "synth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a chart script is given besides its data (gnuplot.h): ARG4..ARG9. */
enum { EXTRAS_MAX = 3 };

typedef struct chart_arguments {
    const char *script, *name;      /* scripts/SCRIPT.gp draws charts/NAME.svg and .png */
    const char *title_detail, *cell_detail;
    const char *extras[EXTRAS_MAX]; /* the script's own settings, ARG7..ARG9 */
} chart_arguments;

/* The folder of the chart scripts (each finds its shared settings there), and SCRIPT.gp in it. */
static void script_paths(const char *script, char *folder, size_t folder_size, char *path, size_t path_size)
{
    snprintf(folder, folder_size, "%s", mg_data_folder(MG_DATA_SCRIPTS));
    snprintf(path, path_size, "%s/%s.gp", folder, script);
}

/* "1/8 of it" where the fraction is one over a whole number, "all of it", else its digits. */
static void fraction_words(double fraction, char *text, size_t text_size)
{
    double whole = fraction > 0 ? 1 / fraction : 0;
    if (whole >= 1 && fabs(whole - round(whole)) < 1e-6)
        snprintf(text, text_size, round(whole) == 1 ? "all of it" : "1/%.0f of it", whole);
    else
        snprintf(text, text_size, "%.4g of it", fraction);
}

/* The cell a chart shows, as a reader says it: "gcide (1/8 of it): 680,932 tokens, 546,088 distinct
 * trigrams" (the run's n-grams: every backend counts the same); its allocator is the series'. */
static void cell_words(const mg_report_run *run, char *text, size_t text_size)
{
    char fraction[32], tokens[32], ngrams[32];
    if (!run) {
        snprintf(text, text_size, "no size was measured ok");
        return;
    }
    const char *base = strrchr(run->corpus, '/');
    fraction_words(run->fraction, fraction, sizeof fraction);
    mg_format_count(run->tokens, tokens, sizeof tokens);
    mg_format_count(run->ngrams, ngrams, sizeof ngrams);
    if (mg_synth_is_spec(run->corpus))
        snprintf(text, text_size, "synthetic text: %s tokens, %s distinct %s", tokens, ngrams, mg_report_order_name(run->order));
    else
        snprintf(text, text_size, "%s (%s): %s tokens, %s distinct %s", base ? base + 1 : run->corpus, fraction, tokens,
                 ngrams, mg_report_order_name(run->order));
}

/* Runs gnuplot on the script; it draws into the private folder, from which the
 * .svg and .png are renamed into charts/. */
static int run_gnuplot(const mg_chart *chart, const chart_arguments *arguments, char *error, size_t error_size)
{
    char folder[MG_REPORT_PATH_SIZE], script_path[MG_REPORT_PATH_SIZE], data[MG_REPORT_PATH_SIZE];
    char output[MG_REPORT_PATH_SIZE], log_path[MG_REPORT_PATH_SIZE + 16], what[512];
    script_paths(arguments->script, folder, sizeof folder, script_path, sizeof script_path);
    snprintf(data, sizeof data, "%s/%s", chart->dir, arguments->name);
    snprintf(output, sizeof output, "%s/%s", chart->scratch, arguments->name);
    snprintf(log_path, sizeof log_path, "%s/gnuplot.log", chart->scratch); /* gnuplot's warnings, kept out of the way */
    snprintf(what, sizeof what, "%s (scripts/%s.gp)", arguments->name, arguments->script);
    mg_gnuplot_job job = {
        .script_path = script_path,
        .arguments = {folder, data, output, chart->names, arguments->title_detail, arguments->cell_detail,
                      arguments->extras[0], arguments->extras[1], arguments->extras[2]},
        .drawn = output, .final = data, .log_path = log_path, .what = what,
    };
    return mg_gnuplot_run(&job, error, error_size);
}

/* Draws a chart with the series as the title's second line. */
static int draw(const mg_chart *chart, chart_arguments *arguments, char *error, size_t error_size)
{
    char series[1024];
    mg_report_series_title(chart->report, series, sizeof series);
    if (!arguments->title_detail)
        arguments->title_detail = series;
    if (!arguments->cell_detail)
        arguments->cell_detail = "";
    return run_gnuplot(chart, arguments, error, error_size);
}

/* Removes DIR/charts/FILE unless it is missing. */
static int remove_chart_file(const mg_chart *chart, const char *file, char *error, size_t error_size)
{
    char path[MG_REPORT_PATH_SIZE + 300];
    snprintf(path, sizeof path, "%s/%s", chart->dir, file);
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(error, error_size, "cannot remove '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    return 0;
}

/* Removes charts/NAME.svg and .png and the data files named (NULL-ended list, without .dat): a chart
 * this report does not draw leaves nothing of an earlier report's, since summary.md and report.html
 * list what exists (chart_list.h). */
static int remove_chart(const mg_chart *chart, const char *name, const char *const *data_files, char *error,
                        size_t error_size)
{
    char file[300];
    snprintf(file, sizeof file, "%s.svg", name);
    if (remove_chart_file(chart, file, error, error_size) != 0)
        return -1;
    snprintf(file, sizeof file, "%s.png", name);
    if (remove_chart_file(chart, file, error, error_size) != 0)
        return -1;
    for (; *data_files; data_files++) {
        snprintf(file, sizeof file, "%s.dat", *data_files);
        if (remove_chart_file(chart, file, error, error_size) != 0)
            return -1;
    }
    return 0;
}

/* RSS and the peak against size, over the ratios of the layers (chart_data.h). */
static int draw_memory_vs_size(mg_chart *chart, mg_report_run **scratch, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    char floor_title[128], has_floor_text[8], left_out[1024], note[1200];
    int has_floor = 0;
    if (mg_memory_vs_size_data(chart, scratch, &has_floor, left_out, sizeof left_out, error, error_size) != 0)
        return -1;
    snprintf(floor_title, sizeof floor_title, "archival floor (%s)",
             report->floor_count ? report->floors[0].compressor : "none");
    snprintf(has_floor_text, sizeof has_floor_text, "%d", has_floor);
    snprintf(note, sizeof note, "%s%s", *left_out ? "ratio left out (denominator under 1% of RSS): " : "", left_out);
    chart_arguments memory = {"memory-vs-size", "memory-vs-size", NULL, NULL, {has_floor_text, floor_title, note}};
    return draw(chart, &memory, error, error_size);
}

/* Growth exponents, when a backend has the sizes a fit needs; otherwise no chart at all. */
static int draw_growth(mg_chart *chart, mg_report_run **scratch, char *error, size_t error_size)
{
    static const char *const data_files[] = {"growth", NULL};
    int fitted;
    if (mg_growth_data(chart, scratch, &fitted, error, error_size) != 0)
        return -1;
    if (fitted == 0)
        return remove_chart(chart, "growth", data_files, error, error_size);
    char margin[32];
    snprintf(margin, sizeof margin, "%.2f", MG_SPARSE_MARGIN);
    chart_arguments growth = {"growth", "growth", NULL, NULL, {margin}};
    return draw(chart, &growth, error, error_size);
}

/* The parts stacked per subject at the common size, where a run there names its parts. */
static int draw_parts(mg_chart *chart, const mg_report_run *size, const char *cell, char *error, size_t error_size)
{
    static const char *const data_files[] = {"parts", "parts-rows", "parts-key", NULL};
    int drawn;
    if (mg_parts_data(chart, size, &drawn, error, error_size) != 0)
        return -1;
    if (!drawn)
        return remove_chart(chart, "parts", data_files, error, error_size);
    chart_arguments parts = {"parts", "parts", NULL, cell, {NULL}};
    return draw(chart, &parts, error, error_size);
}

/* Each part's growth exponent, where a subject has the sizes a fit needs and names its parts. */
static int draw_parts_growth(mg_chart *chart, mg_report_run **scratch, char *error, size_t error_size)
{
    static const char *const data_files[] = {"parts-growth", "parts-growth-rows", NULL};
    int drawn;
    double ngram_exponent;
    if (mg_parts_growth_data(chart, scratch, &drawn, &ngram_exponent, error, error_size) != 0)
        return -1;
    if (!drawn)
        return remove_chart(chart, "parts-growth", data_files, error, error_size);
    char exponent[32];
    snprintf(exponent, sizeof exponent, isfinite(ngram_exponent) ? "%.4f" : "nan", ngram_exponent);
    chart_arguments growth = {"parts-growth", "parts-growth", NULL, NULL, {exponent}};
    return draw(chart, &growth, error, error_size);
}

static int draw_size_charts(mg_chart *chart, mg_report_run **scratch, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    char cell[MG_REPORT_PATH_SIZE + 64], size_words[MG_REPORT_PATH_SIZE];
    int there = 0;
    if (draw_memory_vs_size(chart, scratch, error, error_size) != 0)
        return -1;

    const mg_report_run *size = mg_report_common_size(report, &there);
    if (mg_breakdown_data(chart, size, error, error_size) != 0 || mg_pareto_data(chart, size, error, error_size) != 0)
        return -1;
    cell_words(size, size_words, sizeof size_words);
    snprintf(cell, sizeof cell, "%s; %d of %d backends measured there", size_words, there, chart->series);
    chart_arguments breakdown = {"bytes-breakdown", "bytes-breakdown", NULL, cell, {NULL}};
    chart_arguments pareto = {"pareto", "pareto", NULL, cell, {NULL}};
    if (draw(chart, &breakdown, error, error_size) != 0 || draw(chart, &pareto, error, error_size) != 0)
        return -1;
    if (draw_parts(chart, size, size_words, error, error_size) != 0 || draw_growth(chart, scratch, error, error_size) != 0)
        return -1;
    return draw_parts_growth(chart, scratch, error, error_size);
}

/* Every backend's timeline at the common size (one cell, so they compare), each on its own
 * chart, then their RSS overlaid on timelines. */
static int draw_timelines(mg_chart *chart, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    int there;
    const mg_report_run *size = mg_report_common_size(report, &there);
    char cell[MG_REPORT_PATH_SIZE], shown[1024];
    if (!size)
        return 0;
    cell_words(size, cell, sizeof cell);
    for (int index = 0; index < report->backend_count; index++) {
        const char *backend = report->backends[index];
        const mg_report_run *run;
        if (mg_timeline_data(chart, backend, size, &run, error, error_size) != 0)
            return -1;
        if (!run)
            continue;
        char name[256];
        mg_file_name("timeline-", backend, "", name, sizeof name);
        chart_arguments timeline = {"timeline", name, NULL, cell, {report->chart_names[index]}};
        if (draw(chart, &timeline, error, error_size) != 0)
            return -1;
    }
    if (mg_timelines_data(chart, size, shown, sizeof shown, error, error_size) != 0)
        return -1;
    chart_arguments timelines = {"timelines", "timelines", NULL, cell, {shown}};
    return *shown ? draw(chart, &timelines, error, error_size) : 0;
}

/* The heat map of RSS per n-gram, backend x allocator, where allocators were compared. */
static int draw_allocators(mg_chart *chart, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    static const char *const data_files[] = {"allocators", "allocators-columns", "allocators-rows", NULL};
    const mg_report_run *size = mg_report_allocator_cell(report);
    if (!size)
        return remove_chart(chart, "allocators", data_files, error, error_size);
    if (mg_allocators_data(chart, size, error, error_size) != 0)
        return -1;
    char cell[MG_REPORT_PATH_SIZE], counts[2][16];
    snprintf(cell, sizeof cell, "%s fraction %.4g, order %d (%.0f tokens)", size->corpus, size->fraction,
             size->order, size->tokens);
    snprintf(counts[0], sizeof counts[0], "%d", report->allocator_count);
    snprintf(counts[1], sizeof counts[1], "%d", report->backend_count);
    chart_arguments allocators = {"allocators", "allocators", cell, "", {counts[0], counts[1]}};
    return run_gnuplot(chart, &allocators, error, error_size);
}

/* DIR/charts as a folder of its own: made if missing, refused if something
 * else (a symlink, a file) stands there, so nothing is written outside DIR. */
static int charts_folder(const char *dir, char *error, size_t error_size)
{
    struct stat info;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(error, error_size, "cannot make '%s': %s", mg_show(dir).text, strerror(errno));
        return -1;
    }
    if (lstat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
        snprintf(error, error_size, "'%s' is not a folder (a symlink or a file stands there)", mg_show(dir).text);
        return -1;
    }
    return 0;
}

int mg_charts_write(const mg_report *report, mg_report_run **scratch, char *error, size_t error_size)
{
    mg_chart chart = {.report = report};
    snprintf(chart.dir, sizeof chart.dir, "%s/charts", report->dir);
    if (charts_folder(chart.dir, error, error_size) != 0)
        return -1;
    if (!report->allocator) {
        snprintf(error, error_size, "no run ended ok: nothing to chart");
        return -1;
    }
    if (mg_atomic_folder(chart.dir, chart.scratch, sizeof chart.scratch, error, error_size) != 0)
        return -1;
    int status = draw_size_charts(&chart, scratch, error, error_size);
    if (status == 0)
        status = draw_allocators(&chart, error, error_size);
    if (status == 0)
        status = draw_timelines(&chart, error, error_size);
    mg_atomic_folder_remove(chart.scratch);
    return status;
}
