"""Demo loan servicing: installments, delinquency episodes and each loan's status at snapshot."""

from __future__ import annotations

import numpy as np

from olympus.demo.reference import N_MONTHS, SNAPSHOT, Cols, add_months, month_index

_MISS_BASE = np.array([0.0065, 0.0030, 0.0010, 0.0055, 0.0055])  # monthly, by category
_BAND_RISK = np.array([3.2, 1.9, 1.0, 0.5, 0.25])  # Poor .. Exceptional
_WRITE_OFF = np.array([0.55, 0.42, 0.30, 0.20, 0.12])  # share of episodes charged off, by band
_PAID_LATE = np.array([0.16, 0.10, 0.06, 0.035, 0.02])  # installments paid a few days late
_PREPAY_BASE = np.array([0.012, 0.010, 0.006, 0.010, 0.015])  # monthly, by category
_MORTGAGE = 2


def _credit_cycle() -> np.ndarray:
    """Missed-payment pressure by month: 2020 shock, 2021 relief, stress building in 2023-24."""
    return np.interp(np.arange(N_MONTHS), [0, 14, 16, 23, 26, 36, 48, 60, 66, 83],
                     [1.0, 1.0, 1.45, 1.3, 0.8, 0.95, 1.1, 1.35, 1.4, 1.2])


def _refi_cycle(category: int) -> np.ndarray:
    """Prepayment pressure: the 2020-21 mortgage refinance wave, then a freeze as rates rose."""
    if category != _MORTGAGE:
        return np.ones(N_MONTHS)
    return np.interp(np.arange(N_MONTHS), [0, 16, 18, 35, 40, 83], [1.0, 1.0, 3.5, 3.5, 0.5, 0.5])


def _first_event(rng: np.random.Generator, o: np.ndarray, hazard: np.ndarray | float,
                 cycle: np.ndarray) -> np.ndarray:
    """Installment at which a calendar-varying monthly hazard first fires (past horizon: never)."""
    c = np.r_[0.0, np.cumsum(cycle)]
    x = np.maximum(rng.exponential(1.0, len(o)), 1e-12) / hazard
    return np.searchsorted(c, c[o + 1] + x, side="left") - o - 1


def _balance(ln: Cols, k: np.ndarray) -> np.ndarray:
    """Principal left after k scheduled installments (standard amortization)."""
    r = ln["interest_rate"] / 1200
    g = (1 + r) ** k
    return np.round(np.maximum(ln["principal"] * g - ln["monthly_payment"] * (g - 1) / r, 0), 2)


def _events(rng: np.random.Generator, ln: Cols) -> Cols:
    """Per loan: first missed installment, how the episode ends, and early payoff."""
    o, term = month_index(ln["origination_date"]), ln["term_months"]
    cat, band, n = ln["_cat"], ln["_band"], len(term)
    n_due = np.minimum(term, N_MONTHS - 1 - o)
    t = _first_event(rng, o, _MISS_BASE[cat] * _BAND_RISK[band], _credit_cycle())
    p = np.zeros(n, dtype=np.int64)
    for c in range(len(_PREPAY_BASE)):
        mask = cat == c
        p[mask] = _first_event(rng, o[mask], _PREPAY_BASE[c], _refi_cycle(c))
    write_off = rng.random(n) < _WRITE_OFF[band] * np.where(cat == _MORTGAGE, 0.5, 1.0)
    m = np.minimum(rng.choice([1, 2, 3, 4], n, p=[0.5, 0.27, 0.13, 0.1]), np.maximum(term - t, 0))
    plan = (m >= 3) & (rng.random(n) < 0.5)
    cure_date = add_months(ln["origination_date"], t + m) + rng.integers(0, 21, n)
    trouble = (t <= n_due) & (t < p)
    due_t = add_months(ln["origination_date"], t)
    charged = trouble & write_off & (due_t + 180 <= SNAPSHOT)
    cured = trouble & ~write_off & (cure_date <= SNAPSHOT)
    prepaid = (p <= n_due) & (p < term) & (~trouble | (cured & (p > t + m)))
    rows = np.where(trouble & write_off, np.minimum(t + 5, n_due), np.where(prepaid, p, n_due))
    return {"t": t, "p": p, "m": m, "plan": plan, "cure_date": cure_date, "due_t": due_t,
            "trouble": trouble, "charged": charged, "cured": cured, "prepaid": prepaid,
            "open": trouble & ~charged & ~cured, "rows": rows, "matured": n_due == term}


def _payments(rng: np.random.Generator, ln: Cols, ev: Cols) -> Cols:
    """One row per installment due by the snapshot: paid on time, late, caught up or missed."""
    rows = ev["rows"]
    li = np.repeat(np.arange(len(rows)), rows)
    k = np.arange(len(li)) - np.repeat(np.cumsum(rows) - rows, rows) + 1
    due = add_months(ln["origination_date"][li], k)
    late = rng.random(len(li)) < _PAID_LATE[ln["_band"][li]]
    shift = np.where(late, rng.integers(1, 26, len(li)), -rng.integers(0, 6, len(li)))
    in_episode = ev["trouble"][li] & (k >= ev["t"][li])
    caught_up = in_episode & ev["cured"][li] & (k <= (ev["t"] + ev["m"])[li])
    missed = in_episode & ~ev["cured"][li]
    paid = np.where(caught_up, ev["cure_date"][li], np.minimum(due + shift, SNAPSHOT))
    payoff = ev["prepaid"][li] & (k == ev["p"][li])
    amount_due = ln["monthly_payment"][li]
    extra = np.where(payoff, _balance(ln, ev["p"])[li], 0.0)
    return {
        "payment_id": np.arange(1, len(li) + 1), "loan_id": ln["loan_id"][li],
        "installment_number": k, "due_date": due,
        "paid_date": np.where(missed, np.datetime64("NaT"), paid),
        "amount_due": amount_due, "amount_paid": np.where(missed, 0.0, amount_due + extra),
        "status": np.where(missed, "missed", np.where(paid > due, "late", "on_time")).astype("O"),
        "payment_type": np.where(payoff, "payoff", "installment").astype(object),
        "_last_paid": paid,
    }


def _loan_outcomes(ln: Cols, ev: Cols, last_paid: np.ndarray) -> Cols:
    """Status, outstanding principal, closing date and write-off of every loan at snapshot."""
    past_due = (SNAPSHOT - ev["due_t"]).astype(np.int64)
    paid_off = (ev["prepaid"] | ev["matured"]) & ~ev["open"] & ~ev["charged"]
    status = np.where(ev["charged"], "charged_off", np.where(ev["open"], np.where(
        past_due >= 90, "default", "late"), np.where(paid_off, "paid_off", "current")))
    open_balance = _balance(ln, np.where(ev["open"], ev["t"] - 1, ev["rows"]))
    outstanding = np.where(ev["charged"] | paid_off, 0.0, open_balance)
    last = np.maximum(np.cumsum(ev["rows"]) - 1, 0)
    closed = np.where(ev["charged"], ev["due_t"] + 180, last_paid[last] if len(last_paid) else last)
    written = _balance(ln, ev["t"] - 1)
    return {"status": status.astype(object), "outstanding_principal": outstanding,
            "closed_date": np.where(ev["charged"] | paid_off, closed, np.datetime64("NaT")),
            "charged_off_amount": np.where(ev["charged"], written, np.nan)}


def _delinquencies(ln: Cols, ev: Cols) -> Cols:
    """Episodes that reached 30+ days past due, with their worst point and resolution."""
    due_t = ev["due_t"]
    end = np.where(ev["charged"], due_t + 180, np.where(ev["cured"], ev["cure_date"], SNAPSHOT))
    dpd = (end - due_t).astype(np.int64)
    keep = np.flatnonzero(ev["trouble"] & (dpd >= 30))
    keep = keep[np.lexsort((keep, due_t[keep]))]
    missed = np.where(ev["cured"], ev["m"] + 1, ev["rows"] - ev["t"] + 1)
    outcome = np.where(ev["charged"], "charged_off", np.where(ev["cured"], np.where(
        ev["plan"], "restructured", "cured"), "open"))
    bucket = np.where(dpd >= 90, "90+", np.where(dpd >= 60, "60", "30"))
    return {
        "delinquency_id": np.arange(1, len(keep) + 1), "loan_id": ln["loan_id"][keep],
        "start_date": due_t[keep], "days_past_due_bucket": bucket[keep].astype(object),
        "max_days_past_due": dpd[keep],
        "amount_past_due": np.round(missed * ln["monthly_payment"], 2)[keep],
        "resolved_date": np.where(ev["open"], np.datetime64("NaT"), end)[keep],
        "outcome": outcome[keep].astype(object),
    }


def service(rng: np.random.Generator, ln: Cols) -> tuple[Cols, Cols, Cols]:
    """Complete the loans with their outcomes; return (loans, payments, delinquencies)."""
    ev = _events(rng, ln)
    pay = _payments(rng, ln, ev)
    done = {**ln, **_loan_outcomes(ln, ev, pay.pop("_last_paid"))}
    return done, pay, _delinquencies(ln, ev)
