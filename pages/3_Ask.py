"""Ask: a chat bound to one connection; plain English with an LLM, or SQL directly."""

from olympus.ui import ask, identity
from olympus.ui.widgets import ICONS, page_setup

page_setup("Ask", ICONS["ask"])
identity.gate()  # signed-in users only; else the sign-in screen
ask.render()
