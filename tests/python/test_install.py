#!/usr/bin/python3
"""`meson install` puts the package into a site-packages directory that the
system Python searches, and the gst-membound command into bindir, and both
work from there; `meson devenv` imports the package from the source tree."""
import glob
import os
import subprocess
import sys
import tempfile
import unittest

import pngfiles

BUILD = os.environ["MEMBOUND_BUILD_ROOT"]
PACKAGE_SOURCE = os.environ["MEMBOUND_PACKAGE_SOURCE"]
MESON = os.environ["MEMBOUND_MESON"]


def clean_env(**extra):
    """The environment without the build tree's Python settings, so that
    what is imported is what the test points at."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "GI_TYPELIB_PATH", "LD_LIBRARY_PATH")}
    env.update(extra)
    return env


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        cls.root = os.path.join(cls._tmp.name, "root")
        subprocess.run([MESON, "install", "-C", BUILD, "--no-rebuild", "--destdir", cls.root],
                       check=True, capture_output=True, timeout=300)
        cls.png = pngfiles.mkpng(os.path.join(cls._tmp.name, "small.png"), 70, 30)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def installed(self, pattern):
        """The one installed path matching `pattern`, without the destdir."""
        found = glob.glob(os.path.join(self.root, pattern.lstrip("/")), recursive=True)
        self.assertEqual(len(found), 1, f"{pattern}: {found}")
        return found[0][len(self.root):]

    def installed_env(self):
        """What a real install gives without any variable: the plugins in
        GStreamer's directory, the typelib and library under the prefix."""
        def where(pattern):
            return self.root + os.path.dirname(self.installed(pattern))
        return clean_env(
            PYTHONPATH=where("**/gstmembound/__init__.py").rsplit("/", 1)[0],
            GI_TYPELIB_PATH=where("**/GstMembound-1.0.typelib"),
            LD_LIBRARY_PATH=where("**/libgstmembound-1.0.so"),
            GST_PLUGIN_PATH=where("**/libgstpngtile.so"))

    def test_package_goes_into_a_site_directory_of_the_system_python(self):
        package = os.path.dirname(self.installed("**/gstmembound/__init__.py"))
        site = os.path.dirname(package)
        self.assertRegex(site, r"/(dist|site)-packages$")
        searched = subprocess.run([sys.executable, "-c", "import sys; print('\\n'.join(sys.path))"],
                                  check=True, capture_output=True, text=True,
                                  env=clean_env()).stdout.split("\n")
        self.assertIn(site, searched)
        installed = {os.path.basename(p) for p in glob.glob(self.root + package + "/*.py")}
        shipped = {os.path.basename(p) for p in glob.glob(PACKAGE_SOURCE + "/gstmembound/*.py")}
        self.assertEqual(installed, shipped | {"_installed.py"})

    def test_installed_package_knows_where_its_typelib_went(self):
        typelib_dir = os.path.dirname(self.installed("**/GstMembound-1.0.typelib"))
        library_dir = os.path.dirname(self.installed("**/libgstmembound-1.0.so"))
        settings = {}
        with open(self.root + self.installed("**/gstmembound/_installed.py")) as f:
            exec(f.read(), settings)
        self.assertEqual((settings["TYPELIB_DIR"], settings["LIB_DIR"]), (typelib_dir, library_dir))

    def test_installed_command_runs_the_installed_package(self):
        script = self.root + self.installed("**/bin/gst-membound")
        self.assertTrue(os.access(script, os.X_OK))
        with open(script) as f:
            self.assertEqual(f.readline(), f"#!{sys.executable}\n")
        result = subprocess.run([script, "info", self.png], capture_output=True, text=True,
                                env=self.installed_env(), timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, f"{self.png}: 70x30, 3 channels (RGB), uint8\n")
        where = subprocess.run([sys.executable, "-c", "import gstmembound; print(gstmembound.__file__)"],
                               capture_output=True, text=True, env=self.installed_env(),
                               check=True, timeout=60).stdout.strip()
        self.assertTrue(where.startswith(self.root), where)

    def test_devenv_imports_the_package_from_the_source_tree(self):
        code = ("import gstmembound; print(gstmembound.__file__); "
                "print(gstmembound.open(%r).width)" % self.png)
        result = subprocess.run([MESON, "devenv", "-C", BUILD, sys.executable, "-c", code],
                                capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split("\n")[:2],
                         [os.path.join(PACKAGE_SOURCE, "gstmembound", "__init__.py"), "70"])

    def test_devenv_python3_and_command_are_the_builds(self):
        # a python3 without gi first on PATH (as pyenv's or a venv's can be)
        # must not be what `meson devenv ... python3` runs
        with tempfile.TemporaryDirectory() as bindir:
            fake = os.path.join(bindir, "python3")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\necho not the build's python >&2\nexit 3\n")
            os.chmod(fake, 0o755)
            env = clean_env(PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
            result = subprocess.run(
                [MESON, "devenv", "-C", BUILD, "python3", "-c",
                 "import gstmembound; print(gstmembound.open(%r).width)" % self.png],
                capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.strip(), "70")
            result = subprocess.run([MESON, "devenv", "-C", BUILD, "gst-membound", "info", self.png],
                                    capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("70x", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
