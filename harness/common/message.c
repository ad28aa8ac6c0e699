/* message.c — see message.h. */
#include "message.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ELLIPSIS "..."
#define UNIT_MAX 8 /* the longest rendering of one character (\xHH or 4 bytes of UTF-8) and a terminator */

/* The code point of a well-formed sequence of length 2..4 (continuation bytes checked by the caller). */
static uint32_t decode(const unsigned char *text, size_t length)
{
    uint32_t code = text[0] & (0x7f >> length);
    for (size_t index = 1; index < length; index++)
        code = code << 6 | (text[index] & 0x3f);
    return code;
}

/* Bytes of the character at text that a message shows as they are: 1 for
 * printable ASCII, 2..4 for well-formed UTF-8 of a character that neither
 * controls nor breaks a line; 0 when the byte at text is to be escaped. */
static size_t shown_as_is(const unsigned char *text, size_t left)
{
    unsigned char lead = text[0];
    if (lead >= 0x20 && lead < 0x7f)
        return lead == '\\' ? 0 : 1;
    size_t length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3
                  : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length == 0 || length > left)
        return 0;
    for (size_t index = 1; index < length; index++)
        if ((text[index] & 0xc0) != 0x80)
            return 0;
    uint32_t code = decode(text, length);
    uint32_t lowest = length == 2 ? 0xa0 : length == 3 ? 0x800 : 0x10000; /* below: C1 controls or overlong */
    int separator = code == 0x2028 || code == 0x2029;
    int surrogate = code >= 0xd800 && code <= 0xdfff;
    return code < lowest || separator || surrogate || code > 0x10ffff ? 0 : length;
}

/* The character at text rendered into unit; returns the rendering's length
 * and sets *consumed to the bytes it stands for. */
static size_t render_unit(const unsigned char *text, size_t left, char unit[UNIT_MAX], size_t *consumed)
{
    size_t length = shown_as_is(text, left);
    if (length) {
        memcpy(unit, text, length);
        *consumed = length;
        return length;
    }
    *consumed = 1;
    const char *named = text[0] == '\n' ? "\\n" : text[0] == '\t' ? "\\t" : text[0] == '\r' ? "\\r"
                      : text[0] == '\\' ? "\\\\" : NULL;
    if (named) {
        memcpy(unit, named, 2);
        return 2;
    }
    snprintf(unit, UNIT_MAX, "\\x%02X", text[0]);
    return 4;
}

/* Renders text[from, size) into out while it fits in room; returns the bytes
 * of text rendered, adding the rendering's length to *used. */
static size_t render_while_it_fits(const unsigned char *text, size_t from, size_t size, char *out, size_t room,
                                   size_t *used)
{
    size_t at = from, consumed;
    char unit[UNIT_MAX];
    for (; at < size; at += consumed) {
        size_t length = render_unit(text + at, size - at, unit, &consumed);
        if (*used + length > room)
            break;
        memcpy(out + *used, unit, length);
        *used += length;
    }
    return at;
}

mg_shown mg_show(const char *value)
{
    mg_shown shown;
    if (!value) {
        snprintf(shown.text, sizeof shown.text, "(none)");
        return shown;
    }
    const unsigned char *text = (const unsigned char *)value;
    size_t size = strlen(value), total = 0, consumed, room = sizeof shown.text - 1, used = 0;
    char unit[UNIT_MAX];
    for (size_t at = 0; at < size; at += consumed)
        total += render_unit(text + at, size - at, unit, &consumed);
    if (total <= room) {
        render_while_it_fits(text, 0, size, shown.text, room, &used);
        shown.text[used] = '\0';
        return shown;
    }
    /* the head takes two thirds, the tail (a path's file name) the rest */
    size_t at = render_while_it_fits(text, 0, size, shown.text, (room - strlen(ELLIPSIS)) * 2 / 3, &used);
    size_t left_out = total - used; /* the rendering of text[at, size) */
    memcpy(shown.text + used, ELLIPSIS, strlen(ELLIPSIS));
    used += strlen(ELLIPSIS);
    for (; left_out > room - used; at += consumed)
        left_out -= render_unit(text + at, size - at, unit, &consumed);
    render_while_it_fits(text, at, size, shown.text, room, &used);
    shown.text[used] = '\0';
    return shown;
}

int mg_is_out_of_memory(const char *message)
{
    return strncmp(message, MG_OUT_OF_MEMORY, strlen(MG_OUT_OF_MEMORY)) == 0;
}

int mg_fail(const char *command, int status, const char *message)
{
    fprintf(stderr, "memgrams %s: %s\n", command, message);
    return status;
}

int mg_output_failed(const char *command, int error_number)
{
    char message[256];
    snprintf(message, sizeof message, "cannot write the output: %s", strerror(error_number));
    return mg_fail(command, 1, message);
}
