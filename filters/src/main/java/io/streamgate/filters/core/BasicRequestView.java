package io.streamgate.filters.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A {@link RequestView} built from plain values: for the CLI's {@code verify}, tests and benchmarks. */
public final class BasicRequestView implements RequestView {
    private final String path;
    private final String rawQuery;
    private final Map<String, List<String>> headers;
    private final String remoteAddress;

    private BasicRequestView(String path, String rawQuery, Map<String, List<String>> headers, String remoteAddress) {
        this.path = path;
        this.rawQuery = rawQuery;
        this.headers = headers;
        this.remoteAddress = remoteAddress;
    }

    /** From a path with optional {@code ?query}, e.g. {@code /live/ev1/index.m3u8?token=...}. */
    public static BasicRequestView of(String pathAndQuery) {
        return builder(pathAndQuery).build();
    }

    public static Builder builder(String pathAndQuery) {
        return new Builder(pathAndQuery);
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String rawQuery() {
        return rawQuery;
    }

    @Override
    public String header(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    @Override
    public List<String> headers(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null ? List.of() : v;
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    public static final class Builder {
        private final String path;
        private final String rawQuery;
        private final Map<String, List<String>> headers = new TreeMap<>();
        private String remoteAddress = "127.0.0.1";

        private Builder(String pathAndQuery) {
            int q = pathAndQuery.indexOf('?');
            this.path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
            this.rawQuery = q < 0 ? null : pathAndQuery.substring(q + 1);
        }

        public Builder header(String name, String value) {
            headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
            return this;
        }

        public Builder remoteAddress(String address) {
            this.remoteAddress = address;
            return this;
        }

        public BasicRequestView build() {
            Map<String, List<String>> copy = new TreeMap<>();
            headers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return new BasicRequestView(path, rawQuery, copy, remoteAddress);
        }
    }
}
