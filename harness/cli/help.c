/* help.c — see help.h: the help table printed as text and as `memgrams help`. */
#include "help.h"
#include "message.h"

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
    char text[1024];
    snprintf(text, sizeof text, "%s%s%s%s", option->text, option->default_value ? " (default: " : "",
             option->default_value ? option->default_value : "", option->default_value ? ")" : "");
    print_filled(out, text, 6);
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

static int help_error(const char *format, const char *detail)
{
    fputs("memgrams help: ", stderr);
    fprintf(stderr, format, mg_show(detail).text, mg_help_command_names());
    fputc('\n', stderr);
    return EXIT_USAGE;
}

int mg_help_main(int argc, char **argv)
{
    int man = 0, completion = 0;
    const mg_help_command *command = NULL;
    for (int index = 1; index < argc; index++) {
        if (strcmp(argv[index], "--man") == 0)
            man = 1;
        else if (strcmp(argv[index], "--bash-completion") == 0)
            completion = 1;
        else if (argv[index][0] == '-')
            return help_error("unknown option '%s' (valid: --man, --bash-completion)%.0s", argv[index]);
        else if (command)
            return help_error("unexpected argument '%s' (one command: %s)", argv[index]);
        else if (!(command = mg_help_find(argv[index])))
            return help_error("unknown command '%s' (valid: %s)", argv[index]);
    }
    if (man && completion)
        return help_error("--man and --bash-completion are one each%.0s%.0s", "");
    if (completion && command)
        return help_error("--bash-completion takes no command ('%s' given)%.0s", command->name);
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
