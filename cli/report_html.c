/* HTML output of the report: escaping of untrusted text, page frame and CSS. */
#include "cli/report.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef PW_VERSION
#define PW_VERSION "dev"
#endif

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code point,
 * or 0 when it is invalid (overlong, surrogate, beyond U+10FFFF, cut). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len;
    unsigned c = s[0], min;
    if (c >= 0xf0 && c <= 0xf4) {
        len = 4, c &= 0x07, min = 0x10000;
    } else if (c >= 0xe0) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if (c >= 0xc2) { /* up to 0xdf: the larger leads are above */
        len = 2, c &= 0x1f, min = 0x80;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static int is_bidi_control(unsigned cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int html_escn(struct buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* bytes before i that are copied as they are */
    int rc = 0;
    if (!str)
        return 0;
    for (size_t i = 0; i < n;) {
        const char *rep = NULL;
        char code[16];
        size_t len = 1;
        unsigned c = s[i], cp = 0;
        if (c < 0x80) {
            switch (c) {
            case '&':
                rep = "&amp;";
                break;
            case '<':
                rep = "&lt;";
                break;
            case '>':
                rep = "&gt;";
                break;
            case '"':
                rep = "&quot;";
                break;
            case '\'':
                rep = "&#39;";
                break;
            default:
                if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
                    rep = replacement;
            }
        } else if (!(len = utf8_seq(s + i, n - i, &cp))) {
            len = 1;
            rep = replacement;
        } else if (cp >= 0x80 && cp < 0xa0) {
            rep = replacement; /* C1 controls */
        } else if (is_bidi_control(cp)) {
            snprintf(code, sizeof code, "[U+%04X]", cp);
            rep = code;
        }
        if (rep) {
            rc |= buf_append(b, s + i - run, run);
            rc |= buf_puts(b, rep);
            run = 0;
        } else {
            run += len;
        }
        i += len;
    }
    rc |= buf_append(b, s + n - run, run);
    return rc ? -1 : 0;
}

int html_esc(struct buf *b, const char *s)
{
    return s ? html_escn(b, s, strlen(s)) : 0;
}

static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int html_paragraphs(struct buf *b, const char *s)
{
    int rc = 0, open = 0;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (blank_line(s, n)) {
            rc |= open ? buf_puts(b, "</p>\n") : 0;
            open = 0;
        } else {
            rc |= buf_puts(b, open ? "<br>" : "<p>");
            rc |= html_escn(b, s, n);
            open = 1;
        }
        s += n + (nl != NULL);
    }
    rc |= open ? buf_puts(b, "</p>\n") : 0;
    return rc ? -1 : 0;
}

int html_web_url(const char *url)
{
    return url && (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8));
}

int html_link(struct buf *b, const char *url, const char *text)
{
    int rc = 0;
    if (!html_web_url(url))
        return html_esc(b, text);
    /* noreferrer: the reader's visit does not tell the outlet where from. */
    rc |= buf_puts(b, "<a rel=\"noreferrer\" href=\"");
    rc |= html_esc(b, url);
    rc |= buf_puts(b, "\">");
    rc |= html_esc(b, text);
    rc |= buf_puts(b, "</a>");
    return rc ? -1 : 0;
}

void rep_time(time_t t, char *out, size_t n)
{
    struct tm tm;
    if (!t || !gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M", &tm))
        snprintf(out, n, "-");
}

/* Our own stylesheet, in parts so that each page carries only what it uses:
 * system fonts, one column on a phone, colours that say verbatim (green),
 * translated (blue), paraphrased (amber), altered (red). */
static const char css_base[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d232b;"
    "background:#fbfbfa}"
    "header{background:#20303f;color:#fff;padding:.5em 1em}"
    "header a{color:#fff;margin-right:1.2em;text-decoration:none;font-weight:600}"
    "main{max-width:76em;margin:0 auto;padding:.5em 1em 2em}"
    "h1{font-size:1.5em;line-height:1.25;overflow-wrap:anywhere}h2{font-size:1.2em;margin-top:1."
    "6em}"
    "a{color:#0b5cad}footer{color:#667;font-size:13px;padding:1em;text-align:center}"
    ".meta{color:#566;font-size:14px}.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".flag{color:#b00020;font-weight:600}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;background:#fff;font-size:14px;width:100%}"
    "th,td{border-bottom:1px solid #e3e3e8;padding:.35em .5em;text-align:left;vertical-align:top}"
    "th{background:#eef0f3;white-space:nowrap}th a{color:inherit}"
    "td.t{min-width:14em;overflow-wrap:anywhere}"
    ".legend span{display:inline-block;margin-right:1em;font-size:13px}"
    ".legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;"
    "vertical-align:-.1em;border-radius:2px}"
    "@media (max-width:700px){body{font-size:15px}}";

static const char css_table[] =
    ".ps i,.ps b{display:inline-block;min-width:1.7em;margin:1px;padding:0 .25em;"
    "border-radius:.8em;border:1px solid #c5c9d0;color:#9aa;text-align:center;font:12px "
    "sans-serif}.ps b{background:#2d6a4f;border-color:#2d6a4f;color:#fff}"
    ".pager a,.pager b{margin-right:.5em}";

static const char css_overview[] =
    ".cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}"
    ".card{background:#fff;border:1px solid #dde;border-radius:6px;padding:.4em .9em}"
    ".card b{display:block;font-size:1.6em}"
    ".l0{fill:#1f77b4;background:#1f77b4}.l1{fill:#d95f02;background:#d95f02}"
    ".l2{fill:#1b9e77;background:#1b9e77}.l3{fill:#7570b3;background:#7570b3}"
    ".l4{fill:#e7298a;background:#e7298a}.l5{fill:#66a61e;background:#66a61e}"
    ".l6{fill:#8c8c8c;background:#8c8c8c}"
    "svg.chart{width:100%;height:auto;max-height:22em;background:#fff;border:1px solid #dde}"
    "svg text{font:12px sans-serif;fill:#445}";

static const char css_article[] =
    ".r-verbatim{background:#dcf2e1}.r-translated{background:#dde8fb}"
    ".r-paraphrased{background:#fcefd2}.r-none{background:#f1f1f1;color:#778}"
    ".sbs{display:grid;grid-template-columns:1fr 1fr;gap:.4em .8em}"
    ".sbs>div{padding:.5em .7em;border-radius:4px;overflow-wrap:anywhere}"
    ".sbs .hd{font-weight:600;background:none;padding:.2em 0}"
    ".sbs .altered{border-left:5px solid #b00020}"
    ".note{display:block;font-size:13px;color:#7a0016;margin-top:.3em}"
    ".tag{font-size:12px;color:#445;text-transform:uppercase;letter-spacing:.04em}"
    ".version{background:#fff;border:1px solid #dde;border-radius:6px;padding:.2em 1em;"
    "margin:.8em 0}"
    "del{background:#ffd9d9;color:#8a0000}ins{background:#d3f3d3;color:#004d00;"
    "text-decoration:none}"
    "@media (max-width:700px){.sbs{grid-template-columns:1fr}.sbs .hd:nth-child(2){display:none}"
    ".sbs>div.art{margin-bottom:.8em}}";

int html_open(struct buf *b, const char *title, unsigned css)
{
    int rc = buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                         "'none'; style-src 'unsafe-inline'\">\n"
                         "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    rc |= html_esc(b, title);
    rc |= buf_puts(b, " &middot; presswatch</title>\n<style>");
    rc |= buf_puts(b, css_base);
    rc |= css & CSS_TABLE ? buf_puts(b, css_table) : 0;
    rc |= css & CSS_OVERVIEW ? buf_puts(b, css_overview) : 0;
    rc |= css & CSS_ARTICLE ? buf_puts(b, css_article) : 0;
    rc |= buf_puts(b, "</style>\n</head><body>\n<header><nav><a href=\"index.html\">presswatch</a>"
                      "<a href=\"index.html\">Coverage</a><a href=\"feeds.html\">Feeds</a>"
                      "</nav></header>\n<main>\n");
    return rc ? -1 : 0;
}

int html_close(struct buf *b, time_t generated)
{
    char when[32];
    rep_time(generated, when, sizeof when);
    return buf_printf(b,
                      "</main>\n<footer>presswatch " PW_VERSION " &middot; %s UTC</footer>\n"
                      "</body></html>\n",
                      when);
}
