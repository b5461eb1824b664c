import pytest

from yanglao.core.env import EnvError, dev_secret, env_bool, env_int, env_list, env_str


def test_env_str_missing_required_names_the_variable(monkeypatch):
    monkeypatch.delenv("YL_SOMETHING", raising=False)
    with pytest.raises(EnvError, match="YL_SOMETHING"):
        env_str("YL_SOMETHING")


def test_env_bool_rejects_typos_instead_of_defaulting(monkeypatch):
    monkeypatch.setenv("YL_FLAG", "ture")
    with pytest.raises(EnvError, match="YL_FLAG"):
        env_bool("YL_FLAG", False)
    monkeypatch.setenv("YL_FLAG", "off")
    assert env_bool("YL_FLAG", True) is False


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("YL_N", "12x")
    with pytest.raises(EnvError):
        env_int("YL_N", 1)
    monkeypatch.setenv("YL_HOSTS", "a.example, b.example ,")
    assert env_list("YL_HOSTS", []) == ["a.example", "b.example"]


def test_dev_secret_is_generated_once_with_a_warning(tmp_path, capsys):
    path = tmp_path / "var" / "key"
    first = dev_secret(path, lambda: "one")
    assert "WARNING" in capsys.readouterr().err
    second = dev_secret(path, lambda: "two")
    assert first == second == "one"
    assert capsys.readouterr().err == ""
    assert oct(path.stat().st_mode & 0o777) == "0o600"
