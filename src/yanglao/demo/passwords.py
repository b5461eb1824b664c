"""The demo accounts' one published password, hashed once per process."""

from functools import lru_cache

from django.contrib.auth.hashers import make_password


@lru_cache
def demo_password_hash(password: str) -> str:
    # Every demo account has the same known password, so one salt costs nothing in secrecy and
    # saves a PBKDF2 run (~0.17 s) per account.
    return make_password(password)
