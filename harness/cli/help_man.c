/* help_man.c — the help table as man pages (roff, man(7)) and as a bash completion script (help.h). */
#include "allocator.h"
#include "config.h"
#include "corpus.h"
#include "help.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- man pages ------------------------------------------------------------------------ */

/* text as roff: backslashes and hyphens escaped, a line that would start
 * with a control character made text, newline as a new paragraph. */
static void roff_text(FILE *out, const char *text)
{
    int line_start = 1;
    for (const char *cursor = text; *cursor; cursor++) {
        if (line_start && (*cursor == '.' || *cursor == '\''))
            fputs("\\&", out);
        line_start = 0;
        if (*cursor == '\\')
            fputs("\\e", out);
        else if (*cursor == '-')
            fputs("\\-", out);
        else if (*cursor == ',' && cursor[1] != ' ')
            fputs(",\\:", out); /* a long comma list may break after any item */
        else if (*cursor == '\n') {
            fputs("\n.PP\n", out);
            line_start = 1;
        } else
            fputc(*cursor, out);
    }
    fputc('\n', out);
}

/* Each line of lines as "memgrams LINE", unfilled. */
static void roff_command_lines(FILE *out, const char *lines)
{
    fputs(".nf\n", out);
    for (const char *line = lines; *line;) {
        size_t length = strcspn(line, "\n");
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)length, line);
        fputs(one[0] == ' ' ? "\\ \\ \\ \\ " : "\\fBmemgrams\\fR ", out);
        roff_text(out, one + strspn(one, " "));
        line += length + (line[length] == '\n');
    }
    fputs(".fi\n", out);
}

static void roff_title(FILE *out, const mg_help_command *command)
{
    fputs(".TH MEMGRAMS", out);
    for (const char *name = command ? command->name : ""; *name; name++)
        fprintf(out, "%s%c", name == command->name ? "\\-" : "", toupper((unsigned char)*name));
    fputs(" 1 \"\" \"memgrams " MG_VERSION "\" \"memgrams manual\"\n"
          ".ad l\n" /* ragged right: option values and lists are long words */
          ".SH NAME\n", out);
    if (command) {
        fprintf(out, "memgrams\\-%s \\- ", command->name);
        roff_text(out, command->summary);
    } else {
        fputs("memgrams \\- the memory of n\\-gram count tables, measured layer by layer\n", out);
    }
}

static void roff_option(FILE *out, const mg_help_option *option)
{
    fputs(".TP\n\\fB\\-\\-", out);
    for (const char *name = option->name; *name; name++) {
        if (*name == '-')
            fputs("\\-", out);
        else
            fputc(*name, out);
    }
    fputs("\\fR", out);
    if (option->value)
        fprintf(out, " \\fI%s\\fR", option->value);
    fputc('\n', out);
    roff_text(out, option->text);
    if (option->default_value) {
        char text[512];
        snprintf(text, sizeof text, "(default: %s)", option->default_value);
        roff_text(out, text);
    }
}

static void roff_command_page(FILE *out, const mg_help_command *command)
{
    fputs(".SH SYNOPSIS\n", out);
    roff_command_lines(out, command->synopsis);
    fputs(".SH DESCRIPTION\n", out);
    roff_text(out, command->description);
    fputs(".SH OPTIONS\n", out);
    for (int index = 0; index < command->option_count; index++)
        roff_option(out, &command->options[index]);
    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint the help of this command\n", out);
    fputs(".SH EXAMPLE\n", out);
    roff_command_lines(out, command->example);
    fputs(".SH SEE ALSO\n\\fBmemgrams\\fR(1)\n", out);
}

static void roff_overview_page(FILE *out)
{
    fputs(".SH SYNOPSIS\n.nf\n\\fBmemgrams\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
          "\\fBmemgrams help\\fR \\fICOMMAND\\fR\n\\fBmemgrams\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR\n.fi\n"
          ".SH DESCRIPTION\nmemgrams trains n\\-gram count tables of several storage layouts (backends) on a "
          "corpus and measures their memory at every layer, from the bytes requested to the resident set, "
          "and their speed.\n.SH COMMANDS\n", out);
    for (int index = 0; index < mg_help_command_count; index++) {
        fprintf(out, ".TP\n\\fB%s\\fR\n", mg_help_commands[index].name);
        roff_text(out, mg_help_commands[index].summary);
        fprintf(out, "(\\fBmemgrams\\-%s\\fR(1))\n", mg_help_commands[index].name);
    }
    for (int index = 0; index < mg_help_note_count; index++) {
        fputs(".SH ", out);
        for (const char *letter = mg_help_notes[index].heading; *letter; letter++)
            fputc(toupper((unsigned char)*letter), out);
        fputc('\n', out);
        roff_text(out, mg_help_notes[index].text);
    }
    fputs(".SH SEE ALSO\n", out);
    for (int index = 0; index < mg_help_command_count; index++)
        fprintf(out, "\\fBmemgrams\\-%s\\fR(1)%s\n", mg_help_commands[index].name,
                index + 1 < mg_help_command_count ? "," : "");
}

void mg_help_print_man(FILE *out, const mg_help_command *command)
{
    roff_title(out, command);
    if (command)
        roff_command_page(out, command);
    else
        roff_overview_page(out);
}

/* ---- bash completion -------------------------------------------------------------------- */

static const char *const value_kinds[] = {"none", "file", "backends", "corpora", "allocators", "words"};

/* names, a ", " list, as a space separated one. */
static void print_words(FILE *out, const char *names)
{
    for (const char *cursor = names; *cursor; cursor++)
        if (*cursor != ',')
            fputc(*cursor, out);
}

static void completion_values_function(FILE *out)
{
    fputs("# _memgrams_values KIND LIST WORDS: COMPREPLY for the value being typed; LIST 1: the last item of a "
          "comma list\n"
          "_memgrams_values() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prefix= words=\n"
          "    if [[ $2 == 1 ]]; then prefix=${cur%\"${cur##*,}\"}; cur=${cur##*,}; fi\n"
          "    case $1 in\n"
          "    none) COMPREPLY=(); return ;;\n"
          "    file) mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return ;;\n"
          "    backends) words=$(\"${COMP_WORDS[0]}\" list 2>/dev/null | cut -d ' ' -f 1) ;;\n"
          "    corpora) words='", out);
    print_words(out, mg_corpus_names);
    fputs("' ;;\n    allocators) words='", out);
    print_words(out, mg_allocator_names);
    fputs("' ;;\n    words) words=$3 ;;\n    esac\n"
          "    mapfile -t COMPREPLY < <(compgen -P \"$prefix\" -W \"$words\" -- \"$cur\")\n"
          "    [[ $1 == corpora ]] && mapfile -t -O \"${#COMPREPLY[@]}\" COMPREPLY < <(compgen -P \"$prefix\" -f "
          "-- \"$cur\")\n"
          "    return 0\n}\n\n", out);
}

/* The case items that complete an option's value. */
static void completion_value_cases(FILE *out)
{
    for (int index = 0; index < mg_help_command_count; index++) {
        const mg_help_command *command = &mg_help_commands[index];
        for (int option = 0; option < command->option_count; option++) {
            const mg_help_option *one = &command->options[option];
            if (one->value)
                fprintf(out, "    '%s --%s') _memgrams_values %s %d '%s'; return ;;\n", command->name, one->name,
                        value_kinds[one->values], one->list, one->choices ? one->choices : "");
        }
    }
}

/* The case items that list each command's options. */
static void completion_option_cases(FILE *out)
{
    for (int index = 0; index < mg_help_command_count; index++) {
        const mg_help_command *command = &mg_help_commands[index];
        fprintf(out, "    %s) options='", command->name);
        for (int option = 0; option < command->option_count; option++)
            fprintf(out, "--%s ", command->options[option].name);
        fputs("--help' ;;\n", out);
    }
}

void mg_help_print_bash_completion(FILE *out)
{
    fputs("# bash completion of memgrams, printed by `memgrams help --bash-completion` from its help table.\n\n",
          out);
    completion_values_function(out);
    fputs("_memgrams() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} options=\n"
          "    if ((COMP_CWORD == 1)); then\n"
          "        mapfile -t COMPREPLY < <(compgen -W '", out);
    for (int index = 0; index < mg_help_command_count; index++)
        fprintf(out, "%s ", mg_help_commands[index].name);
    fputs("--help --version' -- \"$cur\")\n        return 0\n    fi\n"
          "    case \"${COMP_WORDS[1]} $prev\" in\n", out);
    completion_value_cases(out);
    fputs("    'corpus corpus') _memgrams_values words 0 'cat stats'; return ;;\n"
          "    'help help') _memgrams_values words 0 '", out);
    for (int index = 0; index < mg_help_command_count; index++)
        fprintf(out, "%s ", mg_help_commands[index].name);
    fputs("'; return ;;\n    esac\n    case ${COMP_WORDS[1]} in\n", out);
    completion_option_cases(out);
    fputs("    *) return 0 ;;\n    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        mapfile -t COMPREPLY < <(compgen -W \"$options\" -- \"$cur\")\n"
          "    else\n"
          "        _memgrams_values corpora 0 ''\n"
          "    fi\n"
          "}\n"
          "complete -F _memgrams memgrams\n", out);
}
