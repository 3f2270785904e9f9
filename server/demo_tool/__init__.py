"""A small LTI 1.3 tool for the demo (and the tests), built on ``pylti1p3`` (code no one on
this project wrote), so launching a demo product ends on a real tool page.

``create_tool_app(config)`` builds it as its own Flask app; ``skolehylde serve`` runs it on
127.0.0.1:8001 beside the marketplace outside production. It answers:

- ``GET|POST /lti/login``: OIDC third-party initiated login (pylti1p3 ``FlaskOIDCLogin``);
- ``POST /lti/launch``: the id_token, validated by pylti1p3 (state, nonce, signature against
  the platform's JWKS, registration, deployment, message); a resource link launch shows the
  validated claims, a deep-linking request lists three lessons to pick;
- ``POST /lti/pick``: the teacher's pick, returned to the platform as a signed
  LtiDeepLinkingResponse (pylti1p3 ``DeepLink``);
- ``GET /jwks``: the tool's public key.

Config keys: ``PLATFORM_ISSUER``, ``PLATFORM_KEY_SET`` (inline JWKS; else the platform's
``/.well-known/jwks.json`` is fetched), ``TOOL_KEY`` (the tool's private JWK), ``CLIENTS``
(``[(client_id, deployment_id)]``), ``TOOL_BASE_URL``.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask, render_template_string, request, url_for
from joserfc.jwk import RSAKey

from server.launch import lti

TOOL_BASE_URL = "http://127.0.0.1:8001"
DEPLOYMENT_ID = "demo-deployment-1"
KEY_FILE = "demo-tool-key.json"
LESSONS = (
    ("1", "Lektion 1: Kom godt i gang"),
    ("2", "Lektion 2: Øv dig med en makker"),
    ("3", "Lektion 3: Vis hvad du kan"),
)


def client_id_for(product_key: str) -> str:
    return f"skolehylde-demo-{product_key}"


def tool_key(var_dir: str | Path) -> RSAKey:
    """The demo tool's RSA key, generated once under ``VAR_DIR/secrets`` (mode 0600)."""
    path = Path(var_dir) / "secrets" / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048, {"alg": "RS256", "use": "sig"}, auto_kid=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                json.dump(key.as_dict(private=True), file)
    return RSAKey.import_key(json.loads(path.read_text()))


def public_jwks(key: RSAKey) -> dict[str, Any]:
    return {"keys": [{**key.as_dict(private=False), "alg": "RS256", "use": "sig"}]}


def registration_for(product_key: str, key: RSAKey, base: str = TOOL_BASE_URL) -> dict[str, Any]:
    """The platform-side registration of the demo tool for one product (``save_registration``).

    The deep-linking URL names the product, so the tool knows which lessons to offer."""
    return {
        "client_id": client_id_for(product_key),
        "deployment_id": DEPLOYMENT_ID,
        "login_url": f"{base}/lti/login",
        "launch_url": f"{base}/lti/launch",
        "deep_link_url": f"{base}/lti/launch/{product_key}",
        "jwks_url": None,
        "jwks": public_jwks(key),
        "message_types": [lti.RESOURCE_LINK_REQUEST, lti.DEEP_LINKING_REQUEST],
        "share_personal_data": False,
    }


class MemoryCache:
    """pylti1p3's launch-data cache (nonces, launches) in this process."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float | None, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            expires, value = self._data.get(key, (None, None))
            if expires is not None and expires < time.monotonic():
                self._data.pop(key, None)
                return None
            return value

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + exp if exp else None, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


def tool_conf(config: dict[str, Any]) -> Any:
    tool_config: Any = importlib.import_module("pylti1p3.tool_config")
    issuer = str(config["PLATFORM_ISSUER"])
    key: RSAKey = config["TOOL_KEY"]
    entries = [
        {
            "default": index == 0,
            "client_id": client_id,
            "auth_login_url": f"{issuer}/lti/authorize",
            "auth_token_url": f"{issuer}/oauth/token",
            "auth_audience": None,
            "key_set_url": f"{issuer}/.well-known/jwks.json",
            "key_set": config.get("PLATFORM_KEY_SET"),
            "deployment_ids": [deployment_id],
        }
        for index, (client_id, deployment_id) in enumerate(config["CLIENTS"])
    ]
    conf = tool_config.ToolConfDict({issuer: entries})
    private_pem = key.as_pem(private=True).decode()
    public_pem = key.as_pem(private=False).decode()
    for client_id, _ in config["CLIENTS"]:
        conf.set_private_key(issuer, private_pem, client_id=client_id)
        conf.set_public_key(issuer, public_pem, client_id=client_id)
    return conf


PAGE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{{ title }} · Demoværktøj</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;line-height:1.5}
dt{font-weight:600;margin-top:.6rem}code{background:#eef;padding:0 .2rem}
.error{border-left:4px solid #b3261e;background:#fdecea;padding:.7rem 1rem}</style></head>
<body><main><h1>{{ title }}</h1>{{ body|safe }}</main></body></html>"""

CLAIMS = """<p>Forlaget Lærkereden (demo) — et LTI 1.3-værktøj.
Starten er valideret af pylti1p3.</p>
<dl id="claims">
<dt>Rolle</dt><dd id="role">{{ roles }}</dd>
<dt>Klasse</dt><dd id="class">{{ context.get("title") or "—" }}
 (<code>{{ context.get("id") }}</code>)</dd>
<dt>Pseudonymt id (sub)</dt><dd id="sub"><code>{{ sub }}</code></dd>
<dt>Materiale</dt><dd id="target"><code>{{ target }}</code></dd>
<dt>Lektion / ressource</dt><dd id="resource">{{ resource.get("title") }}</dd>
<dt>Læringsmål (CASE)</dt><dd id="goals"><ul>
{% for goal in goals %}<li><code>{{ goal }}</code></li>{% endfor %}</ul></dd>
<dt>Navn</dt><dd id="name">{{ name or "ikke delt" }}</dd>
</dl>"""

PICK = """<p>Vælg den lektion, klassen skal have:</p>
{% for number, title in lessons %}<form method="post" action="{{ action }}">
<input type="hidden" name="launch_id" value="{{ launch_id }}">
<input type="hidden" name="lesson" value="{{ number }}">
<button type="submit">{{ title }}</button></form>{% endfor %}"""

ROLE_NAMES = {lti.LEARNER: "Learner (elev)", lti.INSTRUCTOR: "Instructor (lærer)"}


def create_tool_app(config: dict[str, Any]) -> Flask:
    # pylti1p3 is untyped where we use it: reach it through ``Any``
    flask_lti: Any = importlib.import_module("pylti1p3.contrib.flask")
    deep_link: Any = importlib.import_module("pylti1p3.deep_link")
    deep_link_resource: Any = importlib.import_module("pylti1p3.deep_link_resource")
    from pylti1p3.exception import LtiException, OIDCException

    app = Flask("skolehylde_demo_tool")
    app.config.update(
        SECRET_KEY=config.get("SECRET_KEY") or os.urandom(24).hex(),
        # the marketplace's cookie has the default name on the same host: keep ours apart
        SESSION_COOKIE_NAME="demo_tool_session",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    conf = tool_conf(config)
    cache = MemoryCache()
    base = str(config.get("TOOL_BASE_URL", TOOL_BASE_URL))
    launches: dict[str, dict[str, Any]] = {}

    def storage() -> Any:
        return flask_lti.FlaskCacheDataStorage(cache)

    def page(title: str, body: str, status: int = 200) -> tuple[str, int]:
        return render_template_string(PAGE, title=title, body=body), status

    def refused(error: Exception) -> tuple[str, int]:
        text = render_template_string('<p class="error" role="alert">{{ e }}</p>', e=str(error))
        return page("Starten blev afvist", text, 400)

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> Any:
        try:
            oidc = flask_lti.FlaskOIDCLogin(
                flask_lti.FlaskRequest(), conf, launch_data_storage=storage()
            )
            return oidc.disable_check_cookies().redirect(f"{base}/lti/launch")
        except (OIDCException, LtiException) as error:
            return refused(error)

    @app.post("/lti/launch")
    def launch() -> Any:
        try:
            message = flask_lti.FlaskMessageLaunch(
                flask_lti.FlaskRequest(), conf, launch_data_storage=storage()
            )
            data: dict[str, Any] = message.validate_registration().get_launch_data()
        except LtiException as error:
            return refused(error)
        if message.is_deep_link_launch():
            launch_id = message.get_launch_id()
            launches[launch_id] = data
            body = render_template_string(
                PICK, lessons=LESSONS, launch_id=launch_id, action=url_for("pick")
            )
            return page("Vælg en lektion", body)
        roles = data.get(lti.ROLES, [])
        body = render_template_string(
            CLAIMS,
            roles=", ".join(ROLE_NAMES.get(role, role) for role in roles),
            context=data.get(lti.CONTEXT, {}),
            sub=data.get("sub"),
            target=data.get(lti.TARGET_LINK_URI),
            resource=data.get(lti.RESOURCE_LINK, {}),
            goals=data.get(lti.LEARNING_GOALS, []),
            name=data.get("name"),
        )
        return page("Demoværktøjet er åbnet", body)

    @app.post("/lti/pick")
    def pick() -> Any:
        data = launches.pop(request.form.get("launch_id", ""), None)
        lesson = dict(LESSONS).get(request.form.get("lesson", ""))
        if data is None or lesson is None:
            return page("Valget er udløbet", "<p>Åbn værktøjet igen fra Skolehylde.</p>", 400)
        registration = conf.find_registration_by_params(data["iss"], data["aud"])
        settings = data[lti.DEEP_LINKING_SETTINGS]
        target = str(data.get(lti.TARGET_LINK_URI, base)).rstrip("/")
        number = request.form["lesson"]
        resource = (
            deep_link_resource.DeepLinkResource()
            .set_url(f"{_product_url(target, base)}/lektion-{number}")
            .set_title(lesson)
            .set_custom_params({"lesson": number})
        )
        link = deep_link.DeepLink(registration, data[lti.DEPLOYMENT_ID], settings)
        return link.output_response_form([resource])

    @app.get("/jwks")
    def jwks() -> Any:
        return public_jwks(config["TOOL_KEY"])

    return app


def _product_url(target: str, base: str) -> str:
    """The product's page in the tool (``…/lti/launch/<key>``), from a deep link's target."""
    return target if "/lti/launch/" in target else f"{base}/lti/launch/demo"


def demo_clients(product_keys: Iterable[str]) -> list[tuple[str, str]]:
    return [(client_id_for(key), DEPLOYMENT_ID) for key in product_keys]


def demo_product_keys() -> list[str]:
    """The demo catalogue's LTI products (their launch URLs point at this tool)."""
    from server.demo_catalogue import demo_products

    return [
        str(line["external_id"]).removeprefix("demo-")
        for line in demo_products()
        if line["launch"]["kind"] == "lti"
    ]
