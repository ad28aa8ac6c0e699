/*
 * test_html_text.c — what report.html takes in from outside (html_text.h):
 * results' text escaped, links encoded, and a chart's SVG copied in with its
 * ids made its own and nothing that runs or fetches, from hostile inputs.
 */
#include "html_text.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct page {
    char *text;
    size_t length;
    FILE *file;
} page;

/* opened stays where it is until page_close: the stream writes its text and length there. */
static void page_open(page *opened)
{
    *opened = (page){0};
    opened->file = open_memstream(&opened->text, &opened->length);
    cr_assert(opened->file);
}

static char *page_close(page *opened)
{
    cr_assert_eq(fclose(opened->file), 0);
    return opened->text;
}

/* The page mg_html_put_svg makes of svg (prefix "p-"), or NULL when it refused with *error. */
static char *inline_svg(const char *svg, const char *label, char *error, size_t error_size)
{
    char *path = mgt_temp_file(svg, strlen(svg));
    page opened;
    page_open(&opened);
    int status = mg_html_put_svg(opened.file, path, "p-", label, error, error_size);
    char *text = page_close(&opened);
    mgt_temp_remove(path);
    if (status == 0)
        return text;
    cr_expect_str_empty(text, "a refused chart left output: %s", text);
    free(text);
    return NULL;
}

static char *inline_ok(const char *svg)
{
    char error[512] = "";
    char *text = inline_svg(svg, "chart", error, sizeof error);
    cr_assert(text, "refused: %s", error);
    return text;
}

static size_t occurrences(const char *text, const char *part)
{
    size_t count = 0;
    for (const char *at = strstr(text, part); at; at = strstr(at + 1, part))
        count++;
    return count;
}

Test(html_text, text_escapes_every_byte_markup_gives_a_meaning)
{
    page opened;
    page_open(&opened);
    mg_html_put_text(opened.file, "a&b<c>d\"e'f\ng");
    char *text = page_close(&opened);
    cr_expect_str_eq(text, "a&amp;b&lt;c&gt;d&quot;e&#39;f?g");
    free(text);
}

Test(html_text, a_link_percent_encodes_what_is_not_a_plain_name)
{
    page opened;
    page_open(&opened);
    mg_html_put_link(opened.file, "charts/timeline-a b#?\"<.svg");
    char *text = page_close(&opened);
    cr_expect_str_eq(text, "charts/timeline-a%20b%23%3F%22%3C.svg");
    free(text);
}

Test(html_text, ids_and_references_to_them_get_the_chart_prefix)
{
    char *text = inline_ok("<?xml version=\"1.0\"?>\n<!-- gnuplot -->\n<svg viewBox='0 0 10 10' "
                           "xmlns:xlink='http://www.w3.org/1999/xlink'><defs><path id='dot' d='M0,0'/>"
                           "<clipPath id=\"c\"/><linearGradient id='g'/></defs><use xlink:href='#dot'/>"
                           "<use href=\"#dot\"/><rect fill=\"url(#g)\" clip-path=\"url('#c')\"/>"
                           "<polygon fill = 'rgb(243,  86,  41)' points\n=\n'1,2 3,4'/></svg>\n");
    cr_expect(!strstr(text, "<?xml") && !strstr(text, "gnuplot"), "the prolog was copied: %s", text);
    cr_expect(strncmp(text, "<svg", 4) == 0, "%s", text);
    static const char *const expected[] = {"id=\"p-dot\"", "id=\"p-c\"", "id=\"p-g\"", "xlink:href=\"#p-dot\"",
                                           "href=\"#p-dot\"", "fill=\"url(#p-g)\"", "clip-path=\"url('#p-c')\"",
                                           "xmlns:xlink=\"http://www.w3.org/1999/xlink\"",
                                           "<polygon fill=\"rgb(243,  86,  41)\" points=\"1,2 3,4\"/>", "</svg>"};
    for (size_t index = 0; index < sizeof expected / sizeof expected[0]; index++)
        cr_expect(strstr(text, expected[index]), "no %s in %s", expected[index], text);
    free(text);
}

Test(html_text, scripts_handlers_styles_and_outside_references_are_left_out)
{
    char *text = inline_ok(
        "<svg width=\"960\" height=\"600\"><script>alert(1)</script><SCRIPT type='x'>alert(2)</SCRIPT>"
        "<g onload=\"alert(3)\" ONCLICK='alert(4)'><a href=\"javascript:alert(5)\"><text>kept</text></a>"
        "<image href=\"http://example.com/x.png\"/><image href='data:image/png;base64,iVBO'/>"
        "<style>@import url(http://example.com/s.css)</style><foreignObject><div>html</div></foreignObject>"
        "<animate attributeName=\"href\" to=\"javascript:alert(6)\"/><set attributeName='onclick' to='x'/>"
        "<rect fill=\"url(http://example.com/f)\" style=\"fill:red\" stroke=\"u&#114;l(x)\" width='3'/>"
        "<unknown><path d='M0,0'/></unknown></g></svg>");
    static const char *const absent[] = {"script", "SCRIPT", "alert", "onload", "ONCLICK", "javascript",
                                         "example.com", "style", "foreignObject", "html", "animate", "<set",
                                         "&#114;", "unknown", "<path", "height=\"600\"", "width=\"960\""};
    for (size_t index = 0; index < sizeof absent / sizeof absent[0]; index++)
        cr_expect(!strstr(text, absent[index]), "%s was kept: %s", absent[index], text);
    static const char *const kept[] = {"<text>kept</text>", "viewBox=\"0 0 960 600\"", "width=\"100%\"",
                                       "<rect width=\"3\"/>", "href=\"data:image/png;base64,iVBO\""};
    for (size_t index = 0; index < sizeof kept / sizeof kept[0]; index++)
        cr_expect(strstr(text, kept[index]), "no %s in %s", kept[index], text);
    free(text);
}

Test(html_text, an_id_the_chart_repeats_is_kept_once)
{
    char *text = inline_ok("<svg viewBox='0 0 1 1'><g id='plot_1'/><g id='plot_1'><path id='plot_2'/></g></svg>");
    cr_expect_eq(occurrences(text, "id=\"p-plot_1\""), 1, "%s", text);
    cr_expect_eq(occurrences(text, "id=\"p-plot_2\""), 1, "%s", text);
    free(text);
}

Test(html_text, the_label_and_character_data_are_text)
{
    char error[512] = "";
    char *text = inline_svg("<svg viewBox='0 0 1 1'><text><![CDATA[a<b&c>]]></text></svg>", "x\"<b>&", error,
                            sizeof error);
    cr_assert(text, "%s", error);
    cr_expect(strstr(text, "aria-label=\"x&quot;&lt;b&gt;&amp;\""), "%s", text);
    cr_expect(strstr(text, "<text>a&lt;b&amp;c&gt;</text>"), "%s", text);
    free(text);
}

Test(html_text, elements_left_open_are_closed_and_stray_end_tags_dropped)
{
    char *text = inline_ok("<svg viewBox='0 0 1 1'></div><g><text>x</g> < y");
    cr_expect(!strstr(text, "</div>"), "%s", text);
    cr_expect(strstr(text, "<text>x</text></g>"), "%s", text);
    cr_expect(strstr(text, "&lt; y</svg>"), "%s", text);
    free(text);
}

Test(html_text, a_file_without_an_svg_element_or_nesting_too_deep_is_refused)
{
    char error[512] = "";
    cr_expect_null(inline_svg("<html><svgfont/></html>", "x", error, sizeof error));
    cr_expect(strstr(error, "has no <svg> element"), "%s", error);

    mgt_buffer deep = {0};
    mgt_buffer_append_str(&deep, "<svg>");
    for (int level = 0; level < 80; level++)
        mgt_buffer_append_str(&deep, "<g>");
    mgt_buffer_append_byte(&deep, 0);
    cr_expect_null(inline_svg((const char *)deep.bytes, "x", error, sizeof error));
    cr_expect(strstr(error, "deeper than"), "%s", error);
    mgt_buffer_free(&deep);

    page opened;
    page_open(&opened);
    cr_expect_eq(mg_html_put_svg(opened.file, "/nonexistent/chart.svg", "p-", "x", error, sizeof error), -1);
    free(page_close(&opened));
    cr_expect(strstr(error, "cannot read the chart '/nonexistent/chart.svg'"), "%s", error);
}
