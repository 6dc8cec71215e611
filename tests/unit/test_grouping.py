"""engine.jobs.grouping: normalizers, sketch, identifiers, each layer of same_job, and
assign_groups over a batch and stored candidates."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.jobs.grouping import (
    AGENCY_COPY,
    assign_groups,
    body_hash,
    estimated_jaccard,
    fingerprint,
    normalize_body,
    normalize_company,
    normalize_title,
    same_job,
    sketch,
)
from engine.jobs.grouping.identifiers import apply_ids
from engine.jobs.grouping.sketch import MIN_BODY_WORDS, SHINGLE_WORDS, SKETCH_SIZE, sketch_words
from engine.jobs.record import JobRecord
from tests.unit.grouping_cases import Case, Posting, hand_written, posting, replace

# --- normalizers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Acme GmbH",
        "ACME",
        "acme",
        "Acme GmbH & Co. KG",
        "Acme Inc.",
        "Acme, Inc.",
        "Acme Ltd",
        "Acme Limited",
        "Acme S.A.",
        "Acme SAS",
        "Acme Co., Ltd.",
        "Acme e.K.",
        "Acme UG (haftungsbeschränkt)",
        "Acme Pty Ltd",
        "Acme Holdings Pty Ltd",
        "The Acme Group",
        "Acme 4.1 ★",
        "  Acme  AG ",
    ],
)
def test_company_forms_fold_to_one_name(name: str) -> None:
    assert normalize_company(name) == "acme"


def test_company_keeps_what_names_the_employer() -> None:
    assert normalize_company("Acme Analytics GmbH") == "acme analytics"
    assert normalize_company("Müller & Söhne GmbH") == "muller and sohne"
    assert normalize_company("Group") == "group"  # never folded to nothing
    assert normalize_company(None) == normalize_company("") == ""


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Sr. Python Developer", "senior python developer"),
        ("Senior Python Developer (m/w/d)", "senior python developer"),
        ("Senior Python Dev - Berlin", "senior python developer"),
        ("Senior Python Developer - Remote", "senior python developer"),
        ("Senior Python Developer | Berlin, Germany", "senior python developer"),
        ("Senior Python Developer (Remote)", "senior python developer"),
        ("Senior Python Developer, Full-time", "senior python developer"),
        ("Senior Python Developer in Berlin", "senior python developer"),
        ("Jr. Python Eng (f/m/x)", "junior python engineer"),
        ("Senior Backend-Entwickler*in", "senior backend entwickler"),
        ("Sr. Front End Eng", "senior frontend engineer"),
        ("Senior .NET Developer", "senior dotnet developer"),
        ("Backend Developer (Python)", "backend developer python"),
        ("Software Engineer II", "software engineer ii"),
        ("Lead Python Developer", "lead python developer"),
    ],
)
def test_title_spellings(title: str, expected: str) -> None:
    assert normalize_title(title, "Berlin", "BE") == expected


def test_title_keeps_levels_apart() -> None:
    titles = ["Senior", "Junior", "Lead", "Staff", "Principal", "Intern", ""]
    normalized = {normalize_title(f"{level} Python Developer".strip()) for level in titles}
    assert len(normalized) == len(titles)


def test_title_keeps_a_tail_that_is_not_a_place() -> None:
    assert normalize_title("Engineer - Payments", "Berlin") == "engineer payments"
    assert normalize_title("Remote", "Berlin") == "remote"


def test_body_markup_and_case_do_not_matter() -> None:
    html = "<p><strong>About Acme</strong></p><ul><li>Build &amp; run  services</li></ul>"
    markdown = "**About Acme**\n\n* Build \\& run [services](https://acme.example/s)"
    plain = "ABOUT ACME\r\n\r\n  - build & run services  "
    assert normalize_body(html) == normalize_body(markdown) == normalize_body(plain)
    assert normalize_body(html) == "about acme build run services"


def test_body_board_footer_goes() -> None:
    text = "We build things. Show more Show less"
    footer = (
        " If you require alternative methods of application or screening, you must approach "
        "the employer directly."
    )
    assert normalize_body(text) == normalize_body(text + footer) == "we build things"


# --- sketch -----------------------------------------------------------------------------------

_VOCABULARY = [f"w{i}" for i in range(400)]


def _words(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(_VOCABULARY) for _ in range(count)]


def _exact_jaccard(a: list[str], b: list[str]) -> float:
    def shingles(words: list[str]) -> set[tuple[str, ...]]:
        return set(zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False))

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def test_sketch_is_small_bytes_and_deterministic() -> None:
    body = " ".join(_words(random.Random(1), 480))
    packed = sketch(body)
    assert isinstance(packed, bytes)
    assert len(packed) == 4 * SKETCH_SIZE <= 256
    assert sketch(body) == packed
    assert list(packed[i : i + 4] for i in range(0, len(packed), 4)) == sorted(
        packed[i : i + 4] for i in range(0, len(packed), 4)
    )


def test_short_bodies_have_no_sketch_or_hash() -> None:
    stub = "apply on our careers page"
    assert sketch(stub) == b""
    assert body_hash(stub) is None
    assert estimated_jaccard(b"", sketch(stub)) == 0.0
    long_enough = " ".join(["word"] * MIN_BODY_WORDS)
    assert body_hash(long_enough) is not None


def test_estimated_jaccard_tracks_the_exact_value() -> None:
    rng = random.Random(7)
    errors = []
    for _ in range(60):
        base = _words(rng, 450)
        other = list(base)
        for _ in range(rng.randint(0, 60)):  # edits scattered through the copy
            other[rng.randrange(len(other))] = rng.choice(_VOCABULARY)
        exact = _exact_jaccard(base, other)
        estimate = estimated_jaccard(sketch(" ".join(base)), sketch(" ".join(other)))
        errors.append(abs(estimate - exact))
    assert sum(errors) / len(errors) < 0.05
    assert max(errors) < 0.2


def test_estimate_is_exact_for_bodies_smaller_than_the_sketch() -> None:
    words = _words(random.Random(3), 50)
    other = [*words[:40], *_words(random.Random(4), 10)]
    estimate = estimated_jaccard(sketch(" ".join(words)), sketch(" ".join(other)))
    assert estimate == pytest.approx(_exact_jaccard(words, other))


# Stored sketches are compared with new ones: any change to how a body is sketched makes the
# stored ones incomparable (until `jobs regroup` recomputes them). This value was computed before
# ingest's sketch got faster and must not move.
_PINNED_BODY = " ".join(f"w{i % 97}" for i in range(300))
_PINNED_SKETCH = (
    "0211b61c07d03d340842ac2b09a18c4f0a043c920a7de8740bd0a0570ea8860013b55375160b34be1c3c2a02"
    "218dd3ab25a3c4cb288f77b528f7ae252b914b3f33a7e97d3aa68c5a3b919f5344b2fc2345d6f98f4989edcb4a"
    "08bf484b63d9094efdbbe65158ff6a5223c47d53d9c405571e0db258e2e29a5ad581115c593793605638da60be"
    "156d6123f9c16676fd336c0f67746c7cc9cd7484ba577943ee647a0f6f9a7b3401777df98e9b7fba87e380f702"
    "a58226a1708a2c3ffd8d13672a8f17f924900c8849917aede691b9405794ccd399977317b097e61e2b9bdc5f1d"
    "a03fc4f6a29e6fb8a31ca233a523eda0a6740d68a860f8f6aa8d1aafac58d570"
)


def test_sketches_stay_comparable_with_stored_ones() -> None:
    assert sketch(_PINNED_BODY).hex() == _PINNED_SKETCH
    assert sketch_words(_PINNED_BODY.encode().split()).hex() == _PINNED_SKETCH


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=400))
@settings(max_examples=300, deadline=None)
def test_ascii_bodies_take_the_fast_path_to_the_same_words(text: str) -> None:
    # The ASCII path (one bytes.translate) must give what the general path gives.
    from engine.jobs.grouping.normalize import _words_of, fold, normalized_body_words

    plain = text.replace("<", " ").replace("&", " ").replace("](", " ").replace("http", " ")
    plain = plain.replace("www.", " ")
    assert normalized_body_words(plain) == " ".join(_words_of(fold(plain))).encode().split()
    assert normalize_body(plain) == " ".join(_words_of(fold(plain)))


def test_fingerprint_body_hash_and_sketch_agree_with_the_string_functions() -> None:
    body = "<p>Über uns: we build, run &amp; ship.</p> " + " ".join(_words(random.Random(5), 80))
    p = Posting(
        "https://x.example/1", "indeed", "1", "Dev", "Acme", body, None, None, "US", None, None
    )
    fp = fingerprint(1, p)
    assert fp.body == normalize_body(body)
    assert fp.sketch == sketch(fp.body) and fp.body_hash == body_hash(fp.body)


@pytest.mark.parametrize(
    "name",
    [
        "Acme",
        "Acme Inc.",
        "Acme, Inc.",
        "Acme GmbH & Co. KG",
        "Acme Holdings Pty. Ltd.",
        "Acme Ltd Ltd",
        "Acme S.p.A.",
        "Acme B.V.",
        "Müller & Söhne GmbH",
        "Société Générale S.A.",
        "ООО Ромашка",
        "Inc.",
        "Acme L.L.C.,",
        "Daddy & Sons, Ltd.",
        "Acme Co Kg",
    ],
)
def test_company_legal_forms_go_as_cleanco_removes_them(name: str) -> None:
    # normalize.py looks up cleanco's terms by their last word instead of trying each in turn.
    from cleanco import basename

    from engine.jobs.grouping.normalize import _basename

    assert _basename(name) == basename(name)


# --- identifiers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://boards.greenhouse.io/acme/jobs/4012345?gh_src=x", "greenhouse:4012345"),
        ("https://acme.example/careers?gh_jid=4012345", "greenhouse:4012345"),
        (
            "https://jobs.lever.co/acme/1f2e3d4c-aaaa-bbbb-cccc-123456789abc/apply",
            "lever:1f2e3d4c-aaaa-bbbb-cccc-123456789abc",
        ),
        (
            "https://acme.wd5.myworkdayjobs.com/en-US/Ext/job/Berlin/Senior-Engineer_R-12345-1",
            "workday:acme:r-12345",
        ),
        ("https://acme.wd1.myworkdayjobs.com/Ext/job/X/Eng_JR0042?q=1", "workday:acme:jr0042"),
        (
            "https://jobs.smartrecruiters.com/Acme/743999912345678-eng",
            "smartrecruiters:743999912345678",
        ),
        ("https://apply.workable.com/acme/j/AB12CD34EF/", "workable:ab12cd34ef"),
        ("https://acme.jobs.personio.de/job/123456?language=de", "personio:acme:123456"),
        ("https://careers-acme.icims.com/jobs/12345/engineer/job", "icims:careers-acme:12345"),
    ],
)
def test_apply_ids(url: str, expected: str) -> None:
    assert apply_ids([url]) == {expected}


def test_apply_ids_from_a_description_only_when_it_names_one() -> None:
    one = "Apply at https://boards.greenhouse.io/acme/jobs/4012345 please"
    two = one + " or see https://boards.greenhouse.io/acme/jobs/4019999"
    assert apply_ids([None], one) == {"greenhouse:4012345"}
    assert apply_ids([None], two) == frozenset()
    assert apply_ids(["https://www.linkedin.com/jobs/view/1"], "no links") == frozenset()


# --- same_job, layer by layer -----------------------------------------------------------------

_BY_KIND: dict[str, Case] = {case.kind: case for case in hand_written()}


def _decide(kind: str) -> tuple[bool, str]:
    case = _BY_KIND[kind]
    return same_job(fingerprint(1, case.a), fingerprint(2, case.b))


@pytest.mark.parametrize(
    ("kind", "same", "reason"),
    [
        # 1. identifiers
        ("id-greenhouse-url-vs-direct", True, "same apply id"),
        ("id-greenhouse-ghjid-in-description", True, "same apply id"),
        ("id-lever-direct-vs-description", True, "same apply id"),
        ("id-workday-reposted-suffix", True, "same apply id"),
        ("id-same-board-id", True, "same board id"),
        ("id-same-board-id-no-body", True, "same board id"),
        ("id-different-requisitions", False, "different apply ids"),
        ("id-same-number-other-site", False, "different place"),
        # 2. same body
        ("body-html-vs-plain-squashed", True, "same body"),
        ("body-indeed-footer", True, "same body"),
        ("body-same-level-other-words", True, "same body"),
        ("body-same-other-level-staff", False, "different level"),
        ("body-same-other-level-lead", False, "different level"),
        ("body-same-principal-vs-senior", False, "different level"),
        ("body-same-level-numerals", False, "different level"),
        ("body-same-other-city", False, "different place"),
        ("body-same-remote-vs-office", False, "different place"),
        ("body-same-other-country", False, "different place"),
        ("body-same-next-year", False, "too far apart in time"),
        # 3. near-duplicates in a block
        ("near-linkedin-criteria", True, "near-duplicate body"),
        ("near-reordered-sections", True, "near-duplicate body"),
        ("near-repost-55-days", True, "near-duplicate body"),
        ("near-two-teams", False, "different body"),
        ("near-two-teams-crosspost-variants", False, "different body"),
        ("near-junior-team-senior-title", False, "different body"),
        ("near-pay-far-apart", False, "pay ranges do not overlap"),
        ("near-pay-hourly-vs-high-yearly", False, "pay ranges do not overlap"),
        ("near-repost-90-days", False, "too far apart in time"),
        # 4. agency copies, and template ads that are not
        ("agency-hays-verbatim", True, "agency copy"),
        ("agency-anonymized-by-name", True, "agency copy"),
        ("agency-names-client", True, "agency copy"),
        ("agency-two-agencies", True, "agency copy"),
        ("template-barista-two-cafes", False, "template ad of another employer"),
        ("template-warehouse-two-firms", False, "template ad of another employer"),
        ("template-software-two-firms", False, "template ad of another employer"),
        ("agency-other-job-same-title", False, "different employer"),
        ("agency-copy-other-city", False, "different place"),
        ("agency-copy-other-level", False, "different title"),
    ],
)
def test_layers(kind: str, same: bool, reason: str) -> None:
    got, why = _decide(kind)
    assert (got, why.split(" (")[0]) == (same, reason), why


def test_same_job_is_symmetric() -> None:
    for case in hand_written():
        a, b = fingerprint(1, case.a), fingerprint(2, case.b)
        assert same_job(a, b)[0] == same_job(b, a)[0], case.name


def test_pay_in_other_currencies_is_not_compared() -> None:
    assert _decide("near-pay-other-currency")[0] is True
    assert _decide("near-pay-monthly-vs-yearly")[0] is True


def test_template_ad_needs_the_agency_rule_not_just_similarity() -> None:
    case = _BY_KIND["template-software-two-firms"]
    a, b = fingerprint(1, case.a), fingerprint(2, case.b)
    assert estimated_jaccard(a.sketch, b.sketch) >= AGENCY_COPY
    agency = fingerprint(2, replace(case.b, company="Steelgate Recruitment Ltd"))
    assert same_job(a, agency)[0] is True


def test_fingerprint_reads_a_job_record() -> None:
    case = _BY_KIND["near-linkedin-criteria"]
    p = case.a
    record = JobRecord(
        job_url=p.job_url,
        site=p.site,
        site_job_id=None,
        title=p.title,
        company=p.company,
        company_url=None,
        description=p.description,
        location_raw="Berlin",
        city=p.city,
        region=p.region,
        country=p.country,
        is_remote=None,
        date_posted=p.date_posted,
        job_type=None,
        salary_min=p.salary_min,
        salary_max=p.salary_max,
        salary_currency=p.salary_currency,
        salary_interval=p.salary_interval,
        emails=None,
        extra={},
        search_term=None,
        node_id=None,
    )
    assert fingerprint(1, record) == fingerprint(1, p)
    assert fingerprint(1, record).block_key == "de|berlin|senior python developer|acme"


def test_stored_sketch_is_used_as_given() -> None:
    p = _BY_KIND["near-linkedin-criteria"].a
    fresh = fingerprint(1, p)
    assert fingerprint(1, p, stored_sketch=fresh.sketch) == fresh
    assert len(fresh.sketch) <= 256 and fresh.body_hash is not None and len(fresh.body_hash) == 20


# --- assign_groups ----------------------------------------------------------------------------


def _crosspost_family() -> list[Posting]:
    """Three sightings of one job (LinkedIn, Indeed a day later, an agency), the same title in
    another city, and another team's opening."""
    base = dict(
        title="Senior Python Developer",
        company="Acme GmbH",
        city="Berlin",
        region="BE",
        country="DE",
        body="acme_platform",
    )
    return [
        posting(dict(base, date="2026-03-02", ops=["linkedin_criteria"])),
        posting(
            dict(
                base,
                date="2026-03-03",
                title="Sr. Python Dev",
                company="ACME",
                site="indeed",
                fmt="plain",
                ops=["indeed_footer"],
            )
        ),
        posting(dict(base, date="2026-03-01", company="Hays", fill="Acme GmbH", site="indeed")),
        posting(dict(base, date="2026-03-02", city="Hamburg", region="HH")),
        posting(dict(base, date="2026-03-02", body="acme_payments")),
    ]


def test_assign_groups_batch() -> None:
    family = _crosspost_family()
    new = [fingerprint(10 + i, p) for i, p in enumerate(family)]
    groups = assign_groups(new)
    # The agency copy is dated earliest, so it represents the group.
    assert groups == {10: 12, 11: 12, 12: 12, 13: 13, 14: 14}


def test_new_postings_join_a_stored_group_and_keep_its_id() -> None:
    family = _crosspost_family()
    stored = [fingerprint(5, family[0], group_id=3)]  # its group's first posting is older
    new = [fingerprint(20, family[1]), fingerprint(21, family[3])]
    assert assign_groups(new, stored) == {20: 3, 21: 21}


def test_a_new_posting_joining_two_stored_groups_merges_them_into_the_older() -> None:
    family = _crosspost_family()
    first = fingerprint(5, family[0], group_id=5)
    agency = fingerprint(7, family[2], group_id=7)
    stored = [
        first,
        dataclasses.replace(agency, posted=first.posted),
    ]  # stored apart (e.g. before a fix)
    new = [fingerprint(30, family[1])]
    assert assign_groups(new, stored) == {30: 5, 7: 5}


def test_an_unfetched_representative_is_older_than_any_fetched_one() -> None:
    family = _crosspost_family()
    a = fingerprint(5, family[0], group_id=1)  # representative 1 is outside the window
    b = fingerprint(2, family[2], group_id=2)  # representative 2 is here, dated 2026-03-01
    assert assign_groups([fingerprint(30, family[1])], [a, b]) == {30: 1, 2: 1}


def test_candidates_outside_every_bucket_are_left_alone() -> None:
    family = _crosspost_family()
    stranger = fingerprint(
        99,
        posting(
            dict(
                title="Barista",
                company="Harbour Cafe",
                city="Sydney",
                country="AU",
                body="barista_template",
            )
        ),
        group_id=99,
    )
    assert assign_groups([fingerprint(1, family[0])], [stranger]) == {1: 1}


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(5)), st.permutations(range(5)), st.integers(0, 5))
def test_grouping_does_not_depend_on_order(
    order: list[int], id_order: list[int], stored_count: int
) -> None:
    family = _crosspost_family()
    ids = [100 + i for i in range(5)]
    stored = [fingerprint(ids[i], family[i], group_id=ids[i]) for i in range(stored_count)]
    # Stored postings were grouped when they arrived: give them their final groups.
    settled = assign_groups(stored)
    stored = [dataclasses.replace(fp, group_id=settled[fp.posting_id]) for fp in stored]
    new = [fingerprint(ids[i], family[i]) for i in range(stored_count, 5)]
    reference = assign_groups(new, stored)
    shuffled_new = [new[i] for i in order if i < len(new)]
    shuffled_stored = [stored[i] for i in id_order if i < len(stored)]
    assert assign_groups(shuffled_new, shuffled_stored) == reference


def test_simulated_corpus_postings_stay_apart() -> None:
    """Every original posting of the simulator is a distinct job, written from shared
    templates: they stay one group each, and each repost or agency copy (appended after them)
    joins its original's group."""
    from engine.sim.corpus import Corpus

    corpus = Corpus(seed=11, today=date(2026, 3, 2))
    fingerprints = []
    for i, job in enumerate(corpus.pool("US")):
        salary = job.salary
        p = Posting(
            job_url=f"https://sim.example/{i}",
            site="linkedin",
            site_job_id=str(job.linkedin_id),
            title=job.title,
            company=job.company,
            description=corpus.description_html(job),
            city=None if job.remote or job.city is None else job.city.name,
            region=None if job.city is None else job.city.region_code,
            country="US",
            is_remote=job.remote,
            date_posted=date(2026, 3, 2) - timedelta(days=job.days_ago),
            salary_min=salary.low if salary else None,
            salary_max=salary.high if salary else None,
            salary_currency=salary.currency if salary else None,
            salary_interval={"YEAR": "yearly", "MONTH": "monthly", "HOUR": "hourly"}[
                salary.interval
            ]
            if salary
            else None,
        )
        fingerprints.append(fingerprint(i, p))
    groups = assign_groups(fingerprints)
    merged = {i: g for i, g in groups.items() if i != g}
    jobs = corpus.pool("US")
    index_of = {job.uid: i for i, job in enumerate(jobs)}
    copies = {i: index_of[job.origin] for i, job in enumerate(jobs) if job.origin != job.uid}
    assert copies and merged == copies


def _card(site: str, description: str | None, posted: date) -> Posting:
    return Posting(
        job_url=f"https://{site}.example/{posted}/{bool(description)}",
        site=site,
        site_job_id=None,
        title="Senior Backend Developer",
        company="Northwind Logistics LLC" if site == "indeed" else "Northwind Logistics",
        description=description,
        city="Austin",
        region="TX",
        country="US",
        is_remote=False,
        date_posted=posted,
    )


def test_a_posting_without_body_joins_its_cross_post_on_another_board_only() -> None:
    """LinkedIn's search cards carry no description: the same role of the same employer in the
    same place on the other board, days apart, is the same job; on the same board, or weeks
    apart, it is not."""
    body = " ".join(f"word{i}" for i in range(120))
    day = date(2026, 3, 2)
    indeed = fingerprint(1, _card("indeed", body, day))
    card = fingerprint(2, _card("linkedin", None, day - timedelta(days=3)))
    assert same_job(indeed, card)[0]
    later = fingerprint(3, _card("linkedin", None, day + timedelta(days=20)))
    assert not same_job(indeed, later)[0]
    other_card = fingerprint(4, _card("linkedin", None, day))
    assert not same_job(card, other_card)[0]  # both without a body: nothing says they are one
    same_board = fingerprint(5, dataclasses.replace(_card("indeed", None, day)))
    assert not same_job(indeed, same_board)[0]
