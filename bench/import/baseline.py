#!/usr/bin/env python3
"""Baseline for the import benchmark: the same work as `prospector import`, the way a careful
Python script would do it.

    baseline.py CSV DB

- reads CSV with the csv module (header names map the columns);
- phone to E.164 with the `phonenumbers` package, region from the Country column (default US);
  "(0)" trunk marks and a leading 00 handled as prospector does; valid or possible numbers kept;
- e-mail trimmed and lower-cased, with a simple syntax check;
- website to its domain (scheme, www., path, port dropped; registrable part kept);
- a row without an identity (valid e-mail, phone, company name or website) is an error;
- in-file de-duplication by the same rule as prospector's Deduper (contact e-mail/phone, else
  company domain/phone);
- sqlite3 `executemany` into `companies` and `contacts` with the same unique and lookup indexes
  as the real schema (UNIQUE(workspace_id, email) on contacts, (workspace_id, phone) and
  (workspace_id, domain)), INSERT OR IGNORE for rows the database already holds, a commit
  every 10,000 rows;
- prints one JSON line {"rows","created","duplicates","errors","seconds", ...}.
"""

import csv
import json
import os
import re
import sqlite3
import sys
import time

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

WORKSPACE = 1
BATCH = 10_000

COUNTRY = {}
for code, names in {
    "US": "us|usa|u.s.|u.s.a.|united states|united states of america|america",
    "GB": "gb|uk|united kingdom|great britain|britain|england|scotland|wales",
    "DE": "de|deu|germany|deutschland",
    "FR": "fr|fra|france",
    "ES": "es|esp|spain|españa|espana",
    "IT": "it|ita|italy|italia",
}.items():
    for n in names.split("|"):
        COUNTRY[n] = code

PLACEHOLDERS = {"", "-", "--", "n/a", "na", "n.a.", "null", "nil", "none", "?", "#n/a", "tbd"}
EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
SECOND_LEVEL = {"co.uk", "org.uk", "ac.uk", "com.es", "com.fr", "co.it", "com.au", "co.nz"}


def country_of(raw):
    return COUNTRY.get(raw.strip().lower())


def norm_email(raw):
    s = raw.strip().lower()
    if s.startswith("mailto:"):
        s = s[7:]
    s = s.rstrip(";,.")
    if not s or s in PLACEHOLDERS:
        return None
    if not EMAIL_RE.match(s) or ".." in s:
        return None
    local = s.split("@", 1)[0]
    if local.startswith(".") or local.endswith("."):
        return None
    return s


def norm_phone(raw, region):
    s = raw.strip()
    if s.lower() in PLACEHOLDERS:
        return None
    if sum(ch.isdigit() for ch in s) < 3:
        return None
    s = s.replace("(0)", "")
    if s.startswith("00"):
        s = "+" + s[2:]
    try:
        n = phonenumbers.parse(s, region or "US")
    except NumberParseException:
        return None
    if not (phonenumbers.is_valid_number(n) or phonenumbers.is_possible_number(n)):
        return None
    return phonenumbers.format_number(n, PhoneNumberFormat.E164)


def domain_of(raw):
    s = raw.strip().lower()
    if not s or s in PLACEHOLDERS or " " in s or "@" in s:
        return None
    if "://" in s:
        scheme, s = s.split("://", 1)
        if scheme not in ("http", "https"):
            return None
    host = re.split(r"[/?#]", s, maxsplit=1)[0].split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    n = 3 if ".".join(labels[-2:]) in SECOND_LEVEL and len(labels) >= 3 else 2
    return ".".join(labels[-n:])


def clean(raw):
    s = " ".join(raw.split())
    return s if s and s.lower() not in PLACEHOLDERS else None


SCHEMA = """
CREATE TABLE companies (
    id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL, name TEXT, domain TEXT,
    website TEXT, phone TEXT, category TEXT, city TEXT, country TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX companies_ws_domain ON companies(workspace_id, domain);
CREATE INDEX companies_ws_phone ON companies(workspace_id, phone);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL, company_id INTEGER,
    first_name TEXT, last_name TEXT, job_title TEXT, email TEXT, phone TEXT,
    city TEXT, country TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_ws_email ON contacts(workspace_id, email);
CREATE INDEX contacts_ws_phone ON contacts(workspace_id, phone);
CREATE INDEX contacts_ws_company ON contacts(workspace_id, company_id);
"""


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: baseline.py CSV DB")
    path, db_path = sys.argv[1], sys.argv[2]
    t0 = time.time()
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(db_path + suffix)
        except FileNotFoundError:
            pass
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)

    seen = set()  # hashes of every de-duplication key met so far (like prospector's Deduper)
    company_ids = {}  # hash of company key -> id, to attach contacts to their company
    next_company = 1
    companies, contacts = [], []
    rows = created = duplicates = errors = warnings = 0
    contacts_created = companies_created = 0
    now = int(time.time())

    def flush():
        nonlocal contacts_created, companies_created
        if companies:
            db.executemany(
                "INSERT OR IGNORE INTO companies (id, workspace_id, name, domain, website, phone,"
                " category, city, country, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)", companies)
            companies_created += len(companies)
        if contacts:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO contacts (workspace_id, company_id, first_name, last_name,"
                " job_title, email, phone, city, country, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)", contacts)
            contacts_created += db.total_changes - before
        db.commit()
        companies.clear()
        contacts.clear()

    with open(path, newline="", encoding="utf-8-sig") as f:
        rd = csv.reader(f)
        header = [h.strip().lower() for h in next(rd)]
        col = {h: i for i, h in enumerate(header)}
        i_company, i_web, i_email = col["company name"], col["website"], col["e-mail"]
        i_phone, i_first, i_last = col["phone number"], col["first name"], col["last name"]
        i_title, i_city, i_country = col["job title"], col["city"], col["country"]
        i_cat = col["category"]
        width = len(header)
        for rec in rd:
            rows += 1
            if rows % BATCH == 0:
                flush()
            if len(rec) < width:
                rec += [""] * (width - len(rec))
            region = country_of(rec[i_country])
            email = norm_email(rec[i_email]) if rec[i_email] else None
            if rec[i_email] and email is None and clean(rec[i_email]):
                warnings += 1
            phone = norm_phone(rec[i_phone], region) if rec[i_phone] else None
            if rec[i_phone] and phone is None and clean(rec[i_phone]):
                warnings += 1
            website = clean(rec[i_web])
            domain = domain_of(website) if website else None
            name = clean(rec[i_company])
            first, last, title = clean(rec[i_first]), clean(rec[i_last]), clean(rec[i_title])
            if not (email or phone or name or domain):
                errors += 1
                continue
            person = bool(first or last)
            # Keys: contact keys (email, phone) decide when present; else company keys.
            contact_keys = []
            if email:
                contact_keys.append(hash(("e", email)))
            if phone:
                contact_keys.append(hash(("p", phone)))
            company_keys = []
            if domain:
                company_keys.append(hash(("d", domain)))
            if phone and not person:
                company_keys.append(hash(("cp", phone)))
            decisive = contact_keys or company_keys
            if any(k in seen for k in decisive):
                duplicates += 1
                seen.update(contact_keys)
                seen.update(company_keys)
                continue
            seen.update(contact_keys)
            seen.update(company_keys)
            created += 1
            city, country = clean(rec[i_city]), region or None
            company_id = None
            if name or domain:
                ckey = hash(("d", domain)) if domain else hash(("n", name.lower()))
                company_id = company_ids.get(ckey)
                if company_id is None:
                    company_id = next_company
                    next_company += 1
                    company_ids[ckey] = company_id
                    companies.append((company_id, WORKSPACE, name, domain, website,
                                      None if person else phone, clean(rec[i_cat]), city,
                                      country, now, now))
            if email or phone or person or title:
                contacts.append((WORKSPACE, company_id, first, last, title, email, phone,
                                 None if company_id else city, country, now, now))
    flush()
    db.close()
    print(json.dumps({
        "rows": rows, "created": created, "duplicates": duplicates, "errors": errors,
        "warnings": warnings, "contacts_created": contacts_created,
        "companies_created": companies_created, "seconds": round(time.time() - t0, 2),
    }))


if __name__ == "__main__":
    main()
