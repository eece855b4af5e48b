package io.streamgate.filters.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Cookie header reading and editing (RFC 6265 section 4.2 syntax). */
class CookiesTest {
    @Test
    void findsACookieAmongOthers() {
        assertThat(Cookies.value(List.of("a=1; sg_token=abc; b=2"), "sg_token")).isEqualTo("abc");
    }

    @Test
    void searchesEveryCookieHeaderLine() {
        assertThat(Cookies.value(List.of("a=1", "b=2; sg_token=xyz"), "sg_token")).isEqualTo("xyz");
    }

    @Test
    void absentCookieIsNull() {
        assertThat(Cookies.value(List.of(), "sg_token")).isNull();
        assertThat(Cookies.value(List.of("a=1; b=2"), "sg_token")).isNull();
    }

    @Test
    void nameMustMatchWholeAndCaseSensitively() {
        assertThat(Cookies.value(List.of("xsg_token=1; sg_token_old=2; SG_TOKEN=3"), "sg_token")).isNull();
        assertThat(Cookies.value(List.of("xsg_token=1; sg_token=2"), "sg_token")).isEqualTo("2");
    }

    @Test
    void quotedValueIsUnquoted() {
        assertThat(Cookies.value(List.of("sg_token=\"abc\""), "sg_token")).isEqualTo("abc");
    }

    @Test
    void valueMayContainEqualsSigns() {
        assertThat(Cookies.value(List.of("sg_token=a=b=="), "sg_token")).isEqualTo("a=b==");
    }

    @Test
    void whitespaceAroundNameAndValueIsIgnored() {
        assertThat(Cookies.value(List.of("a=1;   sg_token = abc  "), "sg_token")).isEqualTo("abc");
    }

    @Test
    void partsWithoutEqualsAreSkipped() {
        assertThat(Cookies.value(List.of("flag; sg_token=1"), "sg_token")).isEqualTo("1");
        assertThat(Cookies.value(List.of("sg_token"), "sg_token")).isNull();
    }

    @Test
    void emptyValueIsEmptyNotAbsent() {
        assertThat(Cookies.value(List.of("sg_token="), "sg_token")).isEmpty();
    }

    @Test
    void firstOccurrenceWins() {
        assertThat(Cookies.value(List.of("sg_token=one; sg_token=two"), "sg_token")).isEqualTo("one");
    }

    @Test
    void removeDropsOnlyThatCookie() {
        assertThat(Cookies.remove("a=1; sg_token=x; b=2", "sg_token")).isEqualTo("a=1; b=2");
    }

    @Test
    void removeDropsEveryOccurrenceAndKeepsSimilarNames() {
        assertThat(Cookies.remove("sg_token=x;sg_token_2=5;sg_token=y", "sg_token")).isEqualTo("sg_token_2=5");
    }

    @Test
    void removeReturnsNullWhenNothingIsLeft() {
        assertThat(Cookies.remove("sg_token=x", "sg_token")).isNull();
        assertThat(Cookies.remove(" sg_token=x ; ", "sg_token")).isNull();
    }

    @Test
    void removeWithoutTheCookieKeepsTheOthers() {
        assertThat(Cookies.remove("a=1;b=2", "sg_token")).isEqualTo("a=1; b=2");
    }
}
