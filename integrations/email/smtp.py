"""An SMTP relay as the email sender (NHSmail and councils offer them),
through ``aiosmtplib``.

``TEAMAROUND_SMTP_URL``: ``smtp://user:pass@host:587`` upgrades with
STARTTLS and refuses a server that does not offer it; ``smtps://…:465``
speaks TLS from the start; ``smtp://host:port?tls=off`` sends in the clear
and is accepted only for a relay on this host (localhost, 127.0.0.1, ::1).
Certificates are checked against the system's trust store.

The ``Message-ID`` is made from the outbox key, so the same delivery tried
again carries the same id (mail systems that drop repeated ids then show it
once). Replies: 4xx and lost connections are tried again with back-off; a
5xx refusing the recipient (no such mailbox) can never succeed: the row is
parked and the keyworker told; any other 5xx is parked for the operator.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from bot.errors import ConfigError
from bot.gateway import DeliveryError
from integrations.email.render import Email

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool


def parse_url(url: str) -> SmtpTarget:
    """``TEAMAROUND_SMTP_URL`` read, or a ConfigError saying what to write."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("TEAMAROUND_SMTP_URL: use smtp://user:pass@host:587 or smtps://…:465")
    tls_off = parse_qs(parts.query).get("tls") == ["off"]
    if tls_off and (parts.scheme == "smtps" or parts.hostname not in LOCAL_HOSTS):
        raise ConfigError(
            "TEAMAROUND_SMTP_URL: ?tls=off is only for a relay on this host (localhost); "
            "anything else must use STARTTLS (smtp://…:587) or TLS (smtps://…:465)"
        )
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=not implicit and not tls_off,
    )


def message_id(key: str, sender: str) -> str:
    """The same id for every attempt of one delivery (and nothing readable in it)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "teamaround.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpSender:
    name = "smtp"

    def __init__(self, *, url: str, sender: str, tls_context: ssl.SSLContext | None = None) -> None:
        self._target = parse_url(url)
        self._from = sender
        self._tls = tls_context

    def build(self, *, to: str, email: Email, key: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = to
        mail["Subject"] = email.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id(key, self._from)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(email.text)
        mail.add_alternative(email.html, subtype="html")
        return mail

    async def send(self, *, to: str, email: Email, key: str) -> str:
        mail = self.build(to=to, email=email, key=key)
        target = self._target
        try:
            await aiosmtplib.send(
                mail,
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                use_tls=target.implicit_tls,
                start_tls=target.starttls,
                tls_context=self._tls,
                timeout=30,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)[:300]
            if codes and all(500 <= c < 600 for c in codes):
                raise DeliveryError(
                    f"email: the mail server refused {to}: {text}",
                    retryable=False,
                    undeliverable=True,
                ) from None
            raise DeliveryError(f"email: {text}", retryable=True) from None
        except aiosmtplib.SMTPResponseException as exc:
            text = f"email: the mail server answered {exc.code} {exc.message}"[:300]
            raise DeliveryError(text, retryable=exc.code < 500) from None
        except aiosmtplib.SMTPException as exc:
            if "STARTTLS" in str(exc) and target.starttls:
                # Never sent in the clear: the operator must fix the URL or the relay.
                raise DeliveryError(
                    "email: the mail server does not offer STARTTLS, so nothing was sent; use "
                    "smtps:// for a relay that speaks TLS from the start",
                    retryable=False,
                ) from None
            raise DeliveryError(
                f"email: can't reach the mail server ({type(exc).__name__})", retryable=True
            ) from None
        except (OSError, TimeoutError) as exc:
            raise DeliveryError(
                f"email: can't reach the mail server ({type(exc).__name__})", retryable=True
            ) from None
        return str(mail["Message-ID"])

    async def find(self, *, key: str) -> str | None:
        return None  # SMTP cannot say what was delivered
