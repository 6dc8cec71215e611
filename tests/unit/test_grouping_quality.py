"""Quality gate for engine.jobs.grouping: pairwise precision and recall on the labelled pairs
(tests/data/grouping_pairs.jsonl plus the generated variants in grouping_cases.py)."""

from __future__ import annotations

from engine.jobs.grouping import fingerprint, same_job
from tests.unit.grouping_cases import Case, all_cases, generated, hand_written


def _score(cases: list[Case]) -> tuple[float, float, list[str]]:
    true_pos = false_pos = false_neg = 0
    wrong: list[str] = []
    for i, case in enumerate(cases):
        same, reason = same_job(fingerprint(2 * i, case.a), fingerprint(2 * i + 1, case.b))
        if same and case.same:
            true_pos += 1
        elif same:
            false_pos += 1
            wrong.append(f"false positive {case.name}: {reason}")
        elif case.same:
            false_neg += 1
            wrong.append(f"false negative {case.name}: {reason}")
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0
    return precision, recall, wrong


def test_labelled_set_is_big_and_balanced() -> None:
    cases = all_cases()
    assert len(cases) >= 150
    assert len(hand_written()) >= 60
    positives = sum(case.same for case in cases)
    assert 0.3 < positives / len(cases) < 0.7


def test_pairwise_precision_and_recall() -> None:
    cases = all_cases()
    precision, recall, wrong = _score(cases)
    hand_p, hand_r, _ = _score(hand_written())
    gen_p, gen_r, _ = _score(generated())
    print(
        f"\ngrouping on {len(cases)} labelled pairs: precision {precision:.3f} recall {recall:.3f}"
        f" (hand-written {hand_p:.3f}/{hand_r:.3f}, generated {gen_p:.3f}/{gen_r:.3f})"
    )
    for line in wrong:
        print("  " + line)
    assert precision >= 0.98, wrong
    assert recall >= 0.95, wrong
