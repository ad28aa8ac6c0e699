/* tolerance.c — see tolerance.h. */
#include "tolerance.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mg_check_layer_names[MG_CHECK_LAYERS] = {
    "requested", "allocated", "active", "resident", "rss", "peak",
};

void mg_check_default_tolerances(mg_check_tolerances *tolerances)
{
    memset(tolerances, 0, sizeof *tolerances);
    tolerances->memory[MG_CHECK_REQUESTED].percent = 0.5;
    tolerances->memory[MG_CHECK_ALLOCATED].percent = 1.0;
    for (int layer = MG_CHECK_ACTIVE; layer < MG_CHECK_LAYERS; layer++)
        tolerances->memory[layer] = (mg_tolerance){5.0, 256 * 1024, 0};
    /* jemalloc's resident counts dirty pages until their decay (opt.dirty_decay_ms,
     * a clock): identical runs differ by up to 3x, so it is not judged unless asked. */
    tolerances->memory[MG_CHECK_RESIDENT].off = 1;
    tolerances->speed_percent = 10.0;
    tolerances->alpha = 0.001; /* a check judges ~60 speed figures: 0.01 would let unchanged code alarm too often */
}

/* One term of an amount: "5%" or "256KiB"; 0 or -1. */
static int parse_term(const char *term, mg_tolerance *tolerance)
{
    static const struct { const char *suffix; double bytes; } units[] = {
        {"B", 1}, {"KiB", 1024}, {"MiB", 1024.0 * 1024}, {"GiB", 1024.0 * 1024 * 1024},
    };
    char *end;
    errno = 0;
    double value = strtod(term, &end);
    if (end == term || errno || !isfinite(value) || value < 0)
        return -1;
    if (strcmp(end, "%") == 0) {
        tolerance->percent += value;
        return 0;
    }
    for (size_t unit = 0; unit < sizeof units / sizeof units[0]; unit++)
        if (strcmp(end, units[unit].suffix) == 0) {
            tolerance->bytes += value * units[unit].bytes;
            return 0;
        }
    return -1;
}

/* "off", or terms joined by '+'. */
static int parse_amount(char *amount, mg_tolerance *tolerance)
{
    *tolerance = (mg_tolerance){0, 0, 0};
    if (strcmp(amount, "off") == 0) {
        tolerance->off = 1;
        return 0;
    }
    size_t length = strlen(amount);
    if (length == 0 || amount[0] == '+' || amount[length - 1] == '+' || strstr(amount, "++"))
        return -1;
    for (char *save = NULL, *term = strtok_r(amount, "+", &save); term; term = strtok_r(NULL, "+", &save))
        if (parse_term(term, tolerance) != 0)
            return -1;
    return 0;
}

static int apply_tolerance(const char *figure, char *amount, mg_check_tolerances *tolerances)
{
    mg_tolerance parsed;
    if (strcmp(figure, "alpha") == 0) {
        char *end;
        double alpha = strtod(amount, &end);
        if (end == amount || *end || !(alpha > 0 && alpha <= 0.5))
            return -1;
        tolerances->alpha = alpha;
        return 0;
    }
    if (parse_amount(amount, &parsed) != 0)
        return -1;
    if (strcmp(figure, "speed") == 0) {
        if (parsed.bytes > 0)
            return -1;
        tolerances->speed_off = parsed.off;
        tolerances->speed_percent = parsed.percent;
        return 0;
    }
    for (int layer = 0; layer < MG_CHECK_LAYERS; layer++)
        if (strcmp(figure, "memory") == 0 || strcmp(figure, mg_check_layer_names[layer]) == 0)
            tolerances->memory[layer] = parsed;
    return 0;
}

static int known_figure(const char *figure)
{
    static const char *const others[] = {"memory", "speed", "alpha"};
    for (int layer = 0; layer < MG_CHECK_LAYERS; layer++)
        if (strcmp(figure, mg_check_layer_names[layer]) == 0)
            return 1;
    for (size_t index = 0; index < 3; index++)
        if (strcmp(figure, others[index]) == 0)
            return 1;
    return 0;
}

int mg_check_parse_tolerances(const char *spec, mg_check_tolerances *tolerances, char *error, size_t error_size)
{
    char copy[1024];
    if (snprintf(copy, sizeof copy, "%s", spec) >= (int)sizeof copy || !*spec) {
        snprintf(error, error_size, "tolerance '%.64s' is empty or too long", spec);
        return -1;
    }
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *equals = strchr(item, '=');
        if (!equals) {
            snprintf(error, error_size, "tolerance '%s' is not FIGURE=AMOUNT", item);
            return -1;
        }
        *equals = '\0';
        if (!known_figure(item)) {
            snprintf(error, error_size, "tolerance for unknown figure '%s' (valid: requested, allocated, "
                     "active, resident, rss, peak, memory, speed, alpha)", item);
            return -1;
        }
        char amount[256];
        snprintf(amount, sizeof amount, "%s", equals + 1);
        if (apply_tolerance(item, amount, tolerances) != 0) {
            snprintf(error, error_size, "tolerance %s='%s' is not valid (e.g. 5%%+256KiB, 10%%, off; alpha 0.01)",
                     item, equals + 1);
            return -1;
        }
    }
    return 0;
}
