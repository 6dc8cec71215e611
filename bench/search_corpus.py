"""The search benchmark's corpus: synthetic postings shaped like real ones, built once per database.

- ~3 KB descriptions of sentences whose words follow English's rank-frequency law (Zipf-Mandelbrot,
  p(rank r) ~ 1 / (r + 2.7)): the head of the vocabulary is the real most frequent English words
  and job-ad words, the long tail is made-up words;
- skill words in a "Skills:" line at fixed shares of postings, 0.02 % (ocaml) to 9 % (python),
  and titles from role words whose technology follows the same skill shares;
- dates over the last 180 days, more postings on recent days, stored roughly in date order as a
  scraper discovers them; a skewed mix of countries, regions and cities; 15 % remote;
- cross-posted jobs: in each block of ten postings the first four are one job on four boards
  (same title, company, place and body, a day or two apart, salary only on some), so the grouped
  view has groups to merge.

Rows are generated in Python and loaded with COPY on two connections (Postgres computes the
tsvector), the indexes are built after the load, and a marker table records what was loaded so
that later runs reuse the database.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg import sql

from bench._common import Timer

CORPUS_VERSION = "3kb-zipf-skills-groups-v1"
DAYS = 180
VOCAB = 30_000
SENTENCES = 20_000
WORDS_PER_SENTENCE = 16
SENTENCES_PER_POSTING = (23, 33)
# The most frequent English words (stop words first, as in real text; to_tsvector drops those),
# then words frequent in job ads; ranks past these are made-up words.
ENGLISH_HEAD = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "i",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
    "team",
    "experience",
    "work",
    "build",
    "product",
    "customers",
    "engineering",
    "software",
    "develop",
    "design",
    "support",
    "working",
    "skills",
    "strong",
    "knowledge",
    "ability",
    "environment",
    "company",
    "opportunity",
    "role",
    "business",
    "systems",
    "services",
    "management",
    "requirements",
    "quality",
    "including",
    "across",
    "help",
    "new",
    "years",
    "benefits",
    "growth",
    "platform",
    "data",
    "solutions",
    "development",
    "technical",
    "process",
    "projects",
    "clients",
    "technology",
    "responsible",
    "communication",
    "looking",
    "join",
    "culture",
    "ensure",
    "provide",
    "best",
    "practices",
    "mission",
    "global",
    "remote",
    "office",
    "training",
    "health",
    "insurance",
    "salary",
    "equity",
    "leave",
    "flexible",
    "hybrid",
    "candidate",
    "required",
    "preferred",
    "plus",
    "bonus",
    "hours",
    "stakeholders",
    "delivery",
]
SKILLS: list[tuple[str, float]] = [
    ("python", 0.07), ("sql", 0.07), ("java", 0.06), ("aws", 0.05), ("backend", 0.05),
    ("javascript", 0.045), ("frontend", 0.04), ("docker", 0.035), ("kubernetes", 0.03),
    ("react", 0.03), ("typescript", 0.025), ("linux", 0.02), ("terraform", 0.015),
    ("kafka", 0.012), ("spark", 0.01), ("graphql", 0.008), ("rust", 0.006), ("scala", 0.005),
    ("golang", 0.004), ("airflow", 0.003), ("elixir", 0.002), ("clojure", 0.0015),
    ("haskell", 0.001), ("erlang", 0.0008), ("cobol", 0.0005), ("fortran", 0.0003),
    ("ocaml", 0.0002),
]  # fmt: skip
SYLLABLES = [
    c + v
    for c in ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr")
    for v in ("a", "e", "i", "o", "u", "ai", "ou")
]
SENIORITY = ["", "Senior ", "Staff ", "Junior ", "Lead ", "Principal "]
TECH = [
    ("Software", 30), ("Product", 10), ("Systems", 10), ("QA", 6), ("Support", 6), ("Sales", 6),
    ("Python", 3), ("Java", 3), ("Data", 8), ("Cloud", 5), ("Security", 4), ("Mobile", 3),
    ("Platform", 5), ("Frontend", 6), ("DevOps", 5), ("Machine Learning", 5), ("Payments", 2),
    ("Kubernetes", 2), ("Embedded", 2), ("Database", 2), ("iOS", 2), ("Android", 2),
    ("TypeScript", 3), ("Go", 2), ("Rust", 0.4), ("Scala", 0.4), ("Elixir", 0.1),
]  # fmt: skip
AREA = ["Backend ", "Full Stack ", "Infrastructure ", "", "", "", "Site Reliability "]
ROLE = ["Engineer", "Developer", "Analyst", "Manager", "Architect", "Scientist", "Consultant"]
COMPANY_KINDS = ["Labs", "Inc", "GmbH", "Ltd", "Systems", "Cloud", "Health", "Bank", "AG", "LLC"]
# (country, weight, [(city, region), ...])
PLACES: list[tuple[str, int, list[tuple[str, str]]]] = [
    ("US", 40, [("New York", "NY"), ("San Francisco", "CA"), ("Austin", "TX"), ("Seattle", "WA"),
                ("Chicago", "IL"), ("Boston", "MA"), ("Los Angeles", "CA"), ("Denver", "CO")]),
    ("GB", 10, [("London", "ENG"), ("Manchester", "ENG"), ("Edinburgh", "SCT")]),
    ("DE", 10, [("Berlin", "BE"), ("Munich", "BY"), ("Hamburg", "HH"), ("Cologne", "NW")]),
    ("CA", 8, [("Toronto", "ON"), ("Vancouver", "BC"), ("Montreal", "QC")]),
    ("IN", 8, [("Bengaluru", "KA"), ("Mumbai", "MH"), ("Hyderabad", "TG")]),
    ("FR", 6, [("Paris", "IDF"), ("Lyon", "ARA")]),
    ("AU", 5, [("Sydney", "NSW"), ("Melbourne", "VIC")]),
    ("NL", 4, [("Amsterdam", "NH")]),
    ("ES", 4, [("Madrid", "MD"), ("Barcelona", "CT")]),
    ("BR", 5, [("São Paulo", "SP")]),
]  # fmt: skip
SITES = ["linkedin", "indeed", "glassdoor", "zip_recruiter"]
GROUP_BLOCK = 10  # postings i*10 .. i*10+3 are one job on four boards
COPY_COLUMNS = (
    "id, group_id, job_url, site, site_job_id, title, company, description, location_raw, city, "
    "region, country, is_remote, date_posted, first_seen_at, salary_min, salary_max, "
    "salary_currency, salary_interval, extra"
)


def _make_word(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in used:
            used.add(word)
            return word


class Corpus:
    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        used: set[str] = set(ENGLISH_HEAD)
        tail = [_make_word(rng, used) for _ in range(VOCAB - len(ENGLISH_HEAD))]
        self.vocab = ENGLISH_HEAD + tail
        cum: list[float] = []
        total = 0.0
        for rank in range(1, VOCAB + 1):
            total += 1.0 / (rank + 2.7)
            cum.append(total)
        self.sentences = [
            " ".join(rng.choices(self.vocab, cum_weights=cum, k=WORDS_PER_SENTENCE)).capitalize()
            + "."
            for _ in range(SENTENCES)
        ]
        self.companies = [
            f"{_make_word(rng, used).title()} {rng.choice(COMPANY_KINDS)}" for _ in range(3000)
        ]
        self.tech = [t for t, _ in TECH]
        self.tech_weights = [w for _, w in TECH]
        self.place_weights = [w for _, w, _ in PLACES]

    def rows(self, start: int, stop: int, total: int, seed: int) -> Iterator[tuple[Any, ...]]:
        """Postings with ids start..stop-1 (of 1..total)."""
        rng = random.Random(seed)
        today = date.today()
        job: dict[str, Any] = {}
        for i in range(start, stop):
            slot = i % GROUP_BLOCK
            copy = slot in (1, 2, 3) and i - slot >= start
            if not copy:
                country, _, cities = rng.choices(PLACES, weights=self.place_weights)[0]
                city, region = rng.choice(cities)
                remote = rng.random() < 0.15
                tech = rng.choices(self.tech, weights=self.tech_weights)[0]
                skills = [w for w, share in SKILLS if rng.random() < share]
                body = " ".join(rng.choices(self.sentences, k=rng.randint(*SENTENCES_PER_POSTING)))
                if skills:
                    body += "\n\nSkills: " + ", ".join(skills) + "."
                # Stored as discovered: the table is (roughly) in date order, oldest first;
                # recent days hold more postings (u ** 1.5).
                u = (total - i + rng.random()) / total
                job = {
                    "title": rng.choice(SENIORITY)
                    + tech
                    + " "
                    + rng.choice(AREA)
                    + rng.choice(ROLE),
                    "company": rng.choice(self.companies),
                    "body": body,
                    "place": (city, region, country, remote),
                    "posted": today - timedelta(days=int(u**1.5 * DAYS)),
                    "salary": rng.random() < 0.3,
                }
            city, region, country, remote = job["place"]
            posted = job["posted"] + timedelta(days=rng.randint(0, 2) if copy else 0)
            posted = min(posted, today)
            site = SITES[slot] if slot < 4 else SITES[i % 2]
            salary = job["salary"] and (slot != 0 or not copy)
            base = 60_000 + (hash(job["company"]) % 80) * 1000
            yield (
                i,
                i - slot if copy else i,
                f"https://bench.example/{site}/{i}",
                site,
                str(i),
                job["title"],
                job["company"],
                job["body"],
                f"{city}, {region}, {country}",
                None if remote else city,
                region,
                country,
                remote,
                posted,
                f"{posted.isoformat()} 12:00:00+00",
                base if salary else None,
                base + 30_000 if salary else None,
                "USD" if salary else None,
                "yearly" if salary else None,
                "{}",
            )


def _marker(conn: psycopg.Connection[Any]) -> tuple[Any, ...] | None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_corpus (version text, rows bigint, seed int, "
        "built_on date)"
    )
    return conn.execute("SELECT version, rows, seed, built_on FROM bench_corpus").fetchone()


def ensure_corpus(url: str, rows: int, seed: int) -> None:
    """Load the corpus unless this database already holds the same one."""
    with psycopg.connect(url, autocommit=True) as conn:
        marker = _marker(conn)
        count = conn.execute("SELECT count(*) FROM jobs").fetchone()
        if marker and marker[:3] == (CORPUS_VERSION, rows, seed) and count and count[0] == rows:
            print(f"reusing the {rows:,} postings loaded on {marker[3]} (dates are relative to it)")
            return
        # Save index definitions, drop them, load, rebuild: much faster than index maintenance.
        defs = conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
            "WHERE i.indrelid = 'jobs'::regclass AND c.oid IS NULL"
        ).fetchall()
        conn.execute("DELETE FROM bench_corpus")
        conn.execute("TRUNCATE jobs CASCADE")
        for name, _ in defs:
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
    corpus = Corpus(seed)
    parts = 2
    bounds = [1 + rows * p // parts for p in range(parts + 1)]
    # Start each part at a group boundary so that no group spans two parts.
    bounds = [bounds[0]] + [b - b % GROUP_BLOCK for b in bounds[1:-1]] + [bounds[-1]]
    errors: list[BaseException] = []

    def copy_part(p: int) -> None:
        try:
            with psycopg.connect(url) as conn, conn.cursor() as cur:
                with cur.copy(
                    sql.SQL("COPY jobs ({}) FROM STDIN").format(sql.SQL(COPY_COLUMNS))
                ) as cp:
                    for row in corpus.rows(bounds[p], bounds[p + 1], rows, seed + p):
                        cp.write_row(row)
                conn.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with Timer() as t:
        threads = [threading.Thread(target=copy_part, args=(p,)) for p in range(parts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    print(f"loaded {rows:,} postings in {t.seconds:.1f} s")
    with Timer() as t, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(
            sql.SQL("ALTER TABLE jobs ALTER COLUMN id RESTART WITH {}").format(
                sql.Literal(rows + 1)
            )
        )
        for _, definition in defs:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE jobs")
        conn.execute("ANALYZE job_sightings")
        conn.execute(
            "INSERT INTO bench_corpus VALUES (%s, %s, %s, current_date)",
            (CORPUS_VERSION, rows, seed),
        )
    print(f"built {len(defs)} indexes and analyzed in {t.seconds:.1f} s")
