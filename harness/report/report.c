/* report.c — see report.h. */
#include "report.h"
#include "charts.h"
#include "message.h"
#include "parts_files.h"
#include "report_html.h"
#include "report_runs.h"
#include "summary_files.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int mg_report_write(const char *dir, FILE *terminal, char *error, size_t error_size)
{
    /* Absolute, so no path handed to gnuplot starts with '<' or '|' (its pipes). */
    char absolute[PATH_MAX];
    if (!realpath(dir, absolute)) {
        snprintf(error, error_size, "cannot read the folder '%s': %s", mg_show(dir).text, strerror(errno));
        return -1;
    }
    mg_report report = {.dir = absolute};
    int status = mg_report_load(&report, error, error_size);
    mg_report_run **scratch = calloc(report.run_count ? report.run_count : 1, sizeof *scratch);
    if (status == 0 && !scratch) {
        snprintf(error, error_size, "out of memory");
        status = -1;
    }
    if (status == 0) {
        mg_report_choose_series(&report);
        if (terminal)
            mg_allocators_print(terminal, &report, mg_report_allocator_cell(&report));
        status = mg_summary_csv_write(&report, error, error_size);
    }
    if (status == 0)
        status = mg_parts_csv_write(&report, error, error_size);
    /* summary.md after the charts: it links those drawn (chart_list.h) */
    if (status == 0) {
        fprintf(stderr, "report: drawing the charts of %d subjects into %s/charts (gnuplot) ...\n", report.backend_count,
                mg_show(dir).text); /* the longest step: tens of seconds for a bench */
        status = mg_charts_write(&report, scratch, error, error_size);
    }
    if (status == 0)
        status = mg_summary_md_write(&report, scratch, error, error_size);
    if (status == 0) {
        fflush(terminal ? terminal : stdout); /* the flags after the tables they refer to */
        mg_parts_flags_print(stderr, &report);
    }
    /* report.html last: it inlines the charts and links the files beside it */
    if (status == 0)
        status = mg_report_html_write(&report, scratch, error, error_size);
    free(scratch);
    mg_report_free(&report);
    return status;
}
