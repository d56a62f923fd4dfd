"""KAM Studio entry point: page config, session state, login gate, navigation, shared sidebar."""

from __future__ import annotations

import streamlit as st

from ui import anonymity, auth, i18n, links, meeting_pack, router, server_guard, state, warmup, widgets
from ui.i18n import t

router.router_started()
# An emoji icon is drawn in the browser; a ":material/…:" page icon is fetched from a font host.
st.set_page_config(page_title="KAM Studio", page_icon="🤝", layout="wide")
state.init()
warmup.start()  # once per process: imports, then keeps them out of the GC's scans
server_guard.install(state.settings().login_required)
links.restore_language()  # ?lang= from a reload or a shared link, before anything is translated

# The page opened without a URL path. Tests set "app.start_page" to open a page through this
# router (AppTest.switch_page would run the page alone, without the shared sidebar).
start_page = st.session_state.get("app.start_page", "home")
sections = {
    "section_start": [("home", ":material/home:"), ("data", ":material/upload_file:")],
    "section_analyse": [
        ("portfolio", ":material/leaderboard:"),
        ("selection", ":material/grid_view:"),
        ("segments", ":material/bubble_chart:"),
        ("survey", ":material/fact_check:"),
        ("relationships", ":material/hub:"),
    ],
    "section_follow": [("plans", ":material/flag:"), ("account", ":material/person_pin:")],
}
pages = {
    t(f"app.{section}"): [
        st.Page(f"pages/{name}.py", title=t(f"app.page_{name}"), icon=icon, default=name == start_page)
        for name, icon in entries
    ]
    for section, entries in sections.items()
}
# st.navigation is called before the login gate so Streamlit leaves its old "pages/ folder"
# mode at the first request; the menu stays hidden until the person has signed in.
page = st.navigation(pages, position="hidden" if auth.needs_sign_in() else "sidebar")
pending = router.take_pending_page({name for entries in sections.values() for name, _ in entries})
if pending:
    router.router_finished()
    st.switch_page(f"pages/{pending}.py", query_params=st.query_params.to_dict())

# With login on, nothing below renders until the person has signed in.
auth.gate()

try:
    state.ensure_demo()
    links.restore_workspace()  # ?ws= only after sign-in: the access check needs the reader
    state.workspace()
except Exception as exc:  # noqa: BLE001 - shown as one sentence, never a traceback
    widgets.stop_with_error(exc)

i18n.language_selector()

widgets.workspace_picker()
anonymity.switch()
links.publish()
links.show_refusal()
try:
    widgets.sidebar_filters()
except Exception as exc:  # noqa: BLE001
    widgets.error(exc)
meeting_pack.sidebar()  # "Meeting pack": PPTX + PDF of the current view (ui/meeting_pack.py)

try:
    page.run()
finally:
    router.router_finished()
