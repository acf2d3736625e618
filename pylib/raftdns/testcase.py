"""A unittest base for end-to-end tests that run a cluster in a temporary directory."""

import os
import shutil
import sys
import tempfile
import unittest


class ClusterDirTestCase(unittest.TestCase):
    """Each test gets its own temp dir (self.workdir) and may set self.cluster; the cluster is
    closed after the test, its logs printed and its files kept when the test fails (or when
    E2E_KEEP is set), the directory removed otherwise. `prefix` names the temp dirs."""

    prefix = "e2e"

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix=f"{self.prefix}-{self._testMethodName}-")
        self.cluster = None

    def run(self, result=None):
        result = result or self.defaultTestResult()
        problems = len(result.errors) + len(result.failures)
        super().run(result)
        if len(result.errors) + len(result.failures) > problems and self.cluster is not None:
            print(f"\n{self.id()} failed; files kept in {self.workdir}\n{self.cluster.logs()}",
                  file=sys.stderr)
        elif os.environ.get("E2E_KEEP"):
            print(f"\n{self.id()}: files kept in {self.workdir} (E2E_KEEP)", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return result

    def tearDown(self):
        if self.cluster is not None:
            self.cluster.close()


def run_tests(module_name, names):
    """Runs the named tests of a test script's module (every test when `names` is empty),
    verbosely, and returns the unittest result: the shared part of the e2e scripts' main()."""
    loader = unittest.defaultTestLoader
    module = sys.modules[module_name]
    suite = loader.loadTestsFromNames(names, module) if names else \
        loader.loadTestsFromModule(module)
    return unittest.TextTestRunner(verbosity=2).run(suite)
