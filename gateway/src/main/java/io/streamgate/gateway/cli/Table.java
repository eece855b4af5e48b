package io.streamgate.gateway.cli;

import java.util.List;

/** A plain-text table: columns padded to their widest cell, two spaces apart, text from elsewhere {@link #clean}ed. */
final class Table {
    private Table() {
    }

    /**
     * Text that came from the network or a file, made safe for a terminal: control characters
     * (escape sequences start with one), Unicode format characters (bidi overrides that reorder
     * what is shown) and line or paragraph separators each shown as {@code ?}.
     */
    static String clean(String s) {
        if (s == null) {
            return null;
        }
        return s.codePoints().map(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                        || Character.getType(c) == Character.LINE_SEPARATOR
                        || Character.getType(c) == Character.PARAGRAPH_SEPARATOR ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    static void print(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = clean(row[i]);
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                if (i < row.length - 1) {
                    line.append(" ".repeat(width[i] - row[i].length() + 2));
                }
            }
            System.out.println(line.toString().stripTrailing());
        }
    }
}
