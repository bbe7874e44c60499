"""Issue 17 item 5: a browser opens the review pages by signing in (a bearer token pasted once, kept in an HttpOnly,
SameSite=Strict cookie), never with a token in the URL. The cookie opens review pages on GET/HEAD only, with the
API's role and team rules; everything else still needs the Authorization header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import text

from o2c_cli.testing import ServiceHarness, problem
from o2c_common.auth import mint_token
from o2c_common.settings import DEV_JWT_SECRET

COOKIE = "__Host-o2c-kpi-session"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://kpi", "Sec-Fetch-Site": "same-origin"}
REVIEW = "/reports/qbr?date=2026-09-30"


def token(subject: str = "lea", *roles: str, team: str | None = None, ttl: timedelta = timedelta(hours=1),
          now: datetime | None = None) -> str:
    return mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=roles or ("service_delivery_lead",), team=team,
                      ttl=ttl, now=now)


async def sign_in(api: ServiceHarness, jwt: str, *, next_path: str | None = None, headers: dict[str, str] | None = None,
                  ) -> tuple[int, dict[str, str], str]:
    body = {"token": jwt, **({"next": next_path} if next_path else {})}
    answer = await api.client.post("/signin", data=body, headers={**FORM, **(headers or {})})
    api.client.cookies.clear()  # the tests send the cookie by hand, as a browser would on this site only
    return answer.status_code, dict(answer.headers), answer.text


def cookie_of(headers: dict[str, str]) -> str:
    value = headers["set-cookie"].split(";", 1)[0]
    name, _, jwt = value.partition("=")
    assert name == COOKIE
    return jwt


def attributes(headers: dict[str, str]) -> dict[str, str]:
    parts = [p.strip() for p in headers["set-cookie"].split(";")[1:]]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


async def test_the_signin_page_is_a_plain_form(api: ServiceHarness) -> None:
    answer = await api.client.get("/signin", params={"next": REVIEW}, headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="signin">' in answer.text and 'name="token"' in answer.text
    assert 'name="next" value="/reports/qbr?date=2026-09-30"' in answer.text
    assert "<script" not in answer.text and "src=" not in answer.text and "http" not in answer.text.split("<body>")[1]
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


async def test_a_browser_without_credentials_is_sent_to_sign_in_and_an_api_client_gets_401(
        api: ServiceHarness) -> None:
    answer = await api.client.get(REVIEW, headers=HTML)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert location.path == "/signin" and parse_qs(location.query)["next"] == [REVIEW]
    refused = problem(await api.client.get(REVIEW), 401)
    assert refused["detail"] == "a bearer token is required"
    assert problem(await api.client.get("/kpis", headers=HTML), 401)  # not a review page: no redirect


async def test_signing_in_sets_a_strict_http_only_cookie_that_dies_with_the_token(api: ServiceHarness) -> None:
    status, headers, _ = await sign_in(api, token(ttl=timedelta(minutes=30)), next_path=REVIEW)
    assert status == 303 and headers["location"] == REVIEW
    attrs = attributes(headers)
    assert {"httponly", "secure"} <= set(attrs) and attrs["samesite"].lower() == "strict" and attrs["path"] == "/"
    assert 1700 < int(attrs["max-age"]) <= 1800
    jwt = cookie_of(headers)
    page = await api.client.get(REVIEW, headers={**HTML, "Cookie": f"{COOKIE}={jwt}"})
    assert page.status_code == 200, page.text
    signed_in = await api.client.get("/signin", headers={**HTML, "Cookie": f"{COOKIE}={jwt}"})
    assert "Signed in as <strong>lea</strong>" in signed_in.text and "reports/qbr?format=html" in signed_in.text


async def test_the_cookie_opens_review_pages_on_get_only(api: ServiceHarness) -> None:
    _, headers, _ = await sign_in(api, token("ada", "admin"))
    cookie = {"Cookie": f"{COOKIE}={cookie_of(headers)}"}
    link = await api.client.post("/reports/links", json={"kind": "qbr", "date": "2026-09-30"}, headers=cookie)
    assert problem(link, 401)["detail"] == "a bearer token is required"  # a write: the cookie counts for nothing
    assert problem(await api.client.get("/kpis/open-ar", headers=cookie), 401)  # not a review page
    assert problem(await api.client.get("/sla-definitions", headers={**cookie, **HTML}), 401)


async def test_a_vendor_agents_cookie_opens_its_own_teams_reviews_only(api: ServiceHarness) -> None:
    _, headers, _ = await sign_in(api, token("agent-a", "vendor_agent", team="vendor-a"))
    cookie = {"Cookie": f"{COOKIE}={cookie_of(headers)}"}
    own = await api.client.get("/reports/weekly-cadence", params={"date": "2026-09-30", "team": "vendor-a"},
                               headers=cookie)
    assert own.status_code == 200 and own.json()["team"] == "vendor-a"
    default = await api.client.get("/reports/weekly-cadence", params={"date": "2026-09-30"}, headers=cookie)
    assert default.json()["team"] == "vendor-a"
    other = await api.client.get("/reports/weekly-cadence", params={"date": "2026-09-30", "team": "vendor-b"},
                                 headers=cookie)
    assert problem(other, 403)["type"].endswith("team-access-denied")


async def test_next_is_a_path_of_this_site_only(api: ServiceHarness) -> None:
    for hostile in ("https://evil.example/reports/qbr", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        status, headers, _ = await sign_in(api, token(), next_path=hostile)
        assert status == 303 and headers["location"] == "signin", hostile
        page = await api.client.get("/signin", params={"next": hostile})
        assert "evil" not in page.text and "javascript" not in page.text


async def test_a_refused_token_or_a_cross_site_form_sets_no_cookie(api: ServiceHarness) -> None:
    expired = token(now=datetime.now(UTC) - timedelta(hours=2))
    status, headers, _ = await sign_in(api, expired, next_path=REVIEW)
    assert status == 303 and "set-cookie" not in headers
    back = urlsplit(headers["location"])
    assert back.path == "signin" and parse_qs(back.query) == {"error": ["expired"], "next": [REVIEW]}
    form = await api.client.get(headers["location"].replace("signin", "/signin", 1))
    assert "That token has expired: get a new one." in form.text
    assert 'value="/reports/qbr?date=2026-09-30"' in form.text  # the form keeps where the person was going
    status, headers, _ = await sign_in(api, token("req", "requester"))
    assert status == 303 and "set-cookie" not in headers and headers["location"] == "signin?error=no-role"
    forged = mint_token(secret="another-secret-of-at-least-32-chars!", subject="eve", roles=("admin",))
    status, headers, _ = await sign_in(api, forged)
    assert headers["location"] == "signin?error=refused" and "set-cookie" not in headers
    status, headers, _ = await sign_in(api, token(), headers={"Origin": "https://evil.example",
                                                              "Sec-Fetch-Site": "cross-site"})
    assert status == 403 and "set-cookie" not in headers
    status, headers, _ = await sign_in(api, "")
    assert status == 303 and headers["location"] == "signin?error=empty"
    assert problem(await api.client.get("/signin", params={"error": "<script>"}), 422)


async def test_an_expired_cookie_sends_the_browser_to_sign_in_again_and_sign_out_clears_it(
        api: ServiceHarness) -> None:
    expired = token(now=datetime.now(UTC) - timedelta(hours=2))
    again = await api.client.get(REVIEW, headers={**HTML, "Cookie": f"{COOKIE}={expired}"})
    assert again.status_code == 303 and again.headers["location"].startswith("/signin?next=")
    assert attributes(dict(again.headers))["max-age"] == "0"
    assert problem(await api.client.get(REVIEW, headers={"Cookie": f"{COOKIE}={expired}"}), 401)
    out = await api.client.post("/signout", headers=FORM)
    assert out.status_code == 303 and out.headers["location"] == "signin"
    assert out.headers["set-cookie"].startswith(f'{COOKIE}="";') and "Max-Age=0" in out.headers["set-cookie"]


async def test_a_bearer_header_still_opens_the_review_and_sign_in_is_not_audited_as_a_write(
        api: ServiceHarness) -> None:
    bearer = {"Authorization": f"Bearer {token()}"}
    assert (await api.client.get(REVIEW, headers=bearer)).status_code == 200
    async with api.db.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    await sign_in(api, token())
    async with api.db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one() == before
