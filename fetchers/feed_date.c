/*
 * feed_date: the date formats feeds use in practice. RFC 822 (and its common
 * violations: missing weekday, two-digit years, named zones, asctime order)
 * and W3CDTF / ISO 8601. Everything is converted to UTC.
 */
#include "fetchers/feed.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm), so that no libc time zone state is involved. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Checks the fields and builds the UTC time; offset is the zone in seconds
 * east of UTC. */
static int make_time(int y, int mo, int d, int h, int mi, int s, long offset, time_t *out)
{
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 61)
        return -1;
    if (s > 59)
        s = 59; /* leap seconds: close enough for feed dates */
    long long t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600LL + mi * 60LL +
                  s - offset;
    *out = (time_t)t;
    return 0;
}

static int ndigits(const char *p, int n, int *val)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *val = v;
    return 0;
}

/* "+hh:mm", "-hhmm", "+hh", "Z"; returns characters consumed or -1. */
static int parse_numeric_zone(const char *p, long *offset)
{
    if (*p == 'Z' || *p == 'z') {
        *offset = 0;
        return 1;
    }
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1;
    int hh, mm = 0, n = 1;
    if (ndigits(p + 1, 2, &hh) < 0)
        return -1;
    n = 3;
    if (p[n] == ':')
        n++;
    if (ndigits(p + n, 2, &mm) == 0)
        n += 2;
    else if (p[n - 1] == ':')
        return -1;
    if (hh > 14 || mm > 59)
        return -1;
    *offset = sign * (hh * 3600L + mm * 60L);
    return n;
}

/* W3CDTF and ISO 8601: 2003-12-31T10:14:55.1234-08:00, 20031231T101455Z,
 * 2003-12-31, 2003-12, 2003; a space may stand for the T. */
static int parse_iso(const char *s, time_t *out)
{
    int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
    long off = 0;
    const char *p = s;
    if (ndigits(p, 4, &y) < 0)
        return -1;
    p += 4;
    int compact = 0;
    if (*p == '-') {
        p++;
        if (ndigits(p, 2, &mo) < 0)
            return -1;
        p += 2;
        if (*p == '-') {
            p++;
            if (ndigits(p, 2, &d) < 0)
                return -1;
            p += 2;
        }
    } else if (isdigit((unsigned char)*p)) {
        if (ndigits(p, 2, &mo) < 0 || ndigits(p + 2, 2, &d) < 0)
            return -1;
        p += 4;
        compact = 1;
    }
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (ndigits(p, 2, &h) < 0)
            return -1;
        p += 2;
        if (*p == ':')
            p++;
        else if (!compact && !isdigit((unsigned char)*p))
            return -1;
        if (ndigits(p, 2, &mi) < 0)
            return -1;
        p += 2;
        if (*p == ':' || (compact && isdigit((unsigned char)*p))) {
            if (*p == ':')
                p++;
            if (ndigits(p, 2, &sec) < 0)
                return -1;
            p += 2;
            if (*p == '.' || *p == ',') {
                p++;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        while (*p == ' ')
            p++;
        if (*p) {
            int n = parse_numeric_zone(p, &off);
            if (n < 0) {
                if (!strcasecmp(p, "UTC") || !strcasecmp(p, "GMT"))
                    n = 3;
                else
                    return -1;
            }
            p += n;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return -1;
    return make_time(y, mo, d, h, mi, sec, off, out);
}

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

/* Zone names feeds use, in hours east of UTC. */
static const struct {
    const char *name;
    int hours;
} zones[] = {
    {"ut", 0},   {"utc", 0},   {"gmt", 0},   {"z", 0},     {"est", -5}, {"edt", -4},
    {"et", -5},  {"cst", -6},  {"cdt", -5},  {"ct", -6},   {"mst", -7}, {"mdt", -6},
    {"mt", -7},  {"pst", -8},  {"pdt", -7},  {"pt", -8},   {"ast", -4}, {"adt", -3},
    {"at", -4},  {"hst", -10}, {"akst", -9}, {"akdt", -8}, {"bst", 1},  {"cet", 1},
    {"cest", 2}, {"eet", 2},   {"eest", 3},  {"msk", 3},   {"jst", 9},  {"kst", 9},
};

static int zone_name(const char *w, long *off)
{
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        if (!strcasecmp(w, zones[i].name)) {
            *off = zones[i].hours * 3600L;
            return 0;
        }
    return -1;
}

/* Month names of the languages our users' feeds are in, lower case, as the
 * shortest prefix that tells months apart: full names, genitives ("января")
 * and abbreviations all start with it. */
static const struct {
    const char *stem;
    int month;
} local_months[] = {
    /* Russian */
    {"янв", 1},
    {"фев", 2},
    {"мар", 3},
    {"апр", 4},
    {"май", 5},
    {"мая", 5},
    {"июн", 6},
    {"июл", 7},
    {"авг", 8},
    {"сен", 9},
    {"окт", 10},
    {"ноя", 11},
    {"дек", 12},
    /* Bulgarian (февруари, март, ... share the Russian stems) */
    {"яну", 1},
    {"юни", 6},
    {"юли", 7},
    {"сеп", 9},
    {"ное", 11},
    /* Ukrainian */
    {"січ", 1},
    {"лют", 2},
    {"бер", 3},
    {"кві", 4},
    {"тра", 5},
    {"чер", 6},
    {"лип", 7},
    {"сер", 8},
    {"вер", 9},
    {"жов", 10},
    {"лис", 11},
    {"гру", 12},
    /* Greek, as feedparser documents it */
    {"ιαν", 1},
    {"φεβ", 2},
    {"μάρ", 3},
    {"μαρ", 3},
    {"απρ", 4},
    {"μάι", 5},
    {"μαΐ", 5},
    {"μαι", 5},
    {"ιούν", 6},
    {"ιουν", 6},
    {"ιούλ", 7},
    {"ιουλ", 7},
    {"αύγ", 8},
    {"αυγ", 8},
    {"σεπ", 9},
    {"οκτ", 10},
    {"νοέ", 11},
    {"νοε", 11},
    {"δεκ", 12},
};

/* Lower-cases ASCII, Cyrillic and Greek capitals of UTF-8 w into out. */
static void utf8_lower(const char *w, char *out, size_t sz)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)w;
    while (*p && o + 3 < sz) {
        unsigned char a = p[0], b = p[1];
        if (a < 0x80) {
            out[o++] = (char)(a >= 'A' && a <= 'Z' ? a + 32 : a);
            p++;
            continue;
        }
        if (!b)
            break;
        if (a == 0xD0 && b >= 0x90 && b <= 0x9F)
            a = 0xD0, b = (unsigned char)(b + 0x20); /* А-П */
        else if (a == 0xD0 && b >= 0xA0 && b <= 0xAF)
            a = 0xD1, b = (unsigned char)(b - 0x20); /* Р-Я */
        else if (a == 0xD0 && b >= 0x80 && b <= 0x8F)
            a = 0xD1, b = (unsigned char)(b + 0x10); /* Ѐ-Џ, with Є І Ї */
        else if (a == 0xCE && b >= 0x91 && b <= 0x9F)
            b = (unsigned char)(b + 0x20); /* Α-Ο */
        else if (a == 0xCE && b >= 0xA0 && b <= 0xA9)
            a = 0xCF, b = (unsigned char)(b - 0x20); /* Π-Ω */
        out[o++] = (char)a;
        out[o++] = (char)b;
        p += 2;
    }
    out[o] = '\0';
}

static int month_name(const char *w)
{
    if (strlen(w) < 3)
        return 0;
    if ((unsigned char)w[0] < 0x80) {
        for (int i = 0; i < 12; i++)
            if (!strncasecmp(w, months[i], 3))
                return i + 1;
        return 0;
    }
    char low[64];
    utf8_lower(w, low, sizeof low);
    for (size_t i = 0; i < sizeof local_months / sizeof local_months[0]; i++)
        if (!strncmp(low, local_months[i].stem, strlen(local_months[i].stem)))
            return local_months[i].month;
    return 0;
}

/* "г." / "р." after the year in Russian, Bulgarian and Ukrainian dates. */
static int is_year_word(const char *w)
{
    return !strcmp(w, "г") || !strcmp(w, "р") || !strcmp(w, "год") || !strcmp(w, "года") ||
           !strcmp(w, "року");
}

/* "hh:mm[:ss]" possibly followed by a zone; returns 0 or -1. */
static int parse_clock(const char *w, int *h, int *mi, int *s, long *off, int *has_off)
{
    char *end;
    long v = strtol(w, &end, 10);
    if (end == w || *end != ':' || v < 0 || v > 24)
        return -1;
    *h = (int)v;
    const char *p = end + 1;
    v = strtol(p, &end, 10);
    if (end == p || v < 0 || v > 59)
        return -1;
    *mi = (int)v;
    *s = 0;
    if (*end == ':') {
        p = end + 1;
        v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 61)
            return -1;
        *s = (int)v;
        if (*end == '.')
            while (isdigit((unsigned char)*++end))
                ;
    }
    if (*end) {
        int n = parse_numeric_zone(end, off);
        if (n > 0 && !end[n]) {
            *has_off = 1;
            return 0;
        }
        if (zone_name(end, off) == 0) {
            *has_off = 1;
            return 0;
        }
        return -1;
    }
    return 0;
}

/* RFC 822 and relatives: the words are classified rather than read in a fixed
 * order, which also covers asctime ("Sun Jan  4 16:29:06 2004") and dates
 * whose weekday, comma or seconds are missing. */
static int parse_rfc822(const char *s, time_t *out)
{
    char copy[128];
    size_t n = strlen(s);
    if (n >= sizeof copy)
        return -1;
    memcpy(copy, s, n + 1);
    int day = -1, mon = 0, year = -1, h = 0, mi = 0, sec = 0, has_time = 0, has_off = 0;
    long off = 0;
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\r\n,", &save); w; w = strtok_r(NULL, " \t\r\n,", &save)) {
        size_t wl = strlen(w);
        if (wl && w[wl - 1] == '.')
            w[--wl] = '\0';
        if (!wl)
            continue;
        if (strchr(w, ':') && isdigit((unsigned char)w[0]) && !has_time) {
            if (parse_clock(w, &h, &mi, &sec, &off, &has_off) < 0)
                return -1;
            has_time = 1;
        } else if ((w[0] == '+' || w[0] == '-') && has_time) {
            int k = parse_numeric_zone(w, &off);
            if (k < 0 || w[k])
                return -1;
            has_off = 1;
        } else if (isdigit((unsigned char)w[0]) && strchr(w, '.') && !mon) {
            /* "31.12.2003", common in Russian-language feeds */
            char *end;
            day = (int)strtol(w, &end, 10);
            if (*end != '.')
                return -1;
            mon = (int)strtol(end + 1, &end, 10);
            if (*end != '.' || mon < 1 || mon > 12)
                return -1;
            year = (int)strtol(end + 1, &end, 10);
            if (*end)
                return -1;
            if (year < 100)
                year += year < 50 ? 2000 : 1900;
        } else if (isdigit((unsigned char)w[0])) {
            /* "31-Dec-2003" style */
            if (strchr(w, '-') && !mon) {
                char *a = w, *b = strchr(a, '-'), *c;
                *b++ = '\0';
                c = strchr(b, '-');
                if (!c)
                    return -1;
                *c++ = '\0';
                day = atoi(a);
                mon = month_name(b);
                year = atoi(c);
                if (strlen(c) <= 2)
                    year += year < 50 ? 2000 : 1900;
                continue;
            }
            char *end;
            long v = strtol(w, &end, 10);
            if (*end)
                return -1;
            if (wl >= 3 || (day >= 0 && year < 0) || v > 31) {
                if (year >= 0)
                    return -1;
                year = (int)v;
                if (wl <= 2)
                    year += year < 50 ? 2000 : 1900;
            } else if (day < 0) {
                day = (int)v;
            } else {
                return -1;
            }
        } else if (month_name(w) && !mon) {
            mon = month_name(w);
        } else if (!has_off && zone_name(w, &off) == 0) {
            has_off = 1;
        } else if (!strncasecmp(w, "gmt", 3) || !strncasecmp(w, "utc", 3)) {
            int k = parse_numeric_zone(w + 3, &off);
            if (k < 0 || w[3 + k])
                return -1;
            has_off = 1;
        } else if ((isalpha((unsigned char)w[0]) || (unsigned char)w[0] >= 0x80) && !mon &&
                   day < 0 && !has_time) {
            continue; /* weekday, in any language or spelling */
        } else if (year >= 0 && is_year_word(w)) {
            continue;
        } else {
            return -1;
        }
    }
    if (day < 0 || !mon || year < 0)
        return -1;
    (void)has_time;
    return make_time(year, mon, day, h, mi, sec, off, out);
}

int feed_parse_date(const char *s, time_t *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
        isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && parse_iso(s, out) == 0)
        return 0;
    return parse_rfc822(s, out);
}
