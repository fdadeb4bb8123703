"""Tracked-collection use cases: postcodes, collections, items, runs and their credit gate,
outputs, result files and the account's credits and time zone.

The running of a run (fetch, parse, save, resume) is `tracking.runner`; the jobs `tracking.tasks`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sellerkit.accounts.models import Account
from sellerkit.domain import capture, schedules
from sellerkit.domain.identifiers import InvalidIdentifier, parse_asin
from sellerkit.domain.money import cents
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Invalid, NotFound, SellerkitError
from sellerkit.kit.db import utcnow
from sellerkit.tracking import repository as repo
from sellerkit.tracking.models import Collection, Item, Run, Zipcode

HISTORY_RUNS = 200  # captures of an item a chart shows at most (the newest)
NEW_ACCOUNT_CREDITS = 500  # every plan's starting credits (`sellerkit credits set` changes them)
PLAN_CREDITS: dict[str, int] = {}  # a plan that grants other than NEW_ACCOUNT_CREDITS


class NotEnoughCredits(SellerkitError):
    status_code = 402


def iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else None


def _text(value: Any, field: str, limit: int, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise Invalid(f"{field}: required")
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise Invalid(f"{field}: expected text")
    text = str(value).strip()
    if len(text) > limit:
        raise Invalid(f"{field}: at most {limit} characters (got {len(text)})")
    return text


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no", ""):
        return value.strip().lower() in ("true", "1", "yes")
    raise Invalid(f"{field}: expected true or false, got {quote(value)}")


def _asin(value: Any, field: str = "asin") -> str:
    try:
        return parse_asin(str(value or "").strip())
    except InvalidIdentifier as exc:
        raise Invalid(f"{field}: {exc}") from None


def _destinations(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise Invalid("destinations: expected webhook URLs, comma-separated or a list")
    out = []
    for item in items:
        url = str(item).strip()
        if url and not url.startswith(("http://", "https://")):
            raise Invalid(f"destinations: {quote(url)} is not an http(s) URL")
        if url:
            out.append(url)
    return out


def _owned(session: Session, find, account_id: int, value: Any, field: str, what: str, missing: str):
    """The account's row whose id a body gives in `field`: 400 when it is no id, 404 (`missing`
    with the id) when the account has none such."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{field}: {quote(value)} is not {what}") from None
    found = find(session, account_id, number) if 0 < number < 2**31 else None
    if found is None:
        raise NotFound(missing.format(number))
    return found


class TrackingService:
    # ---- account: credits and time zone ---------------------------------------------------------

    def account(self, session: Session, account_id: int, lock: bool = False):
        plan = (session.get(Account, account_id).plan or "") if session.get(Account, account_id) else ""
        return repo.account(session, account_id, PLAN_CREDITS.get(plan, NEW_ACCOUNT_CREDITS),
                            schedules.DEFAULT_TIMEZONE, lock=lock)

    def credits(self, session: Session, account_id: int) -> dict:
        row = self.account(session, account_id)
        return {"available_credits": row.available_credits, "used_credits": row.used_credits,
                "frozen_credits": row.frozen_credits,
                "remaining_credits": capture.spendable(row.available_credits, row.used_credits, row.frozen_credits)}

    def set_credits(self, session: Session, account_id: int, available: int) -> dict:
        if available < 0:
            raise Invalid("credits: must be 0 or more")
        row = self.account(session, account_id, lock=True)
        row.available_credits = available
        row.updated_at = utcnow()
        session.flush()
        return self.credits(session, account_id)

    def set_timezone(self, session: Session, account_id: int, name: Any) -> dict:
        tz = _text(name, "timezone", 64, required=True)
        try:
            schedules.zone(tz)
        except schedules.ScheduleError as exc:
            raise Invalid(str(exc)) from None
        row = self.account(session, account_id, lock=True)
        row.timezone, row.updated_at = tz, utcnow()
        session.flush()
        for col in session.query(Collection).filter(Collection.account_id == account_id):  # hours are re-read
            self._reschedule(session, col, tz)
        return {"account_id": account_id, "timezone": tz}

    # ---- postcodes ------------------------------------------------------------------------------

    def zipcode_view(self, z: Zipcode) -> dict:
        domain = capture.DOMAINS[z.domain_id]
        return {"id": z.id, "zipcode": z.zipcode, "domain": domain.short(), "status": z.status,
                "message": z.message, "created_at": iso(z.created_at), "updated_at": iso(z.updated_at)}

    def create_zipcode(self, session: Session, account_id: int, domain_id: Any, value: Any) -> Zipcode:
        domain = capture.domain_by_id(domain_id)
        if domain is None:
            raise Invalid(f"domain: {quote(domain_id)} is not a domain id; see /api/v1/settings/domains/")
        zipcode = _text(value, "zipcode", 12, required=True)
        if not domain.valid_postcode(zipcode):
            raise Invalid(f"zipcode: {quote(zipcode)} is not a postcode of {domain.domain} "
                          f"(postcode_regex {domain.postcode_regex})")
        if repo.zipcode_by_value(session, account_id, domain.id, zipcode) is not None:
            raise Conflict("Zipcode already exists")
        now = utcnow()
        try:
            with session.begin_nested():
                return repo.add(session, Zipcode(account_id=account_id, domain_id=domain.id, zipcode=zipcode,
                                                 status="in-progress", created_at=now, updated_at=now))
        except IntegrityError:
            raise Conflict("Zipcode already exists") from None

    def zipcodes(self, session: Session, account_id: int, status: str | None, domain_id: Any, skip: int,
                 limit: int) -> list[dict]:
        domain = None
        if domain_id not in (None, ""):
            found = capture.domain_by_id(domain_id) or capture.domain_by_name(domain_id)
            if found is None:
                raise Invalid(f"domain: {quote(domain_id)} is not a domain id or name")
            domain = found.id
        return [self.zipcode_view(z) for z in repo.zipcodes(session, account_id, status or None, domain, skip, limit)]

    # ---- collections ----------------------------------------------------------------------------

    def collection(self, session: Session, account_id: int, collection_id: Any) -> Collection:
        return _owned(session, repo.collection, account_id, collection_id, "collection_id", "a collection id",
                      "collection {} not found")

    def collection_view(self, c: Collection) -> dict:
        return {"id": c.id, "name": c.name, "status": c.status, "schedule_status": self._schedule_status(c),
                "request_type": c.request_type, "fetch_mode": c.fetch_mode, "schedule": c.schedule,
                "schedule_time": orjson.loads(c.schedule_time), "priority": c.priority,
                "destinations": orjson.loads(c.destinations), "notification_email": c.notification_email,
                "is_paused": c.paused, "next_run_at": iso(c.next_run_at), "last_run_at": iso(c.last_run_at),
                "message": c.message, "created_at": iso(c.created_at), "updated_at": iso(c.updated_at)}

    @staticmethod
    def _schedule_status(c: Collection) -> str:
        if c.status == "draft":
            return "Pending"  # until its first ASIN
        if c.paused:
            return "Paused"
        if c.status == "Processing":
            return "Running"
        if c.schedule == schedules.MANUAL:
            return "Manual"
        return "Scheduled" if c.next_run_at is not None else "Pending"

    def _fields(self, body: dict, current: Collection | None = None) -> dict:
        out: dict[str, Any] = {}
        if "name" in body or current is None:
            out["name"] = _text(body.get("name"), "name", 200, required=True)
        if "request_type" in body or current is None:
            kind = _text(body.get("request_type"), "request_type", 40, required=True)
            if kind.lower() not in capture.REQUEST_TYPES:
                raise Invalid(f"request_type: {quote(kind)} is not supported; sellerkit tracks "
                              f"{', '.join(capture.REQUEST_TYPES)} only")
            out["request_type"] = kind.lower()
        if "schedule" in body or "schedule_time" in body or current is None:
            kind = body.get("schedule", current.schedule if current else schedules.MANUAL)
            st = body.get("schedule_time", orjson.loads(current.schedule_time) if current and "schedule_time" not in body
                          else None)
            try:
                parsed = schedules.parse_schedule(kind, st)
            except schedules.ScheduleError as exc:
                raise Invalid(str(exc)) from None
            out["schedule"], out["schedule_time"] = parsed.kind, orjson.dumps(parsed.wire()).decode()
        if "priority" in body or current is None:
            priority = body.get("priority") or "Normal"
            if priority not in capture.PRIORITIES:
                raise Invalid(f"priority: {quote(priority)} is not a priority; expected one of "
                              f"{', '.join(capture.PRIORITIES)}")
            out["priority"] = priority
        if "fetch_mode" in body or current is None:
            mode = body.get("fetch_mode") or "full"
            if mode not in capture.FETCH_MODES:
                raise Invalid(f"fetch_mode: {quote(mode)} is not a mode; expected full or availability_only")
            out["fetch_mode"] = mode
        if "destinations" in body or current is None:
            out["destinations"] = orjson.dumps(_destinations(body.get("destinations"))).decode()
        if "notification_email" in body or current is None:
            email = _text(body.get("notification_email"), "notification_email", 320)
            if email and "@" not in email:
                raise Invalid(f"notification_email: {quote(email)} is not an email address")
            out["notification_email"] = email
        return out

    def _reschedule(self, session: Session, c: Collection, tz: str | None = None) -> None:
        tz = tz or self.account(session, c.account_id).timezone
        parsed = schedules.parse_schedule(c.schedule, orjson.loads(c.schedule_time))
        c.next_run_at = None if c.status == "draft" or c.paused else schedules.next_run(parsed, utcnow(), tz)
        session.flush()

    def create_collection(self, session: Session, account_id: int, body: dict) -> Collection:
        now = utcnow()
        c = repo.add(session, Collection(account_id=account_id, status="draft", paused=False, created_at=now,
                                         updated_at=now, **self._fields(body)))
        return c

    def update_collection(self, session: Session, account_id: int, body: dict) -> Collection:
        c = self.collection(session, account_id, body.get("collection_id", body.get("id")))
        for name, value in self._fields(body, c).items():
            setattr(c, name, value)
        c.updated_at = utcnow()
        self._reschedule(session, c)
        return c

    def pause(self, session: Session, account_id: int, collection_id: Any, paused: bool) -> Collection:
        c = self.collection(session, account_id, collection_id)
        c.paused = paused
        self._reschedule(session, c)
        return c

    def collections(self, session: Session, account_id: int, skip: int, limit: int) -> dict:
        total, rows = repo.collections(session, account_id, skip, limit)
        return {"total_count": total, "collections": [self.collection_view(c) for c in rows]}

    def delete_collections(self, session: Session, account_id: int, ids: Any, blobs) -> list[int]:
        if not isinstance(ids, list):
            ids = [ids]
        if not ids or len(ids) > 50:
            raise Invalid(f"collection_ids: 1 to 50 ids at once (got {len(ids)})")
        found = [self.collection(session, account_id, i) for i in ids]
        for c in found:
            if c.status == "Processing":
                raise Conflict(f"collection {c.id} is running; wait for its run to end")
        repo.delete_collections(session, [c.id for c in found])
        for c in found:
            blobs.delete_prefix(f"tracking/{c.id}")
        return [c.id for c in found]

    # ---- items ----------------------------------------------------------------------------------

    def item_view(self, item: Item, zipcodes: dict[int, Zipcode] | None = None, joined: bool = True) -> dict:
        view = {"id": item.id, "asin": item.asin, "collection": item.collection_id, "custom_id": item.custom_id,
                "include_raw_html": item.include_raw_html, "output": item.output, "created_at": iso(item.created_at),
                "updated_at": iso(item.updated_at)}
        if joined:
            z = (zipcodes or {}).get(item.zipcode_id)
            view["domain"] = {"id": item.domain_id, "domain": capture.DOMAINS[item.domain_id].domain}
            view["customer_postcode"] = {"id": item.zipcode_id, "zipcode": z.zipcode if z else None}
        else:
            view["domain"], view["customer_postcode"] = item.domain_id, item.zipcode_id
        return view

    def _room(self, session: Session, c: Collection, adding: int) -> None:
        have = repo.item_count(session, c.id)
        if have + adding > capture.MAX_ITEMS:
            raise Invalid(f"collection {c.id} holds {have} ASINs; at most {capture.MAX_ITEMS:,} per collection")

    def _usable_zipcode(self, z: Zipcode | None, field: str, value: Any) -> Zipcode:
        if z is None:
            raise NotFound(f"{field}: no postcode {quote(value)} for this account and domain; "
                           "see /api/v1/zipcodes/get-zipcodes/")
        if z.status != "active":
            raise Invalid(f"{field}: postcode {z.zipcode} is {z.status}; it can be used once active")
        return z

    def _added(self, session: Session, c: Collection) -> None:
        if c.status == "draft":  # the first ASIN enables the collection
            c.status = "enable"
            self._reschedule(session, c)

    def create_item(self, session: Session, account_id: int, body: dict) -> dict:
        c = self.collection(session, account_id, body.get("collection"))
        domain = capture.domain_by_id(body.get("domain"))
        if domain is None:
            raise Invalid(f"domain: {quote(body.get('domain'))} is not a domain id; see /api/v1/settings/domains/")
        zid = body.get("customer_postcode")
        try:
            z = repo.zipcode(session, account_id, int(zid))
        except (TypeError, ValueError):
            raise Invalid(f"customer_postcode: {quote(zid)} is not a postcode id") from None
        if z is not None and z.domain_id != domain.id:
            raise Invalid(f"customer_postcode: postcode {z.id} belongs to {capture.DOMAINS[z.domain_id].domain}, "
                          f"not {domain.domain}")
        z = self._usable_zipcode(z, "customer_postcode", zid)
        asin = _asin(body.get("asin"))
        output = (body.get("output") or "JSON").upper()
        if output not in capture.OUTPUTS:
            raise Invalid(f"output: {quote(body.get('output'))} is not JSON or HTML")
        if (domain.id, z.id, asin) in repo.item_keys(session, c.id):
            raise Conflict("ASIN already exists")
        self._room(session, c, 1)
        now = utcnow()
        item = repo.add(session, Item(account_id=account_id, collection_id=c.id, domain_id=domain.id, zipcode_id=z.id,
                                      asin=asin, custom_id=_text(body.get("custom_id"), "custom_id", 200),
                                      include_raw_html=_flag(body.get("include_raw_html"), "include_raw_html"),
                                      output=output, created_at=now, updated_at=now))
        self._added(session, c)
        return self.item_view(item, joined=False)

    def _add_rows(self, session: Session, account_id: int, c: Collection, rows: list[tuple[int, dict]],
                  raw_field: str) -> dict:
        """Rows of `{domain, customer_postcode, asin, include_raw_html}` by value; bad ones go to
        `error_rows` and the rest are added."""
        keys = repo.item_keys(session, c.id)
        room = capture.MAX_ITEMS - len(keys)
        errors, new = [], []
        zipcodes: dict[tuple[int, str], Zipcode | None] = {}
        for line, row in rows:
            asin_text = str(row.get("asin") or "").strip()
            try:
                domain = capture.domain_by_name(row.get("domain"))
                if domain is None:
                    raise Invalid(f"domain: {quote(row.get('domain'))} is not a domain; see /api/v1/settings/domains/")
                value = str(row.get("customer_postcode") or "").strip()
                if (domain.id, value) not in zipcodes:
                    zipcodes[(domain.id, value)] = repo.zipcode_by_value(session, account_id, domain.id, value)
                z = self._usable_zipcode(zipcodes[(domain.id, value)], "customer_postcode", value)
                asin = _asin(asin_text)
                if (domain.id, z.id, asin) in keys:
                    raise Invalid("Duplicate entry")
                if len(new) >= room:
                    raise Invalid(f"collection {c.id} is full: at most {capture.MAX_ITEMS:,} ASINs")
                keys.add((domain.id, z.id, asin))
                new.append({"account_id": account_id, "collection_id": c.id, "domain_id": domain.id,
                            "zipcode_id": z.id, "asin": asin, "output": "JSON",
                            "include_raw_html": _flag(row.get(raw_field), raw_field)})
            except SellerkitError as exc:
                error = {"asin": asin_text[:20], "error": exc.message}
                if line:
                    error["row"] = line
                errors.append(error)
        repo.insert_items(session, new)
        if new:
            self._added(session, c)
        return {"success_count": len(new), "error_rows": errors}

    def create_items(self, session: Session, account_id: int, body: dict) -> dict:
        c = self.collection(session, account_id, body.get("collection"))
        asins = body.get("asins")
        if isinstance(asins, list):
            asins = ",".join(map(str, asins))
        if not isinstance(asins, str) or not asins.strip():
            raise Invalid("asins: required, comma-separated ASIN codes such as \"B001,B002\"")
        parts = [a.strip() for a in asins.split(",") if a.strip()]
        if len(parts) > capture.MAX_ITEMS:
            raise Invalid(f"asins: at most {capture.MAX_ITEMS:,} at once (got {len(parts):,})")
        shared = {"domain": body.get("domain"), "customer_postcode": body.get("customer_postcode"),
                  "including_raw_html": body.get("including_raw_html")}
        return self._add_rows(session, account_id, c, [(0, {**shared, "asin": a}) for a in parts], "including_raw_html")

    def bulk_items(self, session: Session, account_id: int, collection_id: Any, data: bytes) -> dict:
        c = self.collection(session, account_id, collection_id)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("csv: not a CSV file (not UTF-8 text)") from None
        if "\x00" in text:
            raise Invalid("csv: not a CSV file (binary content)")
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except (StopIteration, csv.Error):
            raise Invalid("csv: empty file; expected the header domain,customer_postcode,asin,include_raw_html") from None
        missing = [name for name in ("domain", "customer_postcode", "asin", "include_raw_html") if name not in header]
        if missing:
            raise Invalid(f"csv: missing column {', '.join(missing)}; the header must name domain, customer_postcode, "
                          f"asin, include_raw_html (got {quote(','.join(header))})")
        rows = []
        try:
            for line, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                rows.append((line, dict(zip(header, (c.strip() for c in cells)))))
                if len(rows) > capture.MAX_ITEMS:
                    raise Invalid(f"csv: more than {capture.MAX_ITEMS:,} rows; split the file")
        except csv.Error as exc:
            raise Invalid(f"csv: not a CSV file ({exc})") from None
        return self._add_rows(session, account_id, c, rows, "include_raw_html")

    def item(self, session: Session, account_id: int, item_id: Any, field: str = "id") -> Item:
        return _owned(session, repo.item, account_id, item_id, field, "an ASIN row id", "ASIN {} not found")

    def items(self, session: Session, account_id: int, collection_id: Any, skip: int, limit: int, with_count: bool):
        c = self.collection(session, account_id, collection_id)
        rows = repo.items(session, c.id, skip, limit)
        zipcodes = repo.zipcodes_by_id(session, {r.zipcode_id for r in rows})
        listed = [self.item_view(r, zipcodes) for r in rows]
        if with_count:
            return {"total_count": repo.item_count(session, c.id), "asin_list": listed}
        return listed

    def get_item(self, session: Session, account_id: int, item_id: Any) -> dict:
        item = self.item(session, account_id, item_id)
        return self.item_view(item, repo.zipcodes_by_id(session, {item.zipcode_id}))

    def update_item(self, session: Session, account_id: int, body: dict) -> dict:
        item = self.item(session, account_id, body.get("asin_id"), "asin_id")
        fields: dict[str, Any] = {}
        if body.get("asin") not in (None, ""):
            asin = _asin(body["asin"])
            if asin != item.asin and (item.domain_id, item.zipcode_id, asin) in repo.item_keys(session, item.collection_id):
                raise Conflict("ASIN already exists")
            fields["asin"] = asin
        if "include_raw_html" in body:
            fields["include_raw_html"] = _flag(body["include_raw_html"], "include_raw_html")
        if body.get("output") not in (None, ""):
            output = str(body["output"]).upper()
            if output not in capture.OUTPUTS:
                raise Invalid(f"output: {quote(body['output'])} is not JSON or HTML")
            fields["output"] = output
        if "custom_id" in body:
            fields["custom_id"] = _text(body["custom_id"], "custom_id", 200)
        repo.update_item(session, item.id, **fields)
        session.refresh(item)
        return {"id": item.id, "asin": item.asin, "include_raw_html": item.include_raw_html, "output": item.output,
                "custom_id": item.custom_id, "updated_at": iso(item.updated_at)}

    def delete_item(self, session: Session, account_id: int, item_id: Any) -> str:
        item = self.item(session, account_id, item_id, "asin_id")
        repo.delete_item(session, item.id)
        return "ASIN deleted successfully"

    # ---- runs -----------------------------------------------------------------------------------

    def start_run(self, session: Session, account_id: int, collection_id: Any, trigger: str = "manual") -> Run:
        """The credit gate, then the run with every item enqueued at once: the caller commits and
        enqueues the job. 402 refuses with nothing queued and nothing deducted."""
        c = self.collection(session, account_id, collection_id)
        acct = self.account(session, account_id, lock=True)
        if repo.running(session, c.id) is not None:
            raise Conflict(f"collection {c.id} is already running; runs of a collection never overlap")
        ids = repo.item_ids(session, c.id)
        if not ids:
            raise Invalid(f"collection {c.id} has no ASINs; add some before running it")
        refusal = capture.credit_refusal(len(ids), acct.available_credits, acct.used_credits, acct.frozen_credits)
        if refusal:
            raise NotEnoughCredits(refusal)
        now = utcnow()
        run = repo.add(session, Run(account_id=account_id, collection_id=c.id, status="InProgress", trigger=trigger,
                                    priority=capture.PRIORITIES.get(c.priority, 50), records=len(ids),
                                    pages=capture.page_count(len(ids)), frozen=len(ids),
                                    notification_email=c.notification_email, created_at=now, updated_at=now))
        repo.add_run_items(session, run.id, ids)
        repo.change_credits(session, account_id, frozen=len(ids))
        c.status, c.last_run_at, c.message = "Processing", now, None
        session.flush()
        return run

    def run_view(self, r: Run) -> dict:
        tried = r.ok + r.failed + r.blocked
        return {"id": r.id, "collection": r.collection_id,
                "status": {"InProgress": "Processing"}.get(r.status, r.status), "trigger": r.trigger,
                "started_at": iso(r.started_at or r.created_at), "finished_at": iso(r.finished_at),
                "records": r.records, "pages": r.pages, "ok": r.ok, "failed": r.failed, "blocked": r.blocked,
                "skipped": r.skipped, "credits": r.credits, "frozen_credits": r.frozen,
                "block_rate": round(r.block_hits / r.fetches, 4) if r.fetches else 0.0,
                "progress": round(tried / r.records, 4) if r.records else 1.0,
                "is_download_generated": r.is_download_generated,
                "download_links": orjson.loads(r.download_links) if r.is_download_generated and r.download_links else [],
                "notification_email": r.notification_email, "email_sent": r.email_sent,
                "webhooks": orjson.loads(r.webhooks) if r.webhooks else [], "message": r.message}

    def runs(self, session: Session, account_id: int, collection_id: Any, skip: int, limit: int) -> list[dict]:
        c = self.collection(session, account_id, collection_id)
        return [self.run_view(r) for r in repo.runs(session, c.id, skip, limit)]

    def result_file(self, session: Session, account_id: int, collection_id: int, run_id: int, file_name: str) -> str:
        """The blob key of a run's result file, for its owner only (404 otherwise)."""
        run = repo.run(session, account_id, run_id)
        if run is None or run.collection_id != collection_id:
            raise NotFound(f"run {run_id} of collection {collection_id} not found")
        names = {link["file_name"] for link in orjson.loads(run.download_links or "[]")}
        if file_name not in names:
            raise NotFound(f"no file {quote(file_name)} in run {run_id}" + ("" if run.is_download_generated else
                                                                            " (its files are still being written)"))
        return f"tracking/{collection_id}/{run_id}/{file_name}"

    def item_history(self, session: Session, account_id: int, item_id: Any, limit: int = HISTORY_RUNS) -> list[dict]:
        """The item's price (cents), stock and best-sellers rank at each of its last `limit`
        captures, oldest first: what the dashboard charts over the runs."""
        item = self.item(session, account_id, item_id)
        points = []
        for run_id, at, raw in repo.item_outputs(session, item.id, limit):
            out = orjson.loads(raw)
            price = out.get("price_value")
            points.append({"run": run_id, "at": iso(at), "price": cents(price) if price is not None else None,
                           "in_stock": out.get("in_stock"), "availability": out.get("availability"),
                           "rank": out.get("best_sellers_rank")})
        return points

    # ---- outputs --------------------------------------------------------------------------------

    def outputs(self, session: Session, account_id: int, collection_id: Any, skip: int, limit: int) -> list[dict]:
        c = self.collection(session, account_id, collection_id)
        return [{"id": o.id, "user": o.account_id, "collection": o.collection_id, "run": o.run_id, "asin_id": o.item_id,
                 "asin": o.asin, "output_json_count": 1, "created_at": iso(o.created_at), "updated_at": iso(o.updated_at)}
                for o in repo.outputs(session, c.id, skip, limit)]

    def output(self, session: Session, account_id: int, output_id: Any, blobs) -> dict:
        o = _owned(session, repo.output, account_id, output_id, "asin_id", "an output id (from /output/list/)",
                   "output {} not found (asin_id is the id from /schedules/amazon/asin/output/list/)")
        data = orjson.loads(o.output_json)
        if o.raw_html_key and blobs.exists(o.raw_html_key):
            data["raw_html"] = blobs.read_bytes(o.raw_html_key).decode("utf-8", "replace")
        return {"id": o.id, "user": o.account_id, "collection": o.collection_id, "run": o.run_id, "asin_id": o.item_id,
                "output_json": data, "output_json_count": 1, "created_at": iso(o.created_at),
                "updated_at": iso(o.updated_at)}


tracking = TrackingService()
