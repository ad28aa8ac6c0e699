/* plan_lines.c — see plan_lines.h. */
#include "plan_lines.h"
#include "atomic_file.h"
#include "cell.h"
#include "message.h"
#include "supervise.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A run's command line in the plan: with --out, `memgrams run ... --output
 * FILE` judging itself into DIR/cells/ (DIR/against/cells/ for the other
 * build) or onto stdout; without, the command as the sweep starts it. */
static int plan_command(const mg_sweep_plan *plan, const char *exe, int against, const mg_run_request *request,
                        mg_command *command, char *error, size_t error_size)
{
    static char output[MG_PATH_SIZE + 512];
    char corpora[MG_PATH_SIZE], name[512];
    if (!plan->out_given) {
        snprintf(corpora, sizeof corpora, "%s/corpora", plan->out);
        return mg_command_for(exe, request, corpora, command, error, error_size);
    }
    mg_cell_file_name(&request->cell, request->pass, name, sizeof name);
    if (strcmp(plan->out, "-") == 0)
        snprintf(output, sizeof output, "-");
    else
        snprintf(output, sizeof output, "%s/%scells/%s", plan->out, against ? "against/" : "", name);
    mg_command_judged(exe, request, output, command);
    return 0;
}

/* A plan is read line by line (GNU parallel, sed -n Np): no word may break one. */
static int check_words(const mg_command *command, char *error, size_t error_size)
{
    for (int word = 0; command->argv[word]; word++)
        if (strpbrk(command->argv[word], "\n\r")) {
            snprintf(error, error_size, "cannot print a plan line with '%s': it holds a line break",
                     mg_show(command->argv[word]).text);
            return -1;
        }
    return 0;
}

/* word for POSIX sh: bare when it holds only bytes no shell reads as syntax
 * ('=' only after the first word, where it cannot make an assignment),
 * otherwise in single quotes with each ' as '\''. */
static void print_word(const char *word, int first)
{
    const char *safe = first ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+:,./-"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+:,./-=";
    if (*word && word[strspn(word, safe)] == '\0') {
        fputs(word, stdout);
        return;
    }
    putchar('\'');
    for (; *word; word++)
        if (*word == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*word);
    putchar('\'');
}

/* Every run's line (printing when print is set), in the order the sweep
 * would start them: 0, or -1 with error set at the first that cannot be made. */
static int plan_lines(const char *exe, const mg_sweep_plan *plan, int print, char *error, size_t error_size)
{
    const char *exes[2] = {exe, plan->against};
    int sides = mg_plan_side_count(plan);
    static mg_command command; /* ~45 KiB: kept off the stack */
    for (uint64_t pass = 0; pass < plan->processes; pass++)
        for (uint64_t index = 0; index < mg_plan_cell_count(plan); index++) {
            mg_run_request request = mg_run_request_make(mg_plan_cell_at(plan, index), plan->seed, plan->repeat, pass + 1,
                                                         plan->timeout_seconds);
            for (int turn = 0; turn < sides; turn++) {
                int side = mg_plan_side_of(turn, pass, index, sides);
                if (plan_command(plan, exes[side], side == 1, &request, &command, error, error_size) != 0 ||
                    check_words(&command, error, error_size) != 0)
                    return -1;
                for (int word = 0; print && command.argv[word]; word++) {
                    if (word)
                        putchar(' ');
                    print_word(command.argv[word], word == 0);
                }
                if (print)
                    putchar('\n');
            }
        }
    return 0;
}

/* The plan, whole or not at all: every line is made once before any is printed. */
int mg_sweep_print_plan(const char *exe, const mg_sweep_plan *plan)
{
    char error[1024];
    if (plan_lines(exe, plan, 0, error, sizeof error) != 0)
        return mg_fail("sweep", 2, error);
    plan_lines(exe, plan, 1, error, sizeof error);
    if (fflush(stdout) != 0 || ferror(stdout))
        return mg_output_failed("sweep", errno ? errno : EIO);
    return 0;
}
