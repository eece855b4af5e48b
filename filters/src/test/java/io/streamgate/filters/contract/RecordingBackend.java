package io.streamgate.filters.contract;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What stands behind an adapter — the application behind the servlet filter, the origin behind
 * the gateway: records everything a servlet can read of each request it gets, and answers
 * {@code N} for a path containing {@code /status/N}, else {@code 200 ok}.
 */
public final class RecordingBackend extends HttpServlet {
    /** One request as the backend saw it, through the servlet API. */
    public record Seen(String method, String requestUri, String queryString, String requestUrl,
                       Map<String, List<String>> parameters, Map<String, List<String>> headers,
                       List<String> cookies) {
        /** Header values by lower-case name; empty when absent. */
        public List<String> header(String name) {
            return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of());
        }

        /** Everything recorded, as one string, to look for a token anywhere in it. */
        public String everything() {
            return method + "\n" + requestUri + "\n" + queryString + "\n" + requestUrl + "\n" + parameters + "\n"
                    + headers + "\n" + cookies;
        }
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    public Seen last() {
        if (seen.isEmpty()) {
            throw new AssertionError("the backend saw no request");
        }
        return seen.get(seen.size() - 1);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String n : Collections.list(req.getParameterNames())) {
            String[] values = req.getParameterValues(n);
            params.put(n, values == null ? List.of() : List.of(values));
        }
        req.getParameterMap().forEach((n, v) -> params.putIfAbsent(n, List.of(v)));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String n : Collections.list(req.getHeaderNames())) {
            headers.put(n.toLowerCase(java.util.Locale.ROOT), Collections.list(req.getHeaders(n)));
        }
        List<String> cookies = new ArrayList<>();
        Cookie[] cs = req.getCookies();
        if (cs != null) {
            for (Cookie c : cs) {
                cookies.add(c.getName() + "=" + c.getValue());
            }
        }
        seen.add(new Seen(req.getMethod(), req.getRequestURI(), req.getQueryString(),
                String.valueOf(req.getRequestURL()), params, headers, cookies));

        String path = req.getRequestURI();
        int i = path.indexOf("/status/");
        int status = i < 0 ? 200 : Integer.parseInt(path.substring(i + "/status/".length()).replaceAll("/.*", ""));
        resp.setStatus(status);
        resp.setContentType("text/plain");
        if (!"HEAD".equals(req.getMethod())) {
            resp.getWriter().write(status == 200 ? "ok" : "status " + status);
        }
    }
}
