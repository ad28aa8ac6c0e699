/*
 * gnuplot.h — the gnuplot runner: a chart script run as
 * `gnuplot -c SCRIPT ARG1..ARG9` without a shell, its warnings kept in a log
 * out of the way, and the .svg and .png it drew renamed into place only when
 * both are there and not empty. The arguments are values only, never
 * program text, so no name or path in them can run anything.
 */
#ifndef MG_GNUPLOT_H
#define MG_GNUPLOT_H

#include <stddef.h>

enum { MG_GNUPLOT_ARGUMENTS = 9 };

typedef struct mg_gnuplot_job {
    const char *script_path;                      /* the .gp file */
    const char *arguments[MG_GNUPLOT_ARGUMENTS];  /* ARG1..ARG9; NULL passes "" */
    const char *drawn;                            /* where the script draws, without .svg/.png */
    const char *final;                            /* where they are renamed to, without .svg/.png */
    const char *log_path;                         /* gnuplot's stderr, appended */
    const char *what;                             /* the chart, for the message: "NAME (scripts/SCRIPT.gp)" */
} mg_gnuplot_job;

/* 0, or -1 with "cannot start gnuplot: ..." or "gnuplot could not draw WHAT: its last words". */
int mg_gnuplot_run(const mg_gnuplot_job *job, char *error, size_t error_size);

#endif
