/* growth_fit.c — see growth_fit.h. */
#include "growth_fit.h"

#include <math.h>
#include <stdlib.h>

double mg_fit_exponent(const double *x, const double *y, size_t count)
{
    double sum_x = 0, sum_y = 0, sum_xx = 0, sum_xy = 0;
    int points = 0;
    for (size_t index = 0; index < count; index++) {
        if (!(x[index] > 0 && y[index] > 0))
            continue;
        double log_x = log(x[index]), log_y = log(y[index]);
        sum_x += log_x, sum_y += log_y, sum_xx += log_x * log_x, sum_xy += log_x * log_y;
        points++;
    }
    double spread = points * sum_xx - sum_x * sum_x;
    return points >= 3 && spread > 0 ? (points * sum_xy - sum_x * sum_y) / spread : NAN;
}

/* The exponent of a layer's growth over the runs. */
static double fit_exponent(mg_report_run **runs, size_t count, int layer)
{
    double *tokens = malloc(2 * (count ? count : 1) * sizeof *tokens);
    if (!tokens)
        return NAN;
    double *bytes = tokens + (count ? count : 1);
    for (size_t index = 0; index < count; index++)
        tokens[index] = runs[index]->tokens, bytes[index] = runs[index]->growth[layer];
    double exponent = mg_fit_exponent(tokens, bytes, count);
    free(tokens);
    return exponent;
}

/* Fits need 3 sizes spanning at least 4x: over less, fixed costs and page rounding dominate. */
mg_growth_fit mg_growth_fit_of(const mg_report *report, const char *backend, mg_report_run **scratch)
{
    mg_growth_fit fit = {NAN, NAN, 0, 0, 0};
    size_t count = mg_report_backend_series(report, backend, scratch);
    fit.sizes = (int)count;
    for (size_t index = 0; index < count; index++)
        fit.mapped |= mg_report_serves_from_file(scratch[index]);
    if (count < 3)
        return fit;
    fit.span = scratch[count - 1]->tokens / scratch[0]->tokens;
    if (fit.span < 4)
        return fit;
    fit.allocated = fit_exponent(scratch, count, MG_REPORT_ALLOCATED);
    fit.rss = fit_exponent(scratch, count, MG_REPORT_RSS);
    return fit;
}

/*
 * The sparse-memory flag (docs/stories.md: RSS far above what the program holds, growing
 * out of proportion). Over the 16x span of gcide's fractions an exponent gap d makes
 * rss/allocated drift by 16^d: 0.10 is a 32% drift, a third more memory held for
 * nothing at the largest size. Below that, a table growing by doubling moves
 * rss/allocated up and down between neighbouring sizes (interned_hash on fortunes:
 * 1.46, 2.13, 1.92) and tilts a fit by a few hundredths; repeats of one cell agree
 * within 0.1%, so this is structure, not noise, and not a trend worth a flag. A table
 * served from a mapped file is never flagged: its RSS grows with the file while its heap
 * stays a struct, which says nothing of pages held for little data.
 */
int mg_growth_is_sparse(const mg_growth_fit *fit)
{
    return !fit->mapped && isfinite(fit->rss) && isfinite(fit->allocated) &&
           fit->rss - fit->allocated > MG_SPARSE_MARGIN;
}
