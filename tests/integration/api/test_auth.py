"""Who am I, users and API keys over a real server: 401 (who are you?) versus 403 (not allowed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from tests.integration.helpers import select_rows

from lockgate.security.api_keys import Role
from lockgate.store.tables import api_keys

if TYPE_CHECKING:
    from tests.integration.api.conftest import Server


def test_me_names_the_caller_for_every_role(server: Server) -> None:
    for role in Role:
        with server.client(role) as client:
            me = client.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["user"] == role.value
        assert me.json()["role"] == role.value
        assert me.json()["key_id"]


def test_missing_or_unknown_key_is_401_with_a_bearer_challenge(server: Server) -> None:
    with server.client(None) as anonymous:
        for headers in ({}, {"Authorization": "Bearer lg_not-a-key"}, {"Authorization": "Basic abc"}):
            response = anonymous.get("/api/v1/me", headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["code"] == "unauthenticated"


def test_a_valid_key_without_the_role_is_403(server: Server) -> None:
    with server.client(Role.EDITOR) as editor:
        response = editor.get("/api/v1/users")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "www-authenticate" not in response.headers


def test_users_create_list_duplicate_update(server: Server) -> None:
    with server.client(Role.ADMIN) as admin:
        created = admin.post("/api/v1/users", json={"name": "ada", "role": "operator"})
        assert created.status_code == 201, created.text
        assert created.json()["role"] == "operator"
        assert created.json()["disabled_at"] is None
        assert admin.post("/api/v1/users", json={"name": "ada", "role": "viewer"}).status_code == 409
        assert admin.post("/api/v1/users", json={"name": "bob", "role": "root"}).status_code == 422
        names = [u["name"] for u in admin.get("/api/v1/users").json()]
        assert "ada" in names
        assert set(names) >= {r.value for r in Role}

        promoted = admin.patch("/api/v1/users/ada", json={"role": "editor"})
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["role"] == "editor"
        assert admin.patch("/api/v1/users/nobody", json={"role": "editor"}).status_code == 404


def test_disabling_a_user_stops_their_keys_and_enabling_restores_them(server: Server) -> None:
    with server.client(Role.ADMIN) as admin, server.client(Role.VIEWER) as viewer:
        assert viewer.get("/api/v1/me").status_code == 200
        assert admin.patch("/api/v1/users/viewer", json={"disabled": True}).json()["disabled_at"] is not None
        assert viewer.get("/api/v1/me").status_code == 401
        assert admin.patch("/api/v1/users/viewer", json={"disabled": False}).json()["disabled_at"] is None
        assert viewer.get("/api/v1/me").status_code == 200


def test_the_last_active_admin_cannot_be_demoted_or_disabled(server: Server) -> None:
    with server.client(Role.ADMIN) as admin:
        assert admin.patch("/api/v1/users/admin", json={"role": "editor"}).status_code == 409
        assert admin.patch("/api/v1/users/admin", json={"disabled": True}).status_code == 409
        assert admin.get("/api/v1/me").status_code == 200


def test_a_role_change_applies_to_existing_keys_at_once(server: Server) -> None:
    with server.client(Role.ADMIN) as admin, server.client(Role.VIEWER) as viewer:
        assert viewer.get("/api/v1/users").status_code == 403
        admin.patch("/api/v1/users/viewer", json={"role": "admin"}).raise_for_status()
        assert viewer.get("/api/v1/users").status_code == 200


def test_key_created_is_shown_once_works_and_revoked_gets_401(server: Server) -> None:
    with server.client(Role.ADMIN) as admin:
        admin.post("/api/v1/users", json={"name": "ci", "role": "operator"}).raise_for_status()
        created = admin.post("/api/v1/keys", json={"user": "ci", "name": "pipeline bot", "expires_in_days": 30})
        assert created.status_code == 201, created.text
        body = created.json()
        plaintext = body["key"]
        assert plaintext.startswith("lg_")
        assert body["prefix"] == plaintext[:10]
        assert body["expires_at"] is not None

        listed = admin.get("/api/v1/keys")
        assert listed.status_code == 200
        assert plaintext not in listed.text
        assert all("key" not in k and "hash" not in k for k in listed.json())
        assert body["id"] in [k["id"] for k in listed.json()]

        rows = select_rows(server.settings.db_url, api_keys, api_keys.c.id == body["id"])
        assert plaintext not in repr(rows)  # only the hash is stored

        headers = {"Authorization": f"Bearer {plaintext}"}
        me = admin.get("/api/v1/me", headers=headers)
        assert me.json() == {"user": "ci", "role": "operator", "key_id": body["id"]}

        assert admin.delete(f"/api/v1/keys/{body['id']}").status_code == 204
        revoked = admin.get("/api/v1/me", headers=headers)
        assert revoked.status_code == 401
        assert revoked.headers["www-authenticate"] == "Bearer"
        again = admin.delete(f"/api/v1/keys/{body['id']}")  # said as it is, not "not found"
        assert (again.status_code, again.json()["code"]) == (409, "already_revoked"), again.text
        assert "already revoked" in again.json()["detail"]
        assert admin.delete("/api/v1/keys/0123456789abcdef0123456789abcdef").status_code == 404
        listed_after = {k["id"]: k for k in admin.get("/api/v1/keys").json()}
        assert listed_after[body["id"]]["revoked_at"] is not None


def test_an_expired_key_gets_401(server: Server) -> None:
    with server.client(Role.ADMIN) as admin:
        created = admin.post("/api/v1/keys", json={"user": "viewer", "name": "short", "expires_in_days": 1}).json()
        engine = sa.create_engine(server.settings.db_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.update(api_keys).where(api_keys.c.id == created["id"])
                         .values(expires_at=api_keys.c.created_at))  # fmt: skip
        engine.dispose()
        expired = admin.get("/api/v1/me", headers={"Authorization": f"Bearer {created['key']}"})
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"


def test_key_for_an_unknown_user_is_404(server: Server) -> None:
    with server.client(Role.ADMIN) as admin:
        response = admin.post("/api/v1/keys", json={"user": "ghost", "name": "x"})
    assert response.status_code == 404
