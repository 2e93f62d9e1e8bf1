/*
 * Unit tests of analysis/: normalisation, language guess, coverage matching
 * on our own fixtures (tests/fixtures/analysis), word diffs, JSON, garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "common/buf.h"

#define FIXTURES PW_SOURCE_DIR "/tests/fixtures/analysis/"

static char *load(const char *name)
{
    struct buf b = BUF_INIT;
    char err[256], path[512];
    int n = snprintf(path, sizeof path, "%s%s", FIXTURES, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    if (buf_read_file(&b, path, 1 << 20, err, sizeof err) < 0)
        fail_msg("%s", err);
    return buf_detach(&b);
}

static void check_norm(const char *in, size_t len, const char *want)
{
    char *got = text_normalize(in, len);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

#define NORM(in, want) check_norm(in, sizeof(in) - 1, want)

static void test_analysis_normalize(void **state)
{
    (void)state;
    /* quotes */
    NORM("«Привет» “hi” „x“ ‘y’ don’t", "\"привет\" \"hi\" \"x\" 'y' don't");
    /* dashes */
    NORM("a — b – c ‑ d − e", "a - b - c - d - e");
    /* case fold, ё, NFKC (ligature, full width, NBSP), decomposed й */
    NORM("ПРИВЕТ World Ёлка", "привет world елка");
    NORM("\xEF\xAC\x81"
         "le \xEF\xBC\xA1\xEF\xBC\xA2"
         "C",
         "file abc");
    NORM("a\xC2\xA0\xC2\xA0"
         "b",
         "a b");
    NORM("\xD0\xB8\xCC\x86", "й");
    NORM("рай", "рай");
    /* soft hyphen and zero width space disappear */
    NORM("ин\xC2\xADфор\xE2\x80\x8Bмация", "информация");
    /* invalid UTF-8 and control bytes dropped */
    NORM("ab\xFF\xFE"
         "cd\x01\xC3(e\xED\xA0\x80",
         "abcd(e");
    /* markdown emphasis dropped, snake_case kept */
    NORM("**bold** _em_ *x* snake_case", "bold em x snake_case");
    /* white space: runs collapse, at most one blank line, ends trimmed */
    NORM("  a \t b\r\n\r\n\n\n c  \n", "a b\n\nc");
    NORM("line\none", "line\none");
    /* empty and NULL */
    NORM("", "");
    char *e = text_normalize(NULL, 0);
    assert_non_null(e);
    assert_string_equal(e, "");
    free(e);
    /* embedded NUL within len is dropped, the rest kept */
    check_norm("a\0b", 3, "ab");
}

static void test_analysis_lang(void **state)
{
    (void)state;
    assert_string_equal(text_lang("Городской совет решил отремонтировать дороги в трёх районах, "
                                  "которые пострадали от ливня. Работы начнутся уже на "
                                  "следующей неделе."),
                        "ru");
    assert_string_equal(text_lang("Міська рада ухвалила рішення про ремонт доріг у трьох "
                                  "районах, які постраждали від зливи. Роботи почнуться вже "
                                  "наступного тижня."),
                        "uk");
    assert_string_equal(text_lang("Гарадскія ўлады абвясцілі пра рамонт дарог у трох раёнах, "
                                  "якія пацярпелі ад залевы. Працы пачнуцца ўжо на наступным "
                                  "тыдні."),
                        "be");
    assert_string_equal(text_lang("Общинският съвет реши да ремонтира пътищата в три квартала, "
                                  "които пострадаха от пороя. Работата ще започне още "
                                  "следващата седмица."),
                        "bg");
    assert_string_equal(text_lang("Градско веће је одлучило да поправи путеве у три насеља "
                                  "која су страдала од пљуска. Радови ће почети већ следеће "
                                  "недеље."),
                        "sr");
    assert_string_equal(text_lang("Градоначалникот изјави дека работите ќе почнат веднаш, а "
                                  "граѓаните ќе бидат известени навреме за прекините."),
                        "mk");
    assert_string_equal(text_lang("The city council has decided to repair the roads in three "
                                  "districts that were damaged by the storm."),
                        "en");
    assert_string_equal(text_lang("Der Stadtrat hat beschlossen, die Straßen in drei Vierteln "
                                  "zu reparieren, die von dem Unwetter beschädigt wurden."),
                        "de");
    assert_string_equal(text_lang("Le conseil municipal a décidé de réparer les routes dans "
                                  "trois quartiers qui ont été endommagés par la tempête."),
                        "fr");
    assert_string_equal(text_lang(""), "und");
    assert_string_equal(text_lang("12345 !!!"), "und");
    assert_string_equal(text_lang(NULL), "und");
    assert_string_equal(text_lang("xq zz"), "und");
}

static void match_file(struct match_canon *c, const char *name, double threshold,
                       struct match_result *r)
{
    char err[256];
    char *text = load(name);
    int rc = match_article(c, text, threshold, r, err, sizeof err);
    free(text);
    if (rc < 0)
        fail_msg("%s: %s", name, err);
}

static struct match_canon *canon_file(const char *name)
{
    char err[256];
    struct match_canon *c = NULL;
    char *text = load(name);
    int rc = match_canon_new(text, &c, err, sizeof err);
    free(text);
    if (rc < 0)
        fail_msg("%s: %s", name, err);
    return c;
}

static int has_paragraph(const struct match_result *r, int p)
{
    for (size_t i = 0; i < r->nparagraphs; i++)
        if (r->paragraphs[i] == p)
            return 1;
    return 0;
}

static void test_analysis_match_ru(void **state)
{
    (void)state;
    struct match_canon *c = canon_file("ru-canonical.txt");
    struct match_result r;

    /* Blank-line separated, counted as a reader counts them, including the
     * stray blank line in mid-sentence (paragraphs 4 and 5). */
    assert_int_equal(match_canon_paragraphs(c), 9);

    match_file(c, "ru-rewrite.txt", 0.30, &r);
    assert_true(r.covers);
    assert_true(r.score >= 0.5);
    assert_string_equal(r.lang, "ru");
    for (int p = 6; p <= 8; p++)
        assert_true(has_paragraph(&r, p));
    assert_false(has_paragraph(&r, 1)); /* the press office line */
    assert_true(r.npassages >= 3);
    for (size_t i = 0; i < r.npassages; i++) {
        assert_true(r.passages[i].paragraph >= 1 && r.passages[i].paragraph <= 9);
        assert_non_null(r.passages[i].canonical);
        assert_non_null(r.passages[i].article);
        /* every passage of the rewrite is reworded, none misquotes */
        assert_string_equal(r.passages[i].reuse, "paraphrased");
        assert_false(r.passages[i].altered);
    }
    for (size_t i = 1; i < r.nparagraphs; i++)
        assert_true(r.paragraphs[i - 1] < r.paragraphs[i]);
    char *list = match_paragraph_list(&r);
    assert_non_null(list);
    assert_non_null(strstr(list, "6,7,8"));
    free(list);
    match_result_clear(&r);

    /* Quotes measures 1 and 3 verbatim, not measure 2. */
    match_file(c, "ru-quote.txt", 0.30, &r);
    assert_true(has_paragraph(&r, 6));
    assert_false(has_paragraph(&r, 7));
    assert_true(has_paragraph(&r, 8));
    assert_true(r.score > 0.2);
    int verbatim = 0;
    for (size_t i = 0; i < r.npassages; i++) {
        if (r.passages[i].paragraph == 6 || r.passages[i].paragraph == 8) {
            assert_false(r.passages[i].altered);
            assert_string_equal(r.passages[i].reuse, "verbatim");
            verbatim++;
        }
    }
    assert_int_equal(verbatim, 2);
    match_result_clear(&r);

    match_file(c, "ru-unrelated.txt", 0.30, &r);
    assert_false(r.covers);
    assert_true(r.score < 0.1);
    assert_int_equal(r.nparagraphs, 0);
    match_result_clear(&r);

    /* A threshold above the score: same score, no cover. */
    match_file(c, "ru-rewrite.txt", 0.99, &r);
    assert_false(r.covers);
    assert_true(r.score > 0.5);
    match_result_clear(&r);

    match_canon_free(c);
    match_canon_free(NULL);
}

static void test_analysis_match_en(void **state)
{
    (void)state;
    struct match_canon *c = canon_file("en-canonical.txt");
    struct match_result r;
    assert_int_equal(match_canon_paragraphs(c), 4);
    match_file(c, "en-coverage.txt", 0.30, &r);
    assert_true(r.covers);
    assert_string_equal(r.lang, "en");
    assert_true(has_paragraph(&r, 3));
    assert_true(has_paragraph(&r, 4));
    match_result_clear(&r);
    /* A Russian article on another subject does not cover an English text. */
    match_file(c, "ru-rewrite.txt", 0.30, &r);
    assert_false(r.covers);
    assert_true(r.score < 0.05);
    match_result_clear(&r);
    match_canon_free(c);
}

/* A title line names the text: an article repeating only the title reports
 * nothing of it, and the body alone can reach a full score. */
static void test_analysis_heading(void **state)
{
    (void)state;
    static const char canon[] =
        "City council approves the new tram line to the harbour\n\n"
        "The council voted on Tuesday to build a tram line of eleven kilometres between the "
        "central station and the harbour, with nine stops.\n\n"
        "Construction starts in spring and the first trams will run in autumn of the "
        "following year, the mayor said.\n";
    static const char title_only[] =
        "City council approves the new tram line to the harbour\n\n"
        "Readers wrote to us about parking fees in the old town and the closed swimming pool.\n";
    static const char body_only[] =
        "The council voted on Tuesday to build a tram line of eleven kilometres between the "
        "central station and the harbour, with nine stops. Construction starts in spring and "
        "the first trams will run in autumn of the following year, the mayor said.\n";
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(match_canon_new(canon, &c, err, sizeof err), 0);
    assert_int_equal(match_article(c, title_only, 0.30, &r, err, sizeof err), 0);
    assert_true(r.score < 0.01);
    assert_false(r.covers);
    match_result_clear(&r);
    assert_int_equal(match_article(c, body_only, 0.30, &r, err, sizeof err), 0);
    assert_true(r.score > 0.95);
    match_result_clear(&r);
    match_canon_free(c);
}

static void test_analysis_match_scraped(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(match_canon_new("Intro line.\n\nThe committee will publish every draft "
                                     "regulation online thirty days before the vote.\n",
                                     &c, err, sizeof err),
                     0);
    /* Stray blank line mid-sentence, markdown, odd quotes, one typo. */
    assert_int_equal(match_article(c,
                                   "Menu | Home\n\n**The committee** will publish every\n\n"
                                   "draft regulaton online \xE2\x80\x9Cthirty days\xE2\x80\x9D "
                                   "before the vote, it said.\n",
                                   0.30, &r, err, sizeof err),
                     0);
    assert_true(r.covers);
    assert_int_equal(r.nparagraphs, 1);
    assert_int_equal(r.paragraphs[0], 2);
    assert_int_equal(r.npassages, 1);
    assert_string_equal(r.passages[0].reuse, "paraphrased");
    assert_true(r.passages[0].attributed); /* "it said" */
    match_result_clear(&r);

    /* A changed number is a misquote; a number word counts as a number. */
    struct match_canon *c2 = NULL;
    assert_int_equal(match_canon_new("The agency will hire four hundred inspectors for the "
                                     "northern ports in 2025.\n",
                                     &c2, err, sizeof err),
                     0);
    assert_int_equal(match_article(c2,
                                   "The agency will hire 3 hundred inspectors for the northern "
                                   "ports in 2025, it said.",
                                   0.30, &r, err, sizeof err),
                     0);
    assert_int_equal(r.npassages, 1);
    assert_true(r.passages[0].altered);
    assert_int_equal(r.passages[0].nchanges, 1);
    assert_string_equal(r.passages[0].changes[0], "number 4 -> 3");
    match_result_clear(&r);
    match_canon_free(c2);

    /* The same sentence verbatim inside a longer one is not altered. */
    assert_int_equal(match_article(c,
                                   "He said: \"The committee will publish every draft "
                                   "regulation online thirty days before the vote\", and left.",
                                   0.30, &r, err, sizeof err),
                     0);
    assert_int_equal(r.npassages, 1);
    assert_false(r.passages[0].altered);
    assert_string_equal(r.passages[0].reuse, "verbatim");
    match_result_clear(&r);
    match_canon_free(c);
}

/* A Bulgarian translation covers a Russian text without shared word
 * sequences; headlines after a share widget count for nothing. */
static void test_analysis_match_cross(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("Заявление министра.\n\n"
                        "Первое. Создать совместную рабочую группу экспертов по расследованию "
                        "кибератак на объекты энергетики.\n\n"
                        "Второе. Подписать до конца 2027 года соглашение о запрете атак на "
                        "спутниковые системы связи.\n\n"
                        "Третье. Провести в Вене конференцию о налогах на доходы граждан.\n",
                        &c, err, sizeof err),
        0);
    const char *bg = "Министърът предложи да се създаде съвместна работна група от експерти за "
                     "разследване на кибератаки срещу енергийни обекти. Той иска до края на 2027 "
                     "г. да се подпише споразумение за забрана на атаки срещу спътникови системи "
                     "за връзка.\n\nСподели:\n\nКоментари (0)\n\n"
                     "Конференция във Виена за данъците върху доходите на гражданите\n";
    assert_int_equal(match_article(c, bg, 0.30, &r, err, sizeof err), 0);
    assert_string_equal(r.lang, "bg");
    assert_true(r.covers);
    assert_true(has_paragraph(&r, 2));
    assert_true(has_paragraph(&r, 3));
    assert_false(has_paragraph(&r, 4)); /* only in the trailing headline */
    for (size_t i = 0; i < r.npassages; i++)
        assert_string_equal(r.passages[i].reuse, "translated");
    match_result_clear(&r);

    /* Same vocabulary, another story: no cover. */
    assert_int_equal(match_article(c,
                                   "Хакери атакуваха енергийна компания. Експертите по "
                                   "киберсигурност разследват инцидента.",
                                   0.30, &r, err, sizeof err),
                     0);
    assert_false(r.covers);
    assert_int_equal(r.nparagraphs, 0);
    match_result_clear(&r);
    match_canon_free(c);
}

/* The changes passage_changes reports on the passage reporting canonical
 * paragraph para, joined with "; " ("" when none, NULL when no passage). */
static char *changes_of(const struct match_result *r, int para)
{
    for (size_t i = 0; i < r->npassages; i++) {
        if (r->passages[i].paragraph != para)
            continue;
        struct buf b = BUF_INIT;
        assert_int_equal(buf_puts(&b, ""), 0);
        for (size_t j = 0; j < r->passages[i].nchanges; j++)
            assert_int_equal(buf_printf(&b, "%s%s", j ? "; " : "", r->passages[i].changes[j]), 0);
        assert_int_equal(r->passages[i].altered, r->passages[i].nchanges > 0);
        return buf_detach(&b);
    }
    return NULL;
}

static void check_changes(const struct match_result *r, int para, const char *want)
{
    char *got = changes_of(r, para);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* Misquotes survive translation: "четири мерки" for three, 2029 for 2027, a
 * "not" the statement lacks. A negation the translation only moves out of a
 * word ("ненанесение" -> "не нанася") and a dateline's day are not changes. */
static void test_analysis_misquote_cross(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("Пресс-служба, 14 марта.\n\n"
                        "Мы предлагаем Соединенным Штатам программу из трех практических мер "
                        "по укреплению доверия в сфере информационной безопасности.\n\n"
                        "Подписать до конца 2027 года соглашение о запрете атак на спутниковые "
                        "системы связи по образцу Договора о космосе 1967 года.\n\n"
                        "Мы убеждены, что эти шаги снизят напряженность и защитят граждан от "
                        "вмешательства в их свободный выбор.\n\n"
                        "Предлагаем принять обязательство о ненанесении первыми удара с "
                        "использованием информационных технологий.\n",
                        &c, err, sizeof err),
        0);
    const char *bg = "Президентът предложи на Съединените щати програма от четири практически "
                     "мерки за укрепване на доверието в сферата на информационната сигурност. "
                     "Да се подпише до края на 2029 г. споразумение за забрана на атаки срещу "
                     "сателитни системи за връзка по образеца на Договора за космоса от 1967 г.\n";
    assert_int_equal(match_article(c, bg, 0.30, &r, err, sizeof err), 0);
    assert_string_equal(r.lang, "bg");
    check_changes(&r, 2, "number 3 -> 4");
    check_changes(&r, 3, "number 2027 -> 2029");
    match_result_clear(&r);

    const char *en = "On March 4 the president offered the United States a programme of three "
                     "practical measures to build trust in information security.\n\n"
                     "\"We are not convinced that these steps will reduce tension and protect "
                     "citizens from interference in their elections,\" he said.\n\n"
                     "He proposed a commitment not to be the first to strike with information "
                     "technologies.\n";
    assert_int_equal(match_article(c, en, 0.30, &r, err, sizeof err), 0);
    assert_string_equal(r.lang, "en");
    assert_true(r.covers);
    check_changes(&r, 2, "");               /* "March 4" is not "14 марта" misquoted */
    check_changes(&r, 4, "negation added"); /* "not convinced" */
    check_changes(&r, 5, "");               /* "ненанесение" = "not to strike" */
    match_result_clear(&r);
    match_canon_free(c);
}

/* libexttextcat decides where our own guess is weak: short Bulgarian and
 * Ukrainian text without distinctive letters. */
/* Within one language a negation changes when the word it governs stays
 * and loses (or gains) it; a negated phrase said another way is no change. */
static void test_analysis_misquote_negation(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("Timetables will not change, but passengers should allow fifteen more "
                        "minutes to reach the new departure point.\n\n"
                        "The Authority will pay from its own reserves and will not raise harbour "
                        "fees for local fishermen.\n\n"
                        "Fishing boats may continue to use the inner berths of the breakwater.\n",
                        &c, err, sizeof err),
        0);
    const char *art = "Timetables will stay the same, but passengers should allow fifteen more "
                      "minutes to reach the new departure point.\n\n"
                      "The Authority will pay from its own reserves and will raise harbour fees "
                      "for local fishermen.\n\n"
                      "Fishing boats may not continue to use the inner berths of the breakwater.\n";
    assert_int_equal(match_article(c, art, 0.30, &r, err, sizeof err), 0);
    assert_true(r.covers);
    check_changes(&r, 1, "");                 /* "will not change" = "will stay the same" */
    check_changes(&r, 2, "negation removed"); /* "will not raise" -> "will raise" */
    check_changes(&r, 3, "negation added");   /* "may continue" -> "may not continue" */
    match_result_clear(&r);
    match_canon_free(c);
}

/* Amounts written in parts are one number in every language: "180 000",
 * "180,000" and "180 тысяч" agree, "190,000" is a misquote of it. */
static void test_analysis_number_groups(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("Министерството е осигурило 180 000 дози ваксина срещу морбили за "
                        "децата до 12 години.\n\n"
                        "Мобилни екипи ще посещават училищата в малките населени места.\n",
                        &c, err, sizeof err),
        0);
    const char *ru = "Министерство обеспечило 180 тысяч доз вакцины против кори для детей до 12 "
                     "лет. Мобильные бригады будут посещать школы в малых населенных пунктах.\n";
    assert_int_equal(match_article(c, ru, 0.30, &r, err, sizeof err), 0);
    assert_true(r.covers);
    check_changes(&r, 1, "");
    match_result_clear(&r);
    const char *en = "The ministry has secured 190,000 doses of measles vaccine for children up "
                     "to 12 years. Mobile teams will visit schools in small towns.\n";
    assert_int_equal(match_article(c, en, 0.30, &r, err, sizeof err), 0);
    check_changes(&r, 1, "number 180000 -> 190000");
    match_result_clear(&r);
    match_canon_free(c);
}

/* Function words carry no weight: a paragraph of them adds nothing to the
 * part of the canonical an article has to report. */
static void test_analysis_stopwords(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(match_canon_new("Judges quashed the retention rules yesterday evening.\n\n"
                                     "And that which there were would their these.\n",
                                     &c, err, sizeof err),
                     0);
    assert_int_equal(match_article(c, "Judges quashed the retention rules yesterday evening.\n",
                                   0.30, &r, err, sizeof err),
                     0);
    assert_true(r.score > 0.99);
    match_result_clear(&r);
    match_canon_free(c);
}

/* Tens and units in words are one number: "twenty-four" is 24, so "25"
 * in a translation is a misquote of it and "24" is not. */
static void test_analysis_number_words(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("The law obliges telecom operators to store the traffic data of all "
                        "subscribers for twenty-four months.\n\n"
                        "The court gave Parliament nine months to adopt new rules.\n",
                        &c, err, sizeof err),
        0);
    const char *ok = "Закон обязывает операторов связи хранить данные о трафике всех абонентов "
                     "24 месяца. Суд дал парламенту девять месяцев на принятие новых правил.\n";
    assert_int_equal(match_article(c, ok, 0.30, &r, err, sizeof err), 0);
    check_changes(&r, 1, "");
    match_result_clear(&r);
    const char *bad = "Закон обязывает операторов связи хранить данные о трафике всех абонентов "
                      "25 месяцев. Суд дал парламенту девять месяцев на принятие новых правил.\n";
    assert_int_equal(match_article(c, bad, 0.30, &r, err, sizeof err), 0);
    check_changes(&r, 1, "number 24 -> 25");
    match_result_clear(&r);
    match_canon_free(c);
}

/* A short report that quotes the text word for word, and says who said it,
 * covers it below the threshold; the same words unattributed do not. */
static void test_analysis_quote(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("The court declared the data retention provisions of the communications "
                        "act unconstitutional on Thursday.\n\n"
                        "By seven votes to two, the judges found that storing the data of every "
                        "citizen is a disproportionate interference with private life.\n\n"
                        "Parliament has nine months to adopt new rules for the police and the "
                        "intelligence service.\n\n"
                        "The case was brought by the ombudsman and by 42 members of parliament "
                        "in March.\n\n"
                        "\"Security matters, but a state that records everyone's contacts by "
                        "default treats all its citizens as suspects,\" the chief justice wrote.\n",
                        &c, err, sizeof err),
        0);
    const char *brief = "\"Security matters, but a state that records everyone's contacts by "
                        "default treats all its citizens as suspects,\" the chief justice wrote "
                        "in the ruling on Thursday.\n\nThe ministry will study the judgment.\n";
    assert_int_equal(match_article(c, brief, 0.30, &r, err, sizeof err), 0);
    assert_true(r.score < 0.30);
    assert_true(r.quoted);
    assert_true(r.covers);
    assert_true(match_covers(&r, 0.30));
    assert_false(match_covers(&r, 0.60)); /* half of that is more than the quote */
    match_result_clear(&r);
    const char *plain = "Security matters, but a state that records everyone's contacts by default "
                        "treats all its citizens as suspects. The ministry will study the judgment "
                        "this week.\n";
    assert_int_equal(match_article(c, plain, 0.30, &r, err, sizeof err), 0);
    assert_false(r.quoted);
    assert_false(r.covers);
    match_result_clear(&r);
    match_canon_free(c);
}

/* A date moved to another month is a misquote, in any language. */
static void test_analysis_month(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("Правительство решило с 1 июля возобновить экспорт пшеницы и кукурузы "
                        "через морской порт Светлогорск.\n\n"
                        "До конца года планируется экспортировать не менее 4 миллионов тонн.\n",
                        &c, err, sizeof err),
        0);
    const char *bg = "Правителството реши от 1 август да възобнови износа на пшеница и царевица "
                     "през пристанището на Светлогорск. До края на годината се планира износ на "
                     "поне 4 милиона тона.\n";
    assert_int_equal(match_article(c, bg, 0.30, &r, err, sizeof err), 0);
    assert_true(r.covers);
    check_changes(&r, 1, "month July -> August");
    check_changes(&r, 2, "");
    match_result_clear(&r);
    const char *ru = "Правительство решило с 1 июля возобновить экспорт пшеницы через порт "
                     "Светлогорск.\n";
    assert_int_equal(match_article(c, ru, 0.30, &r, err, sizeof err), 0);
    check_changes(&r, 1, "");
    match_result_clear(&r);
    match_canon_free(c);
}

/* A name swapped for another in the same words is a misquote; a pronoun
 * for the name, or other people named elsewhere, is not. */
static void test_analysis_name(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    assert_int_equal(
        match_canon_new("The case was brought by the ombudsman Teodor Vasko and by 42 members of "
                        "parliament in March.\n\n"
                        "Chief Justice Irena Molnar wrote the opinion for the majority of the "
                        "court on Thursday.\n",
                        &c, err, sizeof err),
        0);
    const char *swapped = "The case was brought by the ombudsman Teodor Vasko and by 42 members of "
                          "parliament in March.\n\nChief Justice Irena Novak wrote the opinion for "
                          "the majority of the court on Thursday.\n";
    assert_int_equal(match_article(c, swapped, 0.30, &r, err, sizeof err), 0);
    check_changes(&r, 1, "");
    check_changes(&r, 2, "name Molnar -> Novak");
    match_result_clear(&r);
    const char *reworded =
        "The case was brought by the ombudsman Teodor Vasko and by 42 members of "
        "parliament in March, Reuters reported.\n\nShe wrote the opinion for the "
        "majority of the court on Thursday, Chief Justice Molnar's office said.\n";
    assert_int_equal(match_article(c, reworded, 0.30, &r, err, sizeof err), 0);
    check_changes(&r, 1, "");
    match_result_clear(&r);
    match_canon_free(c);
}

static void test_analysis_langid(void **state)
{
    (void)state;
    char err[256];
    struct text_langid *l = NULL;
    assert_int_equal(text_langid_new(&l, err, sizeof err), 0);
    assert_string_equal(text_langid(l, "Президентът предложи програма от практически мерки."),
                        "bg");
    assert_string_equal(text_langid(l, "Президент запропонував програму практичних заходів."),
                        "uk");
    assert_string_equal(text_langid(l, "Президент предложил программу практических мер."), "ru");
    assert_string_equal(text_langid(l, "The president offered a programme of measures."), "en");
    assert_string_equal(text_langid(l, ""), "und");
    assert_string_equal(text_langid(NULL, "The president offered a programme of measures."),
                        text_lang("The president offered a programme of measures."));
    text_langid_free(l);
    text_langid_free(NULL);
}

/* match_article's language (function words looked up in a map) is
 * text_langid's (the word lists scanned), on sure and unsure guesses. */
static void test_analysis_lang_same(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "The president offered a programme of measures.",
        "Der Präsident hat eine Reform der Einkommensteuer angekündigt und die Opposition.",
        "Le président a proposé une réforme et les députés sont pour.",
        "Президентът предложи програма от практически мерки за доверие.",
        "Президент запропонував програму практичних заходів.",
        "Президент предложил программу практических мер, которые он считает важными.",
        "ministry statement council election budget reform foreign policy",
        "министерство бюджет заявление доклад министр реформа",
        "Predsednik je rekao da će Srbija učestvovati u pregovorima o saradnji.",
        "Претседателот рече дека ќе учествува во преговорите за соработка.",
        "x",
        "",
        "WHICH THERE WOULD Которые Тези Також"};
    char err[256];
    struct text_langid *l = NULL;
    struct match_canon *c = NULL;
    assert_int_equal(text_langid_new(&l, err, sizeof err), 0);
    assert_int_equal(match_canon_new("Канал связи. Второй абзац.", &c, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct match_result r;
        assert_int_equal(match_article(c, texts[i], 0.3, &r, err, sizeof err), 0);
        assert_string_equal(r.lang, text_langid(l, texts[i]));
        match_result_clear(&r);
    }
    match_canon_free(c);
    text_langid_free(l);
}

static void test_analysis_json(void **state)
{
    (void)state;
    char *changes[1] = {"number 25 -> 26"};
    struct match_passage p[1] = {
        {3, "Canon \"text\"", "article\ntext", 1, "paraphrased", 1, changes, 1}};
    int paras[2] = {3, 5};
    struct match_result r = {0};
    r.score = 0.5;
    r.covers = 1;
    snprintf(r.lang, sizeof r.lang, "ru");
    r.paragraphs = paras;
    r.nparagraphs = 2;
    r.passages = p;
    r.npassages = 1;
    char *json = NULL;
    assert_int_equal(match_result_json(&r, "a.txt", &json), 0);
    assert_string_equal(
        json,
        "{\"file\":\"a.txt\",\"score\":0.500,\"covers\":true,\"quoted\":false,\"lang\":\"ru\","
        "\"paragraphs\":[3,5],\"passages\":[{\"paragraph\":3,\"canonical\":\"Canon "
        "\\\"text\\\"\",\"article\":\"article\\ntext\",\"reuse\":\"paraphrased\","
        "\"attributed\":true,\"altered\":true,\"changes\":[\"number 25 -> 26\"]}]}");
    free(json);
    char *list = match_paragraph_list(&r);
    assert_string_equal(list, "3,5");
    free(list);

    struct match_result empty = {0};
    assert_int_equal(match_result_json(&empty, NULL, &json), 0);
    assert_string_equal(
        json, "{\"file\":null,\"score\":0.000,\"covers\":false,\"quoted\":false,\"lang\":\"\","
              "\"paragraphs\":[],\"passages\":[]}");
    free(json);
    list = match_paragraph_list(&empty);
    assert_string_equal(list, "");
    free(list);
}

static void check_diff(const char *a, const char *b, size_t add, size_t rem, const char *sub)
{
    struct diff_summary d;
    char err[256];
    assert_int_equal(diff_words(a, b, &d, err, sizeof err), 0);
    assert_int_equal(d.words_added, add);
    assert_int_equal(d.words_removed, rem);
    assert_non_null(d.summary);
    assert_null(strchr(d.summary, '\n'));
    assert_true(strlen(d.summary) <= 320);
    if (sub && !strstr(d.summary, sub))
        fail_msg("summary '%s' lacks '%s'", d.summary, sub);
    diff_summary_clear(&d);
}

static void test_analysis_diff(void **state)
{
    (void)state;
    check_diff("one two three four", "one two three four", 0, 0, "no word changes");
    check_diff("one two three four", "one TWO three four.", 0, 0, NULL); /* case, punctuation */
    check_diff("one two three four", "one deux three four", 1, 1, "-\"two\" +\"deux\"");
    check_diff("one two three", "one two two and a half three", 4, 0, "+\"");
    check_diff("one two three four five", "one five", 0, 3, "-\"two three four\"");
    check_diff("", "new words here", 3, 0, "+\"new words here\"");
    check_diff("old words", "", 0, 2, "-\"old words\"");
    check_diff("a b c d e f g", "a x c d e y g", 2, 2, "; ");
    check_diff(NULL, NULL, 0, 0, NULL);
    check_diff("Президент заявил «нет»", "Президент сказал «нет»", 1, 1, "заявил");

    /* Many scattered edits: the summary stays one short line. */
    struct buf a = BUF_INIT, b = BUF_INIT;
    for (int i = 0; i < 200; i++) {
        assert_int_equal(buf_printf(&a, "w%d common%d ", i, i), 0);
        assert_int_equal(buf_printf(&b, "v%d common%d ", i, i), 0);
    }
    check_diff(a.data, b.data, 200, 200, "more)");
    buf_free(&a);
    buf_free(&b);

    /* Past the edit cap: counted, not aligned. */
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(buf_printf(&a, "alpha%d ", i), 0);
        assert_int_equal(buf_printf(&b, "beta%d ", i), 0);
    }
    check_diff(a.data, b.data, 3000, 3000, "large change");
    buf_free(&a);
    buf_free(&b);
}

/* A reproducible byte soup: no NUL (texts are C strings), lots of invalid
 * UTF-8, some Cyrillic and punctuation. */
static char *garbage(size_t n, uint32_t seed)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        unsigned char c = (unsigned char)(x >> 24);
        if (c == 0)
            c = '.';
        s[i] = (char)c;
    }
    s[n] = '\0';
    return s;
}

static void test_analysis_garbage(void **state)
{
    (void)state;
    char err[256];
    struct match_canon *c = NULL;
    struct match_result r;
    struct diff_summary d;

    char *g = garbage(200000, 7);
    char *n = text_normalize(g, strlen(g));
    assert_non_null(n);
    free(n);
    (void)text_lang(g);

    /* Garbage as canonical and as article. */
    assert_int_equal(match_canon_new(g, &c, err, sizeof err), 0);
    assert_int_equal(match_article(c, g, 0.3, &r, err, sizeof err), 0);
    assert_true(r.score >= 0.0 && r.score <= 1.0);
    char *json = NULL;
    assert_int_equal(match_result_json(&r, "g", &json), 0);
    free(json);
    match_result_clear(&r);
    match_canon_free(c);
    c = NULL;

    /* Empty canonical and empty article. */
    assert_int_equal(match_canon_new("", &c, err, sizeof err), 0);
    assert_int_equal(match_canon_paragraphs(c), 0);
    assert_int_equal(match_article(c, "", 0.3, &r, err, sizeof err), 0);
    assert_false(r.covers);
    assert_true(r.score == 0.0);
    match_result_clear(&r);
    assert_int_equal(match_article(c, NULL, 0.3, &r, err, sizeof err), 0);
    match_result_clear(&r);
    match_canon_free(c);
    c = NULL;
    assert_int_equal(match_canon_new("\n\n  \n\t\n", &c, err, sizeof err), 0);
    assert_int_equal(match_canon_paragraphs(c), 0);
    match_canon_free(c);
    c = NULL;

    /* A 5 MB article: a real text repeated with garbage between copies. */
    char *canon = load("ru-canonical.txt");
    char *rewrite = load("ru-rewrite.txt");
    assert_int_equal(match_canon_new(canon, &c, err, sizeof err), 0);
    struct buf big = BUF_INIT;
    while (big.len < 5 * 1024 * 1024) {
        assert_int_equal(buf_puts(&big, rewrite), 0);
        assert_int_equal(buf_append(&big, g, 4096), 0);
    }
    assert_int_equal(match_article(c, big.data, 0.3, &r, err, sizeof err), 0);
    assert_true(r.covers);
    match_result_clear(&r);
    assert_int_equal(match_article(c, g, 0.3, &r, err, sizeof err), 0);
    assert_false(r.covers);
    match_result_clear(&r);

    /* Diffs of garbage and of 5 MB versions stay bounded. */
    char *g2 = garbage(200000, 8);
    assert_int_equal(diff_words(g, g2, &d, err, sizeof err), 0);
    diff_summary_clear(&d);
    struct buf big2 = BUF_INIT;
    assert_int_equal(buf_append(&big2, big.data, big.len), 0);
    memcpy(big2.data + big2.len / 2, " inserted words ", 16);
    assert_int_equal(diff_words(big.data, big2.data, &d, err, sizeof err), 0);
    assert_true(d.words_added >= 2);
    diff_summary_clear(&d);

    buf_free(&big);
    buf_free(&big2);
    free(g);
    free(g2);
    free(canon);
    free(rewrite);
    match_canon_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analysis_normalize),
        cmocka_unit_test(test_analysis_lang),
        cmocka_unit_test(test_analysis_match_ru),
        cmocka_unit_test(test_analysis_match_en),
        cmocka_unit_test(test_analysis_match_scraped),
        cmocka_unit_test(test_analysis_heading),
        cmocka_unit_test(test_analysis_json),
        cmocka_unit_test(test_analysis_match_cross),
        cmocka_unit_test(test_analysis_diff),
        cmocka_unit_test(test_analysis_garbage),
        cmocka_unit_test(test_analysis_misquote_cross),
        cmocka_unit_test(test_analysis_misquote_negation),
        cmocka_unit_test(test_analysis_number_groups),
        cmocka_unit_test(test_analysis_stopwords),
        cmocka_unit_test(test_analysis_number_words),
        cmocka_unit_test(test_analysis_quote),
        cmocka_unit_test(test_analysis_month),
        cmocka_unit_test(test_analysis_name),
        cmocka_unit_test(test_analysis_langid),
        cmocka_unit_test(test_analysis_lang_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
