#!/usr/bin/python3
"""The command line (python3 -m gstmembound): what each command writes, its
exit status, the progress bar only on a terminal, one-line errors."""
import os
import pty
import re
import subprocess
import sys
import tempfile
import unittest

import gstmembound
import numpy
import pngfiles


def cli(*args, stderr=subprocess.PIPE):
    return subprocess.run([sys.executable, "-m", "gstmembound", *args], stdout=subprocess.PIPE,
                          stderr=stderr, text=True, timeout=120)


def cli_on_terminal(*args):
    """Runs the command line with stderr on a pseudo-terminal, read while it
    runs (a full terminal buffer would block the command); (status, what the
    terminal received, with its CR LF turned back into LF)."""
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen([sys.executable, "-m", "gstmembound", *args],
                                 stdout=subprocess.DEVNULL, stderr=follower)
    finally:
        os.close(follower)
    shown = b""
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:   # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        status = child.wait(timeout=120)
    return status, shown.decode().replace("\r\n", "\n")


class CommandLine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        cls.tmp = cls._tmp.name
        cls.src = pngfiles.mkpng(os.path.join(cls.tmp, "src.png"), 300, 200)
        cls.reference = pngfiles.decode(cls.src)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def out(self, name):
        return os.path.join(self.tmp, name)

    def assert_summary_only(self, stderr):
        """Off a terminal: no bar, one closing line with time, RSS and rate."""
        self.assertNotIn("\r", stderr)
        self.assertRegex(stderr, r"^[0-9.]+ s, peak RSS [0-9.]+ MiB, [0-9.]+ Mpx/s\n$")

    def test_info_prints_the_header_and_exits_zero(self):
        result = cli("info", self.src)
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, f"{self.src}: 300x200, 3 channels (RGB), uint8\n")

    def test_region_writes_the_rectangle(self):
        result = cli("region", self.src, self.out("r.png"), "290", "190", "10", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_summary_only(result.stderr)
        numpy.testing.assert_array_equal(pngfiles.decode(self.out("r.png")),
                                         self.reference[190:200, 290:300])

    def test_thumbnail_writes_tilescale_pixels(self):
        result = cli("thumbnail", self.src, self.out("t.png"), "--width", "30")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_summary_only(result.stderr)
        numpy.testing.assert_array_equal(pngfiles.decode(self.out("t.png")),
                                         gstmembound.open(self.src).thumbnail(width=30))

    def test_convert_keeps_every_pixel(self):
        result = cli("convert", self.src, self.out("c.png"), "--compression-level", "1",
                     "--threads", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        numpy.testing.assert_array_equal(pngfiles.decode(self.out("c.png")), self.reference)

    def test_missing_file_is_one_line_and_status_one(self):
        missing = self.out("missing.png")
        for args in (["info", missing], ["convert", missing, self.out("x.png")],
                     ["thumbnail", missing, self.out("x.png"), "--width", "5"],
                     ["region", missing, self.out("x.png"), "0", "0", "1", "1"]):
            with self.subTest(command=args[0]):
                result = cli(*args)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stderr.count("\n"), 1)
                self.assertIn(missing, result.stderr)
                self.assertFalse(os.path.exists(self.out("x.png")))

    def test_corrupt_file_is_one_line_and_status_one(self):
        with open(self.src, "rb") as f:
            data = f.read()
        bad = self.out("bad.png")
        with open(bad, "wb") as f:
            f.write(data[:len(data) // 2])
        result = cli("convert", bad, self.out("y.png"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.count("\n"), 1)
        self.assertIn(bad, result.stderr)
        self.assertFalse(os.path.exists(self.out("y.png")))

    def test_region_outside_is_status_one(self):
        result = cli("region", self.src, self.out("z.png"), "295", "0", "10", "10")
        self.assertEqual(result.returncode, 1)
        self.assertIn("not inside", result.stderr)

    def test_usage_errors_are_status_two(self):
        self.assertEqual(cli().returncode, 2)
        self.assertEqual(cli("info").returncode, 2)

    def test_progress_bar_on_a_terminal(self):
        tall = pngfiles.mkpng(self.out("tall.png"), 200, 3000)
        leader, follower = pty.openpty()
        try:
            result = cli("convert", tall, self.out("p.png"), stderr=follower)
            os.close(follower)
            follower = None
            shown = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            if follower is not None:
                os.close(follower)
            os.close(leader)
        self.assertEqual(result.returncode, 0)
        text = shown.decode()
        self.assertIn("\r[", text)
        self.assertRegex(text, r"Mpx/s +[0-9]+:[0-9]{2} left")
        self.assertRegex(text, r"[0-9.]+ s, peak RSS [0-9.]+ MiB, [0-9.]+ Mpx/s")

    def test_progress_bar_on_a_terminal_for_thumbnail_and_region(self):
        tall = pngfiles.mkpng(self.out("tall2.png"), 200, 3000)
        for args in (["thumbnail", tall, self.out("pt.png"), "--width", "20"],
                     ["region", tall, self.out("pr.png"), "10", "2000", "50", "50"]):
            with self.subTest(command=args[0]):
                status, text = cli_on_terminal(*args)
                self.assertEqual(status, 0, text)
                self.assertRegex(text, r"\r\[[#.]{30}\] +[0-9.]+% +[0-9.]+ Mpx/s +[0-9]+:[0-9]{2} left")
                # the bar is blanked, then the summary is the one line printed
                self.assertEqual(text.count("\n"), 1)
                self.assertRegex(text.split("\r")[-1],
                                 r"^[0-9.]+ s, peak RSS [0-9.]+ MiB, [0-9.]+ Mpx/s\n$")

    def test_error_on_a_terminal_is_one_line_after_the_bar(self):
        tall = pngfiles.mkpng(self.out("tall3.png"), 300, 3000)
        with open(tall, "rb") as f:
            data = f.read()
        bad = self.out("late.png")
        with open(bad, "wb") as f:
            f.write(data[:len(data) * 3 // 4])
        status, text = cli_on_terminal("convert", bad, self.out("e.png"))
        self.assertEqual(status, 1)
        self.assertEqual(text.count("\n"), 1)
        self.assertRegex(text.split("\r")[-1], "^gst-membound: " + re.escape(bad) + ": .+\n$")
        self.assertFalse(os.path.exists(self.out("e.png")))

    def test_unwritable_output_is_one_line_naming_it_and_status_one(self):
        out = self.out("no/such/dir/out.png")
        for args in (["thumbnail", self.src, out, "--width", "5"],
                     ["region", self.src, out, "0", "0", "4", "4"],
                     ["convert", self.src, out]):
            with self.subTest(command=args[0]):
                result = cli(*args)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
                self.assertIn(out, result.stderr)

    def test_not_a_png_is_one_line_and_status_one(self):
        text = self.out("text.png")
        with open(text, "w") as f:
            f.write("hello\n")
        result = cli("info", text)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, f"gst-membound: {text}: not a PNG file (no PNG signature)\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
