package io.streamgate.gateway.dash;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an MPEG-DASH manifest (ISO/IEC 23009-1 MPD) so that every URL a player derives
 * from it inside the same gateway route carries a query parameter — the session credential —
 * and leaves the rest of the document as it was, byte for byte: declaration, namespaces and
 * prefixes, comments, unknown elements and attributes, whitespace, a leading BOM.
 *
 * <p>What gets the parameter (when it resolves into the route):
 * <ul>
 *   <li>{@code SegmentTemplate@media}, {@code @initialization}, {@code @index},
 *       {@code @bitstreamSwitching} — template identifiers ({@code $Number$},
 *       {@code $Time$}, {@code $RepresentationID$}, {@code $Bandwidth$}, width formats such
 *       as {@code $Number%05d$}) stay as they are, the parameter follows them;</li>
 *   <li>{@code SegmentURL@media}, {@code @index}; {@code Initialization@sourceURL},
 *       {@code RepresentationIndex@sourceURL}, {@code BitstreamSwitching@sourceURL};</li>
 *   <li>{@code Location}, {@code PatchLocation}, {@code xlink:href} (remote elements) and the
 *       URLs of an HTTP {@code UTCTiming} — resolved against the MPD's own URL;</li>
 *   <li>a {@code BaseURL} (any level) that names a resource itself, the {@code SegmentBase}
 *       case where the player fetches the BaseURL with byte ranges.</li>
 * </ul>
 * A {@code BaseURL} naming a directory is left alone: RFC 3986 resolution drops a base's
 * query, so what carries the credential is every URL resolved against it; and ffmpeg joins
 * nested BaseURLs as strings, where a query would land in the middle of the path.
 *
 * <p>Which URLs are "ours" follows the player's resolution: each segment URL is resolved
 * against the BaseURL chain (MPD → Period → AdaptationSet → Representation) of every
 * Representation that can use it; it gets the credential only when every such resolution
 * lands inside the route on the gateway itself — never when one of them leads to another
 * host (alternative BaseURLs on a CDN), so the credential is not handed to other hosts.
 *
 * <p>Namespaces: only elements in the DASH namespace are rewritten; a manifest whose root is
 * not a DASH {@code MPD} (another namespace, or none) passes unchanged. Players that match
 * element names and ignore namespaces exist (ffmpeg's), so an element named {@code BaseURL}
 * of another namespace on a level counts as an alternative base not known to be ours, and
 * nothing inside an element named like a level ({@code Period}...) of another namespace gets
 * the credential: neither can lead such a player to carry the credential to another host.
 *
 * <p>A {@code dynamic} MPD without a {@code Location} gets one, pointing back at the MPD with
 * the credential: players reload a live MPD every {@code minimumUpdatePeriod} from its
 * {@code Location}, so a one-time token's session reloads on its credential, as an HLS media
 * playlist does.
 *
 * <p>Security: a small scanner of its own, not an XML parser — it never resolves entities or
 * reads a DTD (no XXE), expands nothing, and allocates in proportion to the input. A manifest
 * with a {@code DOCTYPE} (entities could change what a player sees) or that is not
 * well-formed is returned unchanged, without credentials. A pure function: no I/O, no state.
 */
public final class MpdRewriter {
    /** The MPD namespace (every edition of ISO/IEC 23009-1 keeps it). */
    static final String DASH_NS = "urn:mpeg:dash:schema:mpd:2011";
    static final String XLINK_NS = "http://www.w3.org/1999/xlink";
    private static final Pattern TEMPLATE_ID = Pattern.compile("\\$[A-Za-z]+(%0?\\d+[diouxX])?\\$");

    /** The MPD media type (ISO/IEC 23009-1 Annex C). */
    public static final String CONTENT_TYPE = "application/dash+xml";

    private MpdRewriter() {
    }

    /**
     * An MPD by its content type, or by a path ending in {@code .mpd} when the content type is
     * not an HLS one.
     */
    public static boolean isManifest(String path, String contentType) {
        String t = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (t.startsWith(CONTENT_TYPE)) {
            return true;
        }
        if (t.contains("mpegurl")) {
            return false;
        }
        return path.toLowerCase(Locale.ROOT).endsWith(".mpd");
    }

    /** How a manifest came out. */
    public enum Outcome {
        /** Rewritten (possibly with nothing to rewrite). */
        REWRITTEN,
        /** Returned as it came: it has a DOCTYPE. */
        UNCHANGED_DOCTYPE,
        /** Returned as it came: not well-formed XML, or in an encoding it cannot read. */
        UNCHANGED_MALFORMED,
        /** Returned as it came: its root is not an {@code MPD} in the DASH namespace. */
        UNCHANGED_NOT_DASH
    }

    /** The outcome: the new text, how many URLs were given the parameter, and whether it was rewritten at all. */
    public record Result(String manifest, int rewritten, Outcome outcome) {
    }

    /** The outcome on bytes: the body to send. */
    public record Bytes(byte[] body, int rewritten, Outcome outcome) {
    }

    /**
     * Rewrites a manifest body as it came from the origin: UTF-8 (a BOM kept), UTF-16 with a
     * BOM, or another encoding named by the XML declaration; written back in the same one.
     *
     * @see #rewrite(String, String, String, String, String, String)
     */
    public static Bytes rewrite(byte[] body, int length, String mpdPath, String mpdQuery, String gatewayHost,
                                String routePrefix, String param) {
        Charset cs;
        int skip = 0;
        byte[] bom = new byte[0];
        if (length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB && (body[2] & 0xFF) == 0xBF) {
            cs = StandardCharsets.UTF_8;
            skip = 3;
        } else if (length >= 2 && (body[0] & 0xFF) == 0xFE && (body[1] & 0xFF) == 0xFF) {
            cs = StandardCharsets.UTF_16BE;
            skip = 2;
        } else if (length >= 2 && (body[0] & 0xFF) == 0xFF && (body[1] & 0xFF) == 0xFE) {
            cs = StandardCharsets.UTF_16LE;
            skip = 2;
        } else {
            cs = declaredCharset(body, length);
            if (cs == null) {
                return new Bytes(java.util.Arrays.copyOf(body, length), 0, Outcome.UNCHANGED_MALFORMED);
            }
        }
        if (skip > 0) {
            bom = java.util.Arrays.copyOf(body, skip);
        }
        String text = new String(body, skip, length - skip, cs);
        Result r = rewrite(text, mpdPath, mpdQuery, gatewayHost, routePrefix, param);
        if (r.outcome() != Outcome.REWRITTEN || r.manifest() == text) {
            return new Bytes(java.util.Arrays.copyOf(body, length), r.rewritten(), r.outcome());
        }
        byte[] out = r.manifest().getBytes(cs);
        if (bom.length == 0) {
            return new Bytes(out, r.rewritten(), r.outcome());
        }
        byte[] withBom = new byte[bom.length + out.length];
        System.arraycopy(bom, 0, withBom, 0, bom.length);
        System.arraycopy(out, 0, withBom, bom.length, out.length);
        return new Bytes(withBom, r.rewritten(), r.outcome());
    }

    private static final Pattern ENCODING = Pattern.compile("^<\\?xml[^>]*?encoding\\s*=\\s*[\"']([A-Za-z0-9._-]+)[\"']");

    /** The encoding an XML declaration names (UTF-8 when none); null when this JVM cannot read it. */
    private static Charset declaredCharset(byte[] body, int length) {
        String head = new String(body, 0, Math.min(length, 200), StandardCharsets.ISO_8859_1);
        Matcher m = ENCODING.matcher(head);
        if (!m.find()) {
            return StandardCharsets.UTF_8;
        }
        try {
            Charset cs = Charset.forName(m.group(1));
            // an ASCII-compatible one only: the declaration was just read as such
            return "ABC<?".equals(new String("ABC<?".getBytes(cs), StandardCharsets.ISO_8859_1)) ? cs : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * @param mpd         the manifest text
     * @param mpdPath     the gateway path the manifest was requested at, e.g. {@code /live/ev1/manifest.mpd}
     * @param mpdQuery    the request's query without token or credential parameters (kept on
     *                    an added {@code Location}), or null
     * @param gatewayHost the request's {@code Host} (absolute URLs to it count as ours), may be null
     * @param routePrefix the route's path prefix; only URLs under it get the parameter
     * @param param       the parameter to add, already encoded, e.g. {@code sg_session=abc}
     */
    public static Result rewrite(String mpd, String mpdPath, String mpdQuery, String gatewayHost, String routePrefix,
                                 String param) {
        Scanner sc = new Scanner(mpd);
        Outcome scanned = sc.scan();
        if (scanned != Outcome.REWRITTEN) {
            return new Result(mpd, 0, scanned);
        }
        Node root = sc.nodes.get(0);
        if (!root.dash || root.kind != Kind.MPD) {
            return new Result(mpd, 0, Outcome.UNCHANGED_NOT_DASH); // no namespace, or another one
        }
        URI doc;
        try {
            doc = new URI(null, null, mpdPath, null);
        } catch (URISyntaxException e) {
            return new Result(mpd, 0, Outcome.UNCHANGED_MALFORMED);
        }
        Context cx = new Context(doc, gatewayHost, routePrefix.endsWith("/") ? routePrefix : routePrefix + "/", param);
        List<Edit> edits = new ArrayList<>();
        for (Node n : sc.nodes) {
            plan(n, cx, edits, mpd, mpdPath, mpdQuery);
        }
        if (edits.isEmpty()) {
            return new Result(mpd, 0, Outcome.REWRITTEN);
        }
        edits.sort((a, b) -> Integer.compare(a.start, b.start));
        StringBuilder out = new StringBuilder(mpd.length() + edits.size() * (param.length() + 8));
        int at = 0;
        int count = 0;
        for (Edit e : edits) {
            out.append(mpd, at, e.start).append(e.text);
            at = e.end;
            count++;
        }
        out.append(mpd, at, mpd.length());
        return new Result(out.toString(), count, Outcome.REWRITTEN);
    }

    // ------------------------------------------------------------------ planning

    private record Edit(int start, int end, String text) {
    }

    private static final class Context {
        final URI doc;
        final String host;
        final String routeBase;
        final String param;
        final Map<Node, List<URI>> bases = new HashMap<>();
        private final Map<URI, Boolean> directories = new java.util.IdentityHashMap<>();

        /** Whether a plain relative path resolved against {@code base} lands inside the route. */
        boolean ourDirectory(URI base) {
            if (base == UNKNOWN) {
                return false;
            }
            Boolean known = directories.get(base);
            if (known == null) {
                String path = base.getRawPath();
                known = path != null && ours(base.resolve(URI.create(path.substring(0, path.lastIndexOf('/') + 1))), this);
                directories.put(base, known);
            }
            return known;
        }

        Context(URI doc, String host, String routeBase, String param) {
            this.doc = doc;
            this.host = host;
            this.routeBase = routeBase;
            this.param = param;
        }
    }

    /** Marks a base that cannot be resolved: nothing resolved against it counts as ours. */
    private static final URI UNKNOWN = URI.create("unknown:base");

    private static void plan(Node n, Context cx, List<Edit> edits, String mpd, String mpdPath, String mpdQuery) {
        if (!n.dash) {
            return; // another namespace: left as it is, an xlink:href on it too
        }
        switch (n.kind) {
            case SEGMENT_TEMPLATE, SEGMENT_URL, INITIALIZATION, REPRESENTATION_INDEX, BITSTREAM_SWITCHING -> {
                List<URI> bases = segmentBases(n, cx);
                for (Attr a : n.urls) {
                    attribute(a, bases, false, cx, edits);
                }
            }
            case BASE_URL -> {
                Node level = n.parent;
                if (level != null && level.kind.level && n.textOnly() && !n.foreignAncestry) {
                    text(n, mpd, parentBases(level, cx), true, cx, edits);
                }
            }
            case LOCATION, PATCH_LOCATION -> {
                if (n.textOnly()) {
                    text(n, mpd, List.of(cx.doc), false, cx, edits);
                }
            }
            case UTC_TIMING -> {
                if (n.scheme != null && n.scheme.trim().startsWith("urn:mpeg:dash:utc:http-")) {
                    for (Attr a : n.urls) {
                        attribute(a, List.of(cx.doc), false, cx, edits); // one URL (lists of several: left as they are)
                    }
                }
            }
            case MPD -> {
                if (n.dynamic && !n.hasLocation && n.locationAt >= 0) {
                    edits.add(new Edit(n.locationAt, n.locationAt, location(n, mpd, mpdPath, mpdQuery, cx.param)));
                }
            }
            default -> {
            }
        }
        if (n.xlinkHref != null) {
            attribute(n.xlinkHref, List.of(cx.doc), false, cx, edits);
        }
    }

    /** {@code <Location>manifest.mpd?…&sg_session=…</Location>} and the whitespace that preceded the next element. */
    private static String location(Node mpdNode, String mpd, String mpdPath, String mpdQuery, String param) {
        String last = mpdPath.substring(mpdPath.lastIndexOf('/') + 1);
        String ref;
        try {
            ref = last.isEmpty() ? "./" : new URI(null, null, last, null).getRawPath();
        } catch (URISyntaxException e) {
            ref = "./";
        }
        if (ref.indexOf(':') >= 0) {
            ref = "./" + ref; // not a scheme
        }
        String query = mpdQuery == null ? null : withoutParam("?" + mpdQuery, param).substring(1);
        String value = ref + "?" + (query == null || query.isEmpty() ? "" : query + "&") + param;
        String qname = mpdNode.prefix.isEmpty() ? "Location" : mpdNode.prefix + ":Location";
        int ws = mpdNode.locationAt;
        while (ws > 0 && isSpace(mpd.charAt(ws - 1))) {
            ws--;
        }
        String indent = mpd.charAt(ws - 1) == '>' ? mpd.substring(ws, mpdNode.locationAt) : "";
        return "<" + qname + ">" + escapeText(value) + "</" + qname + ">" + indent;
    }

    private static void attribute(Attr a, List<URI> bases, boolean fileOnly, Context cx, List<Edit> edits) {
        String value = decode(a.raw);
        if (value == null) {
            return; // an entity we do not know: not ours to touch
        }
        String trimmed = value.trim();
        String u = withParam(trimmed, bases, fileOnly, cx);
        if (u != null) {
            String rewritten = value.length() == trimmed.length() ? u : value.replace(trimmed, u);
            edits.add(new Edit(a.start, a.end, escapeAttribute(rewritten, a.quote)));
        }
    }

    private static void text(Node n, String mpd, List<URI> bases, boolean fileOnly, Context cx, List<Edit> edits) {
        String raw = mpd.substring(n.contentStart, n.contentEnd);
        String value = decode(raw);
        if (value == null) {
            return;
        }
        String trimmed = value.trim();
        String u = withParam(trimmed, bases, fileOnly, cx);
        if (u != null) {
            edits.add(new Edit(n.contentStart, n.contentEnd, escapeText(value.replace(trimmed, u))));
        }
    }

    /** The URL with the parameter, or null when any of its resolutions is not ours. */
    private static String withParam(String url, List<URI> bases, boolean fileOnly, Context cx) {
        if (url.isEmpty() || bases.isEmpty()) {
            return null;
        }
        if (simpleRelative(url)) {
            // the common case (seg-$Number$.m4s, r1/s2.m4s): ours exactly when every base's directory is
            if (fileOnly && url.endsWith("/")) {
                return null;
            }
            for (URI base : bases) {
                if (!cx.ourDirectory(base)) {
                    return null;
                }
            }
        } else {
            URI probe;
            try {
                // template identifiers stand for numbers and ids: resolve with a neutral value
                probe = new URI(url.indexOf('$') < 0 ? url : TEMPLATE_ID.matcher(url).replaceAll("0").replace("$$", "$"));
            } catch (URISyntaxException e) {
                return null;
            }
            for (URI base : bases) {
                URI r = resolve(base, probe);
                if (r == null || !ours(r, cx)) {
                    return null;
                }
                String path = r.getRawPath();
                if (fileOnly && (path.isEmpty() || path.endsWith("/"))) {
                    return null;
                }
            }
        }
        int hash = url.indexOf('#');
        String body = withoutParam(hash < 0 ? url : url.substring(0, hash), cx.param);
        String fragment = hash < 0 ? "" : url.substring(hash);
        String sep = body.indexOf('?') < 0 ? "?" : (body.endsWith("?") || body.endsWith("&") ? "" : "&");
        return body + sep + cx.param + fragment;
    }

    /**
     * Without any parameter named like {@code param}'s (any case or encoding): an
     * origin-supplied {@code sg_session=...} would come first and shadow the gateway's
     * credential appended after it, so exactly one remains, the gateway's.
     */
    static String withoutParam(String url, String param) {
        int eq = param.indexOf('=');
        return io.streamgate.filters.core.QueryString.removeFromUrlIgnoringCase(url,
                eq < 0 ? param : param.substring(0, eq));
    }

    /**
     * A relative path of plain characters and no dot segments ({@code %} only inside a template
     * identifier such as {@code $Number%05d$}): it resolves into its base's directory.
     */
    static boolean simpleRelative(String u) {
        if (u.isEmpty() || u.charAt(0) == '/') {
            return false;
        }
        boolean inTemplate = false;
        int segment = 0;
        for (int i = 0; i <= u.length(); i++) {
            char c = i < u.length() ? u.charAt(i) : '/';
            if (c == '/') {
                int len = i - segment;
                if ((len == 1 && u.charAt(segment) == '.') || (len == 2 && u.startsWith("..", segment))) {
                    return false;
                }
                segment = i + 1;
            } else if (c == '$') {
                inTemplate = !inTemplate;
            } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '.' || c == '_' || c == '~' || (c == '%' && inTemplate))) {
                return false;
            }
        }
        return !inTemplate;
    }

    private static URI resolve(URI base, URI ref) {
        if (base == UNKNOWN) {
            return null;
        }
        try {
            return base.resolve(ref);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** On the gateway (no host, or the request's host over HTTP(S)) and inside the route. */
    private static boolean ours(URI r, Context cx) {
        if (r.getRawAuthority() != null) {
            String scheme = r.getScheme();
            if ((scheme != null && !scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https"))
                    || cx.host == null || !r.getRawAuthority().equalsIgnoreCase(cx.host)) {
                return false;
            }
        } else if (r.getScheme() != null) {
            return false; // urn:, data:, …
        }
        String path = r.getRawPath();
        return path != null && path.startsWith(cx.routeBase) && !path.contains("/../") && !path.endsWith("/..");
    }

    /** The bases a level's own BaseURLs resolve against: its parent level's, or the MPD's URL. */
    private static List<URI> parentBases(Node level, Context cx) {
        Node up = nearestLevel(level.parent);
        return up == null ? List.of(cx.doc) : bases(up, cx);
    }

    /** The effective base URLs of a level element (alternatives multiply down the chain). */
    private static List<URI> bases(Node level, Context cx) {
        List<URI> known = cx.bases.get(level);
        if (known != null) {
            return known;
        }
        if (level.foreignAncestry) {
            cx.bases.put(level, List.of(UNKNOWN)); // under a level of another namespace: not known
            return List.of(UNKNOWN);
        }
        List<URI> parents = parentBases(level, cx);
        List<URI> result;
        if (level.baseUrls.isEmpty()) {
            result = parents;
        } else {
            result = new ArrayList<>(parents.size() * level.baseUrls.size());
            for (URI p : parents) {
                for (Node b : level.baseUrls) {
                    result.add(baseOf(p, b));
                }
            }
        }
        cx.bases.put(level, result);
        return result;
    }

    private static URI baseOf(URI parent, Node baseUrl) {
        if (!baseUrl.dash || !baseUrl.textOnly() || parent == UNKNOWN) {
            return UNKNOWN; // a BaseURL outside the DASH namespace: where a player reading names only goes is not known to be ours
        }
        String v = decode(baseUrl.content);
        if (v == null) {
            return UNKNOWN;
        }
        try {
            URI r = parent.resolve(new URI(v.trim()));
            return r.isOpaque() ? UNKNOWN : r;
        } catch (URISyntaxException | IllegalArgumentException e) {
            return UNKNOWN;
        }
    }

    /**
     * The bases a segment-addressing element resolves against: those of every Representation
     * that can use it (its own, or all Representations under the level it is declared at).
     */
    private static List<URI> segmentBases(Node n, Context cx) {
        if (n.foreignAncestry) {
            return List.of(UNKNOWN);
        }
        Node level = nearestLevel(n);
        if (level == null) {
            return List.of(cx.doc);
        }
        if (level.kind == Kind.REPRESENTATION || level.representations.isEmpty()) {
            return bases(level, cx);
        }
        List<URI> all = new ArrayList<>();
        for (Node r : level.representations) {
            all.addAll(bases(r, cx));
        }
        return all;
    }

    private static Node nearestLevel(Node n) {
        Node p = n;
        while (p != null && !(p.dash && p.kind.level)) {
            p = p.parent;
        }
        return p;
    }

    // ------------------------------------------------------------------ XML text

    /** The value of XML character data or an attribute, or null when it uses an entity not predefined. */
    static String decode(String raw) {
        int amp = raw.indexOf('&');
        if (amp < 0) {
            return raw;
        }
        StringBuilder sb = new StringBuilder(raw.length());
        int i = 0;
        while (amp >= 0) {
            sb.append(raw, i, amp);
            int semi = raw.indexOf(';', amp);
            if (semi < 0) {
                return null;
            }
            String name = raw.substring(amp + 1, semi);
            switch (name) {
                case "amp" -> sb.append('&');
                case "lt" -> sb.append('<');
                case "gt" -> sb.append('>');
                case "quot" -> sb.append('"');
                case "apos" -> sb.append('\'');
                default -> {
                    if (!name.startsWith("#") || name.length() < 2) {
                        return null;
                    }
                    try {
                        int cp = name.charAt(1) == 'x' ? Integer.parseInt(name.substring(2), 16)
                                : Integer.parseInt(name.substring(1));
                        sb.appendCodePoint(cp);
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                }
            }
            i = semi + 1;
            amp = raw.indexOf('&', i);
        }
        return sb.append(raw, i, raw.length()).toString();
    }

    static String escapeAttribute(String v, char quote) {
        if (v.indexOf('&') < 0 && v.indexOf('<') < 0 && v.indexOf(quote) < 0) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 16);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '"' -> sb.append(quote == '"' ? "&quot;" : "\"");
                case '\'' -> sb.append(quote == '\'' ? "&apos;" : "'");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String escapeText(String v) {
        if (v.indexOf('&') < 0 && v.indexOf('<') < 0 && v.indexOf('>') < 0) {
            return v;
        }
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    // ------------------------------------------------------------------ scanning

    private enum Kind {
        MPD(true), PERIOD(true), ADAPTATION_SET(true), REPRESENTATION(true),
        BASE_URL(false), LOCATION(false), PATCH_LOCATION(false), PROGRAM_INFORMATION(false),
        SEGMENT_TEMPLATE(false), SEGMENT_URL(false), INITIALIZATION(false), REPRESENTATION_INDEX(false),
        BITSTREAM_SWITCHING(false), UTC_TIMING(false), OTHER(false);

        final boolean level;

        Kind(boolean level) {
            this.level = level;
        }

        static Kind of(String local) {
            return switch (local) {
                case "MPD" -> MPD;
                case "Period" -> PERIOD;
                case "AdaptationSet" -> ADAPTATION_SET;
                case "Representation" -> REPRESENTATION;
                case "BaseURL" -> BASE_URL;
                case "Location" -> LOCATION;
                case "PatchLocation" -> PATCH_LOCATION;
                case "ProgramInformation" -> PROGRAM_INFORMATION;
                case "SegmentTemplate" -> SEGMENT_TEMPLATE;
                case "SegmentURL" -> SEGMENT_URL;
                case "Initialization" -> INITIALIZATION;
                case "RepresentationIndex" -> REPRESENTATION_INDEX;
                case "BitstreamSwitching" -> BITSTREAM_SWITCHING;
                case "UTCTiming" -> UTC_TIMING;
                default -> OTHER;
            };
        }

        /** The attributes of this element that hold a URL. */
        boolean isUrlAttribute(String name) {
            return switch (this) {
                case SEGMENT_TEMPLATE -> name.equals("media") || name.equals("initialization") || name.equals("index")
                        || name.equals("bitstreamSwitching");
                case SEGMENT_URL -> name.equals("media") || name.equals("index");
                case INITIALIZATION, REPRESENTATION_INDEX, BITSTREAM_SWITCHING -> name.equals("sourceURL");
                case UTC_TIMING -> name.equals("value");
                default -> false;
            };
        }
    }

    /** An attribute value's place in the text (between its quotes). */
    private record Attr(int start, int end, char quote, String raw) {
    }

    /** An element the rewrite cares about, or one that scopes namespaces. */
    private static final class Node {
        final Node parent;
        final String qname;
        final String prefix;
        Map<String, String> ns;
        boolean dash;
        Kind kind = Kind.OTHER;
        /** The kind its local name would have in the DASH namespace, when it is in another one (or none). */
        Kind foreignKind = Kind.OTHER;
        /**
         * Inside an element named like an MPD level ({@code Period}, {@code AdaptationSet}...) but
         * outside the DASH namespace: a player matching names only takes it for a level, with
         * whatever BaseURL it holds, so nothing below it can be known to resolve into the route.
         */
        boolean foreignAncestry;
        List<Attr> urls = List.of();
        Attr xlinkHref;
        String scheme;
        boolean dynamic;
        boolean hasLocation;
        int locationAt = -1;
        int contentStart = -1;
        int contentEnd = -1;
        boolean contentMarkup;
        String content;
        List<Node> baseUrls = List.of();
        List<Node> representations = List.of();

        Node(Node parent, String qname) {
            this.parent = parent;
            this.qname = qname;
            int colon = qname.indexOf(':');
            this.prefix = colon < 0 ? "" : qname.substring(0, colon);
        }

        String local() {
            return prefix.isEmpty() ? qname : qname.substring(prefix.length() + 1);
        }

        String namespace(String p) {
            for (Node n = this; n != null; n = n.parent) {
                if (n.ns != null && n.ns.containsKey(p)) {
                    return n.ns.get(p);
                }
            }
            return p.equals("xml") ? "http://www.w3.org/XML/1998/namespace" : null;
        }

        boolean textOnly() {
            return contentStart >= 0 && contentEnd >= contentStart && !contentMarkup;
        }
    }

    /** One pass over the text: elements, attributes and text positions; no entity is ever expanded. */
    private static final class Scanner {
        final String s;
        final List<Node> nodes = new ArrayList<>();
        int i;

        Scanner(String s) {
            this.s = s;
        }

        Outcome scan() {
            int n = s.length();
            i = n > 0 && s.charAt(0) == '\uFEFF' ? 1 : 0;
            Node open = null;
            boolean root = false;
            while (i < n) {
                int lt = s.indexOf('<', i);
                if (lt < 0) {
                    break;
                }
                i = lt;
                if (s.startsWith("<?", i)) {
                    if (!skipPast("?>")) {
                        return Outcome.UNCHANGED_MALFORMED;
                    }
                } else if (s.startsWith("<!--", i)) {
                    markup(open);
                    if (!skipPast("-->")) {
                        return Outcome.UNCHANGED_MALFORMED;
                    }
                } else if (s.startsWith("<![CDATA[", i)) {
                    markup(open);
                    if (!skipPast("]]>")) {
                        return Outcome.UNCHANGED_MALFORMED;
                    }
                } else if (s.startsWith("<!DOCTYPE", i)) {
                    return Outcome.UNCHANGED_DOCTYPE;
                } else if (s.startsWith("<!", i)) {
                    return Outcome.UNCHANGED_MALFORMED;
                } else if (s.startsWith("</", i)) {
                    int gt = s.indexOf('>', i);
                    if (gt < 0 || open == null || !s.substring(i + 2, gt).trim().equals(open.qname)) {
                        return Outcome.UNCHANGED_MALFORMED;
                    }
                    if (open.contentStart >= 0) {
                        open.contentEnd = i;
                        open.content = s.substring(open.contentStart, i);
                    }
                    open = open.parent;
                    i = gt + 1;
                } else {
                    if (open == null && root) {
                        return Outcome.UNCHANGED_MALFORMED; // a second root element
                    }
                    markup(open);
                    Started e = startTag(open);
                    if (e == null) {
                        return Outcome.UNCHANGED_MALFORMED;
                    }
                    root = true;
                    if (!e.selfClosing) {
                        open = e.node;
                        if (e.node.dash && (e.node.kind == Kind.BASE_URL || e.node.kind == Kind.LOCATION
                                || e.node.kind == Kind.PATCH_LOCATION)) {
                            e.node.contentStart = i;
                        }
                    } else if (e.node.dash && e.node.kind == Kind.BASE_URL) {
                        e.node.contentStart = i; // <BaseURL/>: empty
                        e.node.contentEnd = i;
                        e.node.content = "";
                    }
                }
            }
            return open == null && root ? Outcome.REWRITTEN : Outcome.UNCHANGED_MALFORMED;
        }

        private static void markup(Node open) {
            if (open != null && open.contentStart >= 0) {
                open.contentMarkup = true; // a BaseURL/Location with children, CDATA or comments: left as is
            }
        }

        private boolean skipPast(String end) {
            int at = s.indexOf(end, i + 2);
            if (at < 0) {
                return false;
            }
            i = at + end.length();
            return true;
        }

        private record Started(Node node, boolean selfClosing) {
        }

        private Started startTag(Node parent) {
            int n = s.length();
            int tagStart = i;
            int p = i + 1;
            int nameStart = p;
            while (p < n && !isSpace(s.charAt(p)) && s.charAt(p) != '>' && s.charAt(p) != '/') {
                p++;
            }
            if (p == nameStart || p >= n) {
                return null;
            }
            Node node = new Node(parent, s.substring(nameStart, p));
            List<String> attrNames = null;
            List<Attr> attrs = null;
            boolean selfClosing = false;
            while (true) {
                while (p < n && isSpace(s.charAt(p))) {
                    p++;
                }
                if (p >= n) {
                    return null;
                }
                char c = s.charAt(p);
                if (c == '>') {
                    p++;
                    break;
                }
                if (c == '/') {
                    if (p + 1 < n && s.charAt(p + 1) == '>') {
                        selfClosing = true;
                        p += 2;
                        break;
                    }
                    return null;
                }
                int an = p;
                while (p < n && !isSpace(s.charAt(p)) && s.charAt(p) != '=' && s.charAt(p) != '>' && s.charAt(p) != '/') {
                    p++;
                }
                int nameEnd = p;
                while (p < n && isSpace(s.charAt(p))) {
                    p++;
                }
                if (nameEnd == an || p >= n || s.charAt(p) != '=') {
                    return null;
                }
                p++;
                while (p < n && isSpace(s.charAt(p))) {
                    p++;
                }
                if (p >= n || (s.charAt(p) != '"' && s.charAt(p) != '\'')) {
                    return null;
                }
                char q = s.charAt(p);
                int vs = p + 1;
                int ve = s.indexOf(q, vs);
                if (ve < 0) {
                    return null;
                }
                int lt = s.indexOf('<', vs);
                if (lt >= 0 && lt < ve) {
                    return null;
                }
                p = ve + 1;
                if (!relevant(an, nameEnd)) {
                    continue; // copied as it is; no strings made for it
                }
                String name = s.substring(an, nameEnd);
                String raw = s.substring(vs, ve);
                if (name.equals("xmlns") || name.startsWith("xmlns:")) {
                    if (node.ns == null) {
                        node.ns = new HashMap<>(4);
                    }
                    String v = decode(raw);
                    node.ns.put(name.length() == 5 ? "" : name.substring(6), v == null ? raw : v);
                } else {
                    if (attrNames == null) {
                        attrNames = new ArrayList<>(6);
                        attrs = new ArrayList<>(6);
                    }
                    attrNames.add(name);
                    attrs.add(new Attr(vs, ve, q, raw));
                }
            }
            i = p;
            // the DASH namespace only: an element named BaseURL (or SegmentTemplate...) in another
            // one, or in none, is never given the credential
            node.dash = DASH_NS.equals(node.namespace(node.prefix));
            if (node.dash) {
                node.kind = Kind.of(node.local());
            } else {
                node.foreignKind = Kind.of(node.local());
            }
            node.foreignAncestry = parent != null && (parent.foreignAncestry || parent.foreignKind.level);
            if (attrs != null) {
                for (int k = 0; k < attrs.size(); k++) {
                    String name = attrNames.get(k);
                    Attr a = attrs.get(k);
                    int colon = name.indexOf(':');
                    if (colon > 0) {
                        if (name.endsWith(":href") && XLINK_NS.equals(node.namespace(name.substring(0, colon)))) {
                            node.xlinkHref = a;
                        }
                        continue; // other namespaced attributes: not URLs we know
                    }
                    if (!node.dash) {
                        continue;
                    }
                    if (node.kind.isUrlAttribute(name)) {
                        if (node.urls.isEmpty()) {
                            node.urls = new ArrayList<>(4);
                        }
                        node.urls.add(a);
                    } else if (node.kind == Kind.MPD && name.equals("type")) {
                        node.dynamic = "dynamic".equals(a.raw().trim());
                    } else if (node.kind == Kind.UTC_TIMING && name.equals("schemeIdUri")) {
                        node.scheme = a.raw();
                    }
                }
            }
            link(node, parent);
            if (parent != null && parent.dash && parent.kind == Kind.MPD && parent.locationAt < 0 && !(node.dash
                    && (node.kind == Kind.PROGRAM_INFORMATION || node.kind == Kind.BASE_URL
                    || node.kind == Kind.LOCATION))) {
                parent.locationAt = tagStart;
            }
            return new Started(node, selfClosing);
        }

        private static final String[] RELEVANT = {"media", "initialization", "index", "bitstreamSwitching",
            "sourceURL", "value", "type", "schemeIdUri"};

        /** An attribute name the rewrite reads: a URL, a namespace declaration, MPD@type, a scheme. */
        private boolean relevant(int from, int to) {
            int len = to - from;
            if (s.startsWith("xmlns", from) || (len > 5 && s.startsWith(":href", to - 5))) {
                return true;
            }
            for (String r : RELEVANT) {
                if (r.length() == len && s.startsWith(r, from)) {
                    return true;
                }
            }
            return false;
        }

        private void link(Node node, Node parent) {
            nodes.add(node);
            if (!node.dash && node.foreignKind == Kind.BASE_URL && parent != null && parent.dash && parent.kind.level) {
                // a BaseURL of another namespace on a level: a strict player ignores it, one matching
                // names only takes it as an alternative base; counted as a base not known to be ours
                if (parent.baseUrls.isEmpty()) {
                    parent.baseUrls = new ArrayList<>(2);
                }
                parent.baseUrls.add(node);
                return;
            }
            if (!node.dash || parent == null) {
                return;
            }
            if (node.kind == Kind.BASE_URL && parent.dash && parent.kind.level) {
                if (parent.baseUrls.isEmpty()) {
                    parent.baseUrls = new ArrayList<>(2);
                }
                parent.baseUrls.add(node);
            } else if (node.kind == Kind.LOCATION && parent.dash && parent.kind == Kind.MPD) {
                parent.hasLocation = true;
            } else if (node.kind == Kind.REPRESENTATION) {
                for (Node p = parent; p != null; p = p.parent) {
                    if (p.dash && p.kind.level) {
                        if (p.representations.isEmpty()) {
                            p.representations = new ArrayList<>(4);
                        }
                        p.representations.add(node);
                    }
                }
            }
        }
    }
}
