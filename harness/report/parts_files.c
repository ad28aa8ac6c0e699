/* parts_files.c — see parts_files.h. */
#include "parts_files.h"
#include "message.h"
#include "report_files.h"

#include <csv.h>
#include <math.h>
#include <string.h>

int mg_parts_judged(const mg_report *report, size_t index)
{
    const mg_report_run *run = &report->runs[index];
    if (!run->ok || !mg_parts_named(run->json))
        return 0;
    for (size_t before = 0; before < index; before++) {
        const mg_report_run *earlier = &report->runs[before];
        if (earlier->ok && strcmp(earlier->backend, run->backend) == 0 &&
            mg_report_same_cell(run->corpus, run->fraction, run->order, earlier) && mg_parts_named(earlier->json))
            return 0;
    }
    return 1;
}

void mg_parts_cell_words(const mg_report_run *run, char *text, size_t text_size)
{
    double whole = run->fraction > 0 ? 1 / run->fraction : 0;
    char fraction[32];
    if (fabs(whole - round(whole)) < 1e-6 && whole >= 1)
        snprintf(fraction, sizeof fraction, round(whole) == 1 ? "whole" : "1/%.0f", whole);
    else
        snprintf(fraction, sizeof fraction, "fraction %.4g", run->fraction);
    snprintf(text, text_size, "%s %s, order %d", mg_show(run->corpus).text, fraction, run->order);
}

/* ---- parts.csv ---- */

static void put_csv_text(FILE *file, const char *text, const char *after)
{
    csv_fwrite(file, text, strlen(text));
    fputs(after, file);
}

static void csv_part_row(FILE *file, const mg_report_run *run, const mg_run_part *part)
{
    put_csv_text(file, run->backend, ",");
    put_csv_text(file, run->corpus, ",");
    fprintf(file, "%.17g,%d,", run->fraction, run->order);
    put_csv_text(file, run->allocator, ",");
    put_csv_text(file, run->status, ",");
    put_csv_text(file, run->process, ",");
    put_csv_text(file, part->name, "");
    mg_put_figure(file, ",", 0, part->bytes, "");
    mg_put_figure(file, ",", 4, part->per_ngram, "");
    mg_put_figure(file, ",", 4, part->estimate, "");
    mg_put_figure(file, ",", 4, mg_part_ratio(part), "");
    mg_put_figure(file, ",", 0, part->training_peak, "");
    fprintf(file, ",%s\n", mg_part_verdict_word(mg_part_judge(part)));
}

int mg_parts_csv_write(const mg_report *report, char *error, size_t error_size)
{
    mg_atomic_file output;
    if (mg_report_file_open(&output, report->dir, "parts.csv", error, error_size) != 0)
        return -1;
    fputs("backend,corpus,fraction,order,allocator,status,measured_process,part,bytes,bytes_per_ngram,"
          "estimated_bytes_per_ngram,estimate_ratio,training_peak_bytes,verdict\n", output.file);
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        mg_run_part parts[MG_RUN_PARTS_MAX];
        size_t count = mg_parts_sorted(run->json, parts);
        for (size_t part = 0; part < count; part++)
            csv_part_row(output.file, run, &parts[part]);
    }
    return mg_atomic_commit(&output, error, error_size);
}

/* ---- summary.md ---- */

void mg_parts_note(char *text, size_t text_size)
{
    snprintf(text, text_size, "Each backend's bytes split by the parts it names (docs/parts.md), per distinct n-gram at "
             "the end of finalize, beside its own formula for each part; one run per subject and cell (the allocator "
             "does not change what a backend requests). off: the estimate misses by more than %.0f%% and by at least "
             "%.2f bytes per n-gram; small: by more than %.0f%% but by less than %.2f bytes, not flagged.",
             100 * MG_PART_TOLERANCE, MG_PART_NEGLIGIBLE, 100 * MG_PART_TOLERANCE, MG_PART_NEGLIGIBLE);
}

size_t mg_parts_each_judged(const mg_report *report, mg_part_visit visit, void *context)
{
    size_t rows = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        if (!mg_parts_judged(report, index))
            continue;
        mg_run_part parts[MG_RUN_PARTS_MAX];
        size_t count = mg_parts_sorted(report->runs[index].json, parts);
        for (size_t part = 0; part < count; part++)
            visit(context, &report->runs[index], &parts[part], rows++);
    }
    return rows;
}

static void markdown_part_row(void *context, const mg_report_run *run, const mg_run_part *part, size_t row_number)
{
    FILE *file = context;
    char row[MG_SUBJECT_SIZE + 16], cell[MG_REPORT_PATH_SIZE], peak[48];
    if (row_number == 0) {
        char note[1024];
        mg_parts_note(note, sizeof note);
        fprintf(file, "\n## Parts: estimate against measurement\n\n%s parts.csv has every run's parts.\n\n"
                      "| backend | cell | part | bytes/n-gram | estimate | estimate/measured | peak in training "
                      "(bytes) | verdict |\n|---|---|---|--:|--:|--:|--:|---|\n", note);
    }
    mg_report_row_name(run->backend, run->process, row, sizeof row);
    mg_parts_cell_words(run, cell, sizeof cell);
    mg_part_verdict verdict = mg_part_judge(part);
    fprintf(file, "| %s | %s | %s", row, cell, part->name);
    mg_put_figure(file, " | ", 3, part->per_ngram, "–");
    mg_put_figure(file, " | ", 3, part->estimate, "–");
    mg_put_figure(file, " | ", 2, mg_part_ratio(part), "–");
    fprintf(file, " | %s | %s%s%s |\n", isfinite(part->training_peak) ? mg_format_count(part->training_peak, peak, sizeof peak) : "–",
            verdict == MG_PART_OFF ? "**" : "", mg_part_verdict_word(verdict), verdict == MG_PART_OFF ? "**" : "");
}

void mg_parts_markdown(FILE *file, const mg_report *report)
{
    mg_parts_each_judged(report, markdown_part_row, file);
}

/* Where the flags go and how many there are. */
typedef struct flag_lines {
    FILE *out;
    int flagged;
} flag_lines;

static void flag_line(void *context, const mg_report_run *run, const mg_run_part *part, size_t row_number)
{
    flag_lines *flags = context;
    (void)row_number;
    if (mg_part_judge(part) != MG_PART_OFF)
        return;
    char cell[MG_REPORT_PATH_SIZE], off[48];
    double ratio = mg_part_ratio(part);
    mg_parts_cell_words(run, cell, sizeof cell);
    if (isfinite(ratio))
        snprintf(off, sizeof off, "%+.0f%%", 100 * (ratio - 1));
    else
        snprintf(off, sizeof off, "none measured");
    fprintf(flags->out, "report: %s's part %s on %s is estimated at %.3f bytes per n-gram but holds %.3f (%s): "
                        "its formula is off\n", run->backend, part->name, cell, part->estimate, part->per_ngram, off);
    flags->flagged++;
}

int mg_parts_flags_print(FILE *out, const mg_report *report)
{
    flag_lines flags = {out, 0};
    mg_parts_each_judged(report, flag_line, &flags);
    return flags.flagged;
}
