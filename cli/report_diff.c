/*
 * A word diff as HTML, the way `presswatch diff --html` shows it: removed
 * words in <del>, added ones in <ins>, a replacement glued to what it
 * replaces, paragraphs kept.
 */
#include "cli/report.h"

#include "analysis/analysis.h"

/* White space between words; a blank line ends a paragraph. */
static int space(struct buf *b, const char *s, size_t n)
{
    size_t nl = 0;
    for (size_t i = 0; i < n; i++)
        nl += s[i] == '\n';
    return buf_puts(b, nl >= 2 ? "</p>\n<p>" : nl == 1 ? "<br>\n" : " ");
}

int rep_diff_html(struct buf *b, const char *old_text, const char *new_text, size_t *added,
                  size_t *removed, char *err, size_t errsz)
{
    static const char *const open[] = {"", "<del>", "<ins>"};
    static const char *const close[] = {"", "</del>", "</ins>"};
    struct diff_ops ops = {0};
    if (diff_ops_words(old_text, new_text, &ops, err, errsz) < 0)
        return -1;
    int rc = buf_puts(b, "<p>"), space_before = 1;
    for (size_t i = 0; i < ops.n; i++) {
        const struct diff_op *op = &ops.v[i];
        const char *t = op->kind == DIFF_DEL ? old_text : new_text;
        if (!space_before)
            rc |= buf_putc(b, ' '); /* the other text ended here */
        rc |= buf_puts(b, open[op->kind]);
        rc |= html_escn(b, t + op->start, op->end - op->start);
        rc |= buf_puts(b, close[op->kind]);
        space_before = 0;
        if (op->kind == DIFF_DEL && i + 1 < ops.n && ops.v[i + 1].kind == DIFF_ADD) {
            space_before = 1;
            continue;
        }
        if (op->gap_end > op->end) {
            rc |= space(b, t + op->end, op->gap_end - op->end);
            space_before = 1;
        }
    }
    rc |= buf_puts(b, "</p>\n");
    if (!ops.exact)
        rc |= buf_puts(b, "<p class=\"meta\">Too different to align word by word: the changed "
                          "middle is shown removed and added as a whole.</p>\n");
    *added = ops.words_added;
    *removed = ops.words_removed;
    diff_ops_clear(&ops);
    return rc ? pw_err(err, errsz, "report: out of memory") : 0;
}
