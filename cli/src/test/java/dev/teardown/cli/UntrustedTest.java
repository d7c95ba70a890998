package dev.teardown.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Command lines are any bytes a local user chose: the text is printable, the JSON valid, whatever they hold. */
class UntrustedTest {
    private static String escape(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return Untrusted.escape(b, b.length);
    }

    @Test
    void controlsEscapesAndInvalidUtf8AreShownAsBytes() {
        assertEquals("python3 worker.py", Untrusted.escape("python3 worker.py"));
        assertEquals("\\x1b[31mred\\x07", Untrusted.escape("\u001b[31mred\u0007"));
        assertEquals("café", escape('c', 'a', 'f', 0xc3, 0xa9));
        assertEquals("caf\\xff", escape('c', 'a', 'f', 0xff));
        assertEquals("\\xc3", escape(0xc3), "truncated sequence");
        assertEquals("\\xc0\\xaf", escape(0xc0, 0xaf), "overlong /");
        assertEquals("\\xed\\xa0\\x80", escape(0xed, 0xa0, 0x80), "a surrogate is not UTF-8");
        assertEquals("\\xc2\\x9b31m", escape(0xc2, 0x9b, '3', '1', 'm'), "C1 CSI");
        assertEquals("\\xe2\\x80\\xaeevil", Untrusted.escape("\u202eevil"), "bidi override");
        assertEquals("a\\\\x1b", Untrusted.escape("a\\x1b"), "a literal backslash cannot forge an escape");
        assertEquals("😀", Untrusted.escape("😀"));
    }

    @Test
    void randomBytesGivePrintableTextAndJsonThatPythonParses() throws Exception {
        Needs.tools("python3");
        Random random = new Random(12);
        Json j = new Json().begin().array("commands");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            String s = Untrusted.escape(b, b.length);
            s.codePoints().forEach(cp -> assertTrue(Untrusted.printable(cp), Integer.toHexString(cp) + " in " + s));
            j.value(s);
            expected.append(s).append('\n');
        }
        j.value("\u0000\u001b\"\\\ud800"); // the writer's own escaping: controls, quote, backslash, a lone surrogate
        j.endArray();
        String doc = j.end().toString();
        ProcessBuilder pb = new ProcessBuilder("python3", "-c", "import json,sys\n"
                + "d=json.loads(sys.stdin.buffer.read().decode('utf-8'))\n"
                + "sys.stdout.buffer.write(''.join(c + '\\n' for c in d['commands'][:-1]).encode('utf-8'))\n"
                + "assert d['commands'][-1] == '\\x00\\x1b\"\\\\\\ufffd', repr(d['commands'][-1])\n");
        Process p = pb.start();
        p.getOutputStream().write(doc.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String back = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertEquals(List.of(expected.toString().split("\n", -1)), List.of(back.split("\n", -1)));
    }
}
