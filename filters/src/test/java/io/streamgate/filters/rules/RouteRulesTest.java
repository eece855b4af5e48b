package io.streamgate.filters.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.streamgate.filters.core.BasicRequestView;
import io.streamgate.filters.core.ClientAddress;
import io.streamgate.filters.core.ConfigException;
import io.streamgate.filters.core.RequestView;
import io.streamgate.filters.keys.KeyRegistry;
import io.streamgate.filters.testing.Fixture;
import io.streamgate.filters.testing.MutableClock;
import io.streamgate.filters.testing.TestKeys;
import io.streamgate.filters.testing.Tokens;
import io.streamgate.filters.verify.Claims;
import io.streamgate.filters.verify.DecodedToken;
import io.streamgate.filters.verify.TokenVerifier;
import io.streamgate.filters.verify.Verification;
import io.streamgate.filters.verify.VerifyPolicy;

/** The contract's {@code require} language: compiled from YAML-like values, tested on verified claims. */
class RouteRulesTest {
    private static final TestKeys KEY = TestKeys.es256("rules-key");
    private static final KeyRegistry REGISTRY = Fixture.registry(KEY);
    private static final TokenVerifier VERIFIER = new TokenVerifier(VerifyPolicy.defaults(), Fixture.crypto());
    private static final MutableClock CLOCK = MutableClock.fixed();

    /** Claims of a really signed and verified token carrying the given extra claims. */
    private static Claims claims(Object... namesAndValues) {
        Tokens t = Tokens.signedBy(KEY, CLOCK);
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            t.claim((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        DecodedToken d = VERIFIER.decode(t.sign());
        assertThat(d.failure()).isNull();
        Verification v = VERIFIER.verify(d, REGISTRY.find(d.kid(), d.algorithm()));
        assertThat(v.ok()).as("test token verifies").isTrue();
        return v.token().claims();
    }

    private static RuleInput input(String pathAndQuery) {
        return input(BasicRequestView.of(pathAndQuery), "/");
    }

    private static RuleInput input(RequestView request, String routePrefix) {
        return new RuleInput(request, routePrefix, ClientAddress.trustingNone());
    }

    private static RouteRules compile(Object spec) {
        return RouteRules.compile(spec, "routes[0].require");
    }

    private static Map<String, Object> rule(String claim, String op, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("claim", claim);
        m.put(op, value);
        return m;
    }

    private static Map<String, Object> anyOf(Object... rules) {
        return Map.of("anyOf", List.of(rules));
    }

    private static Map<String, Object> allOf(Object... rules) {
        return Map.of("allOf", List.of(rules));
    }

    private static List<String> problems(Object spec, String keyPath) {
        try {
            RouteRules.compile(spec, keyPath);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected a ConfigException for " + spec);
    }

    // ---- combinators ----
    @Test
    void nullSpecMeansNoRulesAndGrantsEveryToken() {
        RouteRules r = RouteRules.compile(null, "routes[0].require");
        assertThat(r.isEmpty()).isTrue();
        assertThat(r.test(claims(), input("/x"))).isTrue();
        assertThat(RouteRules.none().test(claims(), input("/x"))).isTrue();
    }

    @Test
    void topLevelListIsAndEveryRuleMustHold() {
        RouteRules r = compile(List.of(rule("tier", "equals", "gold"), rule("region", "equals", "eu")));
        assertThat(r.isEmpty()).isFalse();
        assertThat(r.test(claims("tier", "gold", "region", "eu"), input("/x"))).isTrue();
        assertThat(r.test(claims("tier", "gold", "region", "us"), input("/x"))).isFalse();
        assertThat(r.test(claims("tier", "silver", "region", "eu"), input("/x"))).isFalse();
    }

    @Test
    void anyOfHoldsWhenOneAlternativeHolds() {
        RouteRules r = compile(List.of(anyOf(rule("tier", "equals", "gold"), rule("staff", "equals", true))));
        assertThat(r.test(claims("tier", "gold"), input("/x"))).isTrue();
        assertThat(r.test(claims("staff", true), input("/x"))).isTrue();
        assertThat(r.test(claims("tier", "silver", "staff", false), input("/x"))).isFalse();
        assertThat(r.test(claims(), input("/x"))).isFalse();
    }

    @Test
    void allOfInsideAnyOfNeedsAllOfItsRules() {
        RouteRules r = compile(List.of(anyOf(
                allOf(rule("tier", "equals", "gold"), rule("region", "equals", "eu")),
                rule("staff", "equals", true))));
        assertThat(r.test(claims("tier", "gold", "region", "eu"), input("/x"))).isTrue();
        assertThat(r.test(claims("tier", "gold", "region", "us"), input("/x"))).isFalse();
        assertThat(r.test(claims("tier", "bronze", "staff", true), input("/x"))).isTrue();
    }

    @Test
    void aFailingRuleAfterAnAnyOfStillFailsTheList() {
        RouteRules r = compile(List.of(anyOf(rule("a", "equals", 1), rule("b", "equals", 2)),
                rule("c", "equals", 3)));
        assertThat(r.test(claims("a", 1, "c", 3), input("/x"))).isTrue();
        assertThat(r.test(claims("a", 1, "c", 4), input("/x"))).isFalse();
    }

    // ---- equals matches same json type ----
    @Test
    void stringEqualsString() {
        RouteRules r = compile(List.of(rule("tier", "equals", "gold")));
        assertThat(r.test(claims("tier", "gold"), input("/x"))).isTrue();
        assertThat(r.test(claims("tier", "Gold"), input("/x"))).isFalse();
    }

    @Test
    void yamlIntegerEqualsJsonLongOfSameValue() {
        RouteRules r = compile(List.of(rule("level", "equals", Integer.valueOf(5))));
        assertThat(claims("level", 5L).get("level")).isInstanceOf(Number.class);
        assertThat(r.test(claims("level", 5L), input("/x"))).isTrue();
        assertThat(r.test(claims("level", 6L), input("/x"))).isFalse();
    }

    @Test
    void numberDoesNotEqualItsStringForm() {
        assertThat(compile(List.of(rule("level", "equals", 5))).test(claims("level", "5"), input("/x")))
                .isFalse();
        assertThat(compile(List.of(rule("level", "equals", "5"))).test(claims("level", 5L), input("/x")))
                .isFalse();
    }

    @Test
    void stringTrueDoesNotEqualBooleanTrue() {
        assertThat(compile(List.of(rule("orgawide", "equals", true)))
                .test(claims("orgawide", "true"), input("/x"))).isFalse();
        assertThat(compile(List.of(rule("orgawide", "equals", "true")))
                .test(claims("orgawide", true), input("/x"))).isFalse();
        assertThat(compile(List.of(rule("orgawide", "equals", true)))
                .test(claims("orgawide", true), input("/x"))).isTrue();
    }

    @Test
    void booleanFalseDoesNotEqualTrueNorAbsence() {
        RouteRules r = compile(List.of(rule("orgawide", "equals", false)));
        assertThat(r.test(claims("orgawide", false), input("/x"))).isTrue();
        assertThat(r.test(claims("orgawide", true), input("/x"))).isFalse();
        assertThat(r.test(claims(), input("/x"))).isFalse();
    }

    @Test
    void equalsOnAnArrayClaimDoesNotLookInside() {
        RouteRules r = compile(List.of(rule("streams", "equals", "s1")));
        assertThat(r.test(claims("streams", List.of("s1")), input("/x"))).isFalse();
    }

    @Test
    void missingClaimFailsTheRule() {
        assertThat(compile(List.of(rule("tier", "equals", "gold"))).test(claims(), input("/x"))).isFalse();
    }

    @Test
    void dottedPathReachesIntoNestedObjects() {
        RouteRules r = compile(List.of(rule("org.plan", "equals", "pro")));
        assertThat(r.test(claims("org", Map.of("plan", "pro")), input("/x"))).isTrue();
        assertThat(r.test(claims("org", Map.of("plan", "free")), input("/x"))).isFalse();
        assertThat(r.test(claims("org", "pro"), input("/x"))).isFalse();
    }

    // ---- contains ----
    @Test
    void arrayClaimContainsTheValue() {
        RouteRules r = compile(List.of(rule("streams", "contains", "cam1")));
        assertThat(r.test(claims("streams", List.of("cam0", "cam1")), input("/x"))).isTrue();
        assertThat(r.test(claims("streams", List.of("cam0", "cam2")), input("/x"))).isFalse();
        assertThat(r.test(claims("streams", List.of()), input("/x"))).isFalse();
    }

    @Test
    void stringClaimContainsOnlyWhenEqualNotAsSubstring() {
        RouteRules r = compile(List.of(rule("groupid", "contains", "grp1")));
        assertThat(r.test(claims("groupid", "grp1"), input("/x"))).isTrue();
        assertThat(r.test(claims("groupid", "grp10"), input("/x"))).isFalse();
        assertThat(r.test(claims("groupid", "xgrp1"), input("/x"))).isFalse();
    }

    @Test
    void numbersInAnArrayMatchARequestValueByTheirDecimalText() {
        RouteRules r = compile(List.of(rule("eventIds", "contains", "{path.0}")));
        assertThat(r.test(claims("eventIds", List.of(41L, 42L)), input(BasicRequestView.of("/live/42/i.m3u8"),
                "/live/"))).isTrue();
        assertThat(r.test(claims("eventIds", List.of(41L, 43L)), input(BasicRequestView.of("/live/42/i.m3u8"),
                "/live/"))).isFalse();
    }

    @Test
    void aNumericLiteralInAnArrayKeepsItsType() {
        RouteRules r = compile(List.of(rule("levels", "contains", 3)));
        assertThat(r.test(claims("levels", List.of(1L, 3L)), input("/x"))).isTrue();
        assertThat(r.test(claims("levels", List.of("3")), input("/x"))).isFalse();
    }

    @Test
    void containsOnAnObjectClaimDoesNotHold() {
        RouteRules r = compile(List.of(rule("streams", "contains", "cam1")));
        assertThat(r.test(claims("streams", Map.of("cam1", true)), input("/x"))).isFalse();
    }

    // ---- partner key roles ----
    private final List<Object> roles = List.of(
            Map.of("name", "ROLE_ATTENDEE", "eventId", "prog-100"),
            Map.of("name", "ROLE_ATTENDEE", "eventId", "prog-200"));

    @Test
    void everyArrayElementIsWalkedForRolesEventId() {
        RouteRules r = compile(List.of(rule("roles[].eventId", "contains", "{path.0}")));
        Claims c = claims("roles", roles, "organization_id", "org-1", "token_use", "access");
        assertThat(r.test(c, input(BasicRequestView.of("/live/prog-200/index.m3u8"), "/live/"))).isTrue();
        assertThat(r.test(c, input(BasicRequestView.of("/live/prog-100/seg1.ts"), "/live/"))).isTrue();
        assertThat(r.test(c, input(BasicRequestView.of("/live/prog-300/index.m3u8"), "/live/"))).isFalse();
    }

    @Test
    void roleNameEqualsLiteral() {
        RouteRules r = compile(List.of(rule("roles[].name", "equals", "ROLE_ATTENDEE")));
        assertThat(r.test(claims("roles", roles), input("/x"))).isTrue();
        assertThat(r.test(claims("roles", List.of(Map.of("name", "ROLE_GUEST"))), input("/x"))).isFalse();
    }

    @Test
    void bracketPathOnANonArrayClaimDoesNotHold() {
        RouteRules r = compile(List.of(rule("roles[].eventId", "contains", "prog-100")));
        assertThat(r.test(claims("roles", Map.of("eventId", "prog-100")), input("/x"))).isFalse();
        assertThat(r.test(claims("roles", "prog-100"), input("/x"))).isFalse();
        assertThat(r.test(claims(), input("/x"))).isFalse();
    }

    @Test
    void elementsWithoutTheFieldAreSkipped() {
        RouteRules r = compile(List.of(rule("roles[].eventId", "contains", "prog-9")));
        Claims c = claims("roles", List.of("not-an-object", Map.of("name", "ROLE_X"),
                Map.of("name", "ROLE_ATTENDEE", "eventId", "prog-9")));
        assertThat(r.test(c, input("/x"))).isTrue();
    }

    // ---- contract example h5live ----
    private final RouteRules h5live = compile(List.of(anyOf(
            rule("streams", "contains", "{query.streamname}"),
            rule("orgawide", "equals", true))));

    private RuleInput at(String query) {
        return input(BasicRequestView.of("/h5live/authstream" + query), "/h5live/authstream");
    }

    @Test
    void streamListedInTokenIsGranted() {
        assertThat(h5live.test(claims("streams", List.of("abc-1", "abc-2")), at("?streamname=abc-2"))).isTrue();
    }

    @Test
    void streamNotListedIsRefused() {
        assertThat(h5live.test(claims("streams", List.of("abc-1")), at("?streamname=abc-2"))).isFalse();
    }

    @Test
    void orgawideTokenIsGrantedAnyStream() {
        assertThat(h5live.test(claims("orgawide", true), at("?streamname=whatever"))).isTrue();
    }

    @Test
    void orgawideAsStringIsNotOrgawide() {
        assertThat(h5live.test(claims("orgawide", "true"), at("?streamname=whatever"))).isFalse();
    }

    @Test
    void missingStreamnameFailsThatAlternativeOnly() {
        assertThat(h5live.test(claims("streams", List.of("abc-1")), at(""))).isFalse();
        assertThat(h5live.test(claims("streams", List.of("abc-1")), at("?streamname="))).isFalse();
        assertThat(h5live.test(claims("streams", List.of("abc-1"), "orgawide", true), at(""))).isTrue();
    }

    // ---- request values ----
    private final Claims c = claims("v", "wanted", "ip", "203.0.113.7", "host", "player.example.com");

    @Test
    void queryValueIsPercentDecoded() {
        RouteRules r = compile(List.of(rule("v", "equals", "{query.s}")));
        assertThat(r.test(claims("v", "a b/c"), input("/x?s=a%20b%2Fc"))).isTrue();
        assertThat(r.test(c, input("/x?other=wanted"))).isFalse();
    }

    @Test
    void pathSegmentCountsFromZeroAfterTheRoutePrefix() {
        RequestView req = BasicRequestView.of("/live/ev42/index.m3u8");
        assertThat(compile(List.of(rule("v", "equals", "{path.0}"))).test(claims("v", "ev42"), input(req, "/live/")))
                .isTrue();
        assertThat(compile(List.of(rule("v", "equals", "{path.1}")))
                .test(claims("v", "index.m3u8"), input(req, "/live/"))).isTrue();
        assertThat(compile(List.of(rule("v", "equals", "{path.0}"))).test(claims("v", "live"), input(req, "/live/")))
                .isFalse();
    }

    @Test
    void pathSegmentWorksWithPrefixWithoutTrailingSlash() {
        RequestView req = BasicRequestView.of("/h5live/authstream/cam7");
        assertThat(compile(List.of(rule("v", "equals", "{path.0}")))
                .test(claims("v", "cam7"), input(req, "/h5live/authstream"))).isTrue();
    }

    @Test
    void pathSegmentIsPercentDecoded() {
        RequestView req = BasicRequestView.of("/live/ev%2042/index.m3u8");
        assertThat(compile(List.of(rule("v", "equals", "{path.0}")))
                .test(claims("v", "ev 42"), input(req, "/live/"))).isTrue();
    }

    @Test
    void missingPathSegmentFailsTheRule() {
        RequestView req = BasicRequestView.of("/live/ev42");
        RouteRules r = compile(List.of(rule("v", "contains", "{path.1}")));
        assertThat(r.test(claims("v", List.of("")), input(req, "/live/"))).isFalse();
        assertThat(r.test(claims("v", ""), input(req, "/live/"))).isFalse();
    }

    @Test
    void headerValueByCaseInsensitiveName() {
        RouteRules r = compile(List.of(rule("v", "equals", "{header.X-Stream}")));
        RequestView req = BasicRequestView.builder("/x").header("x-stream", "wanted").build();
        assertThat(r.test(c, input(req, "/"))).isTrue();
        assertThat(r.test(c, input(BasicRequestView.of("/x"), "/"))).isFalse();
    }

    @Test
    void clientIpIsTheRemoteAddressWithoutTrustedProxies() {
        RouteRules r = compile(List.of(rule("ip", "equals", "{client.ip}")));
        RequestView direct = BasicRequestView.builder("/x").remoteAddress("203.0.113.7").build();
        RequestView spoofing = BasicRequestView.builder("/x").remoteAddress("198.51.100.1")
                .header("X-Forwarded-For", "203.0.113.7").build();
        assertThat(r.test(c, input(direct, "/"))).isTrue();
        assertThat(r.test(c, input(spoofing, "/"))).isFalse();
    }

    @Test
    void clientIpHonoursTrustedProxies() {
        RouteRules r = compile(List.of(rule("ip", "equals", "{client.ip}")));
        ClientAddress proxies = ClientAddress.trusting(List.of("10.0.0.0/8"), "clientIp.trustedProxies");
        RequestView viaProxy = BasicRequestView.builder("/x").remoteAddress("10.1.2.3")
                .header("X-Forwarded-For", "203.0.113.7").build();
        RequestView viaStranger = BasicRequestView.builder("/x").remoteAddress("198.51.100.1")
                .header("X-Forwarded-For", "203.0.113.7").build();
        assertThat(r.test(c, new RuleInput(viaProxy, "/", proxies))).isTrue();
        assertThat(r.test(c, new RuleInput(viaStranger, "/", proxies))).isFalse();
    }

    @Test
    void originHostIsTakenFromOriginHeader() {
        RouteRules r = compile(List.of(rule("host", "equals", "{origin.host}")));
        RequestView req = BasicRequestView.builder("/x").header("Origin", "https://player.example.com:8443")
                .header("Referer", "https://other.example.org/page").build();
        assertThat(r.test(c, input(req, "/"))).isTrue();
    }

    @Test
    void originHostFallsBackToReferer() {
        RouteRules r = compile(List.of(rule("host", "equals", "{origin.host}")));
        RequestView noOrigin = BasicRequestView.builder("/x")
                .header("Referer", "https://player.example.com/watch?v=1").build();
        RequestView nullOrigin = BasicRequestView.builder("/x").header("Origin", "null")
                .header("Referer", "https://player.example.com/watch").build();
        assertThat(r.test(c, input(noOrigin, "/"))).isTrue();
        assertThat(r.test(c, input(nullOrigin, "/"))).isTrue();
    }

    @Test
    void originHostAbsentFailsTheRule() {
        RouteRules r = compile(List.of(rule("host", "equals", "{origin.host}")));
        RequestView garbage = BasicRequestView.builder("/x").header("Origin", "not a url").build();
        assertThat(r.test(c, input(BasicRequestView.of("/x"), "/"))).isFalse();
        assertThat(r.test(c, input(garbage, "/"))).isFalse();
    }

    @Test
    void placeholderResolvingToNothingFailsEvenAgainstAnEmptyClaim() {
        RouteRules r = compile(List.of(rule("v", "equals", "{query.s}")));
        assertThat(r.test(claims("v", ""), input("/x"))).isFalse();
        assertThat(r.test(claims("v", ""), input("/x?s="))).isFalse();
    }

    @Test
    void templateJoinsLiteralTextAndRequestValues() {
        RouteRules r = compile(List.of(rule("streams", "contains", "live-{path.0}")));
        RequestView req = BasicRequestView.of("/live/ev42/index.m3u8");
        assertThat(r.test(claims("streams", List.of("live-ev42")), input(req, "/live/"))).isTrue();
        assertThat(r.test(claims("streams", List.of("ev42")), input(req, "/live/"))).isFalse();
    }

    @Test
    void templateWithSeveralValuesAndTrailingText() {
        RouteRules r = compile(List.of(rule("v", "equals", "{query.org}/{path.0}.m3u8")));
        RequestView req = BasicRequestView.of("/live/ev42?org=acme");
        assertThat(r.test(claims("v", "acme/ev42.m3u8"), input(req, "/live/"))).isTrue();
    }

    @Test
    void templateWithAnUnresolvedValueFailsRatherThanMatchingTheLiteralRest() {
        RouteRules r = compile(List.of(rule("streams", "contains", "live-{path.0}")));
        RequestView req = BasicRequestView.of("/live/");
        assertThat(r.test(claims("streams", List.of("live-", "live-null")), input(req, "/live/"))).isFalse();
    }

    // ---- config errors ----
    @Test
    void badPlaceholderNamesTheExactKeyPath() {
        List<String> p = problems(List.of(rule("streams", "contains", "{bogus.x}")), "routes[2].require");
        assertThat(p).hasSize(1);
        assertThat(p.get(0)).startsWith("routes[2].require[0].contains:").contains("{bogus.x}");
    }

    @Test
    void badPlaceholderInsideAnyOfNamesTheNestedPath() {
        List<String> p = problems(List.of(rule("a", "equals", 1),
                anyOf(rule("b", "equals", 2), rule("c", "equals", "x-{path.x}"))), "routes[1].require");
        assertThat(p).singleElement().asString().startsWith("routes[1].require[1].anyOf[1].equals:");
    }

    @Test
    void unclosedBraceIsAnError() {
        assertThat(problems(List.of(rule("a", "equals", "{query.s")), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].equals:");
    }

    @Test
    void unknownKeyIsNamed() {
        Map<String, Object> m = rule("tier", "equals", "gold");
        m.put("equal", "gold");
        assertThat(problems(List.of(m), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].equal:").contains("unknown key");
    }

    @Test
    void missingClaimIsNamed() {
        assertThat(problems(List.of(Map.of("equals", "gold")), "routes[3].require"))
                .singleElement().asString().startsWith("routes[3].require[0].claim:");
    }

    @Test
    void badClaimPathIsNamed() {
        assertThat(problems(List.of(rule("roles[0].eventId", "equals", "x")), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].claim:");
        assertThat(problems(List.of(rule("a..b", "equals", "x")), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].claim:");
    }

    @Test
    void bothEqualsAndContainsIsAnError() {
        Map<String, Object> m = rule("tier", "equals", "gold");
        m.put("contains", "gold");
        assertThat(problems(List.of(m), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0]:").contains("equals or contains");
    }

    @Test
    void neitherEqualsNorContainsIsAnError() {
        assertThat(problems(List.of(Map.of("claim", "tier")), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0]:");
    }

    @Test
    void emptyAnyOfIsAnError() {
        assertThat(problems(List.of(Map.of("anyOf", List.of())), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].anyOf:");
    }

    @Test
    void anyOfThatIsNotAListIsAnError() {
        assertThat(problems(List.of(Map.of("anyOf", Map.of("claim", "a", "equals", 1))), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].anyOf:");
    }

    @Test
    void requireThatIsNotAListIsAnError() {
        assertThat(problems(Map.of("claim", "a", "equals", 1), "routes[4].require"))
                .singleElement().asString().startsWith("routes[4].require:");
        assertThat(problems("claim: a", "routes[4].require"))
                .singleElement().asString().startsWith("routes[4].require:");
    }

    @Test
    void ruleThatIsNotAMapIsAnError() {
        assertThat(problems(List.of("streams"), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0]:");
    }

    @Test
    void anyOfMixedWithClaimIsAnError() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("anyOf", List.of(rule("a", "equals", 1)));
        m.put("claim", "b");
        m.put("equals", 2);
        assertThat(problems(List.of(m), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0]:");
    }

    @Test
    void valueOfWrongTypeIsAnError() {
        assertThat(problems(List.of(rule("a", "equals", List.of(1))), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].equals:");
        assertThat(problems(List.of(rule("a", "contains", null)), "routes[0].require"))
                .singleElement().asString().startsWith("routes[0].require[0].contains:");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        List<String> p = problems(List.of(rule("a", "equals", "{nope}"), Map.of("equals", 1),
                Map.of("anyOf", List.of())), "routes[5].require");
        assertThat(p).hasSize(3);
        assertThat(p.get(0)).startsWith("routes[5].require[0].equals:");
        assertThat(p.get(1)).startsWith("routes[5].require[1].claim:");
        assertThat(p.get(2)).startsWith("routes[5].require[2].anyOf:");
    }

    @Test
    void exceptionMessageCarriesTheProblemLines() {
        assertThatThrownBy(() -> RouteRules.compile(List.of(Map.of("claim", "a")), "routes[7].require"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("routes[7].require[0]:");
    }

    @Test
    void aFailingRuleIsNamedByItsConfigPathWithTheValueItCompared() {
        RouteRules rules = RouteRules.compile(List.of(rule("sub", "equals", "alice"),
                rule("roles[].eventId", "contains", "{path.0}")), "routes[1].require");
        Claims c = claims("sub", "alice", "roles", List.of(Map.of("eventId", "ev1")));
        RuleInput ev2 = input(BasicRequestView.of("/live/ev2/index.m3u8"), "/live");
        assertThat(rules.test(c, ev2)).isFalse();
        assertThat(rules.failingRule(c, ev2)).isEqualTo("routes[1].require[1]");
        assertThat(rules.explain(c, ev2)).isEqualTo(
                "routes[1].require[1]: claim roles[].eventId contains \"{path.0}\" = \"ev2\": the token has \"ev1\"");

        RuleInput ev1 = input(BasicRequestView.of("/live/ev1/index.m3u8"), "/live");
        assertThat(rules.failingRule(c, ev1)).as("granted").isNull();
        assertThat(rules.explain(c, ev1)).isNull();
    }

    @Test
    void anAnyOfThatFailsListsEveryAlternative() {
        RouteRules rules = RouteRules.compile(List.of(Map.of("anyOf", List.of(
                rule("streams", "contains", "{query.streamname}"), rule("orgawide", "equals", true)))),
                "routes[0].require");
        Claims c = claims("streams", List.of("a", "b"));
        assertThat(rules.failingRule(c, input("/x?streamname=z"))).isEqualTo("routes[0].require[0]");
        assertThat(rules.explain(c, input("/x?streamname=z"))).isEqualTo("routes[0].require[0]: none of anyOf holds; "
                + "routes[0].require[0].anyOf[0]: claim streams contains \"{query.streamname}\" = \"z\": "
                + "the token has [\"a\",\"b\"]; "
                + "routes[0].require[0].anyOf[1]: claim orgawide equals true: the token has no orgawide");
        assertThat(rules.explain(c, input("/x"))).as("a placeholder without a value")
                .contains("anyOf[0]: claim streams contains \"{query.streamname}\": \"{query.streamname}\" "
                        + "resolves to nothing in this request");
    }

    @Test
    void insideAllOfTheNestedFailingRuleIsNamed() {
        RouteRules rules = RouteRules.compile(List.of(Map.of("allOf", List.of(rule("a", "equals", 1L),
                rule("b", "equals", 2L)))), "routes[2].require");
        Claims c = claims("a", 1L, "b", 3L);
        assertThat(rules.failingRule(c, input("/x"))).isEqualTo("routes[2].require[0].allOf[1]");
        assertThat(rules.explain(c, input("/x"))).isEqualTo("routes[2].require[0].allOf[1]: claim b equals 2: the token has 3");
    }
}
