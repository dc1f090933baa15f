"""Errors that become a private reply to the person who caused them."""

from __future__ import annotations


class UserFacingError(Exception):
    """A refusal or a mistake the user can fix; its message is sent to them privately."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Forbidden(UserFacingError):
    """The actor lacks the permission the command needs."""


class NotFound(UserFacingError):
    """The thing referred to does not exist (or is not visible to the actor)."""


class InvalidInput(UserFacingError):
    """Arguments the user gave are wrong; the message says what to fix."""


class GateClosed(UserFacingError):
    """The community does not admit this person this way right now."""


class Conflict(UserFacingError):
    """Someone else got there first (the application is decided, the code is used up…)."""


class RateLimited(UserFacingError):
    """Too many attempts; the message says when to try again."""
