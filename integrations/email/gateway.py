"""Delivers outbox rows to people by email (``platform = "email"``).

A message to a person becomes one email: each action it is about gets a
link to the one-action page, signed for that person (``bot.links``), and the
body holds what the policy allows (``render``). The sender is GOV.UK Notify
or an SMTP relay (``notify.py``, ``smtp.py``); both carry the outbox key
(Notify's ``reference``, the SMTP ``Message-ID``), and when an earlier
attempt may have landed, a sender that can look (Notify) looks for that key
before sending again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from bot.gateway import Delivery, DeliveryError, SendResult
from bot.links import LinkSigner
from integrations.email.render import Content, Email, Link, render


class Sender(Protocol):
    name: str

    async def send(self, *, to: str, email: Email, key: str) -> str:
        """Send; the service's id for the email. Raises DeliveryError."""
        ...

    async def find(self, *, key: str) -> str | None:
        """The id of an email already sent with this key, where the service
        can say (None: not found, or it cannot tell)."""
        ...


class EmailGateway:
    platform = "email"

    def __init__(
        self,
        *,
        sender: Sender,
        signer: LinkSigner,
        public_url: str,
        content: Content,
        link_days: int,
        now: Callable[[], datetime],
        today: Callable[[], date],
    ) -> None:
        self._sender = sender
        self._signer = signer
        self._base = public_url.rstrip("/")
        self._content: Content = content
        self._link_days = link_days
        self._now = now
        self._today = today

    def link(self, *, action_id: int, person_id: int) -> str:
        token = self._signer.issue(action_id=action_id, person_id=person_id, at=self._now())
        return f"{self._base}/a/{token}"

    def compose(self, delivery: Delivery) -> Email:
        message = delivery.message
        person_id = delivery.address.person_id
        if message is None or delivery.op != "dm" or person_id is None:
            raise DeliveryError(
                f"email: only messages to a person can be emailed (op {delivery.op})",
                retryable=False,
            )
        links = [
            Link(action=a, url=self.link(action_id=a.action_id, person_id=person_id))
            for a in message.actions
        ]
        return render(
            message,
            content=self._content,
            links=links,
            today=self._today(),
            link_days=self._link_days,
        )

    async def deliver(self, delivery: Delivery) -> SendResult:
        email = self.compose(delivery)
        to = delivery.address.email
        if delivery.attempt > 0:
            found = await self._sender.find(key=delivery.key)
            if found:
                return SendResult(conversation_id=to, message_id=found)
        sent = await self._sender.send(to=to, email=email, key=delivery.key)
        return SendResult(conversation_id=to, message_id=sent)
