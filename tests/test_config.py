"""Settings: Streamlit secrets may override the environment, but blanks never erase it."""

from olympus.config import Settings


def test_blank_overrides_do_not_erase_environment_values(tmp_path):
    env = {"OLYMPUS_HOME": str(tmp_path), "OLYMPUS_SECRET_KEY": "k1,k2", "OPENAI_API_KEY": "sk-env"}
    example = {"OLYMPUS_SECRET_KEY": "", "OPENAI_API_KEY": "  ", "OLYMPUS_MODEL": "gpt-x"}
    settings = Settings.from_env(env, overrides=example)
    assert settings.secret_keys == ("k1", "k2")
    assert settings.openai_api_key == "sk-env" and settings.openai_model == "gpt-x"


def test_non_blank_override_wins(tmp_path):
    settings = Settings.from_env({"OLYMPUS_HOME": str(tmp_path), "OPENAI_API_KEY": "sk-env"},
                                 overrides={"OPENAI_API_KEY": "sk-secrets"})
    assert settings.openai_api_key == "sk-secrets"


def test_repr_hides_store_password_and_keys(tmp_path):
    env = {"OLYMPUS_HOME": str(tmp_path), "OLYMPUS_STORE_URL":
           "postgresql+psycopg://olympus:Hunter2pw@db/olympus", "OLYMPUS_SECRET_KEY": "KEYMATERIAL",
           "OPENAI_API_KEY": "sk-hidden"}
    text = repr(Settings.from_env(env))
    assert "Hunter2pw" not in text and "KEYMATERIAL" not in text and "sk-hidden" not in text
    assert "db/olympus" in text  # still says where the store is
