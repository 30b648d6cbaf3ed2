"""Demo reference data: calendar, branches, officers, products, campaigns and customers."""

from __future__ import annotations

import numpy as np

Cols = dict[str, np.ndarray]

START = np.datetime64("2019-01-01")
SNAPSHOT = np.datetime64("2025-12-31")
N_MONTHS = 84  # 2019-01 .. 2025-12
REGIONS = ("Northeast", "Southeast", "Midwest", "Southwest", "West")
REGION_GROWTH = np.array([0.98, 1.05, 0.97, 1.06, 1.04])  # relative yearly share growth
SEASON = np.array([0.82, 0.88, 1.04, 1.10, 1.12, 1.10, 1.06, 1.05, 1.00, 0.98, 0.93, 0.82])
_COVID = {14: 0.80, 15: 0.42, 16: 0.50, 17: 0.63, 18: 0.75, 19: 0.85, 20: 0.92}

BRANCHES = (  # name, city, state, region index, opened
    ("Boston Back Bay", "Boston", "MA", 0, "2004-03-15"),
    ("Hartford Downtown", "Hartford", "CT", 0, "2006-09-05"),
    ("Providence Federal Hill", "Providence", "RI", 0, "2009-04-20"),
    ("Newark Ironbound", "Newark", "NJ", 0, "2011-06-13"),
    ("Philadelphia Center City", "Philadelphia", "PA", 0, "2003-10-01"),
    ("Pittsburgh Strip District", "Pittsburgh", "PA", 0, "2008-02-11"),
    ("Albany Center Square", "Albany", "NY", 0, "2012-08-27"),
    ("Buffalo Elmwood", "Buffalo", "NY", 0, "2014-05-19"),
    ("Atlanta Midtown", "Atlanta", "GA", 1, "2005-07-11"),
    ("Charlotte South End", "Charlotte", "NC", 1, "2010-01-25"),
    ("Raleigh Glenwood", "Raleigh", "NC", 1, "2016-03-07"),
    ("Nashville The Gulch", "Nashville", "TN", 1, "2019-09-16"),
    ("Orlando Lake Eola", "Orlando", "FL", 1, "2013-11-04"),
    ("Tampa Hyde Park", "Tampa", "FL", 1, "2015-04-13"),
    ("Miami Brickell", "Miami", "FL", 1, "2007-02-26"),
    ("Charleston King Street", "Charleston", "SC", 1, "2022-04-04"),
    ("Chicago Loop", "Chicago", "IL", 2, "2002-05-06"),
    ("Columbus Short North", "Columbus", "OH", 2, "2009-10-19"),
    ("Cleveland Ohio City", "Cleveland", "OH", 2, "2006-06-12"),
    ("Indianapolis Mass Ave", "Indianapolis", "IN", 2, "2011-03-21"),
    ("Detroit Corktown", "Detroit", "MI", 2, "2012-09-10"),
    ("Milwaukee Third Ward", "Milwaukee", "WI", 2, "2010-07-26"),
    ("Minneapolis North Loop", "Minneapolis", "MN", 2, "2008-11-17"),
    ("Kansas City Crossroads", "Kansas City", "MO", 2, "2017-02-06"),
    ("Dallas Uptown", "Dallas", "TX", 3, "2007-08-20"),
    ("Houston Montrose", "Houston", "TX", 3, "2009-05-04"),
    ("Austin South Congress", "Austin", "TX", 3, "2018-01-22"),
    ("San Antonio Pearl", "San Antonio", "TX", 3, "2020-10-05"),
    ("Fort Worth Sundance Square", "Fort Worth", "TX", 3, "2023-02-13"),
    ("Phoenix Roosevelt Row", "Phoenix", "AZ", 3, "2014-09-08"),
    ("Albuquerque Nob Hill", "Albuquerque", "NM", 3, "2016-10-24"),
    ("Oklahoma City Bricktown", "Oklahoma City", "OK", 3, "2021-06-14"),
    ("Denver LoDo", "Denver", "CO", 4, "2013-04-01"),
    ("Salt Lake City Sugar House", "Salt Lake City", "UT", 4, "2019-03-18"),
    ("Las Vegas Summerlin", "Las Vegas", "NV", 4, "2017-06-05"),
    ("Sacramento Midtown", "Sacramento", "CA", 4, "2015-08-17"),
    ("San Diego North Park", "San Diego", "CA", 4, "2011-12-05"),
    ("Portland Pearl District", "Portland", "OR", 4, "2016-05-16"),
    ("Seattle Capitol Hill", "Seattle", "WA", 4, "2012-02-13"),
    ("Boise Downtown", "Boise", "ID", 4, "2021-09-20"),
)

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony "
    "Sandra Mark Ashley Priya Emily Andrew Maria Kevin Michelle Brian Amanda Wei Melissa Jose "
    "Stephanie Omar Rebecca Luis Laura Aisha Nicole Ryan Grace").split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Nguyen Hill Flores "
    "Green Adams Nelson Baker Hall Rivera Campbell Mitchell Patel").split()

CATEGORIES = ("Personal", "Auto", "Mortgage", "Small Business", "Credit Line")
PRODUCTS = (  # name, category index, secured, min/max rate, terms, min/max amount, launched
    ("Personal Loan", 0, False, 7.99, 29.99, (24, 36, 48, 60), 2000, 40000, "2012-01-01"),
    ("Debt Consolidation Loan", 0, False, 8.49, 27.99, (36, 48, 60), 5000, 50000, "2016-05-01"),
    ("New Auto Loan", 1, True, 3.49, 14.99, (36, 48, 60, 72), 10000, 75000, "2010-01-01"),
    ("Used Auto Loan", 1, True, 4.99, 19.99, (24, 36, 48, 60), 5000, 45000, "2010-01-01"),
    ("EV & Hybrid Auto Loan", 1, True, 2.99, 12.99, (36, 48, 60, 72), 15000, 90000, "2021-04-01"),
    ("30-Year Fixed Mortgage", 2, True, 2.75, 8.25, (360,), 120000, 950000, "2008-01-01"),
    ("15-Year Fixed Mortgage", 2, True, 2.25, 7.50, (180,), 100000, 800000, "2008-01-01"),
    ("Small Business Term Loan", 3, False, 6.99, 21.99, (12, 24, 36, 60, 84), 25000, 500000,
     "2014-01-01"),
    ("Equipment Financing", 3, True, 5.99, 17.99, (24, 36, 48, 60), 15000, 350000, "2020-09-01"),
    ("Personal Line of Credit", 4, False, 9.99, 24.99, (36, 48, 60), 2500, 35000, "2011-01-01"),
    ("Business Line of Credit", 4, False, 8.99, 22.99, (12, 24, 36), 10000, 250000, "2018-01-01"),
)
_CAMPAIGNS = (  # name, category, start MM-DD, end MM-DD
    ("Spring Auto Event", "Auto", "03-01", "04-30"),
    ("Small Business Week", "Small Business", "05-01", "05-31"),
    ("Summer Home Buyer", "Mortgage", "06-01", "08-31"),
    ("Fresh Start Debt Consolidation", "Personal", "09-15", "10-31"),
    ("Holiday Credit Line", "Credit Line", "11-01", "12-31"),
)
_CHANNELS = ("Email", "Paid Search", "Direct Mail", "Social", "TV", "Referral")
_CHANNEL_COST = np.array([0.3, 1.0, 0.8, 0.6, 2.5, 0.4])


def month_start(m: np.ndarray | int) -> np.ndarray:
    """First day of month index m (0 = 2019-01), the unit every trend is expressed in."""
    return (np.datetime64("2019-01", "M") + np.asarray(m)).astype("M8[D]")


def month_index(d: np.ndarray) -> np.ndarray:
    """Month index (0 = 2019-01) of each date."""
    return (d.astype("M8[M]") - np.datetime64("2019-01", "M")).astype(np.int64)


def add_months(d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Same day k months later (day capped at 28), how installments fall due."""
    day = np.minimum((d - d.astype("M8[M]").astype("M8[D]")).astype(np.int64), 27)
    return (d.astype("M8[M]") + k).astype("M8[D]") + day


def seasonality() -> np.ndarray:
    """Monthly factor without growth: spring peaks, December lull and the spring-2020 dip."""
    m = np.arange(N_MONTHS)
    return SEASON[m % 12] * np.array([_COVID.get(i, 1.0) for i in m])


def demand() -> np.ndarray:
    """Monthly demand for new customers: about 16% growth a year on top of seasonality."""
    return 1.16 ** (np.arange(N_MONTHS) / 12) * seasonality()


def names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Plausible full names drawn from short hard-coded lists."""
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    return np.char.add(np.char.add(first.astype(str), " "), last.astype(str)).astype(object)


def branches(rng: np.random.Generator) -> Cols:
    """The hard-coded branch network with generated managers and relative sizes."""
    n = len(BRANCHES)
    return {
        "branch_id": np.arange(1, n + 1),
        "branch_name": np.array([b[0] for b in BRANCHES], dtype=object),
        "region": np.array([REGIONS[b[3]] for b in BRANCHES], dtype=object),
        "city": np.array([b[1] for b in BRANCHES], dtype=object),
        "state": np.array([b[2] for b in BRANCHES], dtype=object),
        "opened_date": np.array([b[4] for b in BRANCHES], dtype="M8[D]"),
        "manager_name": names(rng, n),
        "_region_ix": np.array([b[3] for b in BRANCHES]),
        "_size": rng.lognormal(0.0, 0.35, n),
    }


def loan_officers(rng: np.random.Generator, br: Cols) -> Cols:
    """Three to six officers per branch; the first joins when the branch opens."""
    counts = rng.integers(3, 7, len(br["branch_id"]))
    branch_ix = np.repeat(np.arange(len(counts)), counts)
    opened = br["opened_date"][branch_ix]
    span = (np.datetime64("2025-06-30") - opened).astype(np.int64)
    hire = opened + (rng.random(len(branch_ix)) * span).astype(np.int64)
    first = np.r_[True, branch_ix[1:] != branch_ix[:-1]]
    hire = np.where(first, opened, hire).astype("M8[D]")
    order = np.lexsort((hire, branch_ix))
    branch_ix, hire = branch_ix[order], hire[order]
    titles = np.array(["Loan Officer", "Senior Loan Officer", "Mortgage Specialist"], dtype=object)
    n = len(branch_ix)
    return {"officer_id": np.arange(1, n + 1), "branch_id": br["branch_id"][branch_ix],
            "full_name": names(rng, n), "title": titles[rng.choice(3, n, p=[0.6, 0.25, 0.15])],
            "hire_date": hire}


def loan_products() -> Cols:
    """The fixed product catalog (no randomness: products are business decisions)."""
    col = list(zip(*PRODUCTS))
    return {
        "product_id": np.arange(1, len(PRODUCTS) + 1),
        "product_name": np.array(col[0], dtype=object),
        "category": np.array([CATEGORIES[c] for c in col[1]], dtype=object),
        "is_secured": np.array(col[2]),
        "min_rate": np.array(col[3]), "max_rate": np.array(col[4]),
        "min_term_months": np.array([min(t) for t in col[5]]),
        "max_term_months": np.array([max(t) for t in col[5]]),
        "min_amount": np.array(col[6], dtype=float), "max_amount": np.array(col[7], dtype=float),
        "launched_date": np.array(col[8], dtype="M8[D]"),
    }


def marketing_campaigns(rng: np.random.Generator) -> Cols:
    """Five seasonal campaigns a year; spring 2020's auto event was cancelled."""
    rows = [(f"{name} {y}", cat, f"{y}-{s}", f"{y}-{e}") for y in range(2019, 2026)
            for name, cat, s, e in _CAMPAIGNS if (y, name) != (2020, "Spring Auto Event")]
    n = len(rows)
    channel = rng.choice(len(_CHANNELS), n)
    budget = np.round(rng.uniform(40_000, 120_000, n) * _CHANNEL_COST[channel], -2)
    col = list(zip(*rows))
    return {"campaign_id": np.arange(1, n + 1), "campaign_name": np.array(col[0], dtype=object),
            "channel": np.array(_CHANNELS, dtype=object)[channel],
            "target_category": np.array(col[1], dtype=object),
            "start_date": np.array(col[2], dtype="M8[D]"),
            "end_date": np.array(col[3], dtype="M8[D]"), "budget_usd": budget}
