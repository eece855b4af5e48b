package io.streamgate.filters.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathSafetyTest {
    @ParameterizedTest
    @ValueSource(strings = {"/", "/live/", "/live/ev1/master.m3u8", "/live/ev1/seg-1.ts", "/a/b%20c/d", "/a/..b/c",
            "/a/b../c", "/a/.hidden"})
    void canonicalPathsPass(String path) {
        assertThat(PathSafety.isCanonical(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/live/ev1/../ev2/master.m3u8", "/live/ev1/..", "/live/./x", "/live/.", "/live/%2e%2e/x",
            "/live/%2E./x", "/live/.%2e", "/live//x", "/live/master.m3u8;x", "/live/a%2fb", "/live/a%5cb", "/live/a\\b",
            "/live/a%3bb", "/live/a%00", "", "live/x"})
    void ambiguousPathsAreRefused(String path) {
        assertThat(PathSafety.isCanonical(path)).isFalse();
    }
}
