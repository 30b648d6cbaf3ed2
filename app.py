"""Olympus: home page and navigation (routing and layout only; the bodies live in olympus.ui)."""

# sqlglot whole before any background thread imports it: its circular first import can deadlock
# across threads and leave it broken for the rest of the process
import sqlglot  # noqa: F401
import streamlit as st

from olympus.ui import home, identity, resources, schedules, tokens
from olympus.ui.widgets import ICONS, PAGES, page_setup

page_setup("Olympus", ":material/insights:", router=True)
config = resources.settings()
pages = [
    st.Page(home.render, title="Home", icon=ICONS["home"], default=True),
    st.Page(PAGES["connections"], title="Connections", icon=ICONS["connections"]),
    st.Page(PAGES["schema"], title="Schema", icon=ICONS["schema"]),
    st.Page(PAGES["ask"], title="Ask", icon=ICONS["ask"]),
    st.Page(PAGES["notebooks"], title="Notebooks", icon=ICONS["notebooks"]),
    st.Page(PAGES["schedules"], title="Schedules", icon=ICONS["schedules"]),
    st.Page(PAGES["glossary"], title="Glossary", icon=ICONS["glossary"]),
]
# gate first: an anonymous visitor gets the sign-in screen and no navigation at all
who = identity.gate(config, hide=lambda: st.navigation(pages, position="hidden"))
if config.auth != "none" and who.can("members"):  # members matter once people sign in
    pages.append(st.Page(PAGES["members"], title="Members", icon=ICONS["members"]))
if who.can("members"):  # admins: the space's audit trail
    pages.append(st.Page("pages/5_Activity.py", title="Activity", icon=ICONS["history"]))
    pages.append(st.Page("pages/7_Performance.py", title="Performance",
                         icon=ICONS["performance"]))
if who.can("manage"):  # admins: review verified queries (stale ones after a schema change)
    pages.append(st.Page(PAGES["verified"], title="Verified queries", icon=ICONS["verified"]))
navigation = st.navigation(pages)
identity.exposure_warning(config)  # local mode reachable from other machines: say so, every page
identity.sidebar(config, who)
tokens.sidebar(resources.workspace(config))  # access tokens for the MCP server
home.bootstrap(resources.workspace(config))  # first start on any page: create the demo
resources.health_monitor(config)  # background health checks of recently used connections
schedules.start_scheduler(config)  # local store: runs schedules in this process (OLYMPUS_SCHEDULER)
navigation.run()
