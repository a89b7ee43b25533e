"""The server fixtures give working databases and brokers on every backend."""

from __future__ import annotations

import redis
import sqlalchemy as sa


def test_database_url_gives_a_working_empty_database(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
            conn.execute(sa.text("INSERT INTO probe (id, name) VALUES (1, 'lockgate')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM probe")).scalar_one() == "lockgate"
    finally:
        engine.dispose()


def test_database_url_names_its_backend_and_driver(database_url: str) -> None:
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        assert url.drivername == "postgresql+psycopg"
        assert (url.database or "").startswith("test_")
    else:
        assert url.drivername == "sqlite"
        assert (url.database or "").endswith("lockgate.db")


def test_redis_answers_ping(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
        client.set("lockgate:probe", "1")
        assert client.get("lockgate:probe") == b"1"
    finally:
        client.close()
