from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from yanglao.accounts.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The console's own session (with its CSRF token), so HTMX pages can call the API."""

    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated and not user.must_change_password:
            return user
        return None
