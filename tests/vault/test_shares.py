"""Share links without a server: expiry as people write it, references, client networks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mediavault_dav.vault import share_guard, shares
from mediavault_dav.vault.errors import InvalidInput

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", NOW + timedelta(minutes=30)),
    ("12h", NOW + timedelta(hours=12)),
    ("7d", NOW + timedelta(days=7)),
    ("2w", NOW + timedelta(weeks=2)),
    ("7 D", NOW + timedelta(days=7)),
    ("2025-06-30", datetime(2025, 7, 1, tzinfo=UTC)),  # works through that day
    ("2025-06-30T18:00", datetime(2025, 6, 30, 18, 0, tzinfo=UTC)),
    ("2025-06-30T18:00+02:00", datetime(2025, 6, 30, 16, 0, tzinfo=UTC)),
])
def test_expiry_as_people_write_it(text: str, expected: datetime) -> None:
    assert shares.parse_expiry(text, NOW) == expected


@pytest.mark.parametrize("text", ["soon", "0d", "7y", "-1d", "2025-13-01", ""])
def test_expiry_that_means_nothing_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="--expires must be"):
        shares.parse_expiry(text, NOW)


def test_a_share_is_named_by_its_token_or_any_url_holding_it() -> None:
    token = shares.new_token()
    for reference in (token, f"https://vault.example.com/s/{token}/", f"http://h:8080/s/{token}/a/b.txt?download",
                      f"/s/{token}", f"https://example.com/prefix/s/{token}/"):
        assert shares.token_from_reference(reference) == token
    with pytest.raises(InvalidInput):
        shares.token_from_reference("https://vault.example.com/s/short/")


@pytest.mark.parametrize(("address", "network"), [
    ("192.0.2.7", "192.0.2.7/32"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7/32"),
    ("not an address", None),
    (None, None),
])
def test_guesses_are_counted_per_address_or_ipv6_64(address: str | None, network: str | None) -> None:
    assert share_guard.client_network(address) == network


def test_share_passwords_are_hashed_once_per_share_and_password() -> None:
    from mediavault_dav.vault import passwords

    stored = passwords.hash_password("share password")
    checker = share_guard.SharePasswords()
    before = passwords.verification_count()
    assert checker.check(1, stored, "share password") and checker.check(1, stored, "share password")
    assert not checker.check(1, stored, "wrong password") and not checker.check(1, stored, "wrong password")
    assert checker.check(2, stored, "share password")  # another share: checked on its own
    assert passwords.verification_count() == before + 4
