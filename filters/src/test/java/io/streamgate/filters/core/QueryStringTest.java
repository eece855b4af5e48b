package io.streamgate.filters.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Raw query reading and editing: decoding rules and the shapes real players send. */
class QueryStringTest {
    @Test
    void absentOrEmptyQueryHasNoParameters() {
        assertThat(QueryString.first(null, "token")).isNull();
        assertThat(QueryString.first("", "token")).isNull();
        assertThat(QueryString.first("a=1&b=2", "token")).isNull();
    }

    @Test
    void firstValueWinsWhenANameRepeats() {
        assertThat(QueryString.first("a=1&token=first&token=second", "token")).isEqualTo("first");
    }

    @Test
    void nameMustMatchWholeNotAsPrefixOrSuffix() {
        assertThat(QueryString.first("tokens=1&xtoken=2&token=3", "token")).isEqualTo("3");
        assertThat(QueryString.first("tokens=1", "token")).isNull();
    }

    @Test
    void nameMatchIsCaseSensitive() {
        assertThat(QueryString.first("Token=1", "token")).isNull();
    }

    @Test
    void valuesArePercentDecoded() {
        assertThat(QueryString.first("s=a%20b%2Fc", "s")).isEqualTo("a b/c");
        assertThat(QueryString.first("s=%E2%82%AC", "s")).isEqualTo("\u20ac");
    }

    @Test
    void plusInAQueryValueIsASpaceButEncodedPlusIsAPlus() {
        assertThat(QueryString.first("s=a+b", "s")).isEqualTo("a b");
        assertThat(QueryString.first("s=a%2Bb", "s")).isEqualTo("a+b");
    }

    @Test
    void brokenEscapeIsLeftAsSent() {
        assertThat(QueryString.first("s=%zz", "s")).isEqualTo("%zz");
        assertThat(QueryString.first("s=abc%", "s")).isEqualTo("abc%");
    }

    @Test
    void parameterWithoutEqualsHasEmptyValue() {
        assertThat(QueryString.first("flag&a=1", "flag")).isEmpty();
        assertThat(QueryString.first("a=1&flag", "flag")).isEmpty();
        assertThat(QueryString.first("flag=", "flag")).isEmpty();
    }

    @Test
    void onlyTheFirstEqualsSeparatesNameFromValue() {
        assertThat(QueryString.first("s=a=b", "s")).isEqualTo("a=b");
    }

    @Test
    void equalsSignOfALaterParameterIsNotBorrowed() {
        assertThat(QueryString.first("flag&s=1", "flag")).isEmpty();
        assertThat(QueryString.first("flag&s=1", "s")).isEqualTo("1");
    }

    @Test
    void percentEncodedNameIsRecognised() {
        assertThat(QueryString.first("%74oken=abc", "token")).isEqualTo("abc");
        assertThat(QueryString.first("my+name=1", "my name")).isEqualTo("1");
    }

    @Test
    void emptyPiecesBetweenAmpersandsAreSkipped() {
        assertThat(QueryString.first("&&a=1&&", "a")).isEqualTo("1");
    }

    @Test
    void removeDropsOnlyThatParameterAndKeepsTheOthersInOrderAsSent() {
        assertThat(QueryString.remove("b=2&token=t&a=%20x&c", "token")).isEqualTo("b=2&a=%20x&c");
    }

    @Test
    void removeDropsEveryOccurrence() {
        assertThat(QueryString.remove("token=t&a=1&token=u&b=2", "token")).isEqualTo("a=1&b=2");
    }

    @Test
    void removeDropsAnEncodedNameAndAValuelessOne() {
        assertThat(QueryString.remove("%74oken=t&a=1&token", "token")).isEqualTo("a=1");
    }

    @Test
    void removeKeepsSimilarNamesAndValuesEqualToTheName() {
        assertThat(QueryString.remove("tokens=1&a=token&token=x", "token")).isEqualTo("tokens=1&a=token");
    }

    @Test
    void removeReturnsNullWhenNothingIsLeft() {
        assertThat(QueryString.remove("token=t", "token")).isNull();
        assertThat(QueryString.remove("token=t&token=u&", "token")).isNull();
        assertThat(QueryString.remove("", "token")).isNull();
        assertThat(QueryString.remove(null, "token")).isNull();
    }

    @Test
    void removeWithoutTheParameterKeepsTheQuery() {
        assertThat(QueryString.remove("a=1&b=2", "token")).isEqualTo("a=1&b=2");
    }

    @Test
    void pathDecodingKeepsPlusAsPlus() {
        assertThat(QueryString.decodePath("a+b")).isEqualTo("a+b");
        assertThat(QueryString.decodePath("a+b%20c")).isEqualTo("a+b c");
        assertThat(QueryString.decodePath("ev%2042")).isEqualTo("ev 42");
    }

    @Test
    void pathDecodingLeavesMalformedEscapesAlone() {
        assertThat(QueryString.decodePath("a%zz")).isEqualTo("a%zz");
        assertThat(QueryString.decodePath("plain")).isEqualTo("plain");
    }

    @Test
    void removeIgnoringCaseDropsEverySpellingAndKeepsTheRestAsSent() {
        assertThat(QueryString.removeIgnoringCase("a=1&sg_session=x&SG_SESSION=y&sg%5Fsession=z&Sg_Session&b=2",
                "sg_session")).isEqualTo("a=1&b=2");
        assertThat(QueryString.removeIgnoringCase("sg_session=x", "sg_session")).isNull();
        assertThat(QueryString.removeIgnoringCase("sg_session=x&a=1", "sg_session")).isEqualTo("a=1");
        String untouched = "a=1&&sg_sessions=2&x_sg_session=3&";
        assertThat(QueryString.removeIgnoringCase(untouched, "sg_session")).isSameAs(untouched);
        assertThat(QueryString.removeIgnoringCase(null, "sg_session")).isNull();
    }
}
