/* help.c — see help.h: the help table printed as text and as `memgrams help`. */
#include "help.h"
#include "message.h"
#include "options.h"

#include <stdio.h>
#include <string.h>

enum { EXIT_USAGE = 2 };
#define LINE_WIDTH 79
#define CONTINUATION_INDENT 11 /* under the command's name: "usage: memgrams " less "memgrams" */

const mg_help_command *mg_help_find(const char *name)
{
    for (int index = 0; index < mg_help_command_count; index++)
        if (strcmp(mg_help_commands[index].name, name) == 0)
            return &mg_help_commands[index];
    return NULL;
}

const char *mg_help_command_names(void)
{
    static char names[256];
    if (names[0])
        return names;
    for (int index = 0; index < mg_help_command_count; index++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", index ? ", " : "", mg_help_commands[index].name);
    }
    return names;
}

/* text filled into lines of LINE_WIDTH, each starting with indent spaces; a
 * newline in text starts a new paragraph. */
static void print_filled(FILE *out, const char *text, int indent)
{
    int column = 0;
    while (*text) {
        if (*text == '\n') {
            fputc('\n', out);
            column = 0;
            text++;
            continue;
        }
        size_t word = strcspn(text, " \n");
        if (column > indent && column + 1 + (int)word > LINE_WIDTH) {
            fputc('\n', out);
            column = 0;
        }
        if (column == 0)
            column = fprintf(out, "%*s", indent, "");
        else
            column += fprintf(out, " ");
        column += fprintf(out, "%.*s", (int)word, text);
        text += word;
        text += strspn(text, " ");
    }
    if (column)
        fputc('\n', out);
}

/* Each line of lines after prefix (first_prefix for the first); a line that
 * starts with a space continues the one before, indented. */
static void print_lines(FILE *out, const char *first_prefix, const char *prefix, const char *lines)
{
    for (const char *line = lines; *line;) {
        size_t length = strcspn(line, "\n");
        if (*line == ' ')
            fprintf(out, "%*s%.*s\n", CONTINUATION_INDENT, "", (int)length, line);
        else
            fprintf(out, "%s%.*s\n", line == lines ? first_prefix : prefix, (int)length, line);
        line += length + (line[length] == '\n');
    }
}

void mg_help_print_overview(FILE *out)
{
    fputs("usage: memgrams COMMAND [OPTIONS]\n"
          "       memgrams help COMMAND, memgrams COMMAND --help: that command's options and an example\n"
          "       memgrams --version\n\ncommands:\n", out);
    for (int index = 0; index < mg_help_command_count; index++)
        fprintf(out, "  %-9s %s\n", mg_help_commands[index].name, mg_help_commands[index].summary);
    for (int index = 0; index < mg_help_note_count; index++) {
        fprintf(out, "\n%s:\n", mg_help_notes[index].heading);
        print_filled(out, mg_help_notes[index].text, 2);
    }
}

static void print_option(FILE *out, const mg_help_option *option)
{
    fprintf(out, "  --%s%s%s\n", option->name, option->value ? " " : "", option->value ? option->value : "");
    print_filled(out, option->text, 6);
    if (option->default_value)
        fprintf(out, "      default: %s\n", option->default_value);
}

void mg_help_print_command(FILE *out, const mg_help_command *command)
{
    print_lines(out, "usage: memgrams ", "       memgrams ", command->synopsis);
    fprintf(out, "%s\n\n", command->summary);
    print_filled(out, command->description, 0);
    fputs("\noptions:\n", out);
    for (int index = 0; index < command->option_count; index++)
        print_option(out, &command->options[index]);
    fputs("  -h, --help\n      print this help\n", out);
    fputs("\nexample:\n", out);
    print_lines(out, "  memgrams ", "  memgrams ", command->example);
}

int mg_help_asked(int argc, char **argv)
{
    for (int index = 1; index < argc && strcmp(argv[index], "--") != 0; index++)
        if (strcmp(argv[index], "--help") == 0 || strcmp(argv[index], "-h") == 0)
            return 1;
    return 0;
}

static int help_error(const char *message)
{
    return mg_fail("help", EXIT_USAGE, message);
}

enum { OPTION_MAN = 1, OPTION_COMPLETION };

int mg_help_main(int argc, char **argv)
{
    static const struct option table[] = {
        {"man", no_argument, NULL, OPTION_MAN}, {"bash-completion", no_argument, NULL, OPTION_COMPLETION},
        {NULL, 0, NULL, 0}};
    int man = 0, completion = 0, code;
    char error[512];
    mg_option_start();
    while ((code = mg_option_next(argc, argv, table, NULL, "memgrams help", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return help_error(error);
        man |= code == OPTION_MAN;
        completion |= code == OPTION_COMPLETION;
    }
    const mg_help_command *command = optind < argc ? mg_help_find(argv[optind]) : NULL;
    if (optind < argc && !command)
        snprintf(error, sizeof error, "unknown command '%s' (valid: %s)", mg_show(argv[optind]).text,
                 mg_help_command_names());
    else if (optind + 1 < argc)
        snprintf(error, sizeof error, "unexpected argument '%s' (help takes one command)",
                 mg_show(argv[optind + 1]).text);
    else if (completion && (man || command))
        snprintf(error, sizeof error, "--bash-completion takes neither --man nor a command");
    else
        error[0] = '\0';
    if (error[0])
        return help_error(error);
    if (completion)
        mg_help_print_bash_completion(stdout);
    else if (man)
        mg_help_print_man(stdout, command);
    else if (command)
        mg_help_print_command(stdout, command);
    else
        mg_help_print_overview(stdout);
    return 0;
}
