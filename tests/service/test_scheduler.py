"""The schedule, with time moved by hand: jobs derived from the database, zones, daylight
saving, catch-up after downtime, empty days, and fires that happen twice."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from paperwire.bot.app import Services
from paperwire.bot.delivery.publish import register_configured_chats
from paperwire.bot import jobs
from paperwire.bot.jobs import Slot, build_due_digest, deliver_slot
from paperwire.bot.scheduler import RETRY_JOB, ServiceScheduler, build_trigger, fire_times, last_fire_time, slot_trigger
from paperwire.bot.sources.files import parse_daily_payload
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store import outbox
from paperwire.bot.store.schema import deliveries, digests, list_days
from paperwire.config.settings import ChatTarget, ScheduleSettings
from tests.fakes.hf import FakeHF
from tests.fakes.tcp_proxy import TcpProxy
from tests.service.conftest import OpenServices, day_items

BERLIN = ZoneInfo("Europe/Berlin")
PLATFORMS = ["telegram", "slack"]
# A Wednesday; "yesterday" is Tuesday 2026-03-03.
WEDNESDAY_NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SCHEDULE = {"build_time": "08:30", "timezone": "UTC", "delivery_time": "09:00"}


class Clock:
    """The time the scheduler sees; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def store_day(services: Services, day: date, count: int = 4, *, build: bool = True) -> None:
    """Store an invented list day (and build its English digest)."""
    await services.pipeline.ingest(parse_daily_payload(day_items(day, count), day, "test"), "test")
    if build:
        assert await services.pipeline.build(day, "en") is not None


async def subscribe(services: Services, platform: str, chat_id: str, *, created: datetime, **values: object) -> None:
    async with services.db.begin() as connection:
        await subscription_store.upsert_subscription(connection, platform, chat_id, now=created, **values)  # type: ignore[arg-type]


async def planned_days(services: Services) -> dict[tuple[str, str], Counter[date]]:
    """(platform, chat) -> list day -> how many digest messages are planned."""
    async with services.db.connect() as connection:
        rows = await connection.execute(
            select(deliveries.c.platform, deliveries.c.chat_id, digests.c.list_day)
            .join(digests, digests.c.id == deliveries.c.digest_id)
            .where(deliveries.c.digest_id.is_not(None))
        )
        result: dict[tuple[str, str], Counter[date]] = {}
        for row in rows:
            result.setdefault((row.platform, row.chat_id), Counter())[row.list_day] += 1
    return result


async def count(services: Services, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with services.db.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


# -- triggers ------------------------------------------------------------------------------


def test_the_build_fires_at_its_time_in_its_zone_on_its_days() -> None:
    schedule = ScheduleSettings(build_time="08:30", timezone="Asia/Shanghai", days=["mon", "tue", "wed", "thu", "fri"])
    monday = datetime(2026, 3, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    fires = fire_times(build_trigger(schedule), monday, monday + timedelta(days=7))
    assert [fire.astimezone(UTC) for fire in fires] == [
        datetime(2026, 3, day, 0, 30, tzinfo=UTC) for day in (2, 3, 4, 5, 6)
    ]


def test_a_slot_fires_at_its_wall_clock_time_in_its_zone() -> None:
    fires = fire_times(slot_trigger(Slot("09:00", "America/New_York")), datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    # New York moves to daylight saving time on 2026-03-08: 14:00 UTC before, 13:00 after.
    assert [fire.astimezone(UTC).hour for fire in fires] == [14, 14, 13, 13]
    assert last_fire_time(slot_trigger(Slot("09:00", "UTC")), datetime(2026, 3, 4, 8, 59, tzinfo=UTC)) == datetime(
        2026, 3, 3, 9, 0, tzinfo=UTC
    )


def test_daylight_saving_edges_in_berlin() -> None:
    spring = fire_times(slot_trigger(Slot("02:30", "Europe/Berlin")), datetime(2026, 3, 28, tzinfo=BERLIN), datetime(2026, 3, 31, tzinfo=BERLIN))
    # 02:30 does not exist on 2026-03-29: it fires once that day, an hour late (03:30 CEST).
    assert [fire.astimezone(BERLIN).date() for fire in spring] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    assert spring[1].astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    autumn = fire_times(slot_trigger(Slot("02:30", "Europe/Berlin")), datetime(2026, 10, 24, tzinfo=BERLIN), datetime(2026, 10, 27, tzinfo=BERLIN))
    # 02:30 happens twice on 2026-10-25, and APScheduler fires at both: the delivery must not double.
    assert Counter(fire.astimezone(BERLIN).date() for fire in autumn) == {
        date(2026, 10, 24): 1, date(2026, 10, 25): 2, date(2026, 10, 26): 1,
    }  # fmt: skip


# -- jobs derived from the database --------------------------------------------------------


async def test_jobs_follow_the_subscriptions(services_for: OpenServices) -> None:
    async with services_for(schedule=SCHEDULE, telegram={"chats": ["-1001"]}) as services:
        long_ago = datetime(2026, 1, 1, tzinfo=UTC)
        await register_configured_chats(services.db, {"telegram": [ChatTarget(id="-1001")]})
        await subscribe(services, "telegram", "42", created=long_ago, delivery_time="07:15", timezone="Asia/Shanghai")
        await subscribe(services, "slack", "C1", created=long_ago, delivery_time="09:00", timezone="UTC")
        await subscribe(services, "telegram", "43", created=long_ago, delivery_time="11:00", timezone="UTC", active=False)
        await subscribe(services, "cli", "me", created=long_ago, delivery_time="12:00", timezone="UTC")
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, refresh_seconds=3600)
        await scheduler.start(catch_up=False)
        try:
            jobs = scheduler.next_fire_times()
            assert set(jobs) == {"build", "refresh", "deliver 09:00 UTC", "deliver 07:15 Asia/Shanghai"}
            shanghai = jobs["deliver 07:15 Asia/Shanghai"]
            assert shanghai is not None and (shanghai.hour, shanghai.minute) == (7, 15)
            assert str(shanghai.tzinfo) == "Asia/Shanghai"

            await subscribe(services, "telegram", "42", created=long_ago, delivery_time="08:00", timezone="Europe/Berlin")
            added = await scheduler.refresh()
            assert added == {Slot("08:00", "Europe/Berlin")}
            assert set(scheduler.next_fire_times()) == {"build", "refresh", "deliver 09:00 UTC", "deliver 08:00 Europe/Berlin"}
            assert scheduler.status.startswith("ok (2 delivery slots,")
        finally:
            await scheduler.stop()
        assert scheduler.status == "error: not running"


# -- catch-up after downtime ---------------------------------------------------------------


async def test_a_build_missed_while_down_is_built_and_delivered_once(services_for: OpenServices, hf: FakeHF) -> None:
    friday, monday, tuesday = date(2026, 2, 27), date(2026, 3, 2), date(2026, 3, 3)
    hf.days[monday] = day_items(monday)
    hf.days[tuesday] = day_items(tuesday)
    async with services_for(schedule=SCHEDULE) as services:
        await store_day(services, friday)
        await register_configured_chats(services.db, {"telegram": [ChatTarget(id="-1001"), ChatTarget(id="-1002", language="zh")]})
        await subscribe(services, "slack", "C1", created=datetime(2026, 1, 1, tzinfo=UTC), topics=["efficient-llm"])
        clock = Clock(WEDNESDAY_NOON)  # down since before Tuesday's build
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=clock)
        scheduler.slots = {Slot("09:00", "UTC")}
        await scheduler.catch_up()

        async with services.db.connect() as connection:
            built = sorted(set((await connection.execute(select(digests.c.list_day))).scalars()))
            tuesday_digests = set(
                (await connection.execute(
                    select(digests.c.language, digests.c.topics_key).where(digests.c.list_day == tuesday)
                )).all()
            )  # fmt: skip
            overviews = dict(
                (await connection.execute(
                    select(deliveries.c.chat_id, outbox.row_payload().label("payload")).where(deliveries.c.message_index == 0)
                )).all()
            )  # fmt: skip
        # Wednesday's build covers the newest list day (Tuesday); Monday's missed build is not replayed.
        assert built == [friday, tuesday]
        planned = await planned_days(services)
        assert set(planned) == {("telegram", "-1001"), ("telegram", "-1002"), ("slack", "C1")}
        assert all(set(days) == {tuesday} for days in planned.values())
        # Each chat in its own language and topics; the topic chat's overview says so.
        assert tuesday_digests == {("en", ""), ("zh", ""), ("en", "efficient-llm")}
        assert "Only your topics" in json.dumps(overviews["C1"])
        assert "今日" in overviews["-1002"]["text"]

        requests = hf.count("/api/daily_papers")
        clock.now += timedelta(hours=3)
        await scheduler.catch_up()
        assert await planned_days(services) == planned
        assert hf.count("/api/daily_papers") == requests  # the day is stored: nothing fetched again


async def test_missed_deliveries_are_sent_once_for_the_latest_day_only(services_for: OpenServices) -> None:
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    async with services_for(schedule=SCHEDULE) as services:
        for day in (monday, tuesday):
            await store_day(services, day)
        await register_configured_chats(services.db, {"telegram": [ChatTarget(id="-1001")]})
        clock = Clock(WEDNESDAY_NOON + timedelta(days=2))  # Tuesday's, Wednesday's and Thursday's 09:00 all missed
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=clock)
        for _ in range(3):
            await scheduler.deliver(Slot("09:00", "UTC"))
        planned = await planned_days(services)
        assert list(planned) == [("telegram", "-1001")]
        days = planned[("telegram", "-1001")]
        assert set(days) == {tuesday}
        assert days[tuesday] == await count(services, deliveries)


async def test_a_late_build_reaches_the_slots_whose_time_has_passed(services_for: OpenServices, hf: FakeHF) -> None:
    tuesday = date(2026, 3, 3)
    hf.days[tuesday] = day_items(tuesday)
    async with services_for(schedule=SCHEDULE) as services:
        await subscribe(services, "telegram", "7", created=datetime(2026, 1, 1, tzinfo=UTC), delivery_time="06:00", timezone="UTC")
        await subscribe(services, "telegram", "8", created=datetime(2026, 1, 1, tzinfo=UTC), delivery_time="23:00", timezone="UTC")
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=Clock(datetime(2026, 3, 4, 8, 31, tzinfo=UTC)))
        scheduler.slots = {Slot("06:00", "UTC"), Slot("23:00", "UTC")}
        assert await scheduler.build()
        planned = await planned_days(services)
        # 06:00 has passed today: it gets the digest now. 23:00 gets it at 23:00.
        assert set(planned) == {("telegram", "7")}


async def test_a_chat_that_subscribes_after_its_time_waits_for_the_next_day(services_for: OpenServices) -> None:
    tuesday, wednesday = date(2026, 3, 3), date(2026, 3, 4)
    async with services_for(schedule=SCHEDULE) as services:
        await store_day(services, tuesday)
        await subscribe(services, "telegram", "9", created=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
        clock = Clock(WEDNESDAY_NOON)
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=clock)
        await scheduler.deliver(Slot("09:00", "UTC"))
        assert await planned_days(services) == {}
        await store_day(services, wednesday)
        clock.now = datetime(2026, 3, 5, 9, 0, 1, tzinfo=UTC)
        await scheduler.deliver(Slot("09:00", "UTC"))
        assert {key: set(days) for key, days in (await planned_days(services)).items()} == {("telegram", "9"): {wednesday}}


# -- daylight saving -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_list_day", "slot_time"),
    [(date(2026, 3, 26), "02:30"), (date(2026, 10, 22), "02:30"), (date(2026, 10, 22), "09:00")],
)
async def test_daylight_saving_changes_neither_skip_nor_double_a_delivery(
    services_for: OpenServices, first_list_day: date, slot_time: str
) -> None:
    list_days_ = [first_list_day + timedelta(days=n) for n in range(5)]
    slot = Slot(slot_time, "Europe/Berlin")
    async with services_for(schedule={**SCHEDULE, "timezone": "Europe/Berlin"}) as services:
        for day in list_days_:
            await store_day(services, day, count=3)
        await subscribe(services, "telegram", "5", created=datetime(2026, 1, 1, tzinfo=UTC), delivery_time=slot_time, timezone="Europe/Berlin")
        clock = Clock(datetime(2000, 1, 1, tzinfo=UTC))
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=clock)
        start = datetime.combine(first_list_day + timedelta(days=1), datetime.min.time(), BERLIN)
        fires = fire_times(slot_trigger(slot), start, start + timedelta(days=5))
        assert len(fires) >= 5
        for fire in fires:
            clock.now = fire.astimezone(UTC) + timedelta(seconds=1)
            await scheduler.deliver(slot)
        days = (await planned_days(services))[("telegram", "5")]
        assert set(days) == set(list_days_)  # every day delivered...
        assert len(set(days.values())) == 1  # ...with the same number of messages: none twice


# -- double fires and two processes --------------------------------------------------------


async def test_a_double_fire_is_harmless(services_for: OpenServices, hf: FakeHF) -> None:
    tuesday = date(2026, 3, 3)
    hf.days[tuesday] = day_items(tuesday)
    async with services_for(schedule=SCHEDULE) as one, services_for(schedule=SCHEDULE) as two:
        await register_configured_chats(one.db, {"telegram": [ChatTarget(id=str(-1000 - n)) for n in range(5)]})
        # Two processes, each with its own engine, firing the same jobs at the same moment.
        schedulers = [ServiceScheduler(s, platforms=PLATFORMS, clock=Clock(WEDNESDAY_NOON)) for s in (one, two)]
        for scheduler in schedulers:
            scheduler.slots = {Slot("09:00", "UTC")}
        await asyncio.gather(*(s.catch_up() for s in schedulers))
        await asyncio.gather(*(s.deliver(Slot("09:00", "UTC")) for s in schedulers * 2))
        assert await count(one, digests) == 1
        planned = await planned_days(one)
        assert len(planned) == 5
        per_chat = {days[tuesday] for days in planned.values()}
        assert len(per_chat) == 1
        assert await count(one, deliveries) == 5 * per_chat.pop()


async def test_a_slot_read_in_pages_plans_every_chat_once(
    services_for: OpenServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    tuesday = date(2026, 3, 3)
    monkeypatch.setattr(jobs, "FIRST_PAGE_CHATS", 2)
    monkeypatch.setattr(jobs, "SUBSCRIBER_PAGE", 3)
    async with services_for(schedule=SCHEDULE) as services:
        await store_day(services, tuesday)
        telegram = [ChatTarget(id=str(-1000 - n)) for n in range(11)]
        await register_configured_chats(services.db, {"telegram": telegram, "slack": [ChatTarget(id=f"C{n}") for n in range(3)]})
        wakes = []
        result = await deliver_slot(
            services, Slot("09:00", "UTC"), occurrence=WEDNESDAY_NOON, platforms=PLATFORMS, wake=lambda: wakes.append(1)
        )
        planned = await planned_days(services)
        assert sorted(planned) == sorted([("telegram", chat.id) for chat in telegram] + [("slack", f"C{n}") for n in range(3)])
        assert len(result.planned) == 14 and len({(t.platform, t.chat_id) for t in result.planned}) == 14
        assert len({days[tuesday] for days in planned.values()}) == 1  # every chat its whole digest, once
        assert wakes  # the first page was planned (and sending woken) before the rest was read


# -- days without papers -------------------------------------------------------------------


@pytest.mark.parametrize("notice", [False, True])
async def test_a_day_without_papers_makes_no_digest_and_a_notice_only_when_asked(
    services_for: OpenServices, hf: FakeHF, notice: bool
) -> None:
    friday, saturday, sunday = date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)
    hf.days[saturday] = []
    hf.days[sunday] = []
    monday_noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    async with services_for(schedule=SCHEDULE, digest={"empty_day_notice": notice}) as services:
        await store_day(services, friday)
        await register_configured_chats(services.db, {"telegram": [ChatTarget(id="-1001")], "slack": [ChatTarget(id="C1", language="zh")]})
        await deliver_slot(services, Slot("09:00", "UTC"), occurrence=datetime(2026, 2, 28, 9, 0, tzinfo=UTC), platforms=PLATFORMS)
        friday_rows = await count(services, deliveries)
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=Clock(monday_noon))
        scheduler.slots = {Slot("09:00", "UTC")}
        for _ in range(2):
            await scheduler.catch_up()
        assert await count(services, digests, digests.c.list_day != friday) == 0  # only Friday's
        assert await count(services, list_days, list_days.c.paper_count == 0) == 2
        notices = await count(services, deliveries, deliveries.c.notice_id.is_not(None))
        assert notices == (2 if notice else 0)
        assert await count(services, deliveries) == friday_rows + notices
        if notice:
            async with services.db.connect() as connection:
                payloads = list((await connection.execute(
                    select(outbox.row_payload().label("payload")).where(deliveries.c.notice_id.is_not(None))
                    .order_by(deliveries.c.platform)
                )).scalars())  # fmt: skip
            assert "2026-03-01" in payloads[0]["text"] and payloads[0]["in_thread"] is False  # slack, in Chinese
            assert "2026-03-01" in payloads[1]["text"]


async def test_a_source_that_cannot_be_reached_is_logged_and_tried_again(
    services_for: OpenServices, hf: FakeHF, caplog: pytest.LogCaptureFixture
) -> None:
    hf.fail_next(503, times=20)
    async with services_for(schedule=SCHEDULE) as services:
        result = await build_due_digest(services, today=date(2026, 3, 4))
        assert result.retry and not result.built
        assert "could not fetch the list of 2026-03-03" in caplog.text
        scheduler = ServiceScheduler(services, platforms=PLATFORMS, clock=Clock(WEDNESDAY_NOON), build_retry_seconds=60)
        await scheduler.start(catch_up=False)
        try:
            assert not await scheduler.build()
            retry = scheduler.next_fire_times()[RETRY_JOB]
            assert retry == WEDNESDAY_NOON + timedelta(seconds=60)
        finally:
            await scheduler.stop()


# -- faults: the database away during a build or a planning ---------------------------------


async def test_a_failed_build_is_retried_until_it_succeeds_and_shows_meanwhile(
    services_for: OpenServices, hf: FakeHF, database_url: str
) -> None:
    """PostgreSQL cut away (a proxy switched off) during the scheduled build: /healthz and
    /metrics say so, a retry is scheduled, and once the database is back the build and the
    planning happen; a chat left unplanned is found and planned."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the outage is a cut connection to PostgreSQL")
    tuesday = date(2026, 3, 3)
    hf.days[tuesday] = day_items(tuesday)
    real = urlsplit(database_url)
    async with TcpProxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
        url = database_url.replace(f"{real.hostname}:{real.port}", f"127.0.0.1:{proxy.port}")
        async with services_for(schedule=SCHEDULE, database={"url": url}) as services:
            chats = [ChatTarget(id="-1001"), ChatTarget(id="-1002")]
            await register_configured_chats(services.db, {"telegram": chats})
            scheduler = ServiceScheduler(
                services, platforms=PLATFORMS, clock=Clock(WEDNESDAY_NOON), failure_backoff=(3600.0,)
            )
            await scheduler.start(catch_up=False)
            try:
                proxy.cut()
                assert await scheduler.build() is False
                assert scheduler.status.startswith("error: the build failed 1 time(s), retrying")
                assert "paperwire_build_failing 1.0" in services.metrics.render().decode()
                assert scheduler.next_fire_times()[RETRY_JOB] is not None

                proxy.restore()
                assert await scheduler.build() is True
                assert scheduler.status.startswith("ok")
                assert "paperwire_build_failing 0.0" in services.metrics.render().decode()
                planned = await planned_days(services)
                assert set(planned) == {("telegram", "-1001"), ("telegram", "-1002")}

                # A planning that stopped half-way (one chat's rows never written) is found and resumed.
                async with services.db.begin() as connection:
                    await connection.execute(delete(deliveries).where(deliveries.c.chat_id == "-1002"))
                await scheduler.check_planned()
                for _ in range(200):
                    if ("telegram", "-1002") in await planned_days(services):
                        break
                    await asyncio.sleep(0.05)
                assert await planned_days(services) == planned
                await scheduler.check_planned()
                assert scheduler.unplanned == {} and scheduler.status.startswith("ok")
            finally:
                await scheduler.stop()
