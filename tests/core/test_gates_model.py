"""Pure gate rules: codes, redemption, the lockout, the effective mode, bursts, founding, answers."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.gates.application_rules import answer_problem, reapply_at
from bot.core.gates.rules import (
    ALPHABET,
    CODE_LENGTH,
    BurstStep,
    GateState,
    Redemption,
    ReferralCode,
    allows_application,
    allows_referral,
    burst_step,
    effective_mode,
    format_code,
    generate_code,
    is_founding,
    judge_redemption,
    lockout_until,
    month_start,
    next_month_start,
    normalize_code,
)
from bot.core.gates.settings import GateSettings

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
codes = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


# --- code generation ---------------------------------------------------------------------------


def test_generated_codes_use_the_alphabet_and_length() -> None:
    for _ in range(200):
        code = generate_code()
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)


def test_generated_codes_are_unique_across_many_draws() -> None:
    # 50 bits each: 20 000 draws collide with probability ~2e-7
    drawn = {generate_code() for _ in range(20_000)}
    assert len(drawn) == 20_000


@given(data=st.data())
def test_every_draw_makes_a_well_formed_code(data: st.DataObject) -> None:
    code = generate_code(lambda alphabet: data.draw(st.sampled_from(alphabet)))
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert normalize_code(code) == code == normalize_code(format_code(code).lower())


def test_generation_uses_the_csprng_by_default() -> None:
    assert generate_code.__defaults__ == (secrets.choice,)


def test_the_alphabet_has_no_look_alikes_and_50_bits() -> None:
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)
    assert CODE_LENGTH * 5 == 50


@given(code=codes)
def test_shown_code_normalises_back(code: str) -> None:
    assert normalize_code(format_code(code)) == code


@given(code=codes, data=st.data())
def test_typing_is_forgiving_of_case_separators_and_look_alikes(code: str, data: st.DataObject) -> None:
    typed = "".join(
        data.draw(
            st.sampled_from({"0": ["0", "o", "O"], "1": ["1", "i", "I", "l", "L"]}.get(ch, [ch, ch.lower()]))
        )
        for ch in code
    )
    padded = f"  {typed[:3]} -{typed[3:7]}_{typed[7:]} "
    assert normalize_code(padded) == code


@given(text=st.text(max_size=30))
def test_normalize_only_ever_returns_a_well_formed_code(text: str) -> None:
    result = normalize_code(text)
    assert result is None or (len(result) == CODE_LENGTH and set(result) <= set(ALPHABET))


@pytest.mark.parametrize("typed", ["", "ABCDE", "ABCDE-FGHJKM", "ABCDE-FGHJ!", "ÄBCDE-FGHJK", "@everyone"])
def test_malformed_codes_are_rejected(typed: str) -> None:
    assert normalize_code(typed) is None


# --- redemption --------------------------------------------------------------------------------


def _code(**over: object) -> ReferralCode:
    base = ReferralCode(
        id=1,
        community_id="c",
        owner_id=1,
        code="ABCDEFGHJK",
        created_at=NOW - timedelta(days=1),
        expires_at=NOW + timedelta(days=6),
        max_uses=5,
    )
    return replace(base, **over)  # type: ignore[arg-type]


code_states = st.builds(
    _code,
    owner_id=st.integers(1, 5),
    expires_at=st.datetimes(
        min_value=datetime(2026, 10, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
    ),
    max_uses=st.integers(1, 10),
    uses=st.integers(0, 12),
    revoked_at=st.none() | st.just(NOW - timedelta(hours=1)),
)


@given(code=st.none() | code_states, owner_is_member=st.booleans(), redeemer=st.integers(1, 5))
def test_a_code_admits_exactly_when_every_rule_holds(
    code: ReferralCode | None, owner_is_member: bool, redeemer: int
) -> None:
    outcome = judge_redemption(code, owner_is_member=owner_is_member, redeemer_id=redeemer, now=NOW)
    ok = (
        code is not None
        and code.owner_id != redeemer
        and owner_is_member
        and code.revoked_at is None
        and NOW < code.expires_at
        and code.uses < code.max_uses
    )
    assert (outcome is Redemption.OK) == ok
    if code is not None and code.owner_id == redeemer:
        assert outcome is Redemption.SELF  # self-referral is refused whatever else holds
    if code is not None and outcome is Redemption.OK:
        assert code.is_live(NOW) and code.uses_left > 0


@given(code=code_states, newcomers=st.integers(0, 20))
def test_distinct_newcomers_get_exactly_the_uses_left(code: ReferralCode, newcomers: int) -> None:
    before, admitted = code, 0
    for redeemer in range(100, 100 + newcomers):
        if judge_redemption(code, owner_is_member=True, redeemer_id=redeemer, now=NOW) is Redemption.OK:
            code = replace(code, uses=code.uses + 1)
            admitted += 1
    live = before.revoked_at is None and NOW < before.expires_at
    assert admitted == (min(before.uses_left, newcomers) if live else 0)
    assert admitted == 0 or code.uses <= code.max_uses  # never past the use limit


@pytest.mark.parametrize(
    ("over", "outcome"),
    [
        ({"revoked_at": NOW}, Redemption.REVOKED),
        ({"expires_at": NOW}, Redemption.EXPIRED),
        ({"uses": 5}, Redemption.USED_UP),
    ],
)
def test_dead_codes_name_the_reason(over: dict[str, object], outcome: Redemption) -> None:
    assert judge_redemption(_code(**over), owner_is_member=True, redeemer_id=9, now=NOW) is outcome


def test_a_departed_owners_code_is_dead() -> None:
    outcome = judge_redemption(_code(), owner_is_member=False, redeemer_id=9, now=NOW)
    assert outcome is Redemption.OWNER_GONE


# --- attempt limit -----------------------------------------------------------------------------


def test_lockout_starts_at_the_limit_and_ends_when_the_oldest_ages_out() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (50, 40, 30, 20)]
    assert lockout_until(failures, 5, NOW) is None
    failures.append(NOW - timedelta(minutes=10))
    assert lockout_until(failures, 5, NOW) == NOW + timedelta(minutes=10)  # 50 min ago + 1 h


@given(
    ages=st.lists(st.integers(0, 180), max_size=12),
    limit=st.integers(1, 5),
)
def test_lockout_never_allows_more_than_the_limit_per_hour(ages: list[int], limit: int) -> None:
    failures = [NOW - timedelta(minutes=a) for a in ages]
    recent = [f for f in failures if f > NOW - timedelta(hours=1)]
    until = lockout_until(failures, limit, NOW)
    assert (until is None) == (len(recent) < limit)
    if until is not None:
        assert NOW < until <= NOW + timedelta(hours=1)
        later = [f for f in failures if f > until - timedelta(hours=1)]
        assert len(later) < limit  # at `until` the person may try again


# --- gate mode ---------------------------------------------------------------------------------


def test_referral_becomes_application_on_the_switch_date() -> None:
    config = GateSettings(mode="referral", switch_to_application_on=date(2027, 5, 1))
    assert effective_mode(config, GateState(), date(2027, 4, 30)) == "referral"
    assert effective_mode(config, GateState(), date(2027, 5, 1)) == "application"
    assert effective_mode(config, GateState(), date(2028, 1, 1)) == "application"


def test_a_lead_override_wins_and_carries_its_own_switch_date() -> None:
    config = GateSettings(mode="referral", switch_to_application_on=date(2027, 5, 1))
    override = GateState(mode_override="referral", switch_on_override=None)
    assert effective_mode(config, override, date(2027, 6, 1)) == "referral"
    later = GateState(mode_override="referral", switch_on_override=date(2027, 9, 1))
    assert effective_mode(config, later, date(2027, 9, 1)) == "application"
    assert effective_mode(config, GateState(mode_override="open"), date(2027, 6, 1)) == "open"


@pytest.mark.parametrize("mode", ["application", "referral_or_application", "open"])
def test_only_referral_mode_switches(mode: str) -> None:
    config = GateSettings(mode=mode, switch_to_application_on=date(2027, 5, 1))  # type: ignore[arg-type]
    assert effective_mode(config, GateState(), date(2027, 6, 1)) == mode


def test_which_modes_take_codes_and_applications() -> None:
    assert [
        m for m in ("referral", "application", "referral_or_application", "open") if allows_referral(m)
    ] == [
        "referral",
        "referral_or_application",
        "open",
    ]
    assert [
        m for m in ("referral", "application", "referral_or_application", "open") if allows_application(m)
    ] == [
        "application",
        "referral_or_application",
    ]


# --- bursts, founding, quota, answers ----------------------------------------------------------


@given(counts=st.lists(st.integers(0, 40), max_size=60), limit=st.integers(2, 20))
def test_one_alert_per_burst(counts: list[int], limit: int) -> None:
    active = False
    for count in counts:
        step = burst_step(count, limit, active)
        if step is BurstStep.ALERT:
            assert count > limit and not active  # a second alert needs the burst to have ended
            active = True
        elif step is BurstStep.END:
            assert active and count <= limit // 2
            active = False
        elif count > limit:
            assert active  # over the limit and quiet only because this burst has alerted already


def test_founding_is_the_first_n() -> None:
    assert is_founding(100, 100) and not is_founding(101, 100) and not is_founding(1, 0)


def test_months_follow_the_community_time_zone() -> None:
    zone = ZoneInfo("Pacific/Auckland")
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # already 1 December in Auckland
    assert month_start(moment, zone).date() == date(2026, 12, 1)
    assert next_month_start(moment, zone).date() == date(2027, 1, 1)
    assert next_month_start(NOW, ZoneInfo("UTC")) == datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC"))


def test_answers_are_checked_for_length() -> None:
    assert answer_problem(["long enough answer", "also long enough"], 10, 500) is None
    assert (
        answer_problem(["short", "also long enough"], 10, 500)
        == "Answer 1 needs at least 10 characters (it has 5)."
    )
    assert "at most 20" in (answer_problem(["x" * 15, "y" * 21], 10, 20) or "")
    assert answer_problem(["   padded   ", "long enough here"], 10, 500) is not None  # spaces don't count


def test_reapplication_waits_the_cooldown() -> None:
    assert reapply_at(NOW, 30) == NOW + timedelta(days=30)


def test_settings_refuse_questions_longer_than_a_discord_label() -> None:
    with pytest.raises(ValueError, match="45 characters"):
        GateSettings(questions=("x" * 46, "fine?"))
    with pytest.raises(ValueError, match="below answer_max_length"):
        GateSettings(answer_min_length=600, answer_max_length=500)
    with pytest.raises(ValueError):
        GateSettings(failed_redemptions_per_hour=6)  # the issue allows at most 5
