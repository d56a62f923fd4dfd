"""A scripted client that speaks Streamlit's websocket protocol, as an attacker's script would.

It connects to ``/_stcore/stream`` (optionally presenting an existing session id, as a
reconnecting browser does), asks for script runs with chosen widget values (any value: a
selectbox choice outside its options, a button press), and collects what the server sends.
Widget ids are learnt from the elements the server sent, by their user key.

Used by tests/security and tests/reliability against a real ``streamlit run`` on localhost,
and by benchmarks/load.py.
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

WIDGET_FIELDS = ("selectbox", "text_input", "button", "checkbox", "radio", "text_area", "multiselect",
                 "slider", "file_uploader", "download_button", "segmented_control", "button_group",
                 "number_input", "date_input")


def xsrf_token() -> str:
    """A fresh XSRF token (double-submit: the same value as cookie and header/subprotocol)."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    return generate_xsrf_token_string()


@dataclass
class Run:
    """What the server sent for one script run."""

    messages: list[ForwardMsg] = field(default_factory=list)

    @property
    def raw(self) -> bytes:
        return b"".join(m.SerializeToString() for m in self.messages)

    def contains(self, text: str) -> bool:
        """True when ``text`` appears anywhere in what was sent (elements, tables as Arrow)."""
        return text.encode("utf-8") in self.raw

    def elements(self) -> list[Any]:
        return [m.delta.new_element for m in self.messages
                if m.WhichOneof("type") == "delta" and m.delta.WhichOneof("type") == "new_element"]

    def texts(self) -> list[str]:
        """Bodies of titles, text, markdown, alerts and toasts, in order."""
        found = []
        for element in self.elements():
            kind = element.WhichOneof("type")
            inner = getattr(element, kind)
            for attribute in ("body", "text"):
                value = getattr(inner, attribute, None)
                if isinstance(value, str) and value:
                    found.append(value)
                    break
        return found

    def widget_keys(self) -> list[str]:
        keys = []
        for element in self.elements():
            kind = element.WhichOneof("type")
            if kind in WIDGET_FIELDS:
                widget_id = getattr(element, kind).id
                keys.append(widget_id.rsplit("-", 1)[-1] if "-" in widget_id else widget_id)
        return keys


class Client:
    """One websocket connection to a Streamlit server (a "browser tab")."""

    def __init__(self, url: str, *, session_id: str | None = None, cookies: dict[str, str] | None = None,
                 timeout: float = 60) -> None:
        self.url = url
        self.timeout = timeout
        self.xsrf = xsrf_token()
        self.cookies = {"_streamlit_xsrf": self.xsrf, **(cookies or {})}
        protocols = ["streamlit", self.xsrf] + ([session_id] if session_id else [])
        self._ws = connect(
            url.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=protocols,  # type: ignore[arg-type]
            origin=url,  # type: ignore[arg-type]
            additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())},
            max_size=None,
            open_timeout=timeout,
        )
        self.session_id: str | None = None
        self.widget_ids: dict[str, str] = {}
        self.pages: dict[str, str] = {}  # url path name -> page script hash
        self.page_hash = ""
        self.last: Run = Run()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._ws.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ protocol
    def send(self, message: BackMsg) -> None:
        self._ws.send(message.SerializeToString())

    def rerun(self, widgets: dict[str, Any] | None = None, page: str | None = None) -> Run:
        """Ask for a script run with these widget values (by user key) and wait for its end.

        Values: str → string_value, bool True → trigger (a button press), list[str] →
        string array, int → int_value, float → double_value. Widgets not named keep no
        value (as a fresh tab). ``page`` is a page's URL name ("data", "portfolio").
        """
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        if page is not None:
            self.page_hash = self.pages.get(page, "")
            state.page_name = page
        state.page_script_hash = self.page_hash
        for key, value in (widgets or {}).items():
            widget = WidgetState()
            widget.id = self.widget_ids.get(key, key)
            if value is True:
                widget.trigger_value = True
            elif isinstance(value, str):
                widget.string_value = value
            elif isinstance(value, list):
                widget.string_array_value.data.extend(value)
            elif isinstance(value, bool):
                widget.bool_value = value
            elif isinstance(value, int):
                widget.int_value = value
            elif isinstance(value, float):
                widget.double_value = value
            state.widget_states.widgets.append(widget)
        self.send(message)
        return self.wait_run()

    def wait_run(self) -> Run:
        """Collect messages until the server reports the end of a script run (or of a rerun chain)."""
        run = Run()
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no script_finished from the server")
            raw = self._ws.recv(timeout=remaining)
            if isinstance(raw, str):
                continue
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            run.messages.append(msg)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
                for page in msg.new_session.app_pages:
                    self.pages[page.url_pathname or page.page_name] = page.page_script_hash
            elif kind == "navigation":
                for page in msg.navigation.app_pages:
                    self.pages[page.url_pathname] = page.page_script_hash
                if msg.navigation.page_script_hash:
                    self.page_hash = msg.navigation.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                widget_kind = element.WhichOneof("type")
                if widget_kind in WIDGET_FIELDS:
                    widget_id = getattr(element, widget_kind).id
                    for key in _user_keys(widget_id):
                        self.widget_ids[key] = widget_id
            elif kind == "script_finished":
                # FINISHED_SUCCESSFULLY / WITH_COMPILE_ERROR end a run; a rerun request
                # (FINISHED_EARLY_FOR_RERUN) is followed by another run, collected too.
                if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self.last = run
                    return run

    # ------------------------------------------------------------------ app steps
    def sign_in(self, name: str, password: str) -> Run:
        self.rerun()
        return self.rerun({"auth.user": name, "auth.password": password, "auth.submit": True})

    def upload(self, name: str, data: bytes, file_id: str = "f1") -> int:
        """PUT a file into this session's upload store as the browser does; the HTTP status."""
        boundary = "kamstudioboundary"
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: text/csv\r\n\r\n"
        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            f"{self.url}/_stcore/upload_file/{self.session_id}/{file_id}", data=body, method="PUT",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": self.xsrf,
                     "Cookie": f"_streamlit_xsrf={self.xsrf}", "Origin": self.url},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def _user_keys(widget_id: str) -> list[str]:
    """The user key inside a widget id (``$$ID-<hash>-<key>``), if it has one."""
    if widget_id.startswith("$$ID-"):
        parts = widget_id.split("-", 2)
        if len(parts) == 3 and parts[2] != "None":
            return [parts[2]]
    return []


@contextlib.contextmanager
def password_server(tmp_path: Path, users: dict[str, str], env: dict[str, str] | None = None,
                    args: list[str] | None = None, rounds: int = 4) -> Iterator[tuple[str, Path]]:
    """A real ``streamlit run app.py`` with password login for ``users`` (name → password);
    bcrypt with ``rounds`` (4 for speed in tests; 12 as ``kamcore.access hash`` makes them)."""
    import bcrypt

    from tests.e2e.conftest import running_server

    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    secrets = tmp_path / "secrets.toml"
    lines = ["[auth_passwords]"] + [
        f'{name} = "{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=rounds)).decode()}"' for name, pw in users.items()
    ]
    secrets.write_text("\n".join(lines) + "\n", encoding="utf-8")
    environment = {"KAMSTUDIO_AUTH": "password", **(env or {})}
    with running_server(workspaces, environment, ["--secrets.files", str(secrets), *(args or [])]) as url:
        yield url, workspaces


def environ_without_strict() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KAMSTUDIO_STRICT_I18N", None)
    return env
