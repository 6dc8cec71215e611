import pytest

from engine.redact import mask_text, mask_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://bob:s3cret@db:5432/jf", "postgresql://bob:***@db:5432/jf"),
        ("postgresql://bob@db/jf", "postgresql://bob@db/jf"),
        (
            "postgresql://postgres:@/jobfleet?host=/tmp/x",
            "postgresql://postgres:@/jobfleet?host=/tmp/x",
        ),
        (
            "postgresql://db/jf?password=hunter2&sslmode=require",
            "postgresql://db/jf?password=***&sslmode=require",
        ),
        ("http://user:p%40ss@proxy:8080", "http://user:***@proxy:8080"),
        # A libpq key/value string is no URL, and its password must not slip through.
        ("host=db password=hunter2 dbname=jf", "host=db password=*** dbname=jf"),
        ("host=db password='two words' dbname=jf", "host=db password=*** dbname=jf"),
    ],
)
def test_mask_url(url: str, expected: str) -> None:
    assert mask_url(url) == expected


def test_mask_text_finds_urls_and_known_secrets() -> None:
    text = "proxy http://u:topsecret@1.2.3.4:80 failed; dsn host=x password=abc123 token hunter22"
    masked = mask_text(text, ["hunter22"])
    assert "topsecret" not in masked
    assert "abc123" not in masked
    assert "hunter22" not in masked
    assert "http://u:***@1.2.3.4:80" in masked
