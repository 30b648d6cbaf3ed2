"""Demo customers and loan originations: who borrows, when, what, where and at what price."""

from __future__ import annotations

import numpy as np

from olympus.demo.reference import (
    CATEGORIES, N_MONTHS, PRODUCTS, REGION_GROWTH, SNAPSHOT, Cols, demand, month_index,
    month_start, names, seasonality,
)

SEGMENTS = ("Consumer", "Premier", "Small Business")
BANDS = ("Poor", "Fair", "Good", "Very Good", "Exceptional")
INCOME_BANDS = ("<$40k", "$40k-$75k", "$75k-$125k", "$125k-$200k", "$200k+")
_REPEAT_RATE = np.array([0.35, 0.6, 0.8])  # expected extra loans per customer, by segment
_SEGMENT_PRODUCT = np.array([  # product mix per segment, columns follow PRODUCTS
    [0.22, 0.15, 0.14, 0.16, 0.05, 0.08, 0.03, 0.00, 0.00, 0.17, 0.00],
    [0.06, 0.04, 0.16, 0.04, 0.10, 0.28, 0.14, 0.00, 0.00, 0.18, 0.00],
    [0.03, 0.00, 0.06, 0.05, 0.02, 0.00, 0.00, 0.38, 0.18, 0.00, 0.28],
])
_RATE_SENSITIVITY = np.array([0.5, 0.7, 1.0, 0.6, 0.5])  # to the market index, by category
# Market rate index (percent): pre-2020 level, 2020-21 lows, 2022-23 hikes, 2024-25 easing.
_MARKET = np.interp(np.arange(N_MONTHS), [0, 12, 14, 26, 36, 47, 54, 60, 71, 83],
                    [4.0, 3.7, 2.9, 2.9, 3.4, 6.4, 7.2, 7.0, 6.6, 6.2])


def _home_branches(rng: np.random.Generator, m: int, count: int, br: Cols) -> np.ndarray:
    """Branch of each new customer in month m: open branches, faster-growing regions, ramp-up."""
    opened_m = month_index(br["opened_date"])
    ramp = np.clip((m - opened_m) / 18, 0.1, 1.0)
    weight = br["_size"] * ramp * REGION_GROWTH[br["_region_ix"]] ** (m / 12)
    weight = np.where(br["opened_date"] <= month_start(m), weight, 0.0)
    return rng.choice(len(weight), count, p=weight / weight.sum())


def customers(rng: np.random.Generator, n: int, br: Cols) -> Cols:
    """Customers whose first loans follow the demand curve, with segment, credit and income."""
    counts = rng.multinomial(n, demand() / demand().sum())
    home = np.concatenate([_home_branches(rng, m, c, br) for m, c in enumerate(counts)])
    month = np.repeat(np.arange(N_MONTHS), counts)
    days = (month_start(month + 1) - month_start(month)).astype(np.int64)
    first = month_start(month) + (rng.random(n) * days).astype(np.int64)  # first loan
    signup = np.maximum(first - rng.integers(0, 22, n), br["opened_date"][home])
    order = np.lexsort((first, signup))
    home, signup, first = home[order], signup[order], first[order]
    seg = rng.choice(3, n, p=[0.78, 0.12, 0.10])
    score = rng.normal(np.array([685, 760, 705])[seg], np.array([75, 45, 60])[seg])
    score = np.clip(score, 480, 850).round().astype(np.int64)
    band = np.searchsorted([580, 670, 740, 800], score, side="right")
    log_income = (np.log(58_000) + 0.45 * rng.standard_normal(n) + 0.004 * (score - 690)
                  + np.array([0.0, 0.75, 0.45])[seg])
    income = np.round(np.exp(log_income), -2)
    income_band = np.searchsorted([40_000, 75_000, 125_000, 200_000], income, side="right")
    return {
        "customer_id": np.arange(1, n + 1), "full_name": names(rng, n),
        "segment": np.array(SEGMENTS, dtype=object)[seg], "credit_score": score,
        "credit_score_band": np.array(BANDS, dtype=object)[band], "annual_income": income,
        "income_band": np.array(INCOME_BANDS, dtype=object)[income_band],
        "city": br["city"][home], "state": br["state"][home], "region": br["region"][home],
        "home_branch_id": br["branch_id"][home], "signup_date": signup,
        "_seg": seg, "_band": band, "_home": home, "_first": first,
    }


def _group_cumsum(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Running sum that restarts for every group of consecutive rows."""
    total = np.cumsum(values)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    before = np.r_[0.0, total][starts]
    return total - before


def _originations(rng: np.random.Generator, cu: Cols) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, origination date) of every loan, in chronological order."""
    n = len(cu["customer_id"])
    first = cu["_first"]
    extra = rng.poisson(_REPEAT_RATE[cu["_seg"]])
    owner = np.repeat(np.arange(n), extra)
    gaps = _group_cumsum(rng.exponential(420, len(owner)) + 60, extra).astype(np.int64)
    later = first[owner] + gaps
    shape = seasonality() / seasonality().max()  # repeat loans dip and peak like new ones
    month = np.minimum(month_index(later), N_MONTHS - 1)
    keep = (later <= SNAPSHOT) & (rng.random(len(owner)) < shape[month])
    who = np.r_[np.arange(n), owner[keep]]
    when = np.r_[first, later[keep]]
    order = np.lexsort((who, when))
    return who[order], when[order]


def _pick_products(rng: np.random.Generator, seg: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Product index per loan from the segment's mix, among products launched by then."""
    launched = np.array([p[8] for p in PRODUCTS], dtype="M8[D]")
    weight = _SEGMENT_PRODUCT[seg] * (launched[None, :] <= when[:, None])
    cum = weight.cumsum(axis=1)
    u = rng.random(len(seg)) * cum[:, -1]
    return (cum <= u[:, None]).sum(axis=1)


def _price(rng: np.random.Generator, prod: np.ndarray, score: np.ndarray,
           income: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, ...]:
    """Term, rate and principal per loan: riskier borrowers and higher markets pay more."""
    cat, lo, hi = (np.array([p[i] for p in PRODUCTS])[prod] for i in (1, 3, 4))
    amin, amax = (np.array([p[i] for p in PRODUCTS], dtype=float)[prod] for i in (6, 7))
    risk = np.clip((850 - score) / 370, 0, 1)
    market = _MARKET[np.minimum(month_index(when), N_MONTHS - 1)]
    rate = (lo + (hi - lo) * (0.15 + 0.7 * risk) + _RATE_SENSITIVITY[cat] * (market - 4.5)
            + rng.normal(0, 0.35, len(prod)))
    rate = np.round(np.clip(rate, lo, hi), 2)
    pos = np.clip(rng.beta(2, 4, len(prod)) + 0.18 * np.log(income / 70_000), 0, 1)
    principal = amin * (amax / amin) ** pos
    principal = np.where(cat == 2, np.round(principal, -3), np.round(principal, -2))
    term = np.zeros(len(prod), dtype=np.int64)
    for i, p in enumerate(PRODUCTS):
        mask = prod == i
        term[mask] = rng.choice(np.array(p[5]), mask.sum())
    return cat, term, rate, principal


def _officers(rng: np.random.Generator, branch_ix: np.ndarray, when: np.ndarray,
              br: Cols, of: Cols) -> np.ndarray:
    """An officer of the loan's branch who had already been hired at origination."""
    out = np.zeros(len(branch_ix), dtype=np.int64)
    for b, branch_id in enumerate(br["branch_id"]):
        mask = branch_ix == b
        ids = of["officer_id"][of["branch_id"] == branch_id]
        hires = of["hire_date"][of["branch_id"] == branch_id]  # sorted, first at opening
        eligible = np.searchsorted(hires, when[mask], side="right")
        out[mask] = ids[(rng.random(mask.sum()) * eligible).astype(np.int64)]
    return out


def _campaigns(rng: np.random.Generator, cat: np.ndarray, when: np.ndarray,
               ca: Cols) -> np.ndarray:
    """Campaign credited with each loan (NaN = organic): a share of matching loans in its window."""
    out = np.full(len(cat), np.nan)
    target = np.array([CATEGORIES.index(t) for t in ca["target_category"]])
    for i, cid in enumerate(ca["campaign_id"]):
        hit = ((cat == target[i]) & (when >= ca["start_date"][i]) & (when <= ca["end_date"][i])
               & np.isnan(out) & (rng.random(len(cat)) < 0.4))
        out[hit] = cid
    return out


def loans(rng: np.random.Generator, cu: Cols, br: Cols, of: Cols, ca: Cols) -> Cols:
    """Originated loans with product, pricing, branch, officer and campaign attribution."""
    who, when = _originations(rng, cu)
    prod = _pick_products(rng, cu["_seg"][who], when)
    cat, term, rate, principal = _price(rng, prod, cu["credit_score"][who],
                                        cu["annual_income"][who], when)
    r = rate / 1200
    payment = np.round(principal * r / (1 - (1 + r) ** -term), 2)
    home = cu["_home"][who]
    return {
        "loan_id": np.arange(1, len(who) + 1), "customer_id": cu["customer_id"][who],
        "product_id": prod + 1, "branch_id": br["branch_id"][home],
        "officer_id": _officers(rng, home, when, br, of),
        "campaign_id": _campaigns(rng, cat, when, ca), "origination_date": when,  # NaN: organic
        "principal": principal, "interest_rate": rate, "term_months": term,
        "monthly_payment": payment, "_cat": cat, "_band": cu["_band"][who],
    }
