"""Unit tests of experiments/real_faults' outcome measures and its same-outcome claims, on made-up
runs (no processes). Usage: /usr/bin/python3 real_faults_test.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "experiments", "real_faults.d"))
import agreement  # noqa: E402
from outcome import leader_metrics, write_metrics  # noqa: E402


class LeaderMetrics(unittest.TestCase):
    def test_a_new_term_is_a_change_and_a_gap_is_time_without_a_leader(self):
        spans = [(0.1, 2, 1), (2.1, None, 0), (2.3, 3, 2), (4.0, 3, 3)]
        changes, without = leader_metrics(spans, 6.0)
        self.assertEqual(changes, [(2.3, 3, 2), (4.0, 3, 3)])
        self.assertAlmostEqual(without, 0.2)

    def test_the_same_claim_after_a_gap_is_no_election(self):
        changes, without = leader_metrics([(0.1, 2, 1), (1.0, None, 0), (1.1, 2, 1)], 3.0)
        self.assertEqual(changes, [])
        self.assertAlmostEqual(without, 0.1)

    def test_time_before_the_first_leader_and_after_the_end_does_not_count(self):
        changes, without = leader_metrics([(0.0, None, 0), (0.5, 1, 1), (5.0, None, 0)], 4.0)
        self.assertEqual((changes, without), ([], 0.0))


class WriteMetrics(unittest.TestCase):
    def test_latency_gap_and_counts(self):
        writes = [(0.0, 0.01, 1, "OK"), (0.1, 0.12, 2, "NOOP"), (0.2, 1.2, 3, "no-quorum"),
                  (0.3, None, 1, "unanswered"), (0.5, 0.6, 1, "OK")]
        m = write_metrics(writes, 1.0)
        self.assertAlmostEqual(m["max"], 0.1)
        self.assertAlmostEqual(m["longest_gap"], 0.48)  # 0.12 -> 0.6
        self.assertEqual(m["counts"], {"OK": 2, "NOOP": 1, "no-quorum": 1, "unanswered": 1})


class Claims(unittest.TestCase):
    ISOLATED = [(2.0, 2, 2.0)]  # n2 cut off from 2 s to 4 s

    def test_failover_must_be_another_node_within_the_bound(self):
        self.assertTrue(agreement.failover_within(self.ISOLATED, [(0.1, 2, 1), (2.5, 3, 2)], 1.2))
        self.assertFalse(agreement.failover_within(self.ISOLATED, [(0.1, 2, 1), (3.5, 3, 2)], 1.2))
        self.assertFalse(agreement.failover_within(self.ISOLATED, [(0.1, 2, 1), (2.1, 2, 2)], 1.2))
        self.assertFalse(agreement.failover_within([], [(0.1, 2, 1)], 1.2))

    def test_an_ack_from_the_isolated_node_counts_only_while_it_is_cut_off(self):
        self.assertFalse(agreement.no_ack_while_cut(self.ISOLATED, [(2.5, 2.9, 2, "OK")]))
        self.assertTrue(agreement.no_ack_while_cut(self.ISOLATED, [(2.5, 4.1, 2, "OK")]))
        self.assertTrue(agreement.no_ack_while_cut(self.ISOLATED, [(2.5, 2.9, 1, "OK")]))
        self.assertTrue(agreement.no_ack_while_cut(self.ISOLATED, [(2.5, 3.5, 2, "no-quorum")]))

    def test_every_query_in_the_whole_seconds_of_the_isolation(self):
        full = {s: [(7, 7)] * 3 for s in range(6)}
        self.assertTrue(agreement.answered_all(self.ISOLATED, full))
        self.assertFalse(agreement.answered_all(self.ISOLATED, {**full, 3: [(7, 7), (7, 6),
                                                                            (7, 7)]}))
        self.assertFalse(agreement.answered_all(self.ISOLATED, {**full, 2: [(7, 7), (0, 0),
                                                                            (7, 7)]}))
        # Second 4 is not inside [2, 4): a miss there is after the heal.
        self.assertTrue(agreement.answered_all(self.ISOLATED, {**full, 4: [(7, 7), (7, 0),
                                                                           (7, 7)]}))


if __name__ == "__main__":
    unittest.main()
