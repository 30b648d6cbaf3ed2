"""Olympus: home page and navigation (routing and layout only; the bodies live in olympus.ui)."""

import streamlit as st

from olympus.ui import home, resources
from olympus.ui.widgets import ICONS, PAGES, page_setup

page_setup("Olympus", ":material/insights:")
navigation = st.navigation([
    st.Page(home.render, title="Home", icon=ICONS["home"], default=True),
    st.Page(PAGES["connections"], title="Connections", icon=ICONS["connections"]),
    st.Page(PAGES["schema"], title="Schema", icon=ICONS["schema"]),
    st.Page(PAGES["ask"], title="Ask", icon=ICONS["ask"]),
])
home.bootstrap(resources.workspace())  # first start on any page: create the demo
navigation.run()
