"""E-mail over SMTP: STARTTLS (default) or implicit TLS, with optional AUTH.

One message per notification, Chinese and English in one UTF-8 body. The Message-ID is derived
from the notification id, so a mail system that sees the same message twice can drop it. The
password is read from ``{env: ...}`` or ``{file: ...}`` at start and never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from dcmon.config.alerting import EmailReceiver as Config
from dcmon.engine.alerts.state import Notification
from dcmon.exporters.notify.base import DeliveryError, status_word


def message(cfg: Config, n: Notification) -> EmailMessage:
    word, word_zh = status_word(n)
    a = n.annotations
    msg = EmailMessage()
    msg["Subject"] = (f"[dcmon {word} {n.severity}] {a.get('summary') or n.alertname} / "
                      f"{a.get('summary_zh', '')}")
    msg["From"] = cfg.from_addr
    msg["To"] = ", ".join(cfg.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{n.id}@dcmon>"
    labels = "\n".join(f"  {k}: {v}" for k, v in sorted(n.labels.items()))
    msg.set_content(
        f"{word} / {word_zh}\n\n{a.get('description', '')}\n\n{a.get('description_zh', '')}\n\n"
        f"Labels:\n{labels}\n\nfingerprint {n.fingerprint}, notification {n.id}\n",
        charset="utf-8")
    return msg


class EmailReceiver:
    batch = False

    def __init__(self, cfg: Config, password: str | None = None) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self._password = password

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cfg.ca_file)

    def send(self, notes: list[Notification]) -> None:
        c = self.cfg
        try:
            smtp: smtplib.SMTP
            if c.security == "tls":
                smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout,
                                        context=self._context())
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            with smtp:
                smtp.ehlo()
                if c.security == "starttls":
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if c.username is not None and self._password is not None:
                    smtp.login(c.username, self._password)
                for n in notes:
                    smtp.send_message(message(c, n))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"smtp {c.host}:{c.port}: authentication failed "
                                f"({exc.smtp_code})") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"smtp {c.host}:{c.port}: {type(exc).__name__}: "
                                f"{str(exc)[:200]}") from None
