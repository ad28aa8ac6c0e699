/* chart_list.c — see chart_list.h. */
#include "chart_list.h"
#include "cell.h"

#include <stdio.h>
#include <unistd.h>

/* The charts drawn once per report, in the order a reader meets them. */
static const struct {
    const char *name, *title;
} report_charts[] = {
    {"memory-vs-size", "Memory against corpus size"},
    {"bytes-breakdown", "Where the bytes go, per n-gram"},
    {"parts", "Where the bytes go inside each backend"},
    {"pareto", "Bytes against lookup time"},
    {"growth", "Growth with corpus size"},
    {"parts-growth", "Growth of each part with corpus size"},
    {"allocators", "Every backend under every allocator"},
    {"timelines", "Every backend's memory over one run"},
};

/* Adds name to entries when DIR/charts/name.svg exists. */
static size_t add_if_drawn(const mg_report *report, mg_chart_entry *entries, size_t count, const char *name,
                           const char *title)
{
    char path[MG_REPORT_PATH_SIZE + 300];
    snprintf(path, sizeof path, "%s/charts/%s.svg", report->dir, name);
    if (count == MG_CHART_LIST_MAX || access(path, F_OK) != 0)
        return count;
    snprintf(entries[count].name, sizeof entries[count].name, "%s", name);
    snprintf(entries[count].title, sizeof entries[count].title, "%s", title);
    return count + 1;
}

size_t mg_chart_list(const mg_report *report, mg_chart_entry *entries)
{
    size_t count = 0;
    for (size_t chart = 0; chart < sizeof report_charts / sizeof report_charts[0]; chart++)
        count = add_if_drawn(report, entries, count, report_charts[chart].name, report_charts[chart].title);
    for (int index = 0; index < report->backend_count; index++) {
        char name[256], title[320];
        mg_file_name("timeline-", report->backends[index], "", name, sizeof name);
        snprintf(title, sizeof title, "Memory over one run: %s", report->chart_names[index]);
        count = add_if_drawn(report, entries, count, name, title);
    }
    return count;
}
