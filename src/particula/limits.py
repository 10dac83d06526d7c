"""Request body limits, enforced before a handler reads the body: 413 problem+json past the limit."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from particula.errors import Problem, problem_response

JSON_BODY_LIMIT = 1024 * 1024
UPLOAD_BODY_LIMIT = 10 * 1024 * 1024  # multipart: the largest file (an 8 MiB scene) plus its form fields


class BodyTooLarge(HTTPException):
    """Raised from receive(); an HTTPException so frameworks that wrap body errors pass it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit // 1024} KiB.")


class BodyLimitMiddleware:
    """Refuse bodies over the limit for their content type, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = UPLOAD_BODY_LIMIT if content_type.startswith("multipart/") else JSON_BODY_LIMIT
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(Problem(413, BodyTooLarge(limit).detail), scope.get("path"))
        await response(scope, receive, send)
