"""GOV.UK Notify as the email sender, through its official client
(``notifications-python-client``; it is synchronous, so each call runs in a
worker thread).

One generic template (``TEAMAROUND_NOTIFY_TEMPLATE_ID``) whose subject is
``((subject))`` and whose body is ``((body))``; ``reference`` carries the
outbox key, so an attempt that may have landed is looked for first
(``GET /v2/notifications?reference=…``). Notify's answers: 429 (rate limit)
and 5xx are tried again with back-off; 400 for the address itself
(``ValidationError`` on ``email_address``) can never succeed: the row is
parked and the keyworker told; other 400s and 403 (the key or template is
wrong) are the operator's to fix and are retried until the row is parked.
"""

from __future__ import annotations

import asyncio
from typing import Any

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from bot.gateway import DeliveryError
from integrations.email.render import Email

# Notify's statuses for an email that never reached the person.
_FAILED = frozenset({"permanent-failure", "temporary-failure", "technical-failure"})


class NotifySender:
    name = "notify"

    def __init__(self, *, api_key: str, template_id: str, base_url: str) -> None:
        self._client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            api_key, base_url=base_url, timeout=15
        )
        self._template_id = template_id

    async def send(self, *, to: str, email: Email, key: str) -> str:
        answer = await self._call(
            self._client.send_email_notification,
            email_address=to,
            template_id=self._template_id,
            personalisation={"subject": email.subject, "body": email.text},
            reference=key,
        )
        return str(answer.get("id", ""))

    async def find(self, *, key: str) -> str | None:
        answer = await self._call(
            self._client.get_all_notifications, reference=key, template_type="email"
        )
        for notification in answer.get("notifications", []):
            if notification.get("status") not in _FAILED:
                return str(notification.get("id"))
        return None

    async def _call(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await asyncio.to_thread(method, **kwargs)
        except HTTPError as exc:
            raise _translate(exc) from None
        return answer if isinstance(answer, dict) else {}


def _translate(exc: HTTPError) -> DeliveryError:
    status = exc.status_code
    errors = exc.message if isinstance(exc.message, list) else []
    said = (
        "; ".join(
            f"{e.get('error', '')}: {e.get('message', '')}" for e in errors if isinstance(e, dict)
        )
        or str(exc.message)[:200]
    )
    text = f"email: Notify answered {status} ({said})"
    if status == 400 and any(
        isinstance(e, dict) and "email_address" in str(e.get("message", "")) for e in errors
    ):
        return DeliveryError(text, retryable=False, undeliverable=True)
    if status == 400:
        return DeliveryError(text, retryable=False)
    return DeliveryError(text, retryable=True)
