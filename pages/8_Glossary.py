"""Glossary: the space's business terms (editors add and edit; everyone reads)."""

from olympus.ui import glossary, identity
from olympus.ui.widgets import ICONS, page_setup

page_setup("Glossary", ICONS["glossary"])
identity.gate()  # signed-in users only; else the sign-in screen
glossary.render()
