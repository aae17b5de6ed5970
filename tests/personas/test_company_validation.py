"""What a company is: the checks every provider's companies go through before they are cached."""

from typing import Any

import pytest

from personas.validation import COMPANY_PROPERTIES, clean_companies, clean_domain


def _company(**overrides: Any) -> dict[str, Any]:
    company: dict[str, Any] = {
        "name": "Orbit Freight",
        "domain": "orbitfreight.io",
        "industry": "Logistics",
        "city": "Rotterdam",
        "country": "Netherlands",
        "employees": 120,
    }
    company.update(overrides)
    return company


def test_a_valid_company_is_kept_as_written() -> None:
    kept, rejected = clean_companies([_company()])
    assert rejected == []
    assert kept == [_company()]
    assert list(kept[0]) == list(COMPANY_PROPERTIES)


@pytest.mark.parametrize(
    ("written", "domain"),
    [
        ("OrbitFreight.IO", "orbitfreight.io"),
        ("  https://www.orbitfreight.io/about?x=1 ", "orbitfreight.io"),
        ("http://orbit-freight.co.uk:443", "orbit-freight.co.uk"),
        ("orbitfreight.io.", "orbitfreight.io"),
        ("orbit freight.io", ""),
        ("orbit_freight.io", ""),
        ("-orbit.io", ""),
        ("orbit-.io", ""),
        ("orbit..io", ""),
        ("localhost", ""),
        ("orbit.123", ""),
        ("müller.de", ""),
        ("a" * 64 + ".com", ""),
        ("", ""),
    ],
)
def test_domains_are_lower_case_hostnames_or_refused(written: str, domain: str) -> None:
    assert clean_domain(written) == domain


@pytest.mark.parametrize(
    ("written", "employees"), [(1, 1), (45, 45), ("1,200", 1200), (" 75 ", 75), (12.0, 12), (10_000_000, 10_000_000)]
)
def test_employees_are_coerced_to_a_positive_int(written: Any, employees: int) -> None:
    kept, rejected = clean_companies([_company(employees=written)])
    assert rejected == []
    assert kept[0]["employees"] == employees
    assert type(kept[0]["employees"]) is int


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"employees": 0}, "employees"),
        ({"employees": -5}, "employees"),
        ({"employees": 12.5}, "employees"),
        ({"employees": True}, "employees"),
        ({"employees": "many"}, "employees"),
        ({"employees": "²"}, "employees"),
        ({"employees": None}, "employees"),
        ({"employees": 10_000_001}, "employees"),
        ({"domain": "not a domain"}, "invalid domain"),
        ({"domain": 42}, "domain missing or not a string"),
        ({"name": "  \x00 "}, "name blank"),
        ({"city": ""}, "city blank"),
        ({"country": None}, "country missing or not a string"),
    ],
)
def test_bad_entries_are_rejected_with_a_reason(overrides: dict[str, Any], reason: str) -> None:
    kept, rejected = clean_companies([_company(**overrides)])
    assert kept == []
    assert len(rejected) == 1 and reason in rejected[0]


def test_text_is_cleaned_and_extra_keys_dropped() -> None:
    kept, _ = clean_companies([_company(name=" Orbit\x00  Freight ", industry="L" * 400, extra="x")])
    assert kept[0]["name"] == "Orbit Freight"
    assert len(kept[0]["industry"]) == 255
    assert set(kept[0]) == set(COMPANY_PROPERTIES)


def test_companies_are_distinct_by_domain_and_case_folded_name() -> None:
    kept, rejected = clean_companies(
        [
            _company(),
            _company(name="Other Name", domain="ORBITFREIGHT.io"),  # same domain
            _company(name="ORBIT  freight", domain="orbit2.io"),  # same name
            _company(name="Avoided Co", domain="avoided.io"),  # in avoid_names
            _company(name="Taken Domain", domain="taken.com"),  # in avoid_domains
            "Orbit Freight",
            _company(name="Nova Cargo", domain="novacargo.com"),
        ],
        avoid_names=["avoided  CO"],
        avoid_domains=["Taken.com"],
    )
    assert [company["name"] for company in kept] == ["Orbit Freight", "Nova Cargo"]
    assert sorted(rejected) == [
        "duplicate domain",
        "duplicate domain",
        "duplicate name",
        "duplicate name",
        "not an object",
    ]
