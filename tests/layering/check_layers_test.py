#!/usr/bin/env python3
"""Tests of scripts/check_layers.py on small source trees of its own."""

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

CHECKER = Path(__file__).resolve().parents[2] / "scripts" / "check_layers.py"

ARCHITECTURE = """# layers

<!-- layer order -->
```text
top/              the top
mid/ peer/        two peers
mid/inner/        below mid
bottom/           the bottom
```
"""


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)
        (self.root / "docs").mkdir()
        (self.root / "docs" / "ARCHITECTURE.md").write_text(ARCHITECTURE)

    def tearDown(self):
        self.dir.cleanup()

    def write(self, relative, text):
        path = self.root / "src" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def run_checker(self):
        done = subprocess.run([sys.executable, str(CHECKER), str(self.root)],
                              capture_output=True, text=True)
        return done.returncode, done.stdout

    def test_downward_and_peer_includes_pass(self):
        self.write("bottom/b.h", "#pragma once\n")
        self.write("mid/inner/i.h", '#include "bottom/b.h"\n')
        self.write("peer/p.h", '#include "mid/m.h"\n')
        self.write("mid/m.h", '#include "peer/p.h"\n#include "mid/inner/i.h"\n#include <vector>\n')
        self.write("top/t.cc", '#include "mid/m.h"\n#include "bottom/b.h"\n#include "gtest/x.h"\n')
        code, out = self.run_checker()
        self.assertEqual(code, 0, out)
        self.assertIn("respects the 4 layers", out)

    def test_upward_include_is_reported_with_file_and_line(self):
        self.write("top/t.h", "#pragma once\n")
        self.write("mid/inner/i.h", '#include "mid/m.h"\n')
        self.write("mid/m.h", "#pragma once\n")
        self.write("bottom/testing/fake.h", '// helper\n#include "top/t.h"\n')
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        lines = out.splitlines()
        self.assertIn(f"{self.root / 'src/bottom/testing/fake.h'}:2: bottom/ includes top/t.h, "
                      "a header of the higher layer top/", lines)
        self.assertIn(f"{self.root / 'src/mid/inner/i.h'}:1: mid/inner/ includes mid/m.h, "
                      "a header of the higher layer mid/", lines)
        self.assertIn("2 layering problem(s)", out)

    def test_folder_outside_every_layer_is_reported(self):
        self.write("stray/s.cc", "int x;\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        self.assertIn("src/stray/ is in no layer", out)

    def test_libraries_declared_in_pieces_are_reported(self):
        self.write("bottom/CMakeLists.txt",
                   "reco_cc_library(NAME bottom SRCS b.cc DEPS reco_core)\n"
                   "target_link_libraries(reco_bottom PUBLIC Threads::Threads)\n")
        self.write("mid/CMakeLists.txt",
                   "reco_cc_library(NAME mid SRCS m.cc)\n"
                   "target_sources(reco_bottom PRIVATE extra.cc)\n"
                   "target_link_libraries(reco_top PUBLIC reco_mid)\n"
                   "if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/m.cc)\nendif()\n")
        code, out = self.run_checker()
        self.assertEqual(code, 1, out)
        mid = self.root / "src/mid/CMakeLists.txt"
        self.assertIn(f"{mid}:2: target_sources", out)
        self.assertIn(f"{mid}:3: target_link_libraries on reco_top, which this file does not "
                      "create", out)
        self.assertIn(f"{mid}:4: a target must not depend on whether a source file exists", out)
        self.assertNotIn("src/bottom/CMakeLists.txt", out)
        self.assertIn("3 layering problem(s)", out)

    def test_missing_layer_block_is_an_error(self):
        (self.root / "docs" / "ARCHITECTURE.md").write_text("# no block\n")
        code, out = self.run_checker()
        self.assertNotEqual(code, 0)


if __name__ == "__main__":
    unittest.main()
