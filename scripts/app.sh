#!/usr/bin/env bash
# Install the app's packages (into .venv) and start Olympus on the embedded demo database.
#   bash scripts/app.sh                      # http://localhost:8501
#   bash scripts/app.sh --server.port 8080   # extra args go to `streamlit run`
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
STAMP="$VENV/.olympus-app-requirements.sha256"
WANT="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ "${OLYMPUS_FORCE_INSTALL:-0}" = 1 ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "[app.sh] installing Python packages (requirements.txt)" >&2
  "$PY" -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  echo "$WANT" > "$STAMP"
fi
exec "$PY" -m streamlit run app.py --server.headless true --browser.gatherUsageStats false "$@"
