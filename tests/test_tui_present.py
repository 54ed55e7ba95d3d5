"""What the app's screens print for figures (pure functions, no app needed)."""

from __future__ import annotations

import pytest

from crmtui.screens.present import short_money

pytestmark = pytest.mark.sqlite_only  # pure functions: one run is enough


@pytest.mark.parametrize("major, shown", [
    (0, "0"), (999, "999"), ("999.49", "999"), ("999.50", "1k"), (1_000, "1k"),
    (1_500, "1.5k"), (999_499, "999.5k"), (999_500, "999.5k"), (999_949, "999.9k"),
    (999_950, "1M"), (999_999, "1M"), (1_000_000, "1M"), (1_250_000, "1.3M"),
    (12_345_678, "12.3M"), (999_999_999, "1B"), (5_000_000_000_000, "5,000B"),
    (-999, "-999"), (-1_500, "-1.5k"), (-999_999, "-1M"), ("-0.40", "0"),
])
def test_short_money_rounds_before_choosing_the_unit(major, shown):
    from decimal import Decimal

    assert short_money(int(Decimal(str(major)) * 100)) == shown


def test_short_money_of_nothing():
    assert short_money(None) == ""
