/* junit.c — see junit.h. */
#include "junit.h"
#include "atomic_file.h"

#include <stdio.h>

static void xml_escaped(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*text >= 0x20 || *text == '\t')
                fputc(*text, out);
        }
    }
}

static void junit_row(FILE *out, const mg_check_row *row)
{
    char baseline[32], now[32], change[32];
    mg_check_value_text(row, row->baseline, baseline, sizeof baseline);
    mg_check_value_text(row, row->now, now, sizeof now);
    mg_check_change_text(row, change, sizeof change);
    fputs("    <testcase classname=\"", out);
    xml_escaped(out, row->cell);
    fputs("\" name=\"", out);
    xml_escaped(out, row->figure);
    fputs("\">", out);
    if (row->verdict == MG_VERDICT_LAYOUT) {
        fprintf(out, "<failure type=\"%s\" message=\"", mg_verdict_names[row->verdict]);
        xml_escaped(out, row->note);
        fputs("\"/>", out);
    } else if (mg_verdict_fails(row->verdict)) {
        fprintf(out, "<failure type=\"%s\" message=\"", mg_verdict_names[row->verdict]);
        xml_escaped(out, row->figure);
        fprintf(out, " %s: baseline %s, now %s, change %s; ", mg_verdict_names[row->verdict], baseline, now, change);
        xml_escaped(out, row->note);
        fputs("\"/>", out);
    } else if (row->verdict == MG_VERDICT_SKIPPED) {
        fputs("<skipped message=\"", out);
        xml_escaped(out, row->note);
        fputs("\"/>", out);
    } else {
        fprintf(out, "<system-out>%s: baseline %s, now %s, change %s</system-out>", mg_verdict_names[row->verdict],
                baseline, now, change);
    }
    fputs("</testcase>\n", out);
}

static void write_junit_to(FILE *out, const mg_check_state *state)
{
    size_t failures = 0, skipped = 0;
    for (size_t index = 0; index < state->row_count; index++) {
        mg_verdict verdict = state->rows[index].verdict;
        failures += mg_verdict_fails(verdict);
        skipped += verdict == MG_VERDICT_SKIPPED;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites name=\"memgrams check\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
            state->row_count, failures, skipped);
    fprintf(out, "  <testsuite name=\"memgrams check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
            state->row_count, failures, skipped);
    for (size_t index = 0; index < state->row_count; index++)
        junit_row(out, &state->rows[index]);
    fprintf(out, "  </testsuite>\n</testsuites>\n");
}

int mg_junit_write(const char *path, const mg_check_state *state, char *error, size_t error_size)
{
    mg_atomic_file out;
    if (mg_atomic_begin(&out, path, error, error_size) != 0)
        return -1;
    write_junit_to(out.file, state);
    return mg_atomic_commit(&out, error, error_size);
}
