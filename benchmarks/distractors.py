"""Deterministic, plausible business tables that pad a catalog to enterprise size.

Domains deliberately overlap BIRD's vocabulary (customers, transactions, accounts, players, schools,
posts, events, patients, cards...) so retrieval has to find the right tables, not just any.
"""

from __future__ import annotations

import random

# column -> (type, comment template; {e} is the entity in words)
COLUMNS = {
    "name": ("text", "Display name of the {e}"), "code": ("text", "Short business code of the {e}"),
    "status": ("text", "Lifecycle status of the {e} (e.g. 'active', 'closed')"),
    "created_at": ("timestamp", "When the {e} record was created"),
    "updated_at": ("timestamp", "When the {e} record was last modified"),
    "amount": ("numeric(12,2)", "Monetary amount of the {e}"), "currency": ("char(3)", "ISO 4217 currency code, e.g. 'EUR', 'USD'"),
    "country": ("text", "Country of the {e}"), "region": ("text", "Sales region (EMEA, APAC, AMER)"),
    "city": ("text", "City of the {e}"), "email": ("text", "Contact e-mail address"),
    "phone": ("text", "Contact phone number"), "description": ("text", "Free-text description of the {e}"),
    "quantity": ("integer", "Number of units"), "price": ("numeric(10,2)", "Unit price"),
    "date": ("date", "Business date of the {e}"), "year": ("integer", "Calendar year"),
    "month": ("integer", "Calendar month (1-12)"), "score": ("real", "Computed score of the {e}"),
    "rating": ("real", "Average rating given to the {e}"), "type": ("text", "Category or type of the {e}"),
    "birth_date": ("date", "Date of birth"), "gender": ("text", "Gender as reported (M/F/other)"),
    "title": ("text", "Title of the {e}"), "body": ("text", "Body text of the {e}"),
    "balance": ("numeric(14,2)", "Current balance"), "opened_on": ("date", "Date the {e} was opened"),
    "closed_on": ("date", "Date the {e} was closed, if any"), "segment": ("text", "Customer segment (SMB, Enterprise, Consumer)"),
    "weight": ("real", "Weight in kilograms"), "height": ("real", "Height in centimetres"),
    "start_date": ("date", "Start date"), "end_date": ("date", "End date"), "duration": ("integer", "Duration in minutes"),
    "position": ("text", "Position or role"), "points": ("integer", "Points earned"),
    "season": ("text", "Season label, e.g. '2015/2016'"), "grade": ("text", "Grade level"),
    "enrollment": ("integer", "Number of enrolled students"), "district": ("text", "District name"),
    "county": ("text", "County name"), "zip": ("text", "Postal code"), "address": ("text", "Street address"),
    "url": ("text", "Web address"), "views": ("integer", "Number of views"), "votes": ("integer", "Number of votes"),
    "tags": ("text", "Comma-separated tags"), "language": ("text", "ISO language code"), "cost": ("numeric(12,2)", "Cost incurred"),
    "budget": ("numeric(12,2)", "Budgeted amount"), "location": ("text", "Location of the {e}"), "capacity": ("integer", "Maximum capacity"),
    "result": ("text", "Outcome or result value"), "unit": ("text", "Unit of measure"), "value": ("real", "Measured value"),
    "priority": ("text", "Priority (low, medium, high)"), "channel": ("text", "Acquisition or sales channel"),
    "sku": ("text", "Stock keeping unit"), "brand": ("text", "Brand name"), "color": ("text", "Colour name"),
    "speed": ("real", "Speed"), "distance": ("real", "Distance in kilometres"), "level": ("integer", "Level or tier"),
    "age": ("integer", "Age in years"), "diagnosis": ("text", "Diagnosis code (ICD-10)"), "nationality": ("text", "Nationality"),
}

# domain -> entity -> (comment, columns, referenced entities)
DOMAINS: dict[str, dict[str, tuple[str, str, str]]] = {
    "sales": {"customers": ("Customers who buy from us", "name email phone country region segment created_at", ""),
              "orders": ("Sales orders", "date status amount currency channel", "customers"),
              "order_items": ("Line items of sales orders", "quantity price", "orders products"),
              "products": ("Product catalogue", "name sku brand price color type", ""),
              "invoices": ("Invoices issued to customers", "date amount currency status", "customers orders"),
              "payments": ("Payments received against invoices", "date amount currency channel", "invoices"),
              "stores": ("Physical stores and outlets", "name city country region capacity", ""),
              "returns": ("Returned order items", "date quantity result", "order_items")},
    "banking": {"accounts": ("Bank accounts", "opened_on closed_on balance currency type status", "clients branches"),
                "clients": ("Bank clients", "name birth_date gender city district", ""),
                "transactions": ("Account transactions", "date amount balance type", "accounts"),
                "cards": ("Payment cards issued", "type opened_on status", "accounts"),
                "loans": ("Loans granted", "date amount duration status", "accounts"),
                "branches": ("Bank branches", "name city district region", "")},
    "hr": {"employees": ("Company employees", "name email gender birth_date position start_date", "departments"),
           "departments": ("Organisational departments", "name code budget", ""),
           "salaries": ("Salary history", "start_date end_date amount currency", "employees"),
           "absences": ("Leave and absence records", "start_date end_date type status", "employees"),
           "reviews": ("Performance reviews", "date score rating description", "employees"),
           "trainings": ("Training courses", "title start_date duration cost", "")},
    "support": {"tickets": ("Support tickets", "title body status priority channel created_at", "users"),
                "ticket_comments": ("Comments on support tickets", "body created_at", "tickets users"),
                "users": ("Application users", "name email country created_at", ""),
                "sla_policies": ("Service-level agreements", "name priority duration", ""),
                "satisfaction_surveys": ("Customer satisfaction surveys", "score rating body", "tickets")},
    "community": {"posts": ("Forum posts", "title body views votes tags created_at", "members"),
                  "comments": ("Comments on forum posts", "body votes created_at", "posts members"),
                  "members": ("Forum members", "name email country created_at points", ""),
                  "badges": ("Badges awarded to members", "name level date", "members"),
                  "post_votes": ("Votes on posts", "type date", "posts members")},
    "sports": {"players": ("Players in the league", "name birth_date height weight nationality position", "teams"),
               "teams": ("Teams", "name city country", ""),
               "matches": ("Matches played", "date season result", "teams"),
               "player_stats": ("Per-match player statistics", "points duration score", "players matches"),
               "leagues": ("Leagues and competitions", "name country level", ""),
               "seasons": ("Sports seasons", "season start_date end_date", "")},
    "education": {"schools": ("Schools in the network", "name district county city zip enrollment type", ""),
                  "students": ("Enrolled students", "name birth_date gender grade", "schools"),
                  "teachers": ("Teaching staff", "name email start_date", "schools"),
                  "courses": ("Courses offered", "title level language", "teachers"),
                  "exam_results": ("Standardised test results", "year score grade", "students courses")},
    "healthcare": {"patients": ("Patients", "name birth_date gender city", ""),
                   "visits": ("Clinic visits", "date diagnosis duration", "patients physicians"),
                   "lab_tests": ("Laboratory test results", "date value unit result", "patients"),
                   "physicians": ("Physicians", "name position", ""),
                   "prescriptions": ("Prescriptions written", "date quantity description", "visits")},
    "events": {"events": ("Company and club events", "title date location type budget", ""),
               "registrations": ("Event registrations", "date status", "events attendees"),
               "attendees": ("People attending events", "name email position", ""),
               "expenses": ("Expenses for events", "date amount description", "events"),
               "sponsors": ("Event sponsors", "name amount", "events")},
    "logistics": {"shipments": ("Outbound shipments", "date status weight distance cost", "warehouses carriers"),
                  "warehouses": ("Warehouses", "name city country capacity", ""),
                  "carriers": ("Shipping carriers", "name code country", ""),
                  "vehicles": ("Fleet vehicles", "code type capacity speed", "carriers"),
                  "deliveries": ("Delivery attempts", "date status result", "shipments")},
    "marketing": {"campaigns": ("Marketing campaigns", "name channel budget start_date end_date", ""),
                  "leads": ("Marketing leads", "name email country segment score", "campaigns"),
                  "ad_spend": ("Daily advertising spend", "date channel cost", "campaigns"),
                  "web_sessions": ("Website sessions", "date duration views channel", "leads")},
    "inventory": {"stock_levels": ("Stock on hand per warehouse", "date quantity", "items"),
                  "items": ("Inventory items", "sku name unit weight price", "suppliers"),
                  "suppliers": ("Suppliers", "name country email rating", ""),
                  "purchase_orders": ("Purchase orders to suppliers", "date amount currency status", "suppliers")},
    "gaming": {"game_cards": ("Collectible game cards", "name type color level rating", "card_sets"),
               "card_sets": ("Card sets and expansions", "name code date", ""),
               "game_players": ("Registered players", "name country level points", ""),
               "tournaments": ("Tournaments", "name date location", "")},
    "energy": {"meters": ("Energy meters", "code type location", "sites"),
               "readings": ("Meter readings", "date value unit", "meters"),
               "sites": ("Sites and facilities", "name city country", ""),
               "tariffs": ("Energy tariffs", "name price currency", "")},
}

ORGS = ["acme", "globex", "initech", "umbrella", "stark", "wayne", "wonka", "tyrell", "cyberdyne",
        "hooli", "vandelay", "dunder", "soylent", "oscorp", "aperture", "gringotts", "monarch", "nakatomi"]
VARIANTS = [("", ""), ("", "_history"), ("stg_", ""), ("", "_daily"), ("", "_archive"),
            ("dim_", ""), ("fct_", ""), ("", "_monthly"), ("", "_v2"), ("raw_", "")]
VARIANT_NOTES = {"_history": "Change history of", "stg_": "Staging copy of", "_daily": "Daily snapshot of",
                 "_archive": "Archived rows of", "dim_": "Dimension:", "fct_": "Fact table:",
                 "_monthly": "Monthly aggregate of", "_v2": "New version of", "raw_": "Raw ingested"}


def distractor_tables(count: int, *, seed: int = 7) -> list[dict]:
    """`count` business tables spread over org/domain schemas, with keys and comments."""
    rng = random.Random(seed)
    tables: list[dict] = []
    while len(tables) < count:
        org = ORGS[len(tables) // 120 % len(ORGS)]
        domain = rng.choice(sorted(DOMAINS))
        schema = f"{org}_{domain}" if rng.random() < 0.6 else f"{domain}_{rng.choice(['eu', 'us', 'dw', 'legacy'])}"
        for entity in DOMAINS[domain]:
            for prefix, suffix in rng.sample(VARIANTS, k=rng.randint(1, 3)):
                table = _table(rng, schema, domain, entity, prefix, suffix)
                if not any(t["schema"] == schema and t["name"] == table["name"] for t in tables):
                    tables.append(table)
    return tables[:count]


def _table(rng: random.Random, schema: str, domain: str, entity: str, prefix: str, suffix: str) -> dict:
    """One table of an entity in a given variant, with FKs to its referenced entities."""
    comment, cols, refs = DOMAINS[domain][entity]
    words = entity.replace("_", " ")
    columns = [_col(f"{_singular(entity)}_id", "bigint", f"Surrogate key of the {_singular(words)}", False)]
    fks = []
    for ref in refs.split():
        name = f"{_singular(ref)}_id"
        columns.append(_col(name, "bigint", f"The {_singular(ref.replace('_', ' '))} this row belongs to", True))
        fks.append({"columns": [name], "references": {"schema": schema, "table": ref, "columns": [name]}})
    picked = cols.split() + rng.sample(sorted(COLUMNS), k=rng.randint(0, 4))
    for col in dict.fromkeys(picked):
        ctype, note = COLUMNS[col]
        columns.append(_col(col, ctype, note.format(e=_singular(words)), True))
    note = VARIANT_NOTES.get(prefix or suffix)
    return {"schema": schema, "name": f"{prefix}{entity}{suffix}", "kind": "view" if prefix == "dim_" else "table",
            "description": f"{note} {comment.lower()}" if note else comment, "columns": columns,
            "primary_key": [columns[0]["name"]], "foreign_keys": fks if not prefix else [],
            "row_count_estimate": int(10 ** rng.uniform(2, 7))}


def _col(name: str, ctype: str, comment: str, nullable: bool) -> dict:
    """A column dict."""
    return {"name": name, "type": ctype, "nullable": nullable, "description": comment, "default": None}


def _singular(word: str) -> str:
    """'customers' -> 'customer', 'addresses' -> 'address' (good enough for generated names)."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def drop_dangling_keys(tables: list[dict]) -> list[dict]:
    """Keep only foreign keys whose target table exists (variants may lack their parent)."""
    present = {(t["schema"], t["name"]) for t in tables}
    for table in tables:
        table["foreign_keys"] = [fk for fk in table["foreign_keys"]
                                 if (fk["references"]["schema"], fk["references"]["table"]) in present]
    return tables
