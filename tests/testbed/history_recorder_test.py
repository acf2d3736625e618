"""Unit tests of raftdns.history's reading of console lines and replies (no processes): what a
real write's change and outcome become in the history that build/history-check judges.
Usage: /usr/bin/python3 history_recorder_test.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.history import parse_change, verdict, write_outcome  # noqa: E402


class Changes(unittest.TestCase):
    def test_owner_is_lowercase_and_absolute_and_rdata_as_a_client_prints_it(self):
        self.assertEqual(parse_change("ADD: WWW.Example.com A 192.0.2.7"),
                         {"kind": "add", "name": "www.example.com.", "type": "A",
                          "data": "192.0.2.7"})
        self.assertEqual(parse_change("REMOVE: example.com. 300 IN MX 10 Mail.Example.com.")
                         ["data"], "10 Mail.Example.com.")
        self.assertEqual(parse_change("REMOVE: x.example.com AAAA 2001:DB8::1")["kind"], "remove")

    def test_a_line_the_recorder_cannot_read_is_refused_naming_it(self):
        for line in ("STATUS", "ADD: x.example.com A", "ADD: x.example.com A 300.1.1.1",
                     'ADD: example.com MX ["mail.example.com", 10]'):
            with self.assertRaisesRegex(ValueError, "history: .*" + line[:5]):
                parse_change(line)


class Outcomes(unittest.TestCase):
    def test_acknowledged_replies_carry_their_index(self):
        self.assertEqual(write_outcome("OK index=14"), ("ok", 14))
        self.assertEqual(write_outcome("NOOP already present index=9"), ("noop", 9))

    def test_refusals_before_proposal_fail_and_everything_else_is_unknown(self):
        self.assertEqual(write_outcome("ERROR line 1: unknown type"), ("fail", 0))
        self.assertEqual(write_outcome("ERROR invalid record: x: only class IN is served"),
                         ("fail", 0))
        self.assertEqual(write_outcome("ERROR this node is removed: write not accepted; send it "
                                       "to another node"), ("fail", 0))
        for reply in ("ERROR no quorum: not committed within 1000 ms (leader: none)",
                      "ERROR disk fault on this node (ENOSPC): not committed within 1000 ms",
                      "ERROR node stopping: not committed", "OK", None):
            self.assertEqual(write_outcome(reply), ("unknown", 0), reply)

    def test_the_verdict_is_the_last_summary_line(self):
        self.assertEqual(verdict("PASS x\n12 passed, 0 failed\n"), "12 passed, 0 failed")
        self.assertEqual(verdict("history-check: cannot open f\n"), "")


if __name__ == "__main__":
    unittest.main()
