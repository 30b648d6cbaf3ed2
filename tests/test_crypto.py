"""Keys and settings: Fernet/MultiFernet behaviour, local key generation, nothing secret in reprs."""

from __future__ import annotations

import logging
import stat

import pytest
from cryptography.fernet import Fernet

from olympus.config import Settings, parse_keys
from olympus.crypto import Keyring, SecretKeyError, generate_key, load_keyring
from olympus.errors import ConfigError
from tests.store_helpers import make_settings

SECRET = {"password": "pa55-w0rd-that-must-not-leak"}


def test_round_trip_and_ciphertext_hides_the_secret():
    keyring = Keyring([generate_key()])
    token = keyring.encrypt(SECRET)
    assert SECRET["password"] not in token
    assert keyring.decrypt(token) == SECRET
    key = generate_key()  # a plain Fernet key: interoperable with cryptography's own Fernet
    assert Keyring([key]).decrypt(Fernet(key).encrypt(b'{"a": 1}').decode()) == {"a": 1}


def test_multifernet_decrypts_old_and_rotation_moves_to_the_newest_key():
    old, new = generate_key(), generate_key()
    token = Keyring([old]).encrypt(SECRET)
    both = Keyring([new, old])
    assert both.decrypt(token) == SECRET
    rotated = both.rotate(token)
    assert Keyring([new]).decrypt(rotated) == SECRET
    with pytest.raises(SecretKeyError) as err:
        Keyring([old]).decrypt(rotated)
    assert "OLYMPUS_SECRET_KEY" in err.value.suggestion and "keys rotate" in err.value.suggestion
    with pytest.raises(SecretKeyError):
        Keyring([new]).decrypt(token)


def test_invalid_key_is_a_clear_error_without_the_key():
    bad = "not-a-real-key-but-secret-looking"
    with pytest.raises(SecretKeyError) as err:
        Keyring([generate_key(), bad])
    assert "Key #2" in err.value.message and bad not in str(err.value.to_dict())
    assert "keys generate" in err.value.suggestion


def test_keyring_repr_has_no_key_material():
    key = generate_key()
    assert key not in repr(Keyring([key])) and key not in str(Keyring([key]).__dict__.keys())


def test_local_key_is_generated_once_with_0600(tmp_path, caplog):
    settings = make_settings(tmp_path / "home")
    caplog.set_level(logging.DEBUG)
    first = load_keyring(settings, may_generate=True)
    mode = stat.S_IMODE(settings.key_file.stat().st_mode)
    assert mode == 0o600
    warnings = [r for r in caplog.records if "generated a secret key" in r.getMessage()]
    assert len(warnings) == 1 and str(settings.key_file) in warnings[0].getMessage()
    key_text = settings.key_file.read_text().strip()
    assert key_text not in caplog.text
    second = load_keyring(settings, may_generate=True)
    assert len([r for r in caplog.records if "generated a secret key" in r.getMessage()]) == 1
    assert second.decrypt(first.encrypt(SECRET)) == SECRET
    assert settings.key_file.read_text().strip() == key_text


def test_missing_key_is_not_generated_when_not_allowed(tmp_path):
    settings = make_settings(tmp_path)
    with pytest.raises(SecretKeyError) as err:
        load_keyring(settings, may_generate=False)
    assert err.value.title == "Missing secret key" and "OLYMPUS_SECRET_KEY" in err.value.message
    assert not settings.key_file.exists()


def test_environment_key_wins_over_the_key_file(tmp_path):
    load_keyring(make_settings(tmp_path), may_generate=True)  # writes secret.key
    env_key = generate_key()
    keyring = load_keyring(make_settings(tmp_path, keys=(env_key,)), may_generate=True)
    assert Keyring([env_key]).decrypt(keyring.encrypt(SECRET)) == SECRET


def test_settings_defaults_overrides_and_no_secrets_in_repr(tmp_path):
    env = {"OLYMPUS_HOME": str(tmp_path), "OLYMPUS_SECRET_KEY": " k1 , k2,, ",
           "OPENAI_API_KEY": "sk-very-secret", "OPENAI_MODEL": "gpt-x"}
    settings = Settings.from_env(env)
    assert settings.secret_keys == ("k1", "k2")
    assert settings.store_url == f"sqlite:///{tmp_path / 'olympus.db'}"
    assert (settings.openai_model, settings.row_limit, settings.statement_timeout_s,
            settings.rate_limit_per_min, settings.schema_ttl_s, settings.owner) == (
        "gpt-x", 10_000, 30.0, 100, 86_400.0, "local")
    assert "sk-very-secret" not in repr(settings) and "k1" not in repr(settings)
    overridden = Settings.from_env(env, {"OLYMPUS_MODEL": "gpt-y", "OPENAI_API_KEY": "sk-2"})
    assert (overridden.openai_model, overridden.openai_api_key) == ("gpt-y", "sk-2")
    assert Settings.from_env({"OLYMPUS_HOME": str(tmp_path)}).openai_model == "gpt-4o-mini"
    with pytest.raises(ConfigError):
        Settings.from_env({"OLYMPUS_ROW_LIMIT": "lots"})
    assert parse_keys(None) == () and parse_keys("a,b") == ("a", "b")
