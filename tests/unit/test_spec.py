import os

import pytest

from engine.fleet.spec import (
    NodeSpec,
    SpecError,
    load_stored_spec,
    parse_spec,
    proxy_env_refs,
    site_choices,
)

BASE = {"name": "berlin-py", "search_term": "python developer", "country": "DE"}


def spec(**over):
    return parse_spec({**BASE, **over})


def test_sites_come_from_jobspy_without_pandas():
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from engine.fleet.spec import site_choices; print(site_choices());"
            "print('pandas' in sys.modules, 'jobspy' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "linkedin" in out[0] and "indeed" in out[0]
    assert out[1] == "False False"


def test_site_choices_match_jobspy_enum():
    from jobspy.model import Site

    assert site_choices() == [s.value for s in Site]


def test_country_name_resolved_and_locations_filled():
    s = parse_spec({**BASE, "country": "Germany"})
    assert s.country == "DE"
    assert len(s.locations) >= 3
    assert "Berlin" in s.locations[0]


def test_explicit_locations_kept_and_deduplicated():
    s = spec(locations=["Berlin", "berlin", " Hamburg "])
    assert s.locations == ["Berlin", "Hamburg"]


def test_sites_accept_comma_string():
    assert spec(sites="indeed, linkedin").sites == ["indeed", "linkedin"]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"country": "Atlantis"}, "country"),
        ({"sites": ["myspace"]}, "sites"),
        ({"sites": []}, "sites"),
        ({"results_wanted": 0}, "results_wanted"),
        ({"hours_old": -1}, "hours_old"),
        ({"delay_min": 10, "delay_max": 5}, "delay_max"),
        ({"max_cycles": 0}, "max_cycles"),
        ({"memory_limit_mb": 1}, "memory_limit_mb"),
        ({"name": "12"}, "name"),
        ({"name": "a/b"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"search_term": "a\x00b"}, "search_term"),
        ({"search_term": "a\x1b[31mred"}, "search_term"),
        ({"search_term": "x" * 10_000}, "search_term"),
        ({"locations": ["ok", "bad\x00"]}, "locations"),
        ({"ca_cert": "/nonexistent/ca.pem"}, "ca_cert"),
        ({"proxies": ["ftp://h:1"]}, "proxies"),
        ({"proxies": ["http://h"]}, "proxies"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_specs_name_the_field(over, field):
    with pytest.raises(SpecError) as info:
        spec(**over)
    assert f"{field}:" in str(info.value)


def test_missing_required_field():
    with pytest.raises(SpecError, match="search_term: is required"):
        parse_spec({"name": "x", "country": "DE"})


def test_literal_proxy_password_refused_without_echoing_it():
    with pytest.raises(SpecError) as info:
        spec(proxies=["http://bob:hunter2secret@proxy.example:8080"])
    message = str(info.value)
    assert "hunter2secret" not in message
    assert "${" in message and "proxies" in message


def test_env_ref_proxies_accepted_and_shown_as_references():
    s = spec(proxies=["http://bob:${PROXY_PASS}@127.0.0.1:3128", "http://127.0.0.1:3129"])
    assert proxy_env_refs(s) == ["PROXY_PASS"]
    shown = s.display_dict()["proxies"]
    assert shown[0] == "http://bob:${PROXY_PASS}@127.0.0.1:3128"


def test_stored_spec_roundtrip_skips_gazetteer():
    s = spec(locations=["Berlin"])
    again = load_stored_spec(s.stored_dict())
    assert again == s


def test_not_a_mapping():
    with pytest.raises(SpecError):
        parse_spec(["nope"])  # type: ignore[arg-type]


def test_spec_is_frozen():
    s = spec(locations=["Berlin"])
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen models
        s.name = "other"  # type: ignore[misc]
    assert isinstance(s, NodeSpec)


def test_spec_field_names_match_the_model():
    # SpecField is what the deploy form types its field names with: it must follow the model.
    from typing import get_args

    from engine.fleet.spec import SpecField

    assert list(get_args(SpecField)) == list(NodeSpec.model_fields)
    assert all(field.title for field in NodeSpec.model_fields.values())


def test_ca_cert_must_be_a_readable_pem_file(tmp_path):
    from engine.fleet.spec import ca_file_problem

    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("hello\n")
    with pytest.raises(SpecError, match=r"ca_cert: .*ca\.pem holds no PEM certificate"):
        spec(ca_cert=str(not_pem))
    with pytest.raises(SpecError, match="ca_cert: no such file"):
        spec(ca_cert=str(tmp_path))  # a directory
    assert ca_file_problem(None) is None
    assert ca_file_problem(str(tmp_path / "gone.pem")).startswith("no such file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_ca_cert_unreadable(tmp_path):
    from engine.fleet.spec import ca_file_problem

    locked = tmp_path / "ca.pem"
    locked.write_text("x")
    locked.chmod(0)
    assert "cannot be read: Permission denied" in str(ca_file_problem(str(locked)))


@pytest.mark.parametrize("name", ["AWS_SECRET_ACCESS_KEY", "JOBFLEET_DATABASE_URL", "HOME"])
def test_proxy_references_outside_the_allowlist_are_refused(name):
    with pytest.raises(SpecError) as info:
        parse_spec(
            {**BASE, "proxies": [f"http://x:${{{name}}}@203.0.113.9:8080"]},
            secret_env="PROXY_*,JOBFLEET_PROXY_*",
        )
    message = str(info.value)
    assert f"${{{name}}}" in message and "JOBFLEET_SECRET_ENV" in message
    assert message.count(". ") == 0 and "\n" not in message  # one sentence


@pytest.mark.parametrize(
    "name", ["JOBFLEET_DATABASE_URL", "JOBFLEET_HOME", "jobfleet_database_url"]
)
def test_jobfleet_settings_are_refused_whatever_the_pattern(name):
    with pytest.raises(SpecError, match="never sent to a proxy"):
        parse_spec({**BASE, "proxies": [f"http://x:${{{name}}}@h.example:1"]}, secret_env="*")


def test_allowlist_takes_names_and_patterns():
    from engine.settings import DEFAULT_SECRET_ENV, Settings, secret_ref_refusal

    assert Settings().secret_env == DEFAULT_SECRET_ENV == "PROXY_*,JOBFLEET_PROXY_*"
    assert secret_ref_refusal("PROXY_PASS", DEFAULT_SECRET_ENV) is None
    assert secret_ref_refusal("JOBFLEET_PROXY_DEMO_PASS", DEFAULT_SECRET_ENV) is None
    assert secret_ref_refusal("MY_KEY", "PROXY_*, MY_KEY") is None
    assert secret_ref_refusal("MY_KEY2", "PROXY_*, MY_KEY") is not None
    assert secret_ref_refusal("proxy_pass", DEFAULT_SECRET_ENV) is not None  # case matters
    spec_ok = parse_spec(
        {**BASE, "proxies": ["http://${VENDOR_KEY}@127.0.0.1:1"]}, secret_env="VENDOR_*"
    )
    assert proxy_env_refs(spec_ok) == ["VENDOR_KEY"]


def test_stored_spec_checked_again_by_the_worker_check():
    from engine.fleet.spec import check_secret_refs

    stored = spec(proxies=["http://${PROXY_KEY}@127.0.0.1:1"]).stored_dict()
    stored["proxies"] = ["http://x:${AWS_SECRET_ACCESS_KEY}@127.0.0.1:1"]
    loaded = load_stored_spec(stored)  # the model alone does not know the allowlist
    with pytest.raises(SpecError, match=r"AWS_SECRET_ACCESS_KEY.*JOBFLEET_SECRET_ENV"):
        check_secret_refs(loaded, "PROXY_*")
