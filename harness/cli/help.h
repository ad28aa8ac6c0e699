/*
 * help.h — the one description of the command line: each command's summary,
 * synopsis, options with their defaults, and an example. The text of
 * `memgrams help [COMMAND]` and `memgrams COMMAND --help`, the man pages
 * (`memgrams help --man [COMMAND]`, generated at build time) and the bash
 * completion (`memgrams help --bash-completion`) are all printed from it, so
 * they cannot disagree.
 */
#ifndef MG_HELP_H
#define MG_HELP_H

#include <stdio.h>

/* What the completion offers as an option's value. */
typedef enum mg_help_values {
    MG_VALUES_NONE,       /* a flag, or a value nothing can propose (a number) */
    MG_VALUES_FILE,       /* a path */
    MG_VALUES_BACKENDS,   /* backend names, as `memgrams list` prints them */
    MG_VALUES_CORPORA,    /* a corpus name or a file */
    MG_VALUES_ALLOCATORS, /* allocator names */
    MG_VALUES_WORDS,      /* the words in choices */
} mg_help_values;

typedef struct mg_help_option {
    const char *name;          /* the long option without its dashes: "backend" */
    const char *value;         /* its value's placeholder ("B"); NULL for a flag */
    const char *text;          /* what it does */
    const char *default_value; /* as the user would write it; NULL when there is none (a flag, a required option) */
    mg_help_values values;
    int list;                  /* the value is a comma list: completion works on its last item */
    const char *choices;       /* MG_VALUES_WORDS: the words, space separated */
} mg_help_option;

typedef struct mg_help_command {
    const char *name;
    const char *summary;     /* one line, no final period */
    const char *synopsis;    /* one or more lines, each without "memgrams " */
    const char *description; /* paragraphs separated by a blank line */
    const mg_help_option *options;
    int option_count;
    const char *example;     /* one or more command lines, each without "memgrams " */
} mg_help_command;

extern const mg_help_command mg_help_commands[];
extern const int mg_help_command_count;

/* What every command shares (corpus specs, allocators, environment, exit status). */
typedef struct mg_help_note {
    const char *heading;
    const char *text; /* paragraphs separated by a newline */
} mg_help_note;

extern const mg_help_note mg_help_notes[];
extern const int mg_help_note_count;

/* The command named name; NULL when there is none. */
const mg_help_command *mg_help_find(const char *name);

/* "list, run, dump, ..." for messages. */
const char *mg_help_command_names(void);

/* The overview: every command and the notes they share. */
void mg_help_print_overview(FILE *out);

/* One command's usage, options with defaults, and example. */
void mg_help_print_command(FILE *out, const mg_help_command *command);

/* memgrams(1) when command is NULL, else memgrams-COMMAND(1), in roff (man(7)). */
void mg_help_print_man(FILE *out, const mg_help_command *command);

/* A bash completion script for memgrams. */
void mg_help_print_bash_completion(FILE *out);

/* `memgrams help [--man|--bash-completion] [COMMAND]` (argv[0] is "help"). */
int mg_help_main(int argc, char **argv);

/* Is the command line asking for help (--help or -h before a lone "--")? */
int mg_help_asked(int argc, char **argv);

#endif
